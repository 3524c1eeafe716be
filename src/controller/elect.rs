//! The election policy (RocketMQ's `DefaultElectPolicy`), as a pure function of the
//! candidates and what their heartbeats said.
//!
//! Order: among the alive candidates, keep the old master if it is one (and nobody else was
//! designated); else the designated broker if it is a candidate, else nobody; else the best by
//! highest (epoch, maxOffset), then lowest electionPriority, then — where RocketMQ's `TreeSet`
//! would silently drop one of two equal entries — the lowest broker id, so the outcome is a
//! function of the inputs alone.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::group::BrokerId;
use super::liveness::BrokerStats;

/// Picks a master from `alive` (candidate → its stats). `None` when there is nobody.
pub fn pick(
    alive: &BTreeMap<BrokerId, BrokerStats>,
    old_master: Option<BrokerId>,
    designated: Option<BrokerId>,
) -> Option<BrokerId> {
    if alive.is_empty() {
        return None;
    }
    if let Some(old) = old_master {
        if alive.contains_key(&old) && designated.is_none_or(|d| d == old) {
            return Some(old);
        }
    }
    if let Some(designated) = designated {
        return alive.contains_key(&designated).then_some(designated);
    }
    alive
        .iter()
        .min_by_key(|(id, s)| {
            (
                Reverse(s.epoch),
                Reverse(s.max_offset),
                s.election_priority,
                **id,
            )
        })
        .map(|(id, _)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(epoch: i32, max_offset: i64, election_priority: i32) -> BrokerStats {
        BrokerStats {
            epoch,
            max_offset,
            confirm_offset: -1,
            election_priority,
        }
    }

    #[test]
    fn nobody_alive_elects_nobody() {
        assert_eq!(pick(&BTreeMap::new(), Some(1), None), None);
        assert_eq!(pick(&BTreeMap::new(), None, Some(1)), None);
    }

    #[test]
    fn old_master_is_kept_when_alive() {
        let alive = BTreeMap::from([(1, stats(1, 0, 9)), (2, stats(5, 100, 0))]);
        assert_eq!(pick(&alive, Some(1), None), Some(1));
        assert_eq!(pick(&alive, Some(1), Some(1)), Some(1));
    }

    #[test]
    fn designated_wins_over_old_master_or_fails() {
        let alive = BTreeMap::from([(1, stats(1, 0, 9)), (2, stats(1, 0, 9))]);
        assert_eq!(pick(&alive, Some(1), Some(2)), Some(2));
        assert_eq!(pick(&alive, Some(1), Some(3)), None);
    }

    #[test]
    fn epoch_then_offset_then_priority_then_id() {
        let alive = BTreeMap::from([
            (1, stats(2, 500, 0)),
            (2, stats(3, 100, 9)),
            (3, stats(3, 100, 9)),
        ]);
        assert_eq!(pick(&alive, None, None), Some(2), "epoch first, id last");
        let alive = BTreeMap::from([(1, stats(3, 100, 9)), (2, stats(3, 200, 9))]);
        assert_eq!(pick(&alive, None, None), Some(2), "offset second");
        let alive = BTreeMap::from([(1, stats(3, 200, 5)), (2, stats(3, 200, 1))]);
        assert_eq!(pick(&alive, Some(7), None), Some(2), "priority third");
    }
}
