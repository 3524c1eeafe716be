//! What a scenario found: violations by kind and the figures for the final line.

/// Violations kept per kind; more are counted, not stored (a limit on everything).
pub const VIOLATIONS_KEPT: usize = 100;

/// The findings of one scenario run, before the runner adds the seed, trace and timings.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// Safety violations (something that must never happen happened), the first ones.
    pub safety: Vec<String>,
    /// How many safety violations there were in all.
    pub safety_total: u64,
    /// Liveness violations (the healed cluster did not converge in time), the first ones.
    pub liveness: Vec<String>,
    /// How many liveness violations there were in all.
    pub liveness_total: u64,
    /// Workload figures for the final line, in print order (`key=value`).
    pub figures: Vec<(String, String)>,
    /// The "sometimes" probes the run reached, in name order.
    pub reached: Vec<String>,
}

impl Verdict {
    /// Records a safety violation.
    pub fn safety(&mut self, what: impl Into<String>) {
        self.safety_total += 1;
        if self.safety.len() < VIOLATIONS_KEPT {
            self.safety.push(what.into());
        }
    }

    /// Records a liveness violation.
    pub fn liveness(&mut self, what: impl Into<String>) {
        self.liveness_total += 1;
        if self.liveness.len() < VIOLATIONS_KEPT {
            self.liveness.push(what.into());
        }
    }

    /// Adds a figure for the final line.
    pub fn figure(&mut self, key: &str, value: impl ToString) {
        self.figures.push((key.to_string(), value.to_string()));
    }
}

impl From<super::namesrv_support::ScenarioResult> for Verdict {
    fn from(result: super::namesrv_support::ScenarioResult) -> Self {
        let mut verdict = Verdict::default();
        for violation in result.violations_safety {
            verdict.safety(violation);
        }
        for violation in result.violations_liveness {
            verdict.liveness(violation);
        }
        verdict.figures = result.figures;
        verdict.reached = result.reached.into_iter().collect();
        verdict
    }
}
