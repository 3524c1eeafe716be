//! A latency histogram with bounded memory and ~0.2 % resolution: values in microseconds,
//! exact below 1024 µs, then 512 buckets per power of two (log-linear, as HdrHistogram with 3
//! significant digits). Quantiles report the bucket's upper bound, so they never understate.

/// Counts of latencies.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    min_us: u64,
    max_us: u64,
}

const LINEAR: u64 = 1024;
const PER_OCTAVE: u64 = 512;
/// Octaves above the linear part: up to 2^(10+OCTAVES) µs ≈ 18 minutes.
const OCTAVES: u64 = 21;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; (LINEAR + OCTAVES * PER_OCTAVE) as usize],
            total: 0,
            min_us: u64::MAX,
            max_us: 0,
        }
    }
}

fn index(us: u64) -> usize {
    if us < LINEAR {
        return us as usize;
    }
    let octave = (63 - us.leading_zeros() as u64) - 10; // 0 for 1024..2047
    let octave = octave.min(OCTAVES - 1);
    let shift = octave + 1;
    let mantissa = ((us >> shift) - PER_OCTAVE).min(PER_OCTAVE - 1);
    (LINEAR + octave * PER_OCTAVE + mantissa) as usize
}

/// The largest value that lands in bucket `i`.
fn upper(i: usize) -> u64 {
    let i = i as u64;
    if i < LINEAR {
        return i;
    }
    let octave = (i - LINEAR) / PER_OCTAVE;
    let mantissa = (i - LINEAR) % PER_OCTAVE;
    ((PER_OCTAVE + mantissa + 1) << (octave + 1)) - 1
}

impl Histogram {
    pub fn record(&mut self, us: u64) {
        self.counts[index(us)] += 1;
        self.total += 1;
        self.min_us = self.min_us.min(us);
        self.max_us = self.max_us.max(us);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.min_us = self.min_us.min(other.min_us);
        self.max_us = self.max_us.max(other.max_us);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn min_us(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            self.min_us
        }
    }

    pub fn max_us(&self) -> u64 {
        self.max_us
    }

    /// The value at quantile `q` (0..=1), at most the recorded maximum; 0 when empty.
    pub fn quantile_us(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64 * q).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper(i).min(self.max_us);
            }
        }
        self.max_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_below_1024_and_bounded_error_above() {
        for us in [0, 1, 999, 1023, 1024, 1500, 65_535, 1_000_000, 123_456_789] {
            let i = index(us);
            assert!(upper(i) >= us, "{us}");
            assert!(
                (upper(i) - us) as f64 <= us as f64 * 0.002 + 1.0,
                "{us} → {}",
                upper(i)
            );
            if i > 0 {
                assert!(upper(i - 1) < us, "{us}: bucket below also fits");
            }
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for us in 1..=1000 {
            h.record(us);
        }
        assert_eq!(h.quantile_us(0.5), 500);
        assert_eq!(h.quantile_us(0.99), 990);
        assert_eq!(h.quantile_us(1.0), 1000);
        assert_eq!((h.min_us(), h.max_us(), h.count()), (1, 1000, 1000));
        let mut other = Histogram::default();
        other.record(5_000_000);
        h.merge(&other);
        assert_eq!(h.quantile_us(1.0), 5_000_000);
        assert_eq!(Histogram::default().quantile_us(0.5), 0);
    }
}
