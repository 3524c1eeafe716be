//! Acknowledged means kept: at the end of the run (after the liveness phase), every message a
//! replicated group acknowledged is in that group's final master's log, at the (queue,
//! offset) the producer was told. This is the split-brain check: a master that was fenced
//! (or partitioned from the controller) and kept acknowledging writes in the same epoch has
//! them truncated when it rejoins as a slave (rocketmq#7017, #6662); the messages may even
//! have been consumed before, so `lost` alone would not see them.
//!
//! Judged by the guarantee matrix, as a loss: a missing message whose group went through a
//! fault that excuses a loss (`lost::explain`: ASYNC_FLUSH power loss, ASYNC_MASTER switch)
//! is not a violation; an offset the final master no longer holds (trimmed by retention) is
//! counted, not judged. Pure over a lookup of the final logs.

use super::history::{show, History, SendOutcome};
use super::lost;
use super::matrix::{Claim, Configuration};
use super::Findings;
use rocketsim::protocol::body::MessageQueue;

/// What the final master holds at a (queue, offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The message with this UNIQ_KEY (`None`: a record without one).
    Message(Option<String>),
    /// Nothing: the queue ends before the offset.
    Empty,
    /// Below the queue's first kept offset (retention), or the group has no master to ask.
    Unknown,
}

/// What the check found.
#[derive(Clone, Debug, Default)]
pub struct FinalLog {
    pub findings: Findings,
    /// Acked messages looked up.
    pub checked: u64,
    /// Acked messages that could not be looked up (`Slot::Unknown`).
    pub unknown: u64,
}

/// Checks each acked message of the groups in `groups` against `lookup`.
pub fn check(
    history: &History,
    config: &Configuration,
    groups: &[&str],
    lookup: &dyn Fn(&MessageQueue, i64) -> Slot,
) -> FinalLog {
    let mut out = FinalLog::default();
    for (key, send) in &history.sends {
        let Some(SendOutcome::Acked { queue, offset }) = &send.outcome else {
            continue;
        };
        if !groups.contains(&queue.broker_name.as_str()) {
            continue;
        }
        let found = match lookup(queue, *offset) {
            Slot::Unknown => {
                out.unknown += 1;
                continue;
            }
            Slot::Message(Some(k)) if k == *key => {
                out.checked += 1;
                continue;
            }
            Slot::Message(other) => format!(
                "holds {}",
                other.as_deref().unwrap_or("a message without a key")
            ),
            Slot::Empty => "is past the end of the queue".to_string(),
        };
        out.checked += 1;
        let fault = lost::explain(history, &queue.broker_name, send, &[]);
        if matches!(config.loss(fault), Claim::Reported(_)) {
            continue;
        }
        let at = send.ended_at.unwrap_or(send.sent_at);
        out.findings.push_at(
            at,
            format!(
                "acked but not in the final log: {key} acked at {} offset {offset}, which in the group's final master {found}",
                show(queue)
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::super::matrix::{FaultKind, Replication};
    use super::*;
    use rocketsim::store::FlushMode;

    fn config(replication: Replication) -> Configuration {
        let mut c = Configuration::new(FlushMode::Sync, &[FaultKind::MasterSwitch]);
        c.replication = replication;
        c
    }

    #[test]
    fn a_message_truncated_away_is_found_unless_the_matrix_excuses_it() {
        let mut h = History::default();
        acked(&mut h, "kept", 0, 0);
        acked(&mut h, "truncated", 1, 10);
        acked(&mut h, "trimmed", 2, 20);
        let lookup = |_: &MessageQueue, offset: i64| match offset {
            0 => Slot::Message(Some("kept".into())),
            1 => Slot::Message(Some("other".into())),
            _ => Slot::Unknown,
        };
        let found = check(&h, &config(Replication::SyncMaster), &["broker-a"], &lookup);
        assert_eq!(
            (found.checked, found.unknown, found.findings.total),
            (2, 1, 1)
        );
        assert!(
            found.findings.kept[0].contains("truncated"),
            "{:?}",
            found.findings
        );
        assert!(found.findings.kept[0].contains("holds other"));
        // A stop in a controller group under ASYNC_MASTER: the replication lag, reported.
        h.controlled.insert("broker-a".into());
        h.broker_stops.insert("broker-a".into(), vec![ms(50)]);
        let lag = check(
            &h,
            &config(Replication::AsyncMaster),
            &["broker-a"],
            &lookup,
        );
        assert!(lag.findings.is_clean());
        let all_ack = check(&h, &config(Replication::SyncMaster), &["broker-a"], &lookup);
        assert_eq!(all_ack.findings.total, 1);
        let other_group = check(&h, &config(Replication::SyncMaster), &["broker-b"], &lookup);
        assert_eq!(other_group.checked, 0);
    }

    #[test]
    fn an_offset_past_the_end_is_found() {
        let mut h = History::default();
        acked(&mut h, "gone", 3, 0);
        let lookup = |_: &MessageQueue, _: i64| Slot::Empty;
        let found = check(&h, &config(Replication::SyncMaster), &["broker-a"], &lookup);
        assert!(
            found.findings.kept[0].contains("past the end"),
            "{:?}",
            found.findings
        );
    }
}
