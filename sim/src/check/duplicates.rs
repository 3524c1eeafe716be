//! Duplicates: a group receiving one UNIQ_KEY more than once. RocketMQ delivers at least once,
//! so they are counted (figure `dup`); a violation only where the scenario demands exactly-once
//! (a fault-free stretch after the groups settled).

use std::collections::BTreeMap;

use super::history::History;
use super::Findings;

/// Extra deliveries per group, summed; violations only when `exactly_once`.
pub fn check(history: &History, exactly_once: bool) -> (u64, Findings) {
    let mut counts: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for d in history.deliveries() {
        *counts.entry((&d.group, &d.key)).or_default() += 1;
    }
    let mut findings = Findings::default();
    let mut dup = 0;
    for ((group, key), n) in counts {
        dup += n - 1;
        if exactly_once && n > 1 {
            findings.push(format!(
                "duplicate: group {group} got {key} {n} times where exactly once is demanded"
            ));
        }
    }
    (dup, findings)
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::*;

    #[test]
    fn duplicates_are_counted_per_group() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        deliver(&mut h, "H", "c1", 0, "A", 7);
        assert_eq!(check(&h, true), (0, Findings::default()));
        deliver(&mut h, "G", "c2", 0, "A", 7);
        let (dup, findings) = check(&h, false);
        assert_eq!(dup, 1);
        assert!(findings.is_clean(), "at least once: allowed");
    }

    #[test]
    fn exactly_once_makes_them_violations() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        deliver(&mut h, "G", "c2", 0, "A", 7);
        let (dup, findings) = check(&h, true);
        assert_eq!((dup, findings.total), (1, 1));
        assert!(findings.kept[0].starts_with("duplicate: group G got A 2 times"));
    }
}
