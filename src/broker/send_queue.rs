//! The bounded send queue with Java's fast failure (`BrokerFastFailure`): at most
//! `send_threads` sends are processed at once, at most `capacity` wait; a send that waited
//! longer than `wait_max` (200 ms) is answered SYSTEM_BUSY `[TIMEOUT_CLEAN_QUEUE]…` (the
//! producer retries another broker), and one arriving at a full queue `[OVERLOAD]…`. Nothing
//! queues without bound.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};

use super::error::Busy;
use crate::env::Clock;

pub struct SendQueue {
    permits: Semaphore,
    queued: AtomicUsize,
    capacity: usize,
    wait_max: Duration,
}

/// Decrements the queued count when the send leaves the queue, however it leaves.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SendQueue {
    pub fn new(send_threads: usize, capacity: usize, wait_max: Duration) -> Self {
        SendQueue {
            permits: Semaphore::new(send_threads.max(1)),
            queued: AtomicUsize::new(0),
            capacity,
            wait_max,
        }
    }

    /// Sends waiting now.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Waits for a turn; the permit is the turn.
    pub async fn admit<C: Clock>(&self, clock: &C) -> Result<SemaphorePermit<'_>, Busy> {
        let before = self.queued.fetch_add(1, Ordering::AcqRel);
        let _queued = Queued(&self.queued);
        if before >= self.capacity {
            return Err(Busy::QueueFull { queued: before });
        }
        let start = clock.now();
        match clock.timeout(self.wait_max, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy::TimeoutCleanQueue {
                waited_ms: clock.now().saturating_duration_since(start).as_millis() as u64,
                queued: self.queued(),
            }),
        }
    }
}
