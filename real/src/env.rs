//! `TokioEnv`: one process's view of the world. Clock, tasks and randomness are here; the
//! network and the disk are in `net.rs` and `fs.rs`.
//!
//! Runtime model: constructing a `TokioEnv` needs no runtime and the handle stores nothing
//! runtime-specific. Every method that spawns, sleeps or does socket I/O must run inside a tokio
//! runtime (a multi-threaded one in the binaries); outside one, tokio panics, as it always does.
//! Futures it returns are `Send`, so they can move between worker threads.

use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use rocketsim::env::{Clock, Elapsed, Instant, Random, Spawn};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracing::Instrument;

use crate::task::{run_blocking, TokioTask};

/// The real environment: tokio tasks and timers, TCP sockets, files and mapped segments, the
/// OS random generator. Cheap to clone (an `Instant` and an `Arc`).
#[derive(Clone, Debug)]
pub struct TokioEnv {
    /// The origin of `Clock::now`: `rocketsim`'s `Instant` is a duration since it.
    origin: std::time::Instant,
    /// This handle's random stream. A mutex rather than `thread_rng` so that `fork` can hand
    /// out a stream of its own; uncontended, it costs one atomic swap per draw.
    rng: Arc<Mutex<StdRng>>,
}

impl TokioEnv {
    /// A fresh environment whose monotonic clock starts now and whose random stream is seeded
    /// by the OS. Needs no runtime (see the module docs for the methods that do).
    pub fn new() -> Self {
        TokioEnv {
            origin: std::time::Instant::now(),
            rng: Arc::new(Mutex::new(StdRng::from_entropy())),
        }
    }
}

impl Default for TokioEnv {
    fn default() -> Self {
        TokioEnv::new()
    }
}

impl Clock for TokioEnv {
    fn now(&self) -> Instant {
        Instant::from_origin(self.origin.elapsed())
    }

    fn now_millis(&self) -> u64 {
        // A wall clock set before 1970 is a broken host, not a reason to crash: report the epoch.
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX)
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    async fn timeout<F>(&self, duration: Duration, future: F) -> Result<F::Output, Elapsed>
    where
        F: Future + Send,
        F::Output: Send,
    {
        tokio::time::timeout(duration, future)
            .await
            .map_err(|_| Elapsed)
    }
}

impl Spawn for TokioEnv {
    type Task = TokioTask;

    fn spawn<F>(&self, name: &'static str, future: F) -> TokioTask
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // The name goes on a tracing span so that log lines say which task wrote them.
        let span = tracing::debug_span!("task", name);
        TokioTask::new(tokio::spawn(future.instrument(span)))
    }

    fn spawn_blocking<F, R>(&self, work: F) -> impl Future<Output = R> + Send
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        run_blocking(work)
    }
}

impl Random for TokioEnv {
    fn next_u64(&self) -> u64 {
        self.rng.lock().next_u64()
    }

    fn fork(&self, _salt: &str) -> Self {
        // Real runs are not reproducible by design; the salt only matters in simulation. A new
        // OS-seeded generator is independent of this one and of every other fork.
        TokioEnv {
            origin: self.origin,
            rng: Arc::new(Mutex::new(StdRng::from_entropy())),
        }
    }
}
