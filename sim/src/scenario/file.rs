//! The scenario file format and its validation.

use super::general::options::{
    ConsumerGroupOptions, ProducerOptions, TopicOptions, TopologyOptions,
};
use super::general::swarm::SwarmOptions;
pub use super::general::{FaultAction, FaultStep};
use super::messaging::broker_death::BrokerDeathOptions;
use super::messaging::consumer_crash::ConsumerCrashOptions;
use super::messaging::namesrv_all_down::NamesrvAllDownOptions;
use super::messaging::steady_state::{Flush, SteadyStateOptions};
use super::namesrv_expiry::NamesrvExpiryOptions;
use super::namesrv_failover::NamesrvFailoverOptions;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A parsed, validated scenario.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// What is being simulated and for how long.
    pub scenario: Header,
    /// Options of the `rpc-ping-pong` workload.
    #[serde(default)]
    pub rpc: RpcOptions,
    /// Options of the `namesrv-expiry` workload.
    #[serde(default)]
    pub namesrv_expiry: NamesrvExpiryOptions,
    /// Options of the `namesrv-failover` workload.
    #[serde(default)]
    pub namesrv_failover: NamesrvFailoverOptions,
    /// Options of the `steady-state` workload.
    #[serde(default)]
    pub steady_state: SteadyStateOptions,
    /// Options of the `consumer-crash` workload.
    #[serde(default)]
    pub consumer_crash: ConsumerCrashOptions,
    /// Options of the `broker-death` workload.
    #[serde(default)]
    pub broker_death: BrokerDeathOptions,
    /// Options of the `namesrv-all-down` workload.
    #[serde(default)]
    pub namesrv_all_down: NamesrvAllDownOptions,
    /// The fault schedule, in time order.
    #[serde(default)]
    pub faults: Vec<FaultStep>,
    /// The `cluster` workload: name servers, broker groups, client nodes.
    #[serde(default)]
    pub topology: TopologyOptions,
    /// The `cluster` workload: topics, created on every broker group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<TopicOptions>,
    /// The `cluster` workload: producers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub producers: Vec<ProducerOptions>,
    /// The `cluster` workload: consumer groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumer_groups: Vec<ConsumerGroupOptions>,
    /// The `cluster` workload: faults drawn from the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<SwarmOptions>,
}

/// The `[scenario]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Name printed in reports.
    pub name: String,
    /// One sentence on what the scenario exercises.
    #[serde(default)]
    pub description: String,
    /// The built-in workload to run.
    pub workload: Workload,
    /// Length of the safety phase (faults on), in virtual seconds.
    pub safety_s: u64,
    /// Bound on the liveness phase (everything healed), in virtual seconds.
    pub liveness_s: u64,
    /// What a sweep expects: `pass` (the default), or `fail` for a canary — a scenario with a
    /// planted bug that some seed of every sweep must catch.
    #[serde(default)]
    pub expect: Expect,
}

/// The verdict a scenario expects.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    /// Every seed passes.
    #[default]
    Pass,
    /// A canary: some seed of the sweep fails with a violation.
    Fail,
}

/// Built-in workloads.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// Clients call an echo server over the remoting layer and check every answer.
    RpcPingPong,
    /// A broker dies behind a clog: its route must expire between 120 s and 130 s.
    NamesrvExpiry,
    /// One of two name servers dies: route queries keep succeeding through the other.
    NamesrvFailover,
    /// Producers and two consumer groups (one orderly) on a healthy cluster.
    SteadyState,
    /// A consumer dies mid-stream: the survivors take its queues over.
    ConsumerCrash,
    /// One of two brokers dies for good: sends go on through the other one.
    BrokerDeath,
    /// Every name server is down for minutes: clients go on with cached routes.
    NamesrvAllDown,
    /// Topology, workload and faults all described by the file (`[topology]`, `[[topics]]`,
    /// `[[producers]]`, `[[consumer_groups]]`, `[[faults]]`, `[swarm]`).
    Cluster,
}

/// The `[rpc]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcOptions {
    /// Number of client nodes.
    pub clients: u32,
    /// Largest request body; each body size is drawn from 0..=this.
    pub body_bytes_max: u32,
    /// Pause between calls of one client, drawn from this range (ms).
    pub pause_ms: [u64; 2],
    /// Timeout of one call (ms).
    pub call_timeout_ms: u64,
    /// Out of how many calls one uses a request code the server does not serve.
    pub unsupported_one_in: u64,
}

impl Default for RpcOptions {
    fn default() -> Self {
        RpcOptions {
            clients: 3,
            body_bytes_max: 4096,
            pause_ms: [5, 200],
            call_timeout_ms: 3000,
            unsupported_one_in: 20,
        }
    }
}

/// Why a scenario file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key, or a value of the wrong type (line and key included).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, which names the line, the column and the key.
        message: String,
    },
    /// Well-formed but inconsistent.
    #[error("{path}: {}{key}: {problem}", line.map(|n| format!("line {n}: ")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line of the key (or of its table), when the file spells it out.
        line: Option<usize>,
        /// The offending key.
        key: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// Reads and validates the scenario at `path`.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let scenario: Scenario = toml::from_str(&text).map_err(|e| ScenarioError::Parse {
        path: path.to_path_buf(),
        message: describe(&text, &e),
    })?;
    validate(&scenario).map_err(|(key, problem)| ScenarioError::Invalid {
        path: path.to_path_buf(),
        line: super::locate::line_of(&text, &key),
        key,
        problem,
    })?;
    Ok(scenario)
}

/// Names of the nodes a scenario's faults may name.
pub fn node_names(scenario: &Scenario) -> Vec<String> {
    if scenario.scenario.workload == Workload::Cluster {
        return super::general::plan::node_names(scenario);
    }
    let mut names = vec!["server".to_string()];
    names.extend((1..=scenario.rpc.clients).map(|i| format!("client-{i}")));
    names
}

/// "line N: message (at `text of the line`)" from a TOML error.
fn describe(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim_end();
    match error.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            let line_text = text.lines().nth(line - 1).unwrap_or("").trim();
            format!("line {line}: {message} (at `{line_text}`)")
        }
        None => message.to_string(),
    }
}

/// The actions the rpc-ping-pong script applies.
const RPC_ACTIONS: [FaultAction; 6] = [
    FaultAction::Kill,
    FaultAction::Restart,
    FaultAction::PowerLoss,
    FaultAction::Clog,
    FaultAction::Unclog,
    FaultAction::ClockStep,
];

fn validate(scenario: &Scenario) -> Result<(), (String, String)> {
    let rpc = &scenario.rpc;
    if rpc.clients == 0 || rpc.clients > 64 {
        return Err(("rpc.clients".into(), "must be 1..=64".into()));
    }
    if rpc.pause_ms[0] > rpc.pause_ms[1] {
        return Err(("rpc.pause_ms".into(), "low bound above high bound".into()));
    }
    if rpc.body_bytes_max > 4 * 1024 * 1024 {
        return Err(("rpc.body_bytes_max".into(), "at most 4 MiB".into()));
    }
    if rpc.call_timeout_ms == 0 || rpc.unsupported_one_in == 0 {
        return Err((
            "rpc".into(),
            "call_timeout_ms and unsupported_one_in must be > 0".into(),
        ));
    }
    if scenario.scenario.safety_s == 0 || scenario.scenario.liveness_s == 0 {
        return Err((
            "scenario".into(),
            "safety_s and liveness_s must be > 0".into(),
        ));
    }
    validate_messaging(scenario)?;
    let workload = scenario.scenario.workload;
    let schedules = matches!(workload, Workload::RpcPingPong | Workload::Cluster);
    if !schedules && !scenario.faults.is_empty() {
        let problem = "the name-server and workload-specific messaging workloads draw their faults from the seed; remove [[faults]] (or use workload = \"cluster\")";
        return Err(("faults".into(), problem.into()));
    }
    super::general::validate::unused_tables(scenario)?;
    if workload == Workload::Cluster {
        return super::general::validate::validate(scenario);
    }
    let names = node_names(scenario);
    for (index, step) in scenario.faults.iter().enumerate() {
        let key = format!("faults[{index}]");
        if !RPC_ACTIONS.contains(&step.action) {
            return Err((
                format!("{key}.action"),
                format!("{:?} is not supported by rpc-ping-pong (only kill, restart, power-loss, clog, unclog, clock-step); use workload = \"cluster\"", step.action),
            ));
        }
        if !names.contains(&step.node) {
            let known = names.join(", ");
            return Err((
                format!("{key}.node"),
                format!("no node named {:?} (nodes: {known})", step.node),
            ));
        }
        if !(step.at_s >= 0.0 && step.at_s <= scenario.scenario.safety_s as f64) {
            return Err((
                format!("{key}.at_s"),
                "must lie within the safety phase".into(),
            ));
        }
        let needs_ms = step.action == FaultAction::ClockStep;
        if needs_ms != step.ms.is_some() {
            let problem = if needs_ms {
                "clock-step needs `ms`"
            } else {
                "`ms` belongs to clock-step only"
            };
            return Err((format!("{key}.ms"), problem.into()));
        }
    }
    Ok(())
}

fn validate_messaging(scenario: &Scenario) -> Result<(), (String, String)> {
    let tables = [
        (
            "steady_state",
            scenario.steady_state.queues,
            &scenario.steady_state.traffic,
        ),
        (
            "consumer_crash",
            scenario.consumer_crash.queues,
            &scenario.consumer_crash.traffic,
        ),
        (
            "broker_death",
            scenario.broker_death.queues,
            &scenario.broker_death.traffic,
        ),
        (
            "namesrv_all_down",
            scenario.namesrv_all_down.queues,
            &scenario.namesrv_all_down.traffic,
        ),
    ];
    for (table, queues, traffic) in tables {
        if !(1..=64).contains(&queues) {
            return Err((format!("{table}.queues"), "must be 1..=64".into()));
        }
        traffic.validate(&format!("{table}.traffic"))?;
    }
    let ranges = [
        (
            "consumer_crash.kill_after_s",
            scenario.consumer_crash.kill_after_s,
        ),
        (
            "consumer_crash.restart_after_s",
            scenario.consumer_crash.restart_after_s,
        ),
        (
            "broker_death.kill_after_s",
            scenario.broker_death.kill_after_s,
        ),
        (
            "namesrv_all_down.kill_after_s",
            scenario.namesrv_all_down.kill_after_s,
        ),
        (
            "steady_state.power_loss_after_s",
            scenario.steady_state.power_loss_after_s,
        ),
        (
            "steady_state.power_loss_down_s",
            scenario.steady_state.power_loss_down_s,
        ),
        (
            "steady_state.fsync_latency_ms",
            scenario.steady_state.fsync_latency_ms,
        ),
    ];
    for (key, [low, high]) in ranges {
        if low > high {
            return Err((key.into(), "low bound above high bound".into()));
        }
    }
    let steady = &scenario.steady_state;
    if steady.plant_ack_before_sync && steady.flush != Flush::Sync {
        let problem = "the planted ack-before-sync bug needs flush = \"SYNC_FLUSH\"";
        return Err(("steady_state.plant_ack_before_sync".into(), problem.into()));
    }
    let header = &scenario.scenario;
    let needed = match header.workload {
        Workload::SteadyState if steady.power_loss_one_in > 0 => {
            steady.power_loss_after_s[1] + steady.power_loss_down_s[1] + 1
        }
        Workload::ConsumerCrash => scenario.consumer_crash.kill_after_s[1] + 1,
        Workload::BrokerDeath => {
            scenario.broker_death.kill_after_s[1] + scenario.broker_death.route_bound_s + 5
        }
        Workload::NamesrvAllDown => {
            let o = &scenario.namesrv_all_down;
            o.kill_after_s[1] + o.down_s + o.reroute_bound_s
        }
        _ => 0,
    };
    if header.safety_s < needed {
        return Err((
            "scenario.safety_s".into(),
            format!("the workload's plan needs a safety phase of at least {needed} s"),
        ));
    }
    Ok(())
}
