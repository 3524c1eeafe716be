//! Consumer offsets monotonic: a group's committed offset of a queue, as the broker answers
//! QUERY_CONSUMER_OFFSET (read by the workload's probe every second), never moves backwards.
//!
//! The one excuse is a restart of the queue's broker between the two reads: the broker keeps
//! committed offsets in memory and persists them every `flushConsumerOffsetInterval` (5 s),
//! so a kill or a power loss takes back the commits since the last persist, whatever the
//! flush mode — RocketMQ's documented at-least-once redelivery after a broker restart. Those
//! regressions are counted (`consumer_offsets_rewound`), not violations. A regression with no
//! broker restart in between (a consumer committing a stale offset after a rebalance, a reset
//! nobody asked for) is a safety violation.

use std::collections::BTreeMap;
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;

use super::history::{show, History};
use super::Findings;

/// Regressions excused by a broker restart, and the violations.
pub fn check(history: &History) -> (u64, Findings) {
    let mut last: BTreeMap<(&str, &MessageQueue), (i64, Duration)> = BTreeMap::new();
    let mut rewound = 0;
    let mut findings = Findings::default();
    for read in &history.offsets {
        let key = (read.group.as_str(), &read.queue);
        if let Some(&(before, before_at)) = last.get(&key) {
            if read.offset < before {
                let broker = &read.queue.broker_name;
                if history.broker_stopped_between(broker, before_at, read.at) {
                    rewound += 1;
                } else {
                    findings.push(format!(
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
    (rewound, findings)
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::super::OffsetObservation;
    use super::*;

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
        assert_eq!(check(&h), (0, Findings::default()));
    }

    #[test]
    fn a_step_back_without_a_restart_is_a_violation() {
        let mut h = History::default();
        read(&mut h, 5, 1_000);
        read(&mut h, 4, 2_000);
        let (rewound, findings) = check(&h);
        assert_eq!((rewound, findings.total), (0, 1));
        assert_eq!(
            findings.kept[0],
            "consumer offset went back: group G on broker-a:0 from 5 (at 1000 ms) to 4 (at 2000 ms) with no broker restart"
        );
    }

    #[test]
    fn a_step_back_across_a_broker_restart_is_counted() {
        let mut h = History::default();
        read(&mut h, 5, 1_000);
        h.broker_stops.insert("broker-a".into(), vec![ms(1_500)]);
        read(&mut h, 2, 2_000);
        read(&mut h, 1, 3_000);
        let (rewound, findings) = check(&h);
        assert_eq!(rewound, 1);
        assert_eq!(findings.total, 1, "the second step back has no restart");
    }
}
