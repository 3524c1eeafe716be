//! Non-monotonic send: per producer and queue, acknowledged offsets strictly increase
//! (Jepsen's "non-monotonic send"). A send that started after an earlier ack of the same
//! producer on the same queue and was acked at a lower or equal offset means the queue went
//! back. Sends that overlap in time (async sends, batches in flight together) may be stored
//! and answered in either order: only real-time precedence is judged. Excused only across a power loss of the queue's broker whose loss of acked
//! messages the guarantee matrix reports (ASYNC_FLUSH): the unflushed tail is gone and its
//! offsets are handed out again (counted in `offsets_reused` by the caller).

use std::collections::BTreeMap;
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;

use super::history::{show, Event, History};
use super::matrix::{Claim, Configuration, FaultKind};
use super::Findings;

/// Violations, and the steps back the matrix excuses.
pub fn check(history: &History, config: &Configuration) -> (Findings, u64) {
    let mut findings = Findings::default();
    let mut excused = 0;
    let allowed = matches!(config.loss(Some(FaultKind::PowerLoss)), Claim::Reported(_));
    let lag_allowed = matches!(
        config.loss(Some(FaultKind::MasterSwitch)),
        Claim::Reported(_)
    );
    // (producer, queue) → the highest offset acked so far, when, and when that send started
    // (an ack can arrive after a power loss that took its message: it was in flight).
    let mut last: BTreeMap<(u32, &MessageQueue), (i64, Duration, Duration)> = BTreeMap::new();
    for event in &history.events {
        let Event::Acked {
            key,
            producer,
            queue,
            offset,
            at,
        } = event
        else {
            continue;
        };
        let started = history.sends.get(key).map_or(*at, |s| s.sent_at);
        let Some(&(before, when, before_started)) = last.get(&(*producer, queue)) else {
            last.insert((*producer, queue), (*offset, *at, started));
            continue;
        };
        if *offset > before {
            last.insert((*producer, queue), (*offset, *at, started));
            continue;
        }
        if when > started {
            continue; // the two sends overlapped
        }
        if allowed && history.power_lost_between(&queue.broker_name, before_started, *at) {
            excused += 1;
            continue;
        }
        if lag_allowed && history.switch_possible_between(&queue.broker_name, before_started, *at) {
            excused += 1;
            continue;
        }
        findings.push_at(*at, format!(
            "non-monotonic send: producer {producer} got offset {offset} on {} after {before} (sent at {} ms, acked at {} ms; {before} acked at {} ms)",
            show(queue),
            started.as_millis(),
            at.as_millis(),
            when.as_millis()
        ));
    }
    (findings, excused)
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::*;
    use rocketsim::store::FlushMode;

    #[test]
    fn overlapping_sends_may_be_answered_in_either_order() {
        let mut h = History::default();
        acked(&mut h, "A", 4, 0); // sent at 0, acked at 1
        acked(&mut h, "B", 3, 0); // sent at 0, before A's ack: concurrent
        acked(&mut h, "C", 4, 5); // sent after A's ack at A's offset: went back
        let config = Configuration::new(FlushMode::Sync, &[]);
        let (findings, _) = check(&h, &config);
        assert_eq!(findings.total, 1, "{findings:?}");
        assert!(findings.kept[0].contains("got offset 4"));
    }

    #[test]
    fn increasing_offsets_pass() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        acked(&mut h, "B", 3, 10);
        let config = Configuration::new(FlushMode::Sync, &[]);
        assert_eq!(check(&h, &config), (Findings::default(), 0));
    }

    #[test]
    fn going_back_is_caught_unless_an_async_power_loss_explains_it() {
        let mut h = History::default();
        acked(&mut h, "A", 3, 0);
        acked(&mut h, "B", 3, 10);
        let sync = Configuration::new(FlushMode::Sync, &[FaultKind::PowerLoss]);
        let (findings, _) = check(&h, &sync);
        assert_eq!(findings.total, 1);
        assert!(crate::check::unstamp(&findings.kept[0])
            .expect("stamped")
            .1
            .starts_with("non-monotonic send: producer 1 got offset 3"));
        h.power_losses.insert("broker-a".into(), vec![ms(5)]);
        assert_eq!(check(&h, &sync).0.total, 1, "SYNC_FLUSH: never");
        let async_ = Configuration::new(FlushMode::Async, &[FaultKind::PowerLoss]);
        assert_eq!(check(&h, &async_), (Findings::default(), 1));
    }
}
