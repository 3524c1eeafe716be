//! Unexpected: a consumed message that no producer ever sent (Jepsen's "unexpected").
//! Always a violation: nothing but the workload's producers writes to the topic.

use super::history::{show, History};
use super::Findings;

/// Deliveries whose UNIQ_KEY no producer sent.
pub fn check(history: &History) -> Findings {
    let mut findings = Findings::default();
    for d in history.deliveries() {
        if !history.sends.contains_key(&d.key) {
            findings.push_at(
                d.at,
                format!(
                    "unexpected: {}/{} got {} at {} offset {}, never sent",
                    d.group,
                    d.consumer,
                    d.key,
                    show(&d.queue),
                    d.offset
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
    fn a_sent_message_is_expected() {
        let mut h = History::default();
        acked(&mut h, "A", 0, 0);
        deliver(&mut h, "G", "c1", 0, "A", 7);
        assert!(check(&h).is_clean());
    }

    #[test]
    fn a_message_never_sent_is_unexpected() {
        let mut h = History::default();
        deliver(&mut h, "G", "c1", 5, "X", 7);
        let findings = check(&h);
        assert_eq!(findings.total, 1);
        assert!(crate::check::unstamp(&findings.kept[0])
            .expect("stamped")
            .1
            .starts_with("unexpected: G/c1 got X"));
    }
}
