//! Route expiry within its bound: a broker that stops registering (and whose connection
//! close never reaches the name server) leaves the route no earlier than 120 s and no later
//! than 130 s after its last registration (RocketMQ's `BROKER_CHANNEL_EXPIRED_TIME`, scanned
//! every 10 s). Judged from route probes: one answered before the lower bound must still route
//! the broker; one sent at or after the upper bound must not.

use std::time::Duration;

use super::Findings;

/// The guarantee: never removed earlier than this after the last registration.
pub const EXPIRY_MIN: Duration = Duration::from_secs(120);
/// The guarantee: removed by this long after the last registration.
pub const EXPIRY_MAX: Duration = Duration::from_secs(130);

/// One route probe: when it was sent, when answered, and whether the broker was routed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub sent: Duration,
    pub answered: Duration,
    pub routed: bool,
}

/// What the checker found: safety violations (the first 10) and when the route went (`None`:
/// never, a liveness finding of the caller).
pub fn check(probes: &[Probe], last_registration: Duration) -> (Findings, Option<Duration>) {
    let last = last_registration;
    let mut findings = Findings::default();
    for probe in probes
        .iter()
        .filter(|p| p.answered < last + EXPIRY_MIN && !p.routed)
    {
        findings.push_at(probe.answered, format!(
            "route gone early: a probe answered {} ms after the last registration did not route the broker (bound {} ms)",
            (probe.answered - last).as_millis(),
            EXPIRY_MIN.as_millis()
        ));
    }
    for probe in probes
        .iter()
        .filter(|p| p.sent >= last + EXPIRY_MAX && p.routed)
    {
        findings.push_at(probe.sent, format!(
            "route gone late: a probe sent {} ms after the last registration still routed the broker (bound {} ms)",
            (probe.sent - last).as_millis(),
            EXPIRY_MAX.as_millis()
        ));
    }
    findings.kept.truncate(10);
    let gone = probes
        .iter()
        .find(|p| p.sent > last && !p.routed)
        .map(|p| p.sent - last);
    (findings, gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(at_s: u64, routed: bool) -> Probe {
        let at = Duration::from_secs(at_s);
        Probe {
            sent: at,
            answered: at,
            routed,
        }
    }

    #[test]
    fn expiry_between_the_bounds_passes() {
        let probes = [
            probe(10, true),
            probe(119, true),
            probe(125, false),
            probe(140, false),
        ];
        let (findings, gone) = check(&probes, Duration::ZERO);
        assert!(findings.is_clean());
        assert_eq!(gone, Some(Duration::from_secs(125)));
    }

    #[test]
    fn early_and_late_are_caught() {
        let (early, _) = check(&[probe(100, false)], Duration::ZERO);
        assert!(crate::check::unstamp(&early.kept[0])
            .expect("stamped")
            .1
            .starts_with("route gone early"));
        let (late, gone) = check(&[probe(131, true)], Duration::ZERO);
        assert!(crate::check::unstamp(&late.kept[0])
            .expect("stamped")
            .1
            .starts_with("route gone late"));
        assert_eq!(gone, None);
    }
}
