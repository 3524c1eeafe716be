//! Acknowledged and lost (Jepsen's "lost"): after the drain, an acked message that never
//! reached a group that should get it — counted once per (message, group). Judged at the end,
//! as a liveness finding: the healed cluster must deliver everything acked.
//!
//! The guarantee matrix decides which losses are allowed: what happened to the message's
//! broker after the ack explains the loss — gone for good (`lost_with_broker`), a power loss
//! (`lost_unflushed` under ASYNC_FLUSH, a violation under SYNC_FLUSH) — and a loss nothing
//! explains is always a violation. A message acked *after* a power loss at an offset its queue
//! had already handed out before the loss (the queue restarted below consumers' committed
//! offsets; consumers skip the reused offsets) is that power loss's effect too:
//! `lost_behind_reused_offsets` under ASYNC_FLUSH, a violation under SYNC_FLUSH.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::history::{Event, History, SendOutcome, SendRecord};
use super::matrix::{Claim, Configuration, FaultKind};
use super::KEPT;

/// What the checker found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lost {
    /// Losses that are violations.
    pub lost: u64,
    /// Losses the matrix allows, by figure name.
    pub reported: BTreeMap<&'static str, u64>,
    /// The first violating losses, described.
    pub examples: Vec<String>,
}

/// Acked messages missing from `groups`; `dead_brokers` never came back.
pub fn check(
    history: &History,
    groups: &[&str],
    config: &Configuration,
    dead_brokers: &[&str],
) -> Lost {
    let mut got: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for d in history.deliveries() {
        got.entry(&d.group).or_default().insert(&d.key);
    }
    let mut report = Lost::default();
    for (key, send) in &history.sends {
        let Some(SendOutcome::Acked { queue, .. }) = &send.outcome else {
            continue;
        };
        let broker = queue.broker_name.as_str();
        for group in groups.iter().filter(|g| history.expects(g, &queue.topic)) {
            if got
                .get(group)
                .is_some_and(|keys| keys.contains(key.as_str()))
            {
                continue;
            }
            let fault = explain(history, broker, send, dead_brokers);
            match config.loss(fault) {
                Claim::Reported(figure) => *report.reported.entry(figure).or_default() += 1,
                Claim::Violation => {
                    report.lost += 1;
                    if report.examples.len() < KEPT {
                        report.examples.push(format!(
                            "{} lost: {key} (producer {}, sent at {} ms, {:?}) never reached group {group}",
                            super::stamp(send.sent_at),
                            send.producer,
                            send.sent_at.as_millis(),
                            send.outcome
                        ));
                    }
                }
            }
        }
    }
    report
}

/// The fault that befell `broker` after it acked `send`, if any.
pub fn explain(
    history: &History,
    broker: &str,
    send: &SendRecord,
    dead_brokers: &[&str],
) -> Option<FaultKind> {
    if dead_brokers.contains(&broker) {
        return Some(FaultKind::BrokerGoneForGood);
    }
    // A stop in a controller-mode group may have switched the master: the replication rows
    // decide (before the flush rows: the new master's log is what counts).
    if history.switch_possible_between(broker, send.sent_at, Duration::MAX) {
        return Some(FaultKind::MasterSwitch);
    }
    // From the send's start: its ack may arrive after a power loss that took the message
    // (the answer was in flight).
    if history.power_lost_between(broker, send.sent_at, Duration::MAX) {
        return Some(FaultKind::PowerLoss);
    }
    let acked_at = send.ended_at.unwrap_or(send.sent_at);
    // A controller-mode group whose master moved: the new master hands out again the queue
    // offsets of what it never received (the replication rows decide).
    if history.controlled.contains(broker) {
        let stops = history.broker_stops.get(broker).into_iter().flatten();
        let starts = history.broker_starts.get(broker).into_iter().flatten();
        let moves = history.master_changes.get(broker).into_iter().flatten();
        let switches: Vec<Duration> = stops.chain(starts).chain(moves).copied().collect();
        if reused_after(history, send, acked_at, &switches) {
            return Some(FaultKind::MasterSwitch);
        }
    }
    let losses = history
        .power_losses
        .get(broker)
        .cloned()
        .unwrap_or_default();
    reused_after(history, send, acked_at, &losses).then_some(FaultKind::OffsetReusedAfterPowerLoss)
}

/// Whether `send` was acked after one of `points` (a power loss, a switch) at an offset that
/// its queue had already handed out (acked or delivered) before that point.
fn reused_after(
    history: &History,
    send: &SendRecord,
    acked_at: Duration,
    points: &[Duration],
) -> bool {
    let Some(SendOutcome::Acked { queue, offset }) = &send.outcome else {
        return false;
    };
    points.iter().filter(|&&t| t < acked_at).any(|&loss| {
        history.events.iter().any(|event| match event {
            Event::Acked {
                queue: q,
                offset: o,
                at,
                ..
            } => q == queue && o >= offset && *at < loss,
            Event::Delivered(d) => d.queue == *queue && d.offset >= *offset && d.at < loss,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::*;
    use rocketsim::store::FlushMode;

    #[test]
    fn everything_delivered_to_every_group_passes() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        deliver(&mut h, "H", "c1", 0, "A", 7);
        let config = Configuration::new(FlushMode::Sync, &[]);
        assert_eq!(check(&h, &["G", "H"], &config, &[]), Lost::default());
    }

    #[test]
    fn a_missing_group_is_a_loss() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        let config = Configuration::new(FlushMode::Async, &[]);
        let lost = check(&h, &["G", "H"], &config, &[]);
        assert_eq!(lost.lost, 1);
        assert!(crate::check::unstamp(&lost.examples[0])
            .expect("stamped")
            .1
            .starts_with("lost: A (producer 1"));
        assert!(lost.examples[0].ends_with("never reached group H"));
    }

    #[test]
    fn a_stop_in_a_controller_group_is_judged_as_a_switch() {
        use crate::check::matrix::Replication;
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        h.controlled.insert("broker-a".into());
        h.broker_stops.insert("broker-a".into(), vec![ms(50)]);
        let mut config = Configuration::new(FlushMode::Sync, &[FaultKind::MasterSwitch]);
        config.replication = Replication::AsyncMaster;
        let lag = check(&h, &["G"], &config, &[]);
        assert_eq!(lag.reported.get("lost_replication_lag"), Some(&1));
        config.replication = Replication::SyncMaster;
        assert_eq!(
            check(&h, &["G"], &config, &[]).lost,
            1,
            "all-ack loses nothing"
        );
        h.controlled.clear();
        config.replication = Replication::Any;
        assert_eq!(
            check(&h, &["G"], &config, &[]).lost,
            1,
            "a classic kill neither"
        );
    }

    #[test]
    fn the_matrix_decides_power_loss_and_dead_brokers() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0); // acked at 1 ms
        acked(&mut h, "B", 1, 100); // acked at 101 ms, after the power loss
        h.power_losses.insert("broker-a".into(), vec![ms(50)]);
        let faults = [FaultKind::PowerLoss];
        let sync = check(
            &h,
            &["G"],
            &Configuration::new(FlushMode::Sync, &faults),
            &[],
        );
        assert_eq!(sync.lost, 2);
        let async_ = check(
            &h,
            &["G"],
            &Configuration::new(FlushMode::Async, &faults),
            &[],
        );
        assert_eq!(async_.lost, 1, "B was acked after the power loss");
        // C reuses A's offset after the power loss, and nobody consumed it: skipped.
        acked(&mut h, "C", 0, 200);
        let reused = check(
            &h,
            &["G"],
            &Configuration::new(FlushMode::Async, &faults),
            &[],
        );
        assert_eq!(reused.reported.get("lost_behind_reused_offsets"), Some(&1));
        assert_eq!(
            reused.lost, 1,
            "B still: offset 1 was never handed out before"
        );
        assert_eq!(async_.reported.get("lost_unflushed"), Some(&1));
        let dead = check(
            &h,
            &["G"],
            &Configuration::new(FlushMode::Sync, &[]),
            &["broker-a"],
        );
        assert_eq!(
            (dead.lost, dead.reported.get("lost_with_broker")),
            (0, Some(&3))
        );
    }
}
