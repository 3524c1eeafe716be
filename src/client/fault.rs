//! Queue selection for sends, sans-IO: which queue of a topic the next attempt goes to, given
//! what earlier attempts observed. The Java client's `TopicPublishInfo.selectOneMessageQueue`
//! and `MQFaultStrategy` (4.9), without the threads and clocks.
//!
//! Owns: one round-robin counter per topic (Java's `sendWhichQueue`, incremented before use)
//! and, when the latency strategy is on, one fault item per broker name: the latency last
//! observed and the instant before which the broker counts as unavailable. Does not own the
//! queue lists (they come from the route cache at each call) nor time (passed in).
//!
//! Without the strategy: round robin, and on a retry the queues of the broker that just failed
//! are skipped (falling back to plain round robin if every queue is on that broker). With it:
//! round robin over the queues of available brokers; if none is available, the "least bad"
//! broker (Java's `pickOneAtLeast`) with a queue id from the counter. As in 4.9, the latency
//! path does not skip the previous attempt's broker by name: a failed attempt has already
//! isolated it for 600 s.
//!
//! Invariant: the chosen queue is always one of the given queues' brokers (the least-bad pick
//! only picks among brokers that still have queues in the list).

use crate::protocol::body::MessageQueue;
use std::collections::BTreeMap;
use std::time::Duration;

/// Observed latency thresholds (ms) of Java 4.9's `MQFaultStrategy.latencyMax`.
pub const LATENCY_THRESHOLDS_MS: [u64; 7] = [50, 100, 550, 1_000, 2_000, 3_000, 15_000];
/// How long a broker is avoided (ms) for each threshold (`notAvailableDuration`).
pub const NOT_AVAILABLE_MS: [u64; 7] = [0, 0, 30_000, 60_000, 120_000, 180_000, 600_000];
/// The latency recorded for an attempt that failed without an answer (Java: 30 s ⇒ 600 s).
pub const FAILED_ATTEMPT_LATENCY_MS: u64 = 30_000;

/// How long a broker with `latency_ms` observed is avoided: the window of the largest
/// threshold not above it.
pub fn not_available_ms(latency_ms: u64) -> u64 {
    LATENCY_THRESHOLDS_MS
        .iter()
        .zip(NOT_AVAILABLE_MS)
        .rev()
        .find(|(threshold, _)| latency_ms >= **threshold)
        .map_or(0, |(_, window)| window)
}

/// What the strategy remembers about one broker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FaultItem {
    latency_ms: u64,
    /// Monotonic time (since the clock's origin) from which the broker is available again.
    available_from: Duration,
}

/// The selection state of one producer.
#[derive(Clone, Debug)]
pub struct QueueSelector {
    latency_enabled: bool,
    /// Where every topic's counter starts (Java: a random start per thread).
    counter_start: u32,
    counters: BTreeMap<String, u32>,
    faults: BTreeMap<String, FaultItem>,
    /// Rotates `pickOneAtLeast` over the better half of the fault items.
    which_item_worst: u32,
}

impl QueueSelector {
    /// A selector; `counter_start` should come from the seeded random stream.
    pub fn new(latency_enabled: bool, counter_start: u32) -> Self {
        QueueSelector {
            latency_enabled,
            counter_start,
            counters: BTreeMap::new(),
            faults: BTreeMap::new(),
            which_item_worst: 0,
        }
    }

    /// The queue for the next attempt at `topic`. `last_broker` is the broker of the previous
    /// attempt of the same send (None on the first attempt); `now` is monotonic time since
    /// the clock's origin. None only if `queues` is empty.
    pub fn select(
        &mut self,
        topic: &str,
        queues: &[MessageQueue],
        last_broker: Option<&str>,
        now: Duration,
    ) -> Option<MessageQueue> {
        if queues.is_empty() {
            return None;
        }
        if self.latency_enabled {
            return Some(self.select_by_latency(topic, queues, now));
        }
        if let Some(last) = last_broker {
            for _ in 0..queues.len() {
                let queue = &queues[self.next_index(topic, queues.len())];
                if queue.broker_name != last {
                    return Some(queue.clone());
                }
            }
        }
        Some(queues[self.next_index(topic, queues.len())].clone())
    }

    /// Records an attempt's outcome on `broker`: its latency, or `failed` (no answer, or an
    /// answer the producer retries). Ignored unless the latency strategy is on.
    pub fn on_attempt(&mut self, broker: &str, latency_ms: u64, failed: bool, now: Duration) {
        if !self.latency_enabled {
            return;
        }
        let latency_ms = if failed {
            FAILED_ATTEMPT_LATENCY_MS
        } else {
            latency_ms
        };
        let window = Duration::from_millis(not_available_ms(latency_ms));
        self.faults.insert(
            broker.to_string(),
            FaultItem {
                latency_ms,
                available_from: now + window,
            },
        );
    }

    /// Whether `broker` may be chosen at `now` by the latency strategy.
    pub fn is_available(&self, broker: &str, now: Duration) -> bool {
        self.faults
            .get(broker)
            .is_none_or(|item| item.available_from <= now)
    }

    fn next_index(&mut self, topic: &str, len: usize) -> usize {
        let start = self.counter_start;
        let counter = self.counters.entry(topic.to_string()).or_insert(start);
        *counter = counter.wrapping_add(1);
        *counter as usize % len
    }

    fn select_by_latency(
        &mut self,
        topic: &str,
        queues: &[MessageQueue],
        now: Duration,
    ) -> MessageQueue {
        for _ in 0..queues.len() {
            let queue = &queues[self.next_index(topic, queues.len())];
            if self.is_available(&queue.broker_name, now) {
                return queue.clone();
            }
        }
        if let Some(broker) = self.pick_one_at_least(queues, now) {
            let ids = queues.iter().filter(|q| q.broker_name == broker).count();
            let id = self.next_index(topic, ids);
            return MessageQueue {
                broker_name: broker,
                queue_id: id as i32,
                topic: topic.to_string(),
            };
        }
        queues[self.next_index(topic, queues.len())].clone()
    }

    /// Java's `pickOneAtLeast`: the fault items of brokers that have queues here, best first
    /// (available, then lower latency, then sooner available); rotate over the better half.
    fn pick_one_at_least(&mut self, queues: &[MessageQueue], now: Duration) -> Option<String> {
        let mut items: Vec<(&String, &FaultItem)> = self
            .faults
            .iter()
            .filter(|(name, _)| queues.iter().any(|q| &q.broker_name == *name))
            .collect();
        items.sort_by_key(|(name, item)| {
            (
                item.available_from > now,
                item.latency_ms,
                item.available_from,
                (*name).clone(),
            )
        });
        let half = items.len() / 2;
        if items.is_empty() {
            return None;
        }
        if half == 0 {
            return Some(items[0].0.clone());
        }
        self.which_item_worst = self.which_item_worst.wrapping_add(1);
        Some(items[self.which_item_worst as usize % half].0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queues(brokers: &[(&str, i32)]) -> Vec<MessageQueue> {
        brokers
            .iter()
            .flat_map(|(b, n)| {
                (0..*n).map(move |id| MessageQueue {
                    broker_name: b.to_string(),
                    queue_id: id,
                    topic: "T".into(),
                })
            })
            .collect()
    }

    fn pick(
        s: &mut QueueSelector,
        qs: &[MessageQueue],
        last: Option<&str>,
        ms: u64,
    ) -> (String, i32) {
        let q = s
            .select("T", qs, last, Duration::from_millis(ms))
            .expect("a queue");
        (q.broker_name, q.queue_id)
    }

    #[test]
    fn windows_match_java_4_9() {
        let cases = [
            (0, 0),
            (49, 0),
            (100, 0),
            (549, 0),
            (550, 30_000),
            (999, 30_000),
            (1_000, 60_000),
            (2_500, 120_000),
            (3_000, 180_000),
            (15_000, 600_000),
            (30_000, 600_000),
        ];
        for (latency, window) in cases {
            assert_eq!(not_available_ms(latency), window, "latency {latency}");
        }
    }

    #[test]
    fn round_robin_increments_before_use() {
        let qs = queues(&[("a", 2), ("b", 2)]);
        let mut s = QueueSelector::new(false, 0);
        let picks: Vec<_> = (0..5).map(|_| pick(&mut s, &qs, None, 0)).collect();
        assert_eq!(
            picks,
            [("a", 1), ("b", 0), ("b", 1), ("a", 0), ("a", 1)].map(|(b, q)| (b.to_string(), q))
        );
    }

    #[test]
    fn counters_are_per_topic() {
        let qs = queues(&[("a", 4)]);
        let mut s = QueueSelector::new(false, 7);
        assert_eq!(pick(&mut s, &qs, None, 0), ("a".into(), 0));
        let other = s.select("U", &qs, None, Duration::ZERO).expect("a queue");
        assert_eq!(other.queue_id, 0);
    }

    #[test]
    fn retry_skips_the_broker_that_failed() {
        let qs = queues(&[("a", 2), ("b", 2)]);
        let mut s = QueueSelector::new(false, 0);
        // Counter 1 → a:1; a retry after a failure on "a" skips a:0 … to b:0.
        assert_eq!(pick(&mut s, &qs, None, 0), ("a".into(), 1));
        assert_eq!(pick(&mut s, &qs, Some("a"), 0), ("b".into(), 0));
        // Counter at 2; a retry after "b" skips b:1 (3), takes a:0 (4).
        assert_eq!(pick(&mut s, &qs, Some("b"), 0), ("a".into(), 0));
    }

    #[test]
    fn retry_with_only_the_failed_broker_falls_back_to_round_robin() {
        let qs = queues(&[("a", 2)]);
        let mut s = QueueSelector::new(false, 0);
        // Two skipped (1, 2), then the plain pick (3).
        assert_eq!(pick(&mut s, &qs, Some("a"), 0), ("a".into(), 1));
    }

    #[test]
    fn outcomes_are_ignored_without_the_latency_strategy() {
        let qs = queues(&[("a", 1), ("b", 1)]);
        let mut s = QueueSelector::new(false, 0);
        s.on_attempt("b", 0, true, Duration::ZERO);
        assert_eq!(pick(&mut s, &qs, None, 0), ("b".into(), 0));
    }

    #[test]
    fn failed_broker_is_avoided_for_600_s() {
        let qs = queues(&[("a", 1), ("b", 1)]);
        let mut s = QueueSelector::new(true, 0);
        s.on_attempt("b", 5, true, Duration::ZERO);
        // Counter 1 → b unavailable, 2 → a.
        assert_eq!(pick(&mut s, &qs, None, 1_000), ("a".into(), 0));
        assert_eq!(pick(&mut s, &qs, None, 599_999), ("a".into(), 0));
        // Counter 5 → b again, available from 600 s.
        assert_eq!(pick(&mut s, &qs, None, 600_000), ("b".into(), 0));
    }

    #[test]
    fn slow_answers_isolate_by_the_table() {
        let qs = queues(&[("a", 1), ("b", 1)]);
        let mut s = QueueSelector::new(true, 0);
        s.on_attempt("b", 700, false, Duration::ZERO);
        assert!(!s.is_available("b", Duration::from_millis(29_999)));
        assert!(s.is_available("b", Duration::from_millis(30_000)));
        s.on_attempt("b", 80, false, Duration::ZERO);
        assert!(s.is_available("b", Duration::ZERO));
        assert_eq!(pick(&mut s, &qs, None, 0), ("b".into(), 0));
    }

    #[test]
    fn all_unavailable_picks_the_least_bad_broker() {
        let qs = queues(&[("a", 2), ("b", 3)]);
        let mut s = QueueSelector::new(true, 0);
        s.on_attempt("a", 20_000, false, Duration::ZERO);
        s.on_attempt("b", 1_000, false, Duration::ZERO);
        // Five unavailable picks (counter 1..=5), then b (lower latency, half = 1 → items[0])
        // with queue id counter 6 % 3 = 0.
        assert_eq!(pick(&mut s, &qs, None, 10), ("b".into(), 0));
    }
}
