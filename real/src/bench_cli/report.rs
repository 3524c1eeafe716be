//! Counting what a benchmark does, a progress line per second, and the final summary (a table,
//! or one JSON object as the last line).

use super::Histogram;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared by every worker: operations, bytes, errors and latencies.
#[derive(Default)]
pub struct Meter {
    ops: AtomicU64,
    bytes: AtomicU64,
    errors: AtomicU64,
    latencies: Mutex<Histogram>,
    /// Latencies since the last progress line.
    window: Mutex<Histogram>,
    /// When the first and the latest successful operation finished.
    active: Mutex<Option<(Instant, Instant)>>,
}

impl Meter {
    /// One successful operation of `messages` messages and `bytes` bytes.
    pub fn ok(&self, messages: u64, bytes: u64, latency: Duration) {
        self.ops.fetch_add(messages, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        let us = latency.as_micros() as u64;
        let now = Instant::now();
        let mut active = self.active.lock();
        *active = Some(active.map_or((now, now), |(first, _)| (first, now)));
        drop(active);
        self.latencies.lock().record(us);
        self.window.lock().record(us);
    }

    pub fn error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub fn messages(&self) -> u64 {
        self.ops.load(Ordering::Relaxed)
    }

    /// Prints one progress line every second until `until`.
    pub async fn progress(&self, what: &str, started: Instant, until: Instant) {
        let mut last = 0;
        let mut tick = started;
        while tick < until {
            tick += Duration::from_secs(1);
            tokio::time::sleep_until(tick.into()).await;
            let now = self.messages();
            let window = std::mem::take(&mut *self.window.lock());
            eprintln!(
                "[{:>4.0} s] {what} {:>9} msgs/s  p99 {:>8.3} ms  max {:>8.3} ms  errors {}",
                started.elapsed().as_secs_f64(),
                now - last,
                window.quantile_us(0.99) as f64 / 1e3,
                window.max_us() as f64 / 1e3,
                self.errors.load(Ordering::Relaxed),
            );
            last = now;
        }
    }

    /// From the first to the latest successful operation (zero before two).
    pub fn active(&self) -> Duration {
        self.active
            .lock()
            .map_or(Duration::ZERO, |(first, last)| last - first)
    }

    pub fn summary(&self, elapsed: Duration) -> Summary {
        let h = self.latencies.lock().clone();
        let secs = elapsed.as_secs_f64().max(1e-9);
        let ms = |us: u64| us as f64 / 1e3;
        Summary {
            messages: self.messages(),
            errors: self.errors.load(Ordering::Relaxed),
            seconds: secs,
            msgs_per_s: self.messages() as f64 / secs,
            mb_per_s: self.bytes.load(Ordering::Relaxed) as f64 / secs / 1e6,
            min_ms: ms(h.min_us()),
            p50_ms: ms(h.quantile_us(0.5)),
            p99_ms: ms(h.quantile_us(0.99)),
            p999_ms: ms(h.quantile_us(0.999)),
            max_ms: ms(h.max_us()),
        }
    }
}

/// The final figures.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Summary {
    pub messages: u64,
    pub errors: u64,
    pub seconds: f64,
    pub msgs_per_s: f64,
    pub mb_per_s: f64,
    pub min_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    /// The human-readable table.
    pub fn table(&self, what: &str) -> String {
        format!(
            "{what}: {} messages in {:.2} s, {} errors\n  {:.0} msgs/s  {:.1} MB/s\n  latency ms: min {:.3}  p50 {:.3}  p99 {:.3}  p999 {:.3}  max {:.3}",
            self.messages,
            self.seconds,
            self.errors,
            self.msgs_per_s,
            self.mb_per_s,
            self.min_ms,
            self.p50_ms,
            self.p99_ms,
            self.p999_ms,
            self.max_ms
        )
    }
}
