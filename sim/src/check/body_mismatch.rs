//! Body mismatch: a consumed body that is not the body sent under that UNIQ_KEY (compared by
//! xxh3 hash). Always a violation: RocketMQ stores bodies verbatim.

use super::history::History;
use super::Findings;

/// Deliveries whose body hash differs from the sent one.
pub fn check(history: &History) -> Findings {
    let mut findings = Findings::default();
    for d in history.deliveries() {
        let sent = history.sends.get(&d.key).map(|s| s.body_hash);
        if sent.is_some_and(|hash| hash != d.body_hash) {
            findings.push_at(
                d.at,
                format!(
                    "body mismatch: {}/{} got {} with another body",
                    d.group, d.consumer, d.key
                ),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::super::history::fixtures::*;
    use super::*;

    #[test]
    fn the_same_body_matches() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        assert!(check(&h).is_clean());
    }

    #[test]
    fn another_body_does_not() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        deliver(&mut h, "G", "c1", 0, "A", 8);
        assert_eq!(check(&h).total, 1);
    }
}
