//! `rocketsim sweep`: many seeds of scenario files, in parallel, each run on its own thread
//! (a run is a whole simulated cluster on one thread, so runs never share state and each seed
//! stays deterministic). Shows a progress bar, names each failing seed with the command that
//! reproduces it, and ends with the per-scenario table (`summary`).

pub mod progress;
pub mod summary;

use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::runner::{self, Judgement, RunReport, EXIT_LIVENESS, EXIT_PASS, EXIT_SAFETY};
use crate::scenario::{self, Expect, Scenario};
use progress::Progress;
pub use summary::{ScenarioSweep, SeedResult};

/// The one-line command that reproduces `seed` of `file` exactly.
pub fn reproduce_command(file: &Path, seed: u64) -> String {
    format!(
        "cargo run --release --bin rocketsim -- run {} --seed {seed}",
        file.display()
    )
}

/// Whether a run failed by a checker's violation (what a canary must produce), not a crash.
pub fn caught(report: &RunReport) -> bool {
    matches!(report.judgement, Judgement::Safety | Judgement::Liveness)
}

/// Runs `seeds` of `scenario` (loaded from `file`) on `jobs` threads, printing progress.
pub fn sweep_scenario(
    file: &Path,
    scenario: &Arc<Scenario>,
    seeds: Range<u64>,
    jobs: usize,
) -> ScenarioSweep {
    let total = seeds.end.saturating_sub(seeds.start);
    let canary = scenario.scenario.expect == Expect::Fail;
    let next = AtomicU64::new(seeds.start);
    let shown = Shown::new(total);
    let results: Mutex<Vec<SeedResult>> = Mutex::new(Vec::new());
    println!(
        "sweep {}: seeds {}..{} on {jobs} threads",
        file.display(),
        seeds.start,
        seeds.end
    );
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(total as usize) {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= seeds.end {
                    return;
                }
                let report = runner::run_scenario(scenario, seed, false, false);
                let result = SeedResult {
                    seed,
                    exit_code: report.exit_code(),
                    caught: canary && caught(&report),
                    wall_secs: report.wall_secs,
                    virtual_secs: report.virtual_secs,
                    figures: report.verdict.figures.clone(),
                    reached: report.verdict.reached.clone(),
                    why: report.violation_lines().into_iter().next(),
                };
                shown.finished(file, &result);
                lock(&results).push(result);
            });
        }
    });
    shown.close();
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|r| r.seed);
    ScenarioSweep {
        file: file.to_path_buf(),
        canary,
        declared: scenario::reached::declared(scenario),
        results,
        wall_secs: shown.started.elapsed().as_secs_f64(),
    }
}

/// The sweep's exit code: 1 if a seed failed unexpectedly or a canary went uncaught; else 2 if
/// a declared probe was never reached; else 0. Prints why.
pub fn exit_code(rows: &[ScenarioSweep]) -> i32 {
    let mut code = EXIT_PASS;
    for row in rows {
        let missed = row.canary && row.caught().next().is_none();
        if missed {
            println!(
                "CANARY NOT CAUGHT: {}: no seed of {} failed; the checkers missed the planted bug",
                row.file.display(),
                row.seeds()
            );
        }
        if missed || row.failed().next().is_some() {
            code = EXIT_SAFETY;
        }
        for probe in row.missing_probes() {
            println!(
                "NOT REACHED: {}: probe {probe} was declared but reached in none of {} seeds",
                row.file.display(),
                row.seeds()
            );
            if code == EXIT_PASS {
                code = EXIT_LIVENESS;
            }
        }
    }
    code
}

/// What the terminal shows while seeds finish.
struct Shown {
    started: Instant,
    progress: Mutex<Progress>,
    /// Redraw one line in place (a terminal) rather than print milestones (a log).
    in_place: bool,
}

impl Shown {
    fn new(total: u64) -> Self {
        Shown {
            started: Instant::now(),
            progress: Mutex::new(Progress::new(total)),
            in_place: std::io::stdout().is_terminal(),
        }
    }

    fn finished(&self, file: &Path, result: &SeedResult) {
        let mut progress = lock(&self.progress);
        progress.done += 1;
        let mut out = std::io::stdout().lock();
        let clear = if self.in_place { "\r\x1b[K" } else { "" };
        let why = result.why.as_deref().unwrap_or_default();
        if result.caught {
            progress.caught += 1;
            let _ = writeln!(
                out,
                "{clear}  seed {}: canary caught (exit {}): {why}",
                result.seed, result.exit_code
            );
        } else if result.exit_code != EXIT_PASS {
            progress.failed += 1;
            let _ = writeln!(
                out,
                "{clear}  seed {} FAILED (exit {}): {why}",
                result.seed, result.exit_code
            );
            let _ = writeln!(
                out,
                "    reproduce: {}",
                reproduce_command(file, result.seed)
            );
        }
        let line = progress.line(self.started.elapsed().as_secs_f64());
        if self.in_place {
            let _ = write!(out, "\r\x1b[K  {line}");
            let _ = out.flush();
        } else if progress.is_milestone() {
            let _ = writeln!(out, "  {line}");
        }
    }

    fn close(&self) {
        if self.in_place {
            println!();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
