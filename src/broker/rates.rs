//! Message rates for the operator views (`putTps`, `getTransferedTps`), as Java's
//! `StoreStatsService` computes them: a counter sampled once a second, a rate being the
//! counter's growth over the last 10 s, 60 s and 600 s divided by the time actually covered.
//!
//! Sans-IO: the caller samples with its own clock; the window is bounded (one sample per
//! second for the longest span plus one).

use std::collections::VecDeque;

/// Spans a rate is reported over, in seconds (Java's three figures).
pub const SPANS_S: [u64; 3] = [10, 60, 600];

/// Samples of one monotonically growing counter.
#[derive(Debug, Default)]
pub struct Rate {
    /// (monotonic ms, counter), oldest first.
    samples: VecDeque<(u64, u64)>,
}

impl Rate {
    const KEEP: usize = 601;

    /// Records the counter's value at `now_ms`; older samples beyond the longest span go.
    pub fn sample(&mut self, now_ms: u64, total: u64) {
        if self.samples.len() == Self::KEEP {
            self.samples.pop_front();
        }
        self.samples.push_back((now_ms, total));
    }

    /// Events per second over (up to) the last `span_s` seconds; 0 with fewer than two samples.
    pub fn per_second(&self, span_s: u64) -> f64 {
        let Some(&(last_ms, last)) = self.samples.back() else {
            return 0.0;
        };
        let since = last_ms.saturating_sub(span_s * 1000);
        let Some(&(first_ms, first)) = self.samples.iter().find(|(t, _)| *t >= since) else {
            return 0.0;
        };
        if last_ms == first_ms {
            return 0.0;
        }
        last.saturating_sub(first) as f64 * 1000.0 / (last_ms - first_ms) as f64
    }

    /// The three rates as Java prints them: `"a b c"`, two decimals each.
    pub fn describe(&self) -> String {
        let [a, b, c] = SPANS_S.map(|s| self.per_second(s));
        format!("{a:.2} {b:.2} {c:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_samples_or_one_sample_is_zero() {
        let mut rate = Rate::default();
        assert_eq!(rate.describe(), "0.00 0.00 0.00");
        rate.sample(1_000, 50);
        assert_eq!(rate.describe(), "0.00 0.00 0.00");
    }

    #[test]
    fn each_span_sees_only_its_own_window() {
        let mut rate = Rate::default();
        // 100/s for the first 60 s, then 10/s for 30 s.
        let mut total = 0;
        for s in 0..=90u64 {
            rate.sample(s * 1000, total);
            total += if s < 60 { 100 } else { 10 };
        }
        assert_eq!(rate.per_second(10), 10.0);
        // The last 60 s: 30 s at 100/s and 30 s at 10/s.
        assert_eq!(rate.per_second(60), 55.0);
        // Only 90 s exist: the 600 s figure covers those.
        assert_eq!(rate.per_second(600), (6000.0 + 300.0) / 90.0);
        assert_eq!(rate.describe(), "10.00 55.00 70.00");
    }

    #[test]
    fn the_window_is_bounded() {
        let mut rate = Rate::default();
        for s in 0..5_000u64 {
            rate.sample(s * 1000, s * 3);
        }
        assert_eq!(rate.samples.len(), Rate::KEEP);
        assert_eq!(rate.per_second(600), 3.0);
    }
}
