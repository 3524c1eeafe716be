//! Per-second counts of the workload (sends started, acks, deliveries), written to the trace
//! as `workload.rate second=S sent= acked= consumed=` records for the timeline and `-vv`.
//!
//! A second's record is written by the first count of a later second (or by `flush` at the
//! end), from inside the send or delivery that crossed it: no timer of its own, so the
//! schedule — and every outcome — is the same as without it; only the trace gains these
//! lines, deterministically. Seconds with no counts write nothing.

use std::time::Duration;

use crate::World;

/// The counts of the current virtual second.
#[derive(Clone, Debug, Default)]
pub struct RateMeter {
    second: u64,
    sent: u64,
    acked: u64,
    consumed: u64,
}

/// What is counted.
#[derive(Clone, Copy, Debug)]
pub enum Count {
    Sent,
    Acked,
    Consumed,
}

impl RateMeter {
    /// Counts `n` of `what` at virtual time `at`.
    pub fn count(&mut self, world: &World, at: Duration, what: Count, n: u64) {
        let second = at.as_secs();
        if second != self.second {
            self.flush(world);
            self.second = second;
        }
        match what {
            Count::Sent => self.sent += n,
            Count::Acked => self.acked += n,
            Count::Consumed => self.consumed += n,
        }
    }

    /// Records the current second, if it counted anything.
    pub fn flush(&mut self, world: &World) {
        if self.sent + self.acked + self.consumed > 0 {
            let RateMeter {
                second,
                sent,
                acked,
                consumed,
            } = *self;
            world.record(
                "workload.rate",
                format_args!("second={second} sent={sent} acked={acked} consumed={consumed}"),
            );
        }
        *self = RateMeter {
            second: self.second,
            ..RateMeter::default()
        };
    }
}
