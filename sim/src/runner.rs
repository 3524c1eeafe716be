//! Runs one scenario with one seed and judges it: the output contract of `rocketsim run`.
//!
//! The final line is `result=pass|fail seed= trace= virtual_s= wall_s= events=` followed by
//! the workload's figures. Exit codes: 0 pass, 1 safety violation, 2 liveness violation,
//! 3 a node panicked, 4 nondeterminism detected, 64 usage error.

use crate::scenario::messaging;
use crate::scenario::{
    namesrv_expiry, namesrv_failover, run_ping_pong, Scenario, Verdict, Workload,
};
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

/// Runs `scenario` with `seed`; keeps the trace in memory when `keep_trace`; prints phases
/// and faults as they happen when `progress`.
pub fn run_scenario(
    scenario: &Arc<Scenario>,
    seed: u64,
    keep_trace: bool,
    progress: bool,
) -> RunReport {
    let mut config = SimConfig::new(seed);
    config.keep_trace = keep_trace;
    let header = &scenario.scenario;
    // Generous: the script itself bounds both phases; this only catches a hung simulation.
    let limit_s = (header.safety_s + header.liveness_s) * 2 + 60;
    config.time_limit = Some(Duration::from_secs(limit_s));
    let scenario = scenario.clone();
    let outcome: Outcome<Verdict> = crate::run(config, move |world| async move {
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
