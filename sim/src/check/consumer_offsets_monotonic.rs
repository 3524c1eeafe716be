//! Consumer offsets monotonic: a group's committed offset of a queue, as the broker answers
//! QUERY_CONSUMER_OFFSET (read by the workload's probe every second), never moves backwards.
//!
//! The one excuse is a restart of the queue's broker between the two reads: the broker keeps
//! committed offsets in memory and persists them every `flushConsumerOffsetInterval` (5 s),
//! so a kill or a power loss takes back the commits since the last persist, whatever the
//! flush mode — RocketMQ's documented at-least-once redelivery after a broker restart. Those
//! regressions are counted (`consumer_offsets_rewound`), not violations.
//!
//! The other is a **reset** after a power loss under ASYNC_FLUSH (where the matrix reports
//! losses of the unflushed tail): the queue came back shorter than the committed offset, the
//! broker answers the next pull with OFFSET_MOVED to the queue's min offset (Java's
//! `nextOffsetCorrection`: 0 while the queue starts at 0), and the consumer commits that —
//! a rewind to the start, redelivering the queue. Counted (`consumer_offsets_reset`). Under
//! SYNC_FLUSH the queue cannot come back shorter than what was consumed: a violation.
//!
//! In controller mode a master switch (a stop of a replica, or the routed master moving)
//! hands the queue to a replica whose offsets are the last ones it copied from the old
//! master (every 10 s): counted as `consumer_offsets_rewound` too.
//!
//! And one after a master *arrives* — a restart of the queue's broker (classic), or a
//! replica becoming master (controller mode). It answers with the offsets it came back with:
//! persisted before it died, or copied from the old master up to 10 s before the switch —
//! and in a classic group with slaves, never the commits consumers made to the slave while
//! it was gone (rocketmq#1094: 4.x has no slave → master offset sync). Its consumer table
//! is rebuilt from heartbeats, after the consumers' route poll (30 s) and heartbeat (30 s);
//! until then a rebalance asked of it sees part of the group and hands a queue another
//! consumer still holds to a second one, which starts from that stale offset and commits
//! from there (RocketMQ accepts the overlap: duplicates). So within [`RETURN_WINDOW`] of the
//! arrival, a step back to no less than the lowest offset read for the queue since
//! [`COPY_AGE_MAX`] before the previous master went (what the arrived master's copy can be
//! older than) is counted as `consumer_offsets_rewound` too — "no offset goes backwards by
//! more than what was committed to the slave". Lower, or later, is a violation. (A slave
//! whose metadata sync failed for longer holds an older copy: a false finding, not a
//! missed one.)
//!
//! A regression explained by none of these (a consumer committing a stale offset after a
//! rebalance, a reset nobody asked for) is a safety violation.

use std::collections::BTreeMap;
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;

use super::history::{show, History};
use super::matrix::{Claim, Configuration, FaultKind};
use super::{Findings, OffsetObservation};

/// How long after a master arrived its answers may still step back to what it came back
/// with: the client's route poll (30 s), then its heartbeat period (30 s).
pub const RETURN_WINDOW: Duration = Duration::from_secs(60);

/// How old, at most, the offsets an arriving master answers with are, as of the previous
/// master's death: a restarted broker persisted them every 5 s (`flushConsumerOffsetInterval`);
/// a slave copied them from its master every 10 s (`syncBrokerMetadataPeriod`).
pub const COPY_AGE_MAX: Duration = Duration::from_secs(10);

/// What the checker found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Regressions {
    /// Steps back across a restart of the queue's broker.
    pub rewound: u64,
    /// Resets after an ASYNC_FLUSH power loss of the queue's broker.
    pub reset: u64,
    pub findings: Findings,
}

/// Judges every committed-offset read of `history`.
pub fn check(history: &History, config: &Configuration) -> Regressions {
    let resets_allowed = matches!(config.loss(Some(FaultKind::PowerLoss)), Claim::Reported(_));
    let mut reads: BTreeMap<(&str, &MessageQueue), Vec<(i64, Duration)>> = BTreeMap::new();
    let mut out = Regressions::default();
    for read in &history.offsets {
        let key = (read.group.as_str(), &read.queue);
        let earlier = reads.entry(key).or_default();
        if let Some(&(before, before_at)) = earlier.last() {
            if read.offset < before {
                let broker = &read.queue.broker_name;
                let restarted = history.broker_stopped_between(broker, before_at, read.at);
                // A switch: the new master has the offsets its slave copy last synced.
                let switched = history.master_changed_between(broker, before_at, read.at);
                if restarted || switched || back_to_arrival(history, broker, earlier, read) {
                    out.rewound += 1;
                } else if resets_allowed
                    && history.power_lost_between(broker, Duration::ZERO, read.at)
                {
                    out.reset += 1;
                } else {
                    out.findings.push_at(read.at, format!(
                        "consumer offset went back: group {} on {} from {before} (at {} ms) to {} (at {} ms) with no broker restart",
                        read.group,
                        show(&read.queue),
                        before_at.as_millis(),
                        read.offset,
                        read.at.as_millis()
                    ));
                }
            }
        }
        earlier.push((read.offset, read.at));
    }
    out
}

/// Whether `read`, within [`RETURN_WINDOW`] of `broker`'s master arriving (its latest start
/// or move), steps back no lower than the queue's reads since [`COPY_AGE_MAX`] before the
/// stop that preceded the arrival (`earlier`: the queue's reads, oldest first).
fn back_to_arrival(
    history: &History,
    broker: &str,
    earlier: &[(i64, Duration)],
    read: &OffsetObservation,
) -> bool {
    // The latest of `times` at or before `until`.
    let latest = |times: &BTreeMap<String, Vec<Duration>>, until: Duration| {
        let times = times.get(broker)?;
        times.iter().copied().filter(|&t| t <= until).max()
    };
    let started = latest(&history.broker_starts, read.at);
    let moved = latest(&history.master_changes, read.at);
    let Some(arrived) = started.max(moved) else {
        return false;
    };
    if read.at - arrived > RETURN_WINDOW {
        return false;
    }
    let gone = latest(&history.broker_stops, arrived).unwrap_or(arrived);
    let horizon = gone.saturating_sub(COPY_AGE_MAX);
    let floor = (earlier.iter())
        .filter(|(_, at)| *at >= horizon)
        .map(|(offset, _)| *offset)
        .min();
    floor.is_some_and(|floor| read.offset >= floor)
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::super::OffsetObservation;
    use super::*;
    use rocketsim::store::FlushMode;

    fn sync() -> Configuration {
        Configuration::new(FlushMode::Sync, &[FaultKind::PowerLoss])
    }

    fn read(h: &mut History, offset: i64, at: u64) {
        h.offsets.push(OffsetObservation {
            group: "G".into(),
            queue: queue(0),
            offset,
            at: ms(at),
        });
    }

    #[test]
    fn offsets_that_only_grow_pass() {
        let mut h = History::default();
        for (offset, at) in [(0, 0), (3, 1_000), (3, 2_000), (9, 3_000)] {
            read(&mut h, offset, at);
        }
        assert_eq!(check(&h, &sync()), Regressions::default());
    }

    #[test]
    fn a_step_back_without_a_restart_is_a_violation() {
        let mut h = History::default();
        read(&mut h, 5, 1_000);
        read(&mut h, 4, 2_000);
        let found = check(&h, &sync());
        assert_eq!((found.rewound, found.findings.total), (0, 1));
        assert_eq!(
            found.findings.kept[0],
            "[2.000s] consumer offset went back: group G on broker-a:0 from 5 (at 1000 ms) to 4 (at 2000 ms) with no broker restart"
        );
    }

    /// A classic master (with a slave) stopped at 10 s, started at 30 s, answers 98 (what it
    /// persisted before dying), then 376 (a consumer that read the slave commits to it).
    fn returned_master() -> History {
        let mut h = History::default();
        h.broker_stops.insert("broker-a".into(), vec![ms(10_000)]);
        h.broker_starts.insert("broker-a".into(), vec![ms(30_000)]);
        read(&mut h, 98, 9_000);
        read(&mut h, 98, 35_000);
        read(&mut h, 376, 55_000);
        h
    }

    #[test]
    fn a_returned_classic_master_stepping_back_within_the_copy_age_is_counted() {
        let mut h = returned_master();
        read(&mut h, 190, 56_000);
        read(&mut h, 98, 57_000);
        let found = check(&h, &sync());
        assert_eq!((found.rewound, found.findings.total), (2, 0));
    }

    #[test]
    fn a_returned_classic_master_stepping_back_past_the_copy_age_is_a_violation() {
        let mut h = returned_master();
        read(&mut h, 97, 56_000);
        let found = check(&h, &sync());
        assert_eq!((found.rewound, found.findings.total), (0, 1));
    }

    #[test]
    fn a_returned_classic_master_stepping_back_after_the_window_is_a_violation() {
        let mut h = returned_master();
        read(&mut h, 190, 30_000 + RETURN_WINDOW.as_millis() as u64 + 1);
        let found = check(&h, &sync());
        assert_eq!((found.rewound, found.findings.total), (0, 1));
    }

    #[test]
    fn a_step_back_right_after_a_switch_with_no_read_between_is_counted() {
        let mut h = History::default();
        h.controlled.insert("broker-a".into());
        h.broker_stops.insert("broker-a".into(), vec![ms(59_500)]);
        h.master_changes.insert("broker-a".into(), vec![ms(60_100)]);
        read(&mut h, 520, 50_000);
        read(&mut h, 575, 59_000);
        read(&mut h, 581, 60_400);
        read(&mut h, 580, 61_500);
        read(&mut h, 519, 62_500);
        let found = check(&h, &sync());
        assert_eq!(
            (found.rewound, found.findings.total),
            (1, 1),
            "580 is within the old master's last 10 s; 519 is older than any copy could be"
        );
    }

    #[test]
    fn a_replica_that_became_master_stepping_back_within_the_copy_age_is_counted() {
        let mut h = History::default();
        h.controlled.insert("broker-a".into());
        h.master_changes.insert("broker-a".into(), vec![ms(59_000)]);
        read(&mut h, 560, 58_500);
        read(&mut h, 541, 59_400);
        read(&mut h, 579, 60_400);
        read(&mut h, 570, 61_500);
        read(&mut h, 540, 62_500);
        let found = check(&h, &sync());
        assert_eq!(
            (found.rewound, found.findings.total),
            (2, 1),
            "541 across the move, 570 after it; 540 is below what the new master came with"
        );
    }

    #[test]
    fn a_step_back_across_a_broker_restart_is_counted() {
        let mut h = History::default();
        read(&mut h, 5, 1_000);
        h.broker_stops.insert("broker-a".into(), vec![ms(1_500)]);
        read(&mut h, 2, 2_000);
        read(&mut h, 1, 3_000);
        let found = check(&h, &sync());
        assert_eq!(found.rewound, 1);
        assert_eq!(
            found.findings.total, 1,
            "the second step back has no restart"
        );
    }

    #[test]
    fn a_reset_after_an_async_flush_power_loss_is_counted() {
        let mut h = History::default();
        h.power_losses.insert("broker-a".into(), vec![ms(500)]);
        h.broker_stops.insert("broker-a".into(), vec![ms(500)]);
        read(&mut h, 0, 100);
        read(&mut h, 291, 1_000); // consumed on after the restart
        read(&mut h, 0, 2_000); // the consumer was told OFFSET_MOVED to 0
        let async_ = Configuration::new(FlushMode::Async, &[FaultKind::PowerLoss]);
        let found = check(&h, &async_);
        assert_eq!((found.reset, found.findings.total), (1, 0));
        assert_eq!(
            check(&h, &sync()).findings.total,
            1,
            "SYNC_FLUSH: a violation"
        );
    }
}
