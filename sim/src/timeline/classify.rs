//! Which trace events matter to a person watching a run: shared by the timeline and by
//! `rocketsim run -v`, so that the page and the terminal tell the same story.

use crate::TraceEvent;

/// What kind of event a trace line is, for display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// A node added, started, killed, restarted, powered off, paused or resumed.
    Lifecycle,
    /// An injected fault: network, clock, disk.
    Fault,
    /// A name server's route table changed (registration, expiry, removal).
    Route,
    /// The workload's progress (rates, individual calls): shown with `-vv`.
    Progress,
    /// Anything else worth a line: other world records, starts and recoveries.
    Notable,
    /// Per-connection and per-request chatter: only in the trace file.
    Noise,
}

/// The `kind` of a world record (`World::record(kind, detail)`), if `event` is one.
pub fn world_kind(event: &TraceEvent) -> Option<&str> {
    (event.target == "world").then(|| event.message.split(' ').next().unwrap_or(""))
}

/// Classifies one trace event.
pub fn classify(event: &TraceEvent) -> Category {
    if let Some(kind) = world_kind(event) {
        return match kind.split('.').next().unwrap_or("") {
            "node" => Category::Lifecycle,
            "net" | "clock" | "disk" => Category::Fault,
            "workload" => Category::Progress,
            _ => Category::Notable,
        };
    }
    if event.target == "rocketsim::workload" {
        return Category::Progress;
    }
    if event.target == "rocketsim::namesrv" && event.message.starts_with("broker ") {
        // A registration that changed nothing is a heartbeat, not a route change.
        return match event.message.contains("applied=false") {
            true => Category::Noise,
            false => Category::Route,
        };
    }
    let chatter = ["connection ", "request ", "server listening"];
    if event.target == "rocketsim::remoting" && chatter.iter().any(|c| event.message.starts_with(c))
    {
        return Category::Noise;
    }
    Category::Notable
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(target: &str, message: &str) -> TraceEvent {
        TraceEvent {
            virtual_nanos: 0,
            node: "n".into(),
            target: target.into(),
            message: message.into(),
        }
    }

    #[test]
    fn world_records_by_kind_and_chatter_is_noise() {
        assert_eq!(
            classify(&event("world", "node.kill a")),
            Category::Lifecycle
        );
        assert_eq!(classify(&event("world", "net.heal ")), Category::Fault);
        assert_eq!(
            classify(&event("world", "clock.step a 5ms")),
            Category::Fault
        );
        assert_eq!(
            classify(&event("world", "workload.rate second=1 sent=2")),
            Category::Progress
        );
        assert_eq!(classify(&event("world", "custom thing")), Category::Notable);
        let expired = event("rocketsim::namesrv", "broker expired: no registration");
        assert_eq!(classify(&expired), Category::Route);
        let heartbeat = event(
            "rocketsim::namesrv",
            "broker registered topics=2 applied=false",
        );
        assert_eq!(classify(&heartbeat), Category::Noise);
        let open = event("rocketsim::remoting", "connection open id=conn-1");
        assert_eq!(classify(&open), Category::Noise);
        let started = event("rocketsim::broker", "broker started addr=1");
        assert_eq!(classify(&started), Category::Notable);
    }
}
