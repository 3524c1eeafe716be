//! The checkers: one property per file, each a pure function over recorded history (no
//! randomness, no I/O), judged against the guarantee matrix (`matrix`). The messaging oracle
//! (`scenario/messaging/oracle.rs`) records `history::History`; the name-server expiry
//! scenario records route probes.
//!
//! | checker | property | a finding is… |
//! |---|---|---|
//! | `lost` | an acked message reaches every group that should get it, after the drain | a liveness violation, unless the matrix excuses its broker's fault: ASYNC_FLUSH + power loss → `lost_unflushed`; acked after an ASYNC_FLUSH power loss at an offset the queue had already handed out (below consumers' committed offsets, so skipped) → `lost_behind_reused_offsets`; broker gone for good → `lost_with_broker` (reported); SYNC_FLUSH + power loss, a process kill or no fault → violation |
//! | `unexpected` | every consumed message was sent | always a safety violation |
//! | `aborted_read` | no message whose send definitely failed is consumed | always a safety violation (indeterminate sends may show up: `recovered`) |
//! | `body_mismatch` | a consumed body is the body sent under its UNIQ_KEY | always a safety violation |
//! | `duplicates` | a group gets each message once | counted (`dup`): RocketMQ is at-least-once; a safety violation only where a scenario demands exactly-once in a fault-free stretch |
//! | `queue_order` | orderly groups: offsets increase within a consumer's tenure of a queue | a safety violation (orderly consumption locks the queue) |
//! | `one_offset_one_message` | one (queue, offset) never holds two messages | a safety violation; after a power loss of the queue's broker, reuse of an unacked slot, or of an acked one under ASYNC_FLUSH, is reported (`offsets_reused`) |
//! | `send_offsets_monotonic` | per producer and queue, acked offsets increase | a safety violation; across a power loss under ASYNC_FLUSH, reported (`offsets_reused`) |
//! | `offsets_dense` | per group and queue, delivered offsets have no holes (no poll skip) | a safety violation; excused on a power-lost broker under ASYNC_FLUSH |
//! | `route_expiry` | a silent broker leaves the route 120–130 s after its last registration | a safety violation (DESIGN: "the 120 s route expiry happens within its bound") |
//! | `consumer_offsets_monotonic` | a group's committed offset at the broker (QUERY_CONSUMER_OFFSET, probed every second by the `cluster` workload) never moves back | a safety violation; across a restart of the queue's broker (kill or power loss, any flush mode: offsets are persisted every 5 s), counted (`consumer_offsets_rewound`); a reset to the queue's start after an ASYNC_FLUSH power loss shortened the queue below the committed offset (OFFSET_MOVED), counted (`consumer_offsets_reset`) |
//! | `acked_without_replica` | a classic SYNC_MASTER acks (SEND_OK) only while a slave runs to acknowledge (rocketmq#3015) | always a safety violation |
//! | `acked_in_final_log` | at the end, every message a replicated group acked is in the group's final master's log at its acked (queue, offset) — the split-brain check (a fenced master's acked writes truncated on rejoin) | a safety violation unless the matrix excuses the loss (`lost::explain`); offsets trimmed by retention are counted (`final_log_unknown`) |
//! | `replica_prefix` | at the end of a run, each slave's CommitLog is a byte prefix of its master's (read from the brokers' stores after the liveness phase) | a safety violation; after a master power loss in a classic group (no truncation in classic HA), reported (`replicas_diverged`) |
//!
//! Per-checker findings keep the first `KEPT` descriptions and count all.

pub mod aborted_read;
pub mod acked_in_final_log;
pub mod acked_without_replica;
pub mod body_mismatch;
pub mod consumer_offsets_monotonic;
pub mod duplicates;
pub mod history;
pub mod lost;
pub mod matrix;
pub mod offsets_dense;
pub mod one_offset_one_message;
pub mod queue_order;
pub mod replica_prefix;
pub mod route_expiry;
pub mod send_offsets_monotonic;
pub mod unexpected;

pub use history::{Delivery, Event, History, OffsetObservation, SendOutcome, SendRecord};
pub use matrix::{Claim, Configuration, FaultKind};

/// The stamp a timed violation starts with: virtual seconds, to the millisecond, in brackets.
pub fn stamp(at: std::time::Duration) -> String {
    format!("[{}.{:03}s]", at.as_secs(), at.subsec_millis())
}

/// The virtual time of a violation line holding a stamp (after an optional `KIND: ` prefix,
/// as `rocketsim run` prints them), and the text after it.
pub fn unstamp(line: &str) -> Option<(std::time::Duration, &str)> {
    let start = line.find('[')?;
    let prefix = &line[..start];
    if !(prefix.is_empty() || prefix.ends_with(": ")) {
        return None;
    }
    let rest = &line[start + 1..];
    let (inner, text) = rest.split_once("s] ")?;
    let (secs, millis) = inner.split_once('.')?;
    if millis.len() != 3 {
        return None;
    }
    let secs: u64 = secs.parse().ok()?;
    let millis: u64 = millis.parse().ok()?;
    let at = std::time::Duration::from_secs(secs) + std::time::Duration::from_millis(millis);
    Some((at, text))
}

/// Descriptions kept per checker; more are counted, not stored.
pub const KEPT: usize = 20;

/// What one checker found: the first violations, described, and how many there were.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    pub kept: Vec<String>,
    pub total: u64,
}

impl Findings {
    /// Records one violation.
    pub fn push(&mut self, what: String) {
        self.total += 1;
        if self.kept.len() < KEPT {
            self.kept.push(what);
        }
    }

    /// Records one violation that happened at virtual time `at`: the description starts with
    /// its stamp (`[12.345s] …`), which places it on the timeline's time axis.
    pub fn push_at(&mut self, at: std::time::Duration, what: String) {
        self.push(format!("{} {what}", stamp(at)));
    }

    /// No violation.
    pub fn is_clean(&self) -> bool {
        self.total == 0
    }
}

/// Everything the messaging checkers found in one history.
#[derive(Clone, Debug, Default)]
pub struct MessagingReport {
    /// Safety violations of every checker, in table order.
    pub safety: Findings,
    pub lost: lost::Lost,
    pub dup: u64,
    /// Offsets handed out again after a power loss, as the matrix allows.
    pub offsets_reused: u64,
}

/// Runs every messaging checker over `history`.
pub fn messaging(
    history: &History,
    groups: &[&str],
    config: &Configuration,
    dead_brokers: &[&str],
    exactly_once: bool,
) -> MessagingReport {
    let (dup, duplicates) = duplicates::check(history, exactly_once);
    let (slots, reused) = one_offset_one_message::check(history, config);
    let (sends, went_back) = send_offsets_monotonic::check(history, config);
    let mut safety = Findings::default();
    for findings in [
        unexpected::check(history),
        aborted_read::check(history),
        body_mismatch::check(history),
        duplicates,
        queue_order::check(history),
        slots,
        sends,
        offsets_dense::check(history, config),
        acked_without_replica::check(history),
    ] {
        safety.total += findings.total;
        let room = KEPT.saturating_sub(safety.kept.len());
        safety.kept.extend(findings.kept.into_iter().take(room));
    }
    MessagingReport {
        safety,
        lost: lost::check(history, groups, config, dead_brokers),
        dup,
        offsets_reused: reused + went_back,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_timed_finding_carries_its_stamp_which_reads_back_to_the_millisecond() {
        let mut findings = Findings::default();
        findings.push_at(Duration::from_millis(61_007), "lost: k".into());
        findings.push("untimed".into());
        assert_eq!(findings.kept, ["[61.007s] lost: k", "untimed"]);
        fn read(line: &str) -> Option<(u128, &str)> {
            unstamp(line).map(|(at, text)| (at.as_millis(), text))
        }
        assert_eq!(read("SAFETY: [61.007s] lost: k"), Some((61_007, "lost: k")));
        assert_eq!(read("[0.250s] x"), Some((250, "x")));
        assert_eq!(read("untimed"), None);
        assert_eq!(
            read("lost: k [1.000s] y"),
            None,
            "only a leading stamp counts"
        );
        assert_eq!(read("[1.5s] x"), None);
        assert_eq!(read("[s] x"), None);
    }
}
