//! Queue allocation for rebalancing: which of a topic's queues one consumer of a clustering
//! group takes, given every queue and every consumer id of the group.
//!
//! Pure functions, no state. Every consumer of a group computes its own share from the same
//! sorted inputs, so the shares partition the queues without any coordination — provided all
//! consumers see the same lists (they may not during a rebalance; RocketMQ accepts the
//! transient overlap or gap, and so do we). The results match the Java client's strategies
//! (`AllocateMessageQueueAveragely`, `…AveragelyByCircle`, `…ByConfig`, `…ByMachineRoom`,
//! `…ConsistentHash`), so a group may mix Java and rocketsim consumers.
//!
//! Inputs must already be sorted (queues by topic, broker name, queue id; consumer ids as
//! strings), as the Java client sorts them before allocating.

use md5::{Digest, Md5};
use std::collections::{BTreeMap, BTreeSet};

/// What the strategies need to know about a queue.
pub trait AllocatableQueue: Clone {
    /// The queue's broker name (machine-room allocation reads `room@broker` from it).
    fn broker_name(&self) -> &str;

    /// The key the consistent-hash ring routes on: Java's `MessageQueue.toString()`,
    /// `MessageQueue [topic=T, brokerName=B, queueId=Q]`.
    fn ring_key(&self) -> String;
}

/// An allocation strategy, named as the Java client names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy<Q> {
    /// `AVG`: contiguous blocks, the first `n % m` consumers one queue more.
    Averagely,
    /// `AVG_BY_CIRCLE`: queues dealt round-robin.
    AveragelyByCircle,
    /// `CONFIG`: a fixed list, whatever the group looks like.
    ByConfig(Vec<Q>),
    /// `MACHINE_ROOM`: only queues of brokers named `room@broker` with `room` in the set,
    /// dealt in blocks, remainders one each to the first consumers.
    ByMachineRoom(BTreeSet<String>),
    /// `CONSISTENT_HASH`: each consumer owns `virtual_nodes` points on an MD5 ring.
    ConsistentHash {
        /// Points per consumer (Java's default is 10).
        virtual_nodes: u32,
    },
}

impl<Q: AllocatableQueue> Strategy<Q> {
    /// Java's name of the strategy (`getName()`).
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Averagely => "AVG",
            Strategy::AveragelyByCircle => "AVG_BY_CIRCLE",
            Strategy::ByConfig(_) => "CONFIG",
            Strategy::ByMachineRoom(_) => "MACHINE_ROOM",
            Strategy::ConsistentHash { .. } => "CONSISTENT_HASH",
        }
    }

    /// The queues `me` takes. Empty when `me` is not among `consumers` (it has not been seen by
    /// the broker yet) or there is nothing to share.
    pub fn allocate(&self, me: &str, queues: &[Q], consumers: &[String]) -> Vec<Q> {
        let Some(index) = consumers.iter().position(|c| c == me) else {
            return Vec::new();
        };
        if queues.is_empty() {
            return Vec::new();
        }
        match self {
            Strategy::Averagely => averagely(index, queues, consumers.len()),
            Strategy::AveragelyByCircle => by_circle(index, queues, consumers.len()),
            Strategy::ByConfig(fixed) => fixed.clone(),
            Strategy::ByMachineRoom(rooms) => {
                by_machine_room(index, queues, consumers.len(), rooms)
            }
            Strategy::ConsistentHash { virtual_nodes } => {
                consistent_hash(me, queues, consumers, *virtual_nodes)
            }
        }
    }
}

fn averagely<Q: Clone>(index: usize, queues: &[Q], consumers: usize) -> Vec<Q> {
    let (n, m) = (queues.len(), consumers);
    let remainder = n % m;
    let gets_extra = remainder > 0 && index < remainder;
    let size = if n <= m {
        1
    } else {
        n / m + usize::from(gets_extra)
    };
    let start = if gets_extra {
        index * size
    } else {
        index * size + remainder
    };
    let count = size.min(n.saturating_sub(start));
    (0..count)
        .map(|i| queues[(start + i) % n].clone())
        .collect()
}

fn by_circle<Q: Clone>(index: usize, queues: &[Q], consumers: usize) -> Vec<Q> {
    queues
        .iter()
        .skip(index)
        .step_by(consumers)
        .cloned()
        .collect()
}

fn by_machine_room<Q: AllocatableQueue>(
    index: usize,
    queues: &[Q],
    consumers: usize,
    rooms: &BTreeSet<String>,
) -> Vec<Q> {
    let in_rooms: Vec<&Q> = queues
        .iter()
        .filter(|q| match q.broker_name().split_once('@') {
            Some((room, rest)) => !rest.contains('@') && rooms.contains(room),
            None => false,
        })
        .collect();
    let block = in_rooms.len() / consumers;
    let remainder = in_rooms.len() % consumers;
    let mut mine: Vec<Q> = in_rooms[block * index..block * (index + 1)]
        .iter()
        .map(|q| (*q).clone())
        .collect();
    if index < remainder {
        mine.push(in_rooms[index + block * consumers].clone());
    }
    mine
}

/// The ring position of `key`: the first four bytes of its MD5, big-endian, as Java's
/// `ConsistentHashRouter.MD5Hash` computes it.
fn ring_position(key: &str) -> u32 {
    let digest = Md5::digest(key.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn consistent_hash<Q: AllocatableQueue>(
    me: &str,
    queues: &[Q],
    consumers: &[String],
    virtual_nodes: u32,
) -> Vec<Q> {
    // Later insertions overwrite colliding points, as Java's TreeMap.put does.
    let mut ring: BTreeMap<u32, &str> = BTreeMap::new();
    for consumer in consumers {
        for replica in 0..virtual_nodes {
            ring.insert(ring_position(&format!("{consumer}-{replica}")), consumer);
        }
    }
    let owner = |key: &str| -> Option<&str> {
        let at = ring_position(key);
        ring.range(at..)
            .next()
            .or_else(|| ring.iter().next())
            .map(|(_, c)| *c)
    };
    queues
        .iter()
        .filter(|q| owner(&q.ring_key()) == Some(me))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Queue {
        broker: String,
        id: u32,
    }

    impl AllocatableQueue for Queue {
        fn broker_name(&self) -> &str {
            &self.broker
        }
        fn ring_key(&self) -> String {
            format!(
                "MessageQueue [topic=T, brokerName={}, queueId={}]",
                self.broker, self.id
            )
        }
    }

    fn queues(n: u32) -> Vec<Queue> {
        (0..n)
            .map(|id| Queue {
                broker: "b".into(),
                id,
            })
            .collect()
    }

    fn consumers(m: usize) -> Vec<String> {
        (0..m).map(|i| format!("c{i}")).collect()
    }

    fn ids(allocated: &[Queue]) -> Vec<u32> {
        allocated.iter().map(|q| q.id).collect()
    }

    fn shares(strategy: &Strategy<Queue>, n: u32, m: usize) -> Vec<Vec<u32>> {
        let (all, group) = (queues(n), consumers(m));
        group
            .iter()
            .map(|me| ids(&strategy.allocate(me, &all, &group)))
            .collect()
    }

    #[test]
    fn averagely_matches_the_reference_table() {
        // (queues, consumers, expected share of each consumer in order)
        let table: &[(u32, usize, &[&[u32]])] = &[
            (8, 3, &[&[0, 1, 2], &[3, 4, 5], &[6, 7]]),
            (4, 4, &[&[0], &[1], &[2], &[3]]),
            (3, 5, &[&[0], &[1], &[2], &[], &[]]),
            (10, 4, &[&[0, 1, 2], &[3, 4, 5], &[6, 7], &[8, 9]]),
            (
                16,
                1,
                &[&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]],
            ),
        ];
        for (n, m, expected) in table {
            assert_eq!(
                shares(&Strategy::Averagely, *n, *m),
                *expected,
                "{n} queues, {m} consumers"
            );
        }
    }

    #[test]
    fn by_circle_deals_round_robin() {
        let expected: &[&[u32]] = &[&[0, 3, 6], &[1, 4, 7], &[2, 5]];
        assert_eq!(shares(&Strategy::AveragelyByCircle, 8, 3), expected);
        let few: &[&[u32]] = &[&[0], &[1], &[]];
        assert_eq!(shares(&Strategy::AveragelyByCircle, 2, 3), few);
    }

    #[test]
    fn by_config_is_fixed_and_unknown_consumers_get_nothing() {
        let fixed = vec![Queue {
            broker: "b".into(),
            id: 5,
        }];
        let strategy = Strategy::ByConfig(fixed.clone());
        assert_eq!(strategy.allocate("c0", &queues(8), &consumers(2)), fixed);
        assert!(Strategy::Averagely
            .allocate("stranger", &queues(8), &consumers(2))
            .is_empty());
        assert!(Strategy::<Queue>::Averagely
            .allocate("c0", &[], &consumers(2))
            .is_empty());
    }

    #[test]
    fn by_machine_room_takes_only_its_rooms_and_deals_remainders() {
        let mut all = Vec::new();
        for (broker, count) in [
            ("hz@broker-a", 3),
            ("sh@broker-b", 2),
            ("plain", 2),
            ("a@b@c", 1),
        ] {
            all.extend((0..count).map(|id| Queue {
                broker: broker.into(),
                id,
            }));
        }
        let rooms: BTreeSet<String> = ["hz", "sh"].into_iter().map(String::from).collect();
        let strategy = Strategy::ByMachineRoom(rooms);
        let group = consumers(2);
        let first = strategy.allocate("c0", &all, &group);
        let second = strategy.allocate("c1", &all, &group);
        // 5 eligible queues: blocks of 2, the remainder (index 4) to c0.
        let names = |q: &[Queue]| {
            q.iter()
                .map(|q| format!("{}:{}", q.broker, q.id))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&first),
            ["hz@broker-a:0", "hz@broker-a:1", "sh@broker-b:1"]
        );
        assert_eq!(names(&second), ["hz@broker-a:2", "sh@broker-b:0"]);
    }

    #[test]
    fn ring_positions_are_java_md5_prefixes() {
        // MD5("") = d41d8cd9…, MD5("abc") = 90015098…: the first four bytes, big-endian.
        assert_eq!(ring_position(""), 0xd41d_8cd9);
        assert_eq!(ring_position("abc"), 0x9001_5098);
    }

    #[test]
    fn every_strategy_partitions_the_queues() {
        let strategies = [
            Strategy::Averagely,
            Strategy::AveragelyByCircle,
            Strategy::ConsistentHash { virtual_nodes: 10 },
        ];
        for strategy in &strategies {
            for (n, m) in [(1, 1), (8, 3), (16, 5), (3, 7), (64, 4)] {
                let mut seen: Vec<u32> = shares(strategy, n, m).concat();
                seen.sort_unstable();
                assert_eq!(
                    seen,
                    (0..n).collect::<Vec<_>>(),
                    "{} with {n} queues, {m} consumers",
                    strategy.name()
                );
            }
        }
    }

    #[test]
    fn consistent_hash_moves_few_queues_when_a_consumer_leaves() {
        let strategy = Strategy::ConsistentHash { virtual_nodes: 10 };
        let all = queues(64);
        let before = consumers(4);
        let after: Vec<String> = before[..3].to_vec();
        let mut moved = 0;
        for me in &after {
            let old = ids(&strategy.allocate(me, &all, &before));
            let new = ids(&strategy.allocate(me, &all, &after));
            // A survivor keeps every queue it had; it only gains the leaver's.
            assert!(old.iter().all(|q| new.contains(q)), "{me} lost a queue");
            moved += new.len() - old.len();
        }
        let leaver = ids(&strategy.allocate("c3", &all, &before)).len();
        assert_eq!(moved, leaver, "only the leaver's queues move");
    }
}
