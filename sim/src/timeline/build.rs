//! Trace → `Timeline`: replays the world's records to know each node's state over time.

use super::classify::{classify, world_kind, Category};
use super::{Lane, Mark, MarkKind, NodeState, RunInfo, Span, Timeline};
use crate::TraceEvent;
use std::collections::{BTreeMap, BTreeSet};

/// A lane while the trace is replayed: the spans still open.
#[derive(Default)]
struct Open {
    lane: Lane,
    state: Option<(u64, NodeState, String)>,
    /// Open cuts (what caused them) and since when the lane has been cut.
    cuts: BTreeSet<String>,
    cut_since: u64,
}

impl Open {
    fn set_state(&mut self, at: u64, state: Option<NodeState>, text: &str) {
        if let Some((from, old, old_text)) = self.state.take() {
            self.lane.spans.push(Span {
                from_nanos: from,
                to_nanos: at,
                state: old,
                text: old_text,
            });
        }
        self.state = state.map(|state| (at, state, text.to_string()));
    }

    fn cut(&mut self, at: u64, cause: String) {
        if self.cuts.is_empty() {
            self.cut_since = at;
        }
        self.cuts.insert(cause);
    }

    fn uncut(&mut self, at: u64, cause: Option<&str>) {
        let was_cut = !self.cuts.is_empty();
        match cause {
            Some(cause) => {
                self.cuts.remove(cause);
            }
            None => self.cuts.clear(),
        }
        if was_cut && self.cuts.is_empty() {
            self.lane.cuts.push(Span {
                from_nanos: self.cut_since,
                to_nanos: at,
                state: NodeState::Cut,
                text: "network cut".into(),
            });
        }
    }

    fn mark(&mut self, at_nanos: u64, kind: MarkKind, text: &str) {
        self.lane.marks.push(Mark {
            at_nanos,
            kind,
            text: text.to_string(),
        });
    }
}

struct Builder {
    lanes: Vec<Open>,
    global: Vec<Mark>,
    rates: BTreeMap<String, BTreeMap<u64, u64>>,
}

impl Builder {
    fn lane(&mut self, name: &str) -> Option<&mut Open> {
        self.lanes.iter_mut().find(|open| open.lane.name == name)
    }

    fn add_lane(&mut self, name: &str) {
        if self.lane(name).is_none() {
            let lane = Lane {
                name: name.to_string(),
                ..Lane::default()
            };
            self.lanes.push(Open {
                lane,
                ..Open::default()
            });
        }
    }

    fn global(&mut self, at_nanos: u64, kind: MarkKind, text: &str) {
        self.global.push(Mark {
            at_nanos,
            kind,
            text: text.to_string(),
        });
    }

    /// A mark on `node`'s lane, or a global one if there is no such lane.
    fn mark_on(&mut self, node: &str, at: u64, kind: MarkKind, text: &str) {
        match self.lane(node) {
            Some(open) => open.mark(at, kind, text),
            None => self.global(at, kind, text),
        }
    }

    fn world(&mut self, event: &TraceEvent, kind: &str) {
        let at = event.virtual_nanos;
        let text = event.message.as_str();
        let detail = text.get(kind.len()..).unwrap_or("").trim();
        let first = detail.split(' ').next().unwrap_or("").to_string();
        match kind {
            "node.add" => self.add_lane(&first),
            "node.start" => self.state(&first, at, NodeState::Up, text, None),
            "node.kill" => self.state(&first, at, NodeState::Killed, text, Some(MarkKind::Kill)),
            "node.power_loss" => {
                let mark = Some(MarkKind::PowerLoss);
                self.state(&first, at, NodeState::PowerLost, text, mark)
            }
            "node.pause" => self.state(&first, at, NodeState::Paused, text, Some(MarkKind::Pause)),
            "node.resume" => self.state(&first, at, NodeState::Up, text, Some(MarkKind::Resume)),
            "node.restart" => self.mark_on(&first, at, MarkKind::Restart, text),
            "net.clog_node" | "net.unclog_node" => {
                let clog = kind == "net.clog_node";
                self.cut(&[first], at, "node".into(), clog, text);
            }
            "net.clog_link" | "net.unclog_link" => {
                let ends: Vec<String> = detail.split(" -> ").map(str::to_string).collect();
                let cause = format!("link {detail}");
                self.cut(&ends, at, cause, kind == "net.clog_link", text);
            }
            "net.partition" => self.cut(&quoted(detail), at, "partition".into(), true, text),
            "net.heal" => {
                for open in &mut self.lanes {
                    open.uncut(at, None);
                }
                self.global(at, MarkKind::Net, text);
            }
            "net.packet_loss" | "net.latency" => self.global(at, MarkKind::Net, text),
            "clock.step" | "clock.skew" => self.mark_on(&first, at, MarkKind::Clock, text),
            "disk.faults" => self.mark_on(&first, at, MarkKind::Disk, text),
            "workload.rate" => self.rate_record(detail),
            _ => self.mark_on(&event.node, at, MarkKind::Event, text),
        }
    }

    fn state(&mut self, node: &str, at: u64, state: NodeState, text: &str, mark: Option<MarkKind>) {
        if let Some(open) = self.lane(node) {
            open.set_state(at, Some(state), text);
            if let Some(kind) = mark {
                open.mark(at, kind, text);
            }
        }
    }

    fn cut(&mut self, nodes: &[String], at: u64, cause: String, on: bool, text: &str) {
        for node in nodes {
            if let Some(open) = self.lane(node) {
                match on {
                    true => open.cut(at, cause.clone()),
                    false => open.uncut(at, Some(&cause)),
                }
                open.mark(at, MarkKind::Net, text);
            }
        }
    }

    /// `second=S name=count …`: one point per named count.
    fn rate_record(&mut self, detail: &str) {
        let pairs: Vec<(&str, u64)> = detail
            .split(' ')
            .filter_map(|pair| pair.split_once('='))
            .filter_map(|(key, value)| Some((key, value.parse().ok()?)))
            .collect();
        let Some(&(_, second)) = pairs.iter().find(|(key, _)| *key == "second") else {
            return;
        };
        for &(key, count) in pairs.iter().filter(|(key, _)| *key != "second") {
            *self
                .rates
                .entry(key.to_string())
                .or_default()
                .entry(second)
                .or_default() += count;
        }
    }

    fn other(&mut self, event: &TraceEvent) {
        let at = event.virtual_nanos;
        match classify(event) {
            Category::Route => self.mark_on(&event.node, at, MarkKind::Route, &event.message),
            Category::Progress => {
                let name = event.message.split(' ').next().unwrap_or("event");
                let series = match event.message.contains("ok=false") {
                    true => format!("{name} failed"),
                    false => name.to_string(),
                };
                let second = at / 1_000_000_000;
                *self
                    .rates
                    .entry(series)
                    .or_default()
                    .entry(second)
                    .or_default() += 1;
            }
            Category::Noise => {}
            _ => {
                let text = format!("{}: {}", event.target, event.message);
                self.mark_on(&event.node, at, MarkKind::Event, &text);
            }
        }
    }
}

/// The strings between double quotes in `text` (node names in a partition's groups).
fn quoted(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Builds the timeline of a run from its kept trace and its violation lines.
pub fn build(info: RunInfo, events: &[TraceEvent], violations: &[String]) -> Timeline {
    let mut builder = Builder {
        lanes: Vec::new(),
        global: Vec::new(),
        rates: BTreeMap::new(),
    };
    for event in events {
        match world_kind(event) {
            Some(kind) => builder.world(event, kind),
            None => builder.other(event),
        }
    }
    let last = events.iter().map(|e| e.virtual_nanos).max().unwrap_or(0);
    let end_nanos = info.virtual_nanos.max(last);
    let lanes = builder
        .lanes
        .into_iter()
        .map(|mut open| {
            open.set_state(end_nanos, None, "");
            open.uncut(end_nanos, None);
            open.lane
        })
        .collect();
    // A checker stamps a violation with the virtual time it happened (`[12.345s] …`); one
    // without a stamp (a count judged at the end) sits at the end of the run.
    let violations = violations
        .iter()
        .map(|text| Mark {
            at_nanos: crate::check::unstamp(text)
                .map_or(end_nanos, |(at, _)| (at.as_nanos() as u64).min(end_nanos)),
            kind: MarkKind::Violation,
            text: text.clone(),
        })
        .collect();
    Timeline {
        info,
        end_nanos,
        lanes,
        global: builder.global,
        violations,
        rates: builder.rates,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    pub fn event(secs: u64, node: &str, target: &str, message: &str) -> TraceEvent {
        TraceEvent {
            virtual_nanos: secs * S,
            node: node.into(),
            target: target.into(),
            message: message.into(),
        }
    }

    pub fn world(secs: u64, message: &str) -> TraceEvent {
        event(secs, "world", "world", message)
    }

    pub fn info() -> RunInfo {
        RunInfo {
            scenario: "tiny".into(),
            seed: 7,
            result: "fail".into(),
            trace_hash: 0xabc,
            reproduce: "rocketsim run tiny.toml --seed 7".into(),
            final_line: "result=fail seed=7".into(),
            virtual_nanos: 60 * S,
        }
    }

    /// Two nodes: `a` killed at 10 s and restarted at 20 s, `b` partitioned from `a` from
    /// 30 s to the heal at 40 s, its clock stepped; one route expiry, rates, chatter.
    pub fn small_trace() -> Vec<TraceEvent> {
        vec![
            world(0, "node.add a 10.0.0.1"),
            world(0, "node.start a incarnation=1"),
            world(0, "node.add b 10.0.0.2"),
            world(0, "node.start b incarnation=1"),
            event(1, "a", "rocketsim::remoting", "connection open id=conn-1"),
            event(1, "b", "rocketsim::workload", "ping client=1 seq=0 ok=true"),
            event(
                1,
                "b",
                "rocketsim::workload",
                "ping client=1 seq=1 ok=false",
            ),
            world(10, "node.kill a"),
            world(20, "node.restart a"),
            world(20, "node.start a incarnation=2"),
            world(30, r#"net.partition [["a"], ["b"]]"#),
            world(35, "clock.step b -500ms"),
            event(
                36,
                "b",
                "rocketsim::namesrv",
                "broker expired: no registration",
            ),
            world(40, "net.heal "),
            event(
                41,
                "b",
                "world",
                "workload.rate second=40 sent=5 consumed=3",
            ),
        ]
    }

    #[test]
    fn lanes_follow_each_node_through_kill_restart_and_partition() {
        let violations = vec!["SAFETY: acked message lost".to_string()];
        let timeline = build(info(), &small_trace(), &violations);
        let names: Vec<&str> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let a = timeline.lane("a").unwrap();
        let states: Vec<(u64, u64, NodeState)> = a
            .spans
            .iter()
            .map(|s| (s.from_nanos / S, s.to_nanos / S, s.state))
            .collect();
        use NodeState::*;
        assert_eq!(states, [(0, 10, Up), (10, 20, Killed), (20, 60, Up)]);
        let kinds: Vec<MarkKind> = a.marks.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, [MarkKind::Kill, MarkKind::Restart, MarkKind::Net]);
        let cuts: Vec<(u64, u64)> = a
            .cuts
            .iter()
            .map(|s| (s.from_nanos / S, s.to_nanos / S))
            .collect();
        assert_eq!(cuts, [(30, 40)]);
        let b = timeline.lane("b").unwrap();
        let kinds: Vec<MarkKind> = b.marks.iter().map(|m| m.kind).collect();
        assert_eq!(kinds, [MarkKind::Net, MarkKind::Clock, MarkKind::Route]);
        assert_eq!(timeline.global.len(), 1, "the heal");
        assert_eq!(timeline.violations.len(), 1);
        assert_eq!(timeline.violations[0].at_nanos, 60 * S);
        // A stamped violation sits where it happened; a stamp past the end is kept in view.
        let violations = vec![
            "SAFETY: [12.500s] unexpected: g/c got k".to_string(),
            "LIVENESS: [999.000s] lost: k".to_string(),
        ];
        let timeline = build(info(), &small_trace(), &violations);
        let at: Vec<u64> = timeline.violations.iter().map(|m| m.at_nanos).collect();
        assert_eq!(at, [12 * S + S / 2, 60 * S]);
        assert_eq!(timeline.rates["sent"][&40], 5);
        assert_eq!(timeline.rates["consumed"][&40], 3);
        assert_eq!(timeline.rates["ping"][&1], 1);
        assert_eq!(timeline.rates["ping failed"][&1], 1);
    }

    #[test]
    fn power_loss_and_pause_are_states_and_a_one_way_clog_cuts_both_ends() {
        let trace = vec![
            world(0, "node.add a 10.0.0.1"),
            world(0, "node.start a incarnation=1"),
            world(0, "node.add b 10.0.0.2"),
            world(0, "node.start b incarnation=1"),
            world(5, "net.clog_link a -> b"),
            world(6, "net.unclog_link a -> b"),
            world(7, "node.pause b"),
            world(8, "node.resume b"),
            world(9, "node.power_loss a PowerLossReport { torn: 1 }"),
        ];
        let timeline = build(info(), &trace, &[]);
        let a = timeline.lane("a").unwrap();
        assert_eq!(a.spans.last().unwrap().state, NodeState::PowerLost);
        assert_eq!(a.cuts.len(), 1);
        let b = timeline.lane("b").unwrap();
        let states: Vec<NodeState> = b.spans.iter().map(|s| s.state).collect();
        assert_eq!(states, [NodeState::Up, NodeState::Paused, NodeState::Up]);
        assert_eq!(b.cuts.len(), 1);
    }
}
