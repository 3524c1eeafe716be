//! Dense offsets (Jepsen's "poll skip"): per group and queue, the offsets delivered form one
//! run without holes. Consumers start from the first offset and resume from a committed
//! offset, which is never past what was consumed, so a hole is a message the group skipped.
//! Excused on a queue whose broker lost power when the matrix reports power-loss losses
//! (ASYNC_FLUSH: the queue may restart below the consumers' position).

use std::collections::{BTreeMap, BTreeSet};

use rocketsim::protocol::body::MessageQueue;

use super::history::{show, History};
use super::matrix::{Claim, Configuration, FaultKind};
use super::Findings;

/// Holes in the delivered offsets, one finding per (group, queue, hole).
pub fn check(history: &History, config: &Configuration) -> Findings {
    let mut seen: BTreeMap<(&str, &MessageQueue), BTreeSet<i64>> = BTreeMap::new();
    for d in history.deliveries() {
        seen.entry((&d.group, &d.queue))
            .or_default()
            .insert(d.offset);
    }
    let allowed = matches!(config.loss(Some(FaultKind::PowerLoss)), Claim::Reported(_));
    let mut findings = Findings::default();
    for ((group, queue), offsets) in seen {
        if allowed && history.power_losses.contains_key(&queue.broker_name) {
            continue;
        }
        let mut previous: Option<i64> = None;
        for &offset in &offsets {
            if let Some(before) = previous.filter(|&p| offset > p + 1) {
                findings.push(format!(
                    "poll skip: group {group} never got offsets {}..={} of {}",
                    before + 1,
                    offset - 1,
                    show(queue)
                ));
            }
            previous = Some(offset);
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::*;
    use rocketsim::store::FlushMode;

    #[test]
    fn a_run_of_offsets_passes_duplicates_included() {
        let mut h = History::default();
        for (offset, key) in [(3, "A"), (4, "B"), (4, "B"), (5, "C")] {
            deliver(&mut h, "G", "c1", offset, key, 7);
        }
        let config = Configuration::new(FlushMode::Sync, &[]);
        assert!(check(&h, &config).is_clean());
    }

    #[test]
    fn a_hole_is_caught() {
        let mut h = History::default();
        deliver(&mut h, "G", "c1", 0, "A", 7);
        deliver(&mut h, "G", "c1", 3, "D", 7);
        let config = Configuration::new(FlushMode::Sync, &[FaultKind::PowerLoss]);
        let findings = check(&h, &config);
        assert_eq!(findings.total, 1);
        assert_eq!(
            findings.kept[0],
            "poll skip: group G never got offsets 1..=2 of broker-a:0"
        );
        h.power_losses.insert("broker-a".into(), vec![ms(1)]);
        assert_eq!(check(&h, &config).total, 1, "SYNC_FLUSH: still a hole");
        let async_ = Configuration::new(FlushMode::Async, &[FaultKind::PowerLoss]);
        assert!(check(&h, &async_).is_clean());
    }
}
