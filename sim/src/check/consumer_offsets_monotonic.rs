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
//! A regression explained by neither (a consumer committing a stale offset after a
//! rebalance, a reset nobody asked for) is a safety violation.

use std::collections::BTreeMap;
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;

use super::history::{show, History};
use super::matrix::{Claim, Configuration, FaultKind};
use super::Findings;

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
    let mut last: BTreeMap<(&str, &MessageQueue), (i64, Duration)> = BTreeMap::new();
    let mut out = Regressions::default();
    for read in &history.offsets {
        let key = (read.group.as_str(), &read.queue);
        if let Some(&(before, before_at)) = last.get(&key) {
            if read.offset < before {
                let broker = &read.queue.broker_name;
                let restarted = history.broker_stopped_between(broker, before_at, read.at);
                // A switch: the new master has the offsets its slave copy last synced.
                let switched = history.master_changed_between(broker, before_at, read.at);
                if restarted || switched {
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
        last.insert(key, (read.offset, read.at));
    }
    out
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
