//! Time: a monotonic clock for timeouts and intervals, a wall clock for what RocketMQ stamps on
//! records and compares across nodes (store timestamps, route expiry), sleeping and timeouts.

use std::fmt;
use std::future::Future;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A point on the node's monotonic clock, as the time since an arbitrary origin fixed when the
/// environment was created. Our own type (not `std::time::Instant`) so that it can be printed
/// and hashed into traces deterministically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Duration);

impl Instant {
    /// The instant `since_origin` after the clock's origin; only clock implementations create one.
    pub const fn from_origin(since_origin: Duration) -> Self {
        Instant(since_origin)
    }

    /// Time since the clock's origin.
    pub const fn since_origin(self) -> Duration {
        self.0
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0 + rhs)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

/// A future did not finish before its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// The node's clocks.
pub trait Clock {
    /// Monotonic now: for timeouts, intervals and latencies. Never goes backwards, is not
    /// affected by clock steps or skew.
    fn now(&self) -> Instant;

    /// Wall-clock milliseconds since the Unix epoch: what RocketMQ writes into records
    /// (store timestamp), compares for route expiry and retention. In simulation this is the
    /// node's own clock and may be stepped or skewed by a fault.
    fn now_millis(&self) -> u64;

    /// Completes after `duration` of monotonic time.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;

    /// Runs `future` for at most `duration`; `Err(Elapsed)` if it did not finish, in which case
    /// the future is dropped.
    fn timeout<F>(
        &self,
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> + Send
    where
        F: Future + Send,
        F::Output: Send;
}
