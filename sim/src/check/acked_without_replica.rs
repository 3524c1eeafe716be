//! A SYNC_MASTER acknowledges only replicated writes (§5.3): SEND_OK from a classic
//! SYNC_MASTER means a slave acknowledged the message's end offset. A slave can acknowledge a
//! message only while its process runs, after the message exists; so an ack whose whole send
//! — from its start to its answer — fell in a stretch where *no* slave of the group ran
//! (killed, powered off, or paused) was given without a replica. That is rocketmq#3015: an
//! impostor on the HA port reporting a bogus offset makes a Java master do exactly that.
//!
//! Always a safety violation. The oracle records slave stops and starts for the classic
//! SYNC_MASTER groups only (`History::sync_slaves`); in controller mode the acknowledging set
//! is the sync-state set, which the controller (not the schedule) decides.

use std::collections::BTreeSet;
use std::time::Duration;

use super::history::{show, Event, History};
use super::Findings;

/// A stretch `[from, until)` in which no slave of a group ran (`until`: `None` = to the end).
type Stretch = (Duration, Option<Duration>);

/// Acks of SYNC_MASTER groups given while none of their slaves ran.
pub fn check(history: &History) -> Findings {
    let mut findings = Findings::default();
    for (group, log) in &history.sync_slaves {
        let stretches = slaveless(&log.slaves, &log.changes);
        if stretches.is_empty() {
            continue;
        }
        for event in &history.events {
            let Event::Acked { key, queue, at, .. } = event else {
                continue;
            };
            if &queue.broker_name != group {
                continue;
            }
            let Some(sent_at) = history.sends.get(key).map(|s| s.sent_at) else {
                continue;
            };
            let inside = stretches
                .iter()
                .any(|&(from, until)| from <= sent_at && until.is_none_or(|u| *at < u));
            if inside {
                findings.push_at(
                    *at,
                    format!(
                        "acked without a replica: {key} acked by SYNC_MASTER {} (sent at {} ms) while none of its slaves ran",
                        show(queue),
                        sent_at.as_millis()
                    ),
                );
            }
        }
    }
    findings
}

/// The stretches in which every one of `slaves` was down, from the ordered `changes`
/// (time, slave, up?). All slaves run at time 0.
fn slaveless(slaves: &BTreeSet<String>, changes: &[(Duration, String, bool)]) -> Vec<Stretch> {
    let mut down: BTreeSet<&str> = BTreeSet::new();
    let mut stretches = Vec::new();
    let mut since: Option<Duration> = None;
    for (at, slave, up) in changes {
        match up {
            true => down.remove(slave.as_str()),
            false => down.insert(slave.as_str()),
        };
        let all_down = !slaves.is_empty() && slaves.iter().all(|s| down.contains(s.as_str()));
        match (all_down, since) {
            (true, None) => since = Some(*at),
            (false, Some(from)) => {
                stretches.push((from, Some(*at)));
                since = None;
            }
            _ => {}
        }
    }
    if let Some(from) = since {
        stretches.push((from, None));
    }
    stretches
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::super::history::SlaveLog;
    use super::*;

    fn log(changes: &[(u64, &str, bool)]) -> SlaveLog {
        SlaveLog {
            slaves: ["s1".to_string(), "s2".to_string()].into(),
            changes: changes
                .iter()
                .map(|&(at, s, up)| (ms(at), s.to_string(), up))
                .collect(),
        }
    }

    #[test]
    fn stretches_need_every_slave_down() {
        let l = log(&[(10, "s1", false), (20, "s2", false), (30, "s1", true)]);
        assert_eq!(slaveless(&l.slaves, &l.changes), [(ms(20), Some(ms(30)))]);
        let l = log(&[(10, "s1", false), (20, "s2", false)]);
        assert_eq!(slaveless(&l.slaves, &l.changes), [(ms(20), None)]);
        let l = log(&[(10, "s1", false), (20, "s1", true), (30, "s2", false)]);
        assert!(slaveless(&l.slaves, &l.changes).is_empty());
    }

    #[test]
    fn an_ack_while_no_slave_ran_is_found_and_one_straddling_a_restart_is_not() {
        let mut h = History::default();
        h.sync_slaves.insert(
            "broker-a".into(),
            log(&[(10, "s1", false), (10, "s2", false), (500, "s2", true)]),
        );
        acked(&mut h, "before", 0, 5); // sent at 5, before the slaves died: fine
        acked(&mut h, "impostor", 1, 100); // sent and acked with no slave: found
        acked(&mut h, "after", 2, 600); // a slave runs again: fine
        acked(&mut h, "straddles", 3, 499); // acked at 500, when s2 is back: fine
        let found = check(&h);
        assert_eq!(found.total, 1, "{:?}", found.kept);
        assert!(found.kept[0].contains("acked without a replica: impostor"));
    }

    #[test]
    fn groups_without_a_slave_log_are_not_judged() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 100);
        assert!(check(&h).is_clean());
    }
}
