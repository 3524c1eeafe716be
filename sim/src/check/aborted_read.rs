//! Aborted read: a consumed message whose send definitely failed (refused before any attempt
//! could store it). Always a violation. Indeterminate sends that show up are "recovered" and
//! allowed: FLUSH_DISK_TIMEOUT and friends mean stored, and a timeout says nothing.

use super::history::{History, SendOutcome};
use super::Findings;

/// Deliveries of messages whose send failed.
pub fn check(history: &History) -> Findings {
    let mut findings = Findings::default();
    for d in history.deliveries() {
        let outcome = history.sends.get(&d.key).and_then(|s| s.outcome.as_ref());
        if let Some(SendOutcome::Failed { why }) = outcome {
            findings.push_at(
                d.at,
                format!(
                    "aborted read: {}/{} got {}, whose send failed ({why})",
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
    fn an_indeterminate_send_may_show_up() {
        let mut h = History::default();
        let why = "timeout".to_string();
        send(&mut h, "I", 0, Some(SendOutcome::Indeterminate { why }));
        deliver(&mut h, "G", "c1", 0, "I", 7);
        assert!(check(&h).is_clean());
    }

    #[test]
    fn a_failed_send_must_not() {
        let mut h = History::default();
        let why = "no route".to_string();
        send(&mut h, "F", 0, Some(SendOutcome::Failed { why }));
        deliver(&mut h, "G", "c1", 0, "F", 7);
        let findings = check(&h);
        assert_eq!(findings.total, 1);
        assert!(crate::check::unstamp(&findings.kept[0])
            .expect("stamped")
            .1
            .starts_with("aborted read: G/c1 got F"));
    }
}
