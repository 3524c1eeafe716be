//! Inconsistent offsets: one (queue, offset) holds one message for good — never delivered as
//! two different messages, never acked for one and delivered as another (Jepsen's
//! "inconsistent offsets"; RocketMQ's consume queue is append-only).
//!
//! The one excuse is a power loss of the queue's broker between the first holder's send (a
//! delivery is recorded when the listener runs, possibly after the loss) and the second claim, when the
//! first holder's loss is itself excused: a message that was never acknowledged (consumers can
//! read the unsynced tail, as in RocketMQ, whose dispatch does not wait for the flush), or an
//! acked one whose loss the guarantee matrix reports (ASYNC_FLUSH). The recovered queue then
//! hands those offsets to new messages: counted as `offsets_reused`, not a violation.

use std::collections::BTreeMap;
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;

use super::history::{show, Event, History, SendOutcome};
use super::matrix::{Claim, Configuration, FaultKind};
use super::Findings;

/// Violations, and the reuses the matrix excuses.
pub fn check(history: &History, config: &Configuration) -> (Findings, u64) {
    let mut findings = Findings::default();
    let mut reused = 0;
    // (queue, offset) → (UNIQ_KEY, when claimed).
    let mut slots: BTreeMap<(&MessageQueue, i64), (&str, Duration)> = BTreeMap::new();
    for event in &history.events {
        let (queue, offset, key, at, how) = match event {
            Event::Acked {
                key,
                queue,
                offset,
                at,
                ..
            } => (queue, *offset, key.as_str(), *at, "acked"),
            Event::Delivered(d) => (&d.queue, d.offset, d.key.as_str(), d.at, "delivered"),
        };
        let Some(&(held, since)) = slots.get(&(queue, offset)) else {
            slots.insert((queue, offset), (key, at));
            continue;
        };
        if held == key {
            continue;
        }
        if reuse_excused(history, config, queue, held, since, at) {
            reused += 1;
            slots.insert((queue, offset), (key, at));
            continue;
        }
        findings.push_at(
            at,
            format!(
                "inconsistent offsets: {} offset {offset} is {held} and, {how}, {key}",
                show(queue)
            ),
        );
    }
    (findings, reused)
}

/// Whether the broker of `queue` lost power (or, in controller mode, may have switched
/// masters) between `since` and `now` and the loss of `held` is excused.
fn reuse_excused(
    history: &History,
    config: &Configuration,
    queue: &MessageQueue,
    held: &str,
    since: Duration,
    now: Duration,
) -> bool {
    // The first holder was stored after it was sent; a delivery is recorded when the
    // listener runs, which may be after a power loss that took the stored copy away.
    let stored_after = history
        .sends
        .get(held)
        .map_or(since, |s| s.sent_at.min(since));
    // After a possible switch in a mode that may lose the replication lag, the new master
    // hands the lost offsets out again. With all-ack consumers only see what every replica
    // of the sync-state set has, so a message seen was never lost — by a switch or a power
    // loss: nothing to excuse.
    if history.switch_possible_between(&queue.broker_name, stored_after, now) {
        let switch = config.loss(Some(FaultKind::MasterSwitch));
        return matches!(switch, Claim::Reported(_));
    }
    if !history.power_lost_between(&queue.broker_name, stored_after, now) {
        return false;
    }
    let acked = matches!(
        history.sends.get(held).and_then(|s| s.outcome.as_ref()),
        Some(SendOutcome::Acked { .. })
    );
    !acked || matches!(config.loss(Some(FaultKind::PowerLoss)), Claim::Reported(_))
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::*;
    use rocketsim::store::FlushMode;

    fn sync() -> Configuration {
        Configuration::new(FlushMode::Sync, &[FaultKind::PowerLoss])
    }

    #[test]
    fn under_all_ack_a_switch_or_power_loss_excuses_no_reuse_and_without_it_a_switch_does() {
        use crate::check::matrix::Replication;
        let mut h = History::default();
        deliver(&mut h, "G", "c1", 0, "unacked", 7); // delivered at 1 s
        acked(&mut h, "B", 0, 3_000);
        h.controlled.insert("broker-a".into());
        h.broker_stops.insert("broker-a".into(), vec![ms(2_000)]);
        h.power_losses.insert("broker-a".into(), vec![ms(2_000)]);
        let mut config = sync();
        config.replication = Replication::SyncMaster;
        let (found, reused) = check(&h, &config);
        assert_eq!(
            (found.total, reused),
            (1, 0),
            "seen, then gone: a violation"
        );
        config.replication = Replication::AsyncMaster;
        let (found, reused) = check(&h, &config);
        assert_eq!(
            (found.total, reused),
            (0, 1),
            "the replication lag: reported"
        );
    }

    #[test]
    fn one_message_per_offset_passes() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        acked(&mut h, "B", 1, 0);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        deliver(&mut h, "G", "c1", 1, "B", 7);
        assert_eq!(check(&h, &sync()), (Findings::default(), 0));
    }

    #[test]
    fn a_delivery_at_an_acked_offset_of_another_message_is_caught() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        acked(&mut h, "B", 1, 0);
        deliver(&mut h, "G", "c1", 1, "A", 7);
        let (findings, reused) = check(&h, &sync());
        assert_eq!((findings.total, reused), (1, 0));
        assert!(crate::check::unstamp(&findings.kept[0])
            .expect("stamped")
            .1
            .starts_with("inconsistent offsets: broker-a:0 offset 1 is B"));
    }

    #[test]
    fn reuse_after_power_loss_depends_on_the_matrix() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0); // claimed at 1 ms
        h.power_losses.insert("broker-a".into(), vec![ms(500)]);
        deliver(&mut h, "G", "c1", 0, "B", 7); // at 1 s
        let (findings, _) = check(&h, &sync());
        assert_eq!(
            findings.total, 1,
            "SYNC_FLUSH: an acked offset never changes hands"
        );
        let config = Configuration::new(FlushMode::Async, &[FaultKind::PowerLoss]);
        assert_eq!(check(&h, &config), (Findings::default(), 1));
    }

    #[test]
    fn an_unacked_holder_may_be_replaced_after_power_loss() {
        let mut h = History::default();
        let why = "connection closed".to_string();
        send(&mut h, "U", 0, Some(SendOutcome::Indeterminate { why }));
        deliver(&mut h, "G", "c1", 0, "U", 7); // read before the sync, at 1 s
        h.power_losses.insert("broker-a".into(), vec![ms(1_500)]);
        let mut late = History::default();
        acked(&mut late, "A", 0, 2_000);
        h.events.extend(late.events);
        h.sends.extend(late.sends);
        assert_eq!(check(&h, &sync()), (Findings::default(), 1));
    }
}
