//! Per-queue order under orderly consumption: within one consumer's tenure of a queue — a run
//! of deliveries of that queue to that consumer not interrupted by a delivery to another
//! consumer of the group — offsets strictly increase. Once the queue's broker has lost power,
//! going back is redelivery, not disorder: its committed offsets (`consumerOffset.json`, not
//! synced on every commit) may revert at any later pull. The message in flight may come once
//! more (the same offset again): a consumer whose queue is dropped or whose lock lapses while
//! its listener runs does not commit that message, and takes it again when it gets the queue
//! back — with no delivery to another member in between (Java's orderly consumer does the
//! same); that is a duplicate, counted by `duplicates`. Checked for
//! orderly groups only
//! (concurrent consumption promises no order). A violation: RocketMQ's orderly consumer
//! locks the queue and hands its messages over one at a time.

use std::collections::BTreeMap;
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;

use super::history::{show, History};
use super::Findings;

/// Order violations within tenures of the orderly groups.
pub fn check(history: &History) -> Findings {
    let mut findings = Findings::default();
    // (group, queue) → (consumer, last offset) of the current tenure.
    let mut tenures: BTreeMap<(&str, &MessageQueue), (&str, i64)> = BTreeMap::new();
    for d in history.deliveries() {
        if !history.orderly.contains(&d.group) {
            continue;
        }
        let previous = tenures.insert((&d.group, &d.queue), (&d.consumer, d.offset));
        if let Some((holder, last)) = previous {
            let restarted = history.power_lost_between(&d.queue.broker_name, Duration::ZERO, d.at);
            if holder == d.consumer && d.offset < last && !restarted {
                findings.push_at(
                    d.at,
                    format!(
                        "order: {}/{} got {} offset {} after offset {last} in one tenure",
                        d.group,
                        d.consumer,
                        show(&d.queue),
                        d.offset
                    ),
                );
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::*;

    fn orderly() -> History {
        let mut h = History::default();
        h.orderly.insert("G".into());
        h
    }

    #[test]
    fn a_new_tenure_may_go_back() {
        let mut h = orderly();
        deliver(&mut h, "G", "c1", 0, "A", 7);
        deliver(&mut h, "G", "c1", 1, "B", 7);
        deliver(&mut h, "G", "c2", 0, "A", 7); // c2 took the queue over from the commit
        deliver(&mut h, "G", "c2", 1, "B", 7);
        assert!(check(&h).is_clean());
    }

    #[test]
    fn the_message_in_flight_may_come_once_more_but_not_an_earlier_one() {
        let mut h = orderly();
        deliver(&mut h, "G", "c1", 0, "A", 7);
        deliver(&mut h, "G", "c1", 1, "B", 7);
        deliver(&mut h, "G", "c1", 1, "B", 8);
        assert!(check(&h).is_clean());
        deliver(&mut h, "G", "c1", 0, "A", 9);
        assert_eq!(check(&h).total, 1);
    }

    #[test]
    fn going_back_within_a_tenure_is_caught() {
        let mut h = orderly();
        deliver(&mut h, "G", "c1", 1, "B", 7);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        let findings = check(&h);
        assert_eq!(findings.total, 1);
        assert!(crate::check::unstamp(&findings.kept[0])
            .expect("stamped")
            .1
            .starts_with("order: G/c1 got broker-a:0 offset 0 after offset 1"));
    }

    #[test]
    fn a_power_loss_of_the_broker_ends_the_tenure() {
        let mut h = orderly();
        deliver(&mut h, "G", "c1", 1, "B", 7);
        h.power_losses.insert("broker-a".into(), vec![ms(1_000)]);
        let mut late = History::default();
        deliver(&mut late, "G", "c1", 0, "A", 7);
        for event in &mut late.events {
            if let crate::check::Event::Delivered(d) = event {
                d.at = ms(2_000);
            }
        }
        h.events.extend(late.events);
        assert!(check(&h).is_clean());
    }

    #[test]
    fn concurrent_groups_are_not_checked() {
        let mut h = History::default();
        deliver(&mut h, "G", "c1", 1, "B", 7);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        assert!(check(&h).is_clean());
    }
}
