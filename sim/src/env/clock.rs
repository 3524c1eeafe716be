//! A node's wall clock relative to the simulation's: steps and drift injected by the world.
//!
//! `now_millis` = virtual wall time + offset, where the offset is the sum of all steps plus
//! the drift accumulated at `ppm` parts per million since the drift was last set. The
//! monotonic clock (`Clock::now`) never sees any of this, exactly as `CLOCK_MONOTONIC` does
//! not see NTP steps.

use parking_lot::Mutex;
use std::time::Duration;

const NANOS_PER_MILLI: i128 = 1_000_000;

#[derive(Default)]
struct Skew {
    /// Steps plus drift folded in when the rate last changed.
    offset_nanos: i128,
    /// Drift rate, parts per million of monotonic time.
    ppm: i64,
    /// Monotonic time when `ppm` was set.
    since: Duration,
}

impl Skew {
    fn offset_at(&self, now: Duration) -> i128 {
        let elapsed = now.saturating_sub(self.since).as_nanos() as i128;
        self.offset_nanos + elapsed * i128::from(self.ppm) / 1_000_000
    }
}

/// The offset of one node's wall clock; owned by the world, it survives restarts (a machine
/// keeps its clock across a process crash).
#[derive(Default)]
pub struct ClockSkew {
    skew: Mutex<Skew>,
}

impl ClockSkew {
    /// Steps the clock by `ms` (negative: backwards), as an NTP step or an operator would.
    pub fn step(&self, ms: i64) {
        self.skew.lock().offset_nanos += i128::from(ms) * NANOS_PER_MILLI;
    }

    /// From monotonic time `now` on, the clock drifts at `ppm` (0 stops drifting; the drift
    /// accumulated so far stays).
    pub fn set_drift(&self, ppm: i64, now: Duration) {
        let mut skew = self.skew.lock();
        skew.offset_nanos = skew.offset_at(now);
        skew.ppm = ppm;
        skew.since = now;
    }

    /// The node's wall clock in ms since the Unix epoch, given the simulation's wall time and
    /// its monotonic time. Never negative.
    pub fn wall_millis(&self, wall_since_epoch: Duration, now: Duration) -> u64 {
        let nanos = wall_since_epoch.as_nanos() as i128 + self.skew.lock().offset_at(now);
        (nanos.max(0) / NANOS_PER_MILLI) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_drift_add_up() {
        let clock = ClockSkew::default();
        let wall = Duration::from_secs(1_000);
        assert_eq!(clock.wall_millis(wall, Duration::ZERO), 1_000_000);
        clock.step(-500);
        assert_eq!(clock.wall_millis(wall, Duration::ZERO), 999_500);
        clock.set_drift(1_000, Duration::from_secs(10)); // 1 ms per second
        let later = Duration::from_secs(20);
        assert_eq!(clock.wall_millis(wall, later), 999_510);
        clock.set_drift(0, later);
        assert_eq!(clock.wall_millis(wall, Duration::from_secs(100)), 999_510);
        clock.step(-2_000_000);
        assert_eq!(clock.wall_millis(wall, later), 0);
    }
}
