//! The sweep's progress bar. Pure: `Progress` turns counts and elapsed wall time into the line
//! to show; the caller decides where it goes (redrawn in place on a terminal, or printed at
//! every tenth of the seeds when the output is a file or a pipe, as in CI logs).

/// Width of the bar in characters.
const BAR: usize = 30;

/// Counts of one scenario's sweep so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    /// Seeds of a canary that caught its bug.
    pub caught: u64,
}

impl Progress {
    pub fn new(total: u64) -> Self {
        Progress {
            total,
            ..Progress::default()
        }
    }

    /// `[#########.....] 120/200  failed=1  12.0s  eta 8s`
    pub fn line(&self, elapsed_secs: f64) -> String {
        let filled = (self.done.min(self.total) as usize * BAR)
            .checked_div(self.total as usize)
            .unwrap_or(BAR);
        let mut line = format!(
            "[{}{}] {}/{}",
            "#".repeat(filled),
            ".".repeat(BAR - filled),
            self.done,
            self.total
        );
        if self.failed > 0 {
            line.push_str(&format!("  failed={}", self.failed));
        }
        if self.caught > 0 {
            line.push_str(&format!("  caught={}", self.caught));
        }
        line.push_str(&format!("  {elapsed_secs:.1}s"));
        if self.done > 0 && self.done < self.total {
            let eta = elapsed_secs / self.done as f64 * (self.total - self.done) as f64;
            line.push_str(&format!("  eta {eta:.0}s"));
        }
        line
    }

    /// Whether a non-terminal output should get a line now: at every tenth and at the end.
    pub fn is_milestone(&self) -> bool {
        let step = (self.total / 10).max(1);
        self.done == self.total || self.done.is_multiple_of(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_in_proportion_and_estimates_the_rest() {
        let mut progress = Progress::new(200);
        progress.done = 100;
        progress.failed = 2;
        let line = progress.line(10.0);
        assert_eq!(
            line,
            format!(
                "[{}{}] 100/200  failed=2  10.0s  eta 10s",
                "#".repeat(15),
                ".".repeat(15)
            )
        );
        progress.done = 200;
        let line = progress.line(20.0);
        assert!(
            line.starts_with(&format!("[{}] 200/200", "#".repeat(30))),
            "{line}"
        );
        assert!(!line.contains("eta"), "{line}");
    }

    #[test]
    fn milestones_come_every_tenth_and_at_the_end() {
        let mut progress = Progress::new(25);
        let milestones: Vec<u64> = (1..=25)
            .filter(|&done| {
                progress.done = done;
                progress.is_milestone()
            })
            .collect();
        assert_eq!(
            milestones,
            vec![2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 25]
        );
        let mut one = Progress::new(1);
        one.done = 1;
        assert!(one.is_milestone());
        assert!(Progress::new(0).line(0.0).starts_with("[###"));
    }
}
