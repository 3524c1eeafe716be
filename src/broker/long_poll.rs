//! Long polling (§6.4) as a sans-IO hold table. A pull that found nothing at the requested
//! offset (and allows suspension) is parked here with a deadline and a token; events release
//! tokens, and the driver (the pull handler, awaiting its token) re-executes the pull.
//!
//! Events: [`PullHolds::on_hold`] parks; [`PullHolds::on_message_arrived`] (from the store's
//! dispatch path) releases the pulls of that queue whose offset is now below the queue's max;
//! [`PullHolds::on_tick`] (every 5 s, Java's `PullRequestHoldService` period) releases those
//! past their deadline and those whose queue has grown since (a missed notification).
//!
//! Invariants: a token is released at most once (it leaves the table when released); the table
//! holds at most `holds_max` pulls — over that, `on_hold` refuses and the caller answers at
//! once (a bound on memory and on requests a broker keeps open).

use std::collections::BTreeMap;

use crate::env::Instant;

/// A parked pull.
#[derive(Debug)]
struct Held<T> {
    offset: u64,
    deadline: Instant,
    token: T,
}

/// Parked pulls by (topic, queue id).
#[derive(Debug)]
pub struct PullHolds<T> {
    queues: BTreeMap<(String, i32), Vec<Held<T>>>,
    count: usize,
    holds_max: usize,
}

impl<T> PullHolds<T> {
    pub fn new(holds_max: usize) -> Self {
        PullHolds {
            queues: BTreeMap::new(),
            count: 0,
            holds_max,
        }
    }

    /// Parked pulls.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Parks a pull of `offset` until `deadline`. Gives the token back when the table is full.
    pub fn on_hold(
        &mut self,
        topic: &str,
        queue_id: i32,
        offset: u64,
        deadline: Instant,
        token: T,
    ) -> Result<(), T> {
        if self.count >= self.holds_max {
            return Err(token);
        }
        let held = Held {
            offset,
            deadline,
            token,
        };
        self.queues
            .entry((topic.to_string(), queue_id))
            .or_default()
            .push(held);
        self.count += 1;
        Ok(())
    }

    /// A message was dispatched to the queue, whose max offset is now `max_offset`: the pulls
    /// waiting below it are released.
    pub fn on_message_arrived(&mut self, topic: &str, queue_id: i32, max_offset: u64) -> Vec<T> {
        let key = (topic.to_string(), queue_id);
        let Some(held) = self.queues.get_mut(&key) else {
            return Vec::new();
        };
        let (ready, waiting): (Vec<_>, Vec<_>) =
            held.drain(..).partition(|h| h.offset < max_offset);
        *held = waiting;
        if held.is_empty() {
            self.queues.remove(&key);
        }
        self.count -= ready.len();
        ready.into_iter().map(|h| h.token).collect()
    }

    /// The periodic check: releases pulls past their deadline and those whose queue's max
    /// offset (as `max_offset_of` says) has moved past their offset.
    pub fn on_tick(&mut self, now: Instant, max_offset_of: impl Fn(&str, i32) -> u64) -> Vec<T> {
        let mut released = Vec::new();
        self.queues.retain(|(topic, queue_id), held| {
            let max = max_offset_of(topic, *queue_id);
            let (ready, waiting): (Vec<_>, Vec<_>) = held
                .drain(..)
                .partition(|h| h.deadline <= now || h.offset < max);
            released.extend(ready.into_iter().map(|h| h.token));
            *held = waiting;
            !held.is_empty()
        });
        self.count -= released.len();
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> Instant {
        Instant::from_origin(Duration::from_secs(secs))
    }

    #[test]
    fn arrival_releases_only_pulls_below_the_new_max_of_that_queue() {
        let mut holds = PullHolds::new(10);
        holds.on_hold("T", 0, 5, at(15), "a").unwrap();
        holds.on_hold("T", 0, 7, at(15), "b").unwrap();
        holds.on_hold("T", 1, 5, at(15), "c").unwrap();
        assert_eq!(holds.on_message_arrived("T", 0, 6), vec!["a"]);
        assert_eq!(holds.on_message_arrived("U", 0, 100), Vec::<&str>::new());
        assert_eq!(holds.len(), 2);
        assert_eq!(holds.on_message_arrived("T", 0, 8), vec!["b"]);
        assert_eq!(holds.len(), 1);
    }

    #[test]
    fn tick_releases_expired_and_missed_arrivals() {
        let mut holds = PullHolds::new(10);
        holds.on_hold("T", 0, 5, at(15), 1).unwrap();
        holds.on_hold("T", 1, 5, at(20), 2).unwrap();
        holds.on_hold("T", 2, 5, at(20), 3).unwrap();
        let max = |_: &str, q: i32| if q == 2 { 6 } else { 5 };
        assert_eq!(holds.on_tick(at(10), max), vec![3]);
        assert_eq!(holds.on_tick(at(15), max), vec![1]);
        assert_eq!(holds.on_tick(at(19), max), Vec::<i32>::new());
        assert_eq!(holds.on_tick(at(20), max), vec![2]);
        assert!(holds.is_empty());
    }

    #[test]
    fn a_full_table_refuses_and_gives_the_token_back() {
        let mut holds = PullHolds::new(1);
        holds.on_hold("T", 0, 0, at(15), 1).unwrap();
        assert_eq!(holds.on_hold("T", 0, 0, at(15), 2), Err(2));
    }
}
