//! What a sweep of one scenario file found: per-seed results folded into one row, and the
//! table `rocketsim sweep` prints at the end. Pure: no clock, no I/O (the caller measures wall
//! time and prints the strings).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::runner::EXIT_PASS;

/// One seed's run, as a sweep keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedResult {
    pub seed: u64,
    pub exit_code: i32,
    /// A canary's seed whose violation caught the planted bug.
    pub caught: bool,
    pub wall_secs: f64,
    pub virtual_secs: f64,
    /// The workload's figures (`key=value` of the final line).
    pub figures: Vec<(String, String)>,
    /// The probes this seed reached.
    pub reached: Vec<String>,
    /// The first violation line, when the seed failed.
    pub why: Option<String>,
}

/// A sweep of one scenario file.
#[derive(Clone, Debug)]
pub struct ScenarioSweep {
    pub file: PathBuf,
    /// Whether the scenario is a canary (`expect = "fail"`).
    pub canary: bool,
    /// The probes the scenario declares, in declaration order.
    pub declared: Vec<&'static str>,
    /// Every seed's result, in seed order.
    pub results: Vec<SeedResult>,
    /// Wall seconds the whole sweep of this file took.
    pub wall_secs: f64,
}

impl ScenarioSweep {
    pub fn seeds(&self) -> u64 {
        self.results.len() as u64
    }

    /// Seeds that failed unexpectedly (for a canary: those that crashed rather than caught).
    pub fn failed(&self) -> impl Iterator<Item = &SeedResult> {
        self.results
            .iter()
            .filter(|r| r.exit_code != EXIT_PASS && !r.caught)
    }

    /// A canary's seeds that caught its planted bug, in seed order.
    pub fn caught(&self) -> impl Iterator<Item = &SeedResult> {
        self.results.iter().filter(|r| r.caught)
    }

    pub fn passed(&self) -> u64 {
        self.results
            .iter()
            .filter(|r| r.exit_code == EXIT_PASS && !r.caught)
            .count() as u64
    }

    /// Virtual seconds over all seeds.
    pub fn virtual_secs(&self) -> f64 {
        self.results.iter().map(|r| r.virtual_secs).sum()
    }

    /// Wall seconds the seeds took, added up (≈ core seconds: each seed runs on one thread).
    pub fn core_secs(&self) -> f64 {
        self.results.iter().map(|r| r.wall_secs).sum()
    }

    /// Virtual seconds per wall second of one core.
    pub fn speedup_per_core(&self) -> f64 {
        ratio(self.virtual_secs(), self.core_secs())
    }

    /// Seeds one core runs per hour at this sweep's pace.
    pub fn seeds_per_core_hour(&self) -> f64 {
        ratio(self.seeds() as f64 * 3600.0, self.core_secs())
    }

    /// Probe → seeds that reached it: the declared ones first (zero included), then others.
    pub fn reached(&self) -> Vec<(String, u64, bool)> {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for probe in self.results.iter().flat_map(|r| &r.reached) {
            *counts.entry(probe.as_str()).or_default() += 1;
        }
        let mut rows: Vec<(String, u64, bool)> = self
            .declared
            .iter()
            .map(|p| (p.to_string(), counts.get(p).copied().unwrap_or(0), true))
            .collect();
        for (probe, count) in counts {
            if !self.declared.contains(&probe) {
                rows.push((probe.to_string(), count, false));
            }
        }
        rows
    }

    /// Declared probes no seed reached.
    pub fn missing_probes(&self) -> Vec<&'static str> {
        let reached = self.reached();
        self.declared
            .iter()
            .copied()
            .filter(|p| reached.iter().any(|(name, n, _)| name == p && *n == 0))
            .collect()
    }

    /// The workload's numeric figures folded over the seeds: durations (`*_ms`) by their
    /// maximum, everything else by its sum. Keys in first-seen order.
    pub fn figure_totals(&self) -> Vec<(String, Total)> {
        let mut order: Vec<String> = Vec::new();
        let mut totals: BTreeMap<String, Total> = BTreeMap::new();
        for (key, value) in self.results.iter().flat_map(|r| &r.figures) {
            let Ok(value) = value.parse::<i64>() else {
                continue;
            };
            let total = totals.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                if key.ends_with("_ms") {
                    Total::Max(value)
                } else {
                    Total::Sum(0)
                }
            });
            match total {
                Total::Max(max) => *max = (*max).max(value),
                Total::Sum(sum) => *sum = sum.saturating_add(value),
            }
        }
        order
            .into_iter()
            .filter_map(|key| totals.remove(&key).map(|t| (key, t)))
            .collect()
    }
}

impl ScenarioSweep {
    /// The median and 99th percentile (nearest rank) of a numeric figure over the seeds that
    /// reported it (`None`: none did).
    pub fn percentiles(&self, key: &str) -> Option<(i64, i64)> {
        let mut values: Vec<i64> = self
            .results
            .iter()
            .flat_map(|r| &r.figures)
            .filter(|(k, _)| k == key)
            .filter_map(|(_, v)| v.parse().ok())
            .collect();
        values.sort_unstable();
        let rank = |p: usize| values[(values.len() * p).div_ceil(100).max(1) - 1];
        (!values.is_empty()).then(|| (rank(50), rank(99)))
    }
}

/// A figure folded over seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    Sum(i64),
    Max(i64),
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// The per-scenario table, failing seeds with their reproduce commands, canary verdicts and
/// the folded workload figures.
pub fn table(rows: &[ScenarioSweep], reproduce: impl Fn(&ScenarioSweep, u64) -> String) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<36} {:>6} {:>6} {:>6} {:>8} {:>11} {:>9} {:>12}",
        "scenario", "seeds", "passed", "failed", "wall_s", "virtual_s", "x/core", "seeds/core-h"
    );
    for row in rows {
        let failed = row.failed().count();
        let _ = writeln!(
            out,
            "{:<36} {:>6} {:>6} {:>6} {:>8.2} {:>11.1} {:>8.0}x {:>12.0}",
            row.file.display(),
            row.seeds(),
            row.passed(),
            failed,
            row.wall_secs,
            row.virtual_secs(),
            row.speedup_per_core(),
            row.seeds_per_core_hour()
        );
        let figures = row.figure_totals();
        if !figures.is_empty() {
            let mut line = String::from("    figures:");
            for (key, total) in figures {
                match total {
                    Total::Sum(sum) => {
                        let _ = write!(line, " {key}={sum}");
                    }
                    Total::Max(max) => {
                        let _ = write!(line, " {key}≤{max}");
                        if let Some((p50, p99)) = row.percentiles(&key) {
                            let _ = write!(line, "(p50={p50},p99={p99})");
                        }
                    }
                }
            }
            let _ = writeln!(out, "{line}");
        }
        for result in row.failed() {
            let _ = writeln!(
                out,
                "    seed {} exit {}: {}",
                result.seed,
                result.exit_code,
                reproduce(row, result.seed)
            );
        }
        if row.canary {
            let caught: Vec<&SeedResult> = row.caught().collect();
            match caught.first() {
                Some(first) => {
                    let _ = writeln!(
                        out,
                        "    canary caught at seed {} ({} of {} seeds): {}",
                        first.seed,
                        caught.len(),
                        row.seeds(),
                        reproduce(row, first.seed)
                    );
                }
                None => {
                    let _ = writeln!(out, "    canary NOT caught in {} seeds", row.seeds());
                }
            }
        }
    }
    out
}

/// How many seeds reached each probe, per scenario.
pub fn probes(rows: &[ScenarioSweep]) -> String {
    let mut out = String::new();
    for row in rows {
        let reached = row.reached();
        if reached.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "reached in {} ({} seeds):",
            row.file.display(),
            row.seeds()
        );
        for (name, count, declared) in reached {
            let note = match (declared, count) {
                (true, 0) => "  NOT REACHED",
                (false, _) => "  (not declared)",
                _ => "",
            };
            let _ = writeln!(out, "    {name:<36} {count:>6}{note}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(seed: u64, exit_code: i32, figures: &[(&str, &str)], reached: &[&str]) -> SeedResult {
        SeedResult {
            seed,
            exit_code,
            caught: false,
            wall_secs: 0.5,
            virtual_secs: 100.0,
            figures: figures
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            reached: reached.iter().map(|p| p.to_string()).collect(),
            why: None,
        }
    }

    fn sweep(results: Vec<SeedResult>) -> ScenarioSweep {
        ScenarioSweep {
            file: PathBuf::from("scenarios/x.toml"),
            canary: false,
            declared: vec!["killed", "restarted"],
            results,
            wall_secs: 0.6,
        }
    }

    #[test]
    fn counts_sums_counters_and_takes_the_maximum_of_durations() {
        let row = sweep(vec![
            seed(
                1,
                0,
                &[("acked", "10"), ("max_e2e_ms", "7"), ("victim", "b")],
                &[],
            ),
            seed(2, 1, &[("acked", "5"), ("max_e2e_ms", "30")], &[]),
            seed(
                3,
                0,
                &[("lost", "0"), ("acked", "1"), ("max_e2e_ms", "2")],
                &[],
            ),
        ]);
        assert_eq!(row.passed(), 2);
        assert_eq!(row.failed().map(|r| r.seed).collect::<Vec<_>>(), vec![2]);
        assert_eq!(
            row.figure_totals(),
            vec![
                ("acked".to_string(), Total::Sum(16)),
                ("max_e2e_ms".to_string(), Total::Max(30)),
                ("lost".to_string(), Total::Sum(0)),
            ]
        );
        assert_eq!(row.percentiles("max_e2e_ms"), Some((7, 30)));
        assert_eq!(row.percentiles("nothing_ms"), None);
        let text = table(std::slice::from_ref(&row), |_, s| format!("repro {s}"));
        assert!(text.contains("max_e2e_ms≤30(p50=7,p99=30)"), "{text}");
        // 300 virtual seconds in 1.5 core seconds; 3 seeds in 1.5 s → 7,200 per hour.
        assert_eq!(row.speedup_per_core(), 200.0);
        assert_eq!(row.seeds_per_core_hour(), 7200.0);
    }

    #[test]
    fn probes_list_declared_first_and_flag_the_unreached() {
        let row = sweep(vec![
            seed(1, 0, &[], &["killed", "extra"]),
            seed(2, 0, &[], &["killed"]),
        ]);
        assert_eq!(
            row.reached(),
            vec![
                ("killed".to_string(), 2, true),
                ("restarted".to_string(), 0, true),
                ("extra".to_string(), 1, false),
            ]
        );
        assert_eq!(row.missing_probes(), vec!["restarted"]);
        let text = probes(&[row]);
        assert!(text.contains("restarted") && text.contains("NOT REACHED"));
        assert!(text.contains("(not declared)"));
    }

    #[test]
    fn table_names_failing_seeds_with_their_reproduce_command_and_canary_verdicts() {
        let mut row = sweep(vec![seed(4, 2, &[("acked", "3")], &[])]);
        let text = table(&[row.clone()], |_, s| format!("repro {s}"));
        assert!(text.contains("seed 4 exit 2: repro 4"), "{text}");
        assert!(text.contains("figures: acked=3"), "{text}");
        row.canary = true;
        row.results[0].caught = true;
        let text = table(&[row.clone()], |_, s| format!("repro {s}"));
        assert!(
            text.contains("canary caught at seed 4 (1 of 1 seeds): repro 4"),
            "{text}"
        );
        assert!(!text.contains("exit 2"), "{text}");
        row.results[0].caught = false;
        row.results[0].exit_code = 0;
        let text = table(&[row], |_, s| format!("repro {s}"));
        assert!(text.contains("canary NOT caught in 1 seeds"), "{text}");
    }
}
