//! Runs one scenario with one seed and judges it: the output contract of `rocketsim run`.
//!
//! The final line is `result=pass|fail seed= trace= virtual_s= wall_s= events=` followed by
//! the workload's figures. Exit codes: 0 pass, 1 safety violation, 2 liveness violation,
//! 3 a node panicked, 4 nondeterminism detected, 64 usage error.

use crate::scenario::messaging;
use crate::scenario::{
    namesrv_expiry, namesrv_failover, run_ping_pong, Scenario, Verdict, Workload,
};
use crate::timeline::{self, RunInfo, Timeline};
use crate::{Failure, Outcome, SimConfig, TraceEvent};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// Exit code: the run passed.
pub const EXIT_PASS: i32 = 0;
/// Exit code: a safety property was violated.
pub const EXIT_SAFETY: i32 = 1;
/// Exit code: the healed cluster did not converge (or the run deadlocked or hit its limit).
pub const EXIT_LIVENESS: i32 = 2;
/// Exit code: a node (or the script) panicked.
pub const EXIT_PANIC: i32 = 3;
/// Exit code: two runs of one seed differed.
pub const EXIT_NONDETERMINISM: i32 = 4;
/// Exit code: bad command line or scenario file.
pub const EXIT_USAGE: i32 = 64;

/// How one run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// No violation.
    Pass,
    /// At least one safety violation.
    Safety,
    /// No safety violation, but the cluster did not converge.
    Liveness,
    /// The simulation itself failed.
    Crashed(Failure),
}

/// Everything a run produced.
#[derive(Debug)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// The judgement.
    pub judgement: Judgement,
    /// What the workload found (empty when the run crashed).
    pub verdict: Verdict,
    /// Hash of the trace.
    pub trace_hash: u64,
    /// Events in the trace.
    pub events: u64,
    /// Virtual seconds covered.
    pub virtual_secs: f64,
    /// Wall seconds taken.
    pub wall_secs: f64,
    /// The trace, when asked for.
    pub trace: Option<Vec<TraceEvent>>,
}

impl RunReport {
    /// The process exit code for this run.
    pub fn exit_code(&self) -> i32 {
        match &self.judgement {
            Judgement::Pass => EXIT_PASS,
            Judgement::Safety => EXIT_SAFETY,
            Judgement::Liveness => EXIT_LIVENESS,
            Judgement::Crashed(Failure::TimeLimitExceeded { .. } | Failure::Deadlock) => {
                EXIT_LIVENESS
            }
            Judgement::Crashed(_) => EXIT_PANIC,
        }
    }

    /// Whether the run passed.
    pub fn passed(&self) -> bool {
        self.judgement == Judgement::Pass
    }

    /// The one final line of the output contract.
    pub fn final_line(&self) -> String {
        let result = if self.passed() { "pass" } else { "fail" };
        let mut line = format!(
            "result={result} seed={} trace={:016x} virtual_s={:.3} wall_s={:.3} events={}",
            self.seed, self.trace_hash, self.virtual_secs, self.wall_secs, self.events
        );
        let _ = write!(
            line,
            " safety_violations={} liveness_violations={}",
            self.verdict.safety_total, self.verdict.liveness_total
        );
        for (key, value) in &self.verdict.figures {
            let _ = write!(line, " {key}={value}");
        }
        line
    }

    /// The run's timeline, if its trace was kept; `reproduce` is the command line shown.
    pub fn timeline(&self, scenario: &str, reproduce: &str) -> Option<Timeline> {
        let trace = self.trace.as_deref()?;
        let info = RunInfo {
            scenario: scenario.to_string(),
            seed: self.seed,
            result: if self.passed() { "pass" } else { "fail" }.to_string(),
            trace_hash: self.trace_hash,
            reproduce: reproduce.to_string(),
            final_line: self.final_line(),
            virtual_nanos: (self.virtual_secs * 1e9) as u64,
        };
        Some(timeline::build(info, trace, &self.violation_lines()))
    }

    /// Lines describing each violation (or the crash), for humans.
    pub fn violation_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Judgement::Crashed(failure) = &self.judgement {
            lines.push(format!("CRASH: {failure}"));
        }
        lines.extend(self.verdict.safety.iter().map(|v| format!("SAFETY: {v}")));
        lines.extend(
            self.verdict
                .liveness
                .iter()
                .map(|v| format!("LIVENESS: {v}")),
        );
        let shown = (self.verdict.safety.len() + self.verdict.liveness.len()) as u64;
        let total = self.verdict.safety_total + self.verdict.liveness_total;
        if total > shown {
            lines.push(format!("… and {} more violations", total - shown));
        }
        lines
    }
}

/// Sees each trace event as the run writes it (`rocketsim run -v`).
pub type Observer = Arc<dyn Fn(&TraceEvent) + Send + Sync>;

/// How to run a scenario, beyond the seed.
#[derive(Clone, Default)]
pub struct RunOptions {
    /// Keep the trace in memory (for trace files, timelines and determinism checks).
    pub keep_trace: bool,
    /// Let the workload print its phases and faults as they happen.
    pub progress: bool,
    /// Called with every trace event as it is written; does not change the trace.
    pub observer: Option<Observer>,
}

/// Runs `scenario` with `seed`; keeps the trace in memory when `keep_trace`; prints phases
/// and faults as they happen when `progress`.
pub fn run_scenario(
    scenario: &Arc<Scenario>,
    seed: u64,
    keep_trace: bool,
    progress: bool,
) -> RunReport {
    let options = RunOptions {
        keep_trace,
        progress,
        observer: None,
    };
    run_scenario_with(scenario, seed, options)
}

/// Runs `scenario` with `seed` and `options`.
pub fn run_scenario_with(scenario: &Arc<Scenario>, seed: u64, options: RunOptions) -> RunReport {
    let RunOptions {
        keep_trace,
        progress,
        observer,
    } = options;
    let mut config = SimConfig::new(seed);
    config.keep_trace = keep_trace;
    let header = &scenario.scenario;
    // Generous: the script itself bounds both phases; this only catches a hung simulation.
    let limit_s = (header.safety_s + header.liveness_s) * 2 + 60;
    config.time_limit = Some(Duration::from_secs(limit_s));
    let scenario = scenario.clone();
    let outcome: Outcome<Verdict> = crate::run(config, move |world| async move {
        // The script runs on the run's own thread: the observer watches this run only.
        if let Some(observe) = observer {
            crate::trace::observe_this_thread(move |event| observe(event));
        }
        match scenario.scenario.workload {
            Workload::RpcPingPong => run_ping_pong(world, scenario, progress).await,
            Workload::NamesrvExpiry => namesrv_expiry::run(world, &scenario.namesrv_expiry)
                .await
                .into(),
            Workload::NamesrvFailover => namesrv_failover::run(world, &scenario.namesrv_failover)
                .await
                .into(),
            _ => messaging::run(world, &scenario).await.into(),
        }
    });
    judge(outcome)
}

fn judge(outcome: Outcome<Verdict>) -> RunReport {
    let (judgement, verdict) = match outcome.output {
        Ok(verdict) if verdict.safety_total > 0 => (Judgement::Safety, verdict),
        Ok(verdict) if verdict.liveness_total > 0 => (Judgement::Liveness, verdict),
        Ok(verdict) => (Judgement::Pass, verdict),
        Err(failure) => (Judgement::Crashed(failure), Verdict::default()),
    };
    let mut verdict = verdict;
    verdict.reached.extend(outcome.probes);
    verdict.reached.sort();
    verdict.reached.dedup();
    RunReport {
        seed: outcome.seed,
        judgement,
        verdict,
        trace_hash: outcome.trace_hash,
        events: outcome.events,
        virtual_secs: outcome.virtual_secs,
        wall_secs: outcome.wall_secs,
        trace: outcome.trace,
    }
}
