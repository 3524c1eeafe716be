//! Swarm testing (FoundationDB, TigerBeetle's VOPR): the `[swarm]` table lists fault kinds
//! and ranges; each seed first disables a random subset of the kinds (every kind survives
//! with probability one half, at least one always does), then, for the whole safety phase,
//! draws a pause, a kind, a victim and a duration, injects the fault, waits, and undoes it.
//! One swarm fault at a time: overlapping faults come from a `[[faults]]` schedule.
//!
//! Draws come from the stream `general/swarm` only, so the plan does not shift when the
//! nodes' own draws do.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::faults::{FaultAction, FaultStep, Injector};
use super::plan::MASTER_OF;
use super::targets::Targets;
use crate::scenario::namesrv_support::Draw;
use crate::World;

/// Fault kinds the swarm can draw.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum SwarmKind {
    /// Kill a node, restart it after the drawn duration.
    Kill,
    /// Power-loss a node, boot it after the drawn duration.
    PowerLoss,
    /// Pause a node, resume it after the drawn duration.
    Pause,
    /// Split the nodes into two random sets, heal after the drawn duration.
    Partition,
    /// Clog one node, unclog after the drawn duration.
    Clog,
    /// Clog one direction of one link, unclog after the drawn duration.
    ClogLink,
    /// Packet loss at a drawn rate, then none.
    Loss,
    /// Packet latency in a drawn range, then the default.
    Latency,
    /// Step a node's wall clock by a drawn amount, step it back after the duration.
    ClockStep,
    /// Slow fsyncs on a node's disk, then fast again.
    SlowFsync,
}

/// The `[swarm]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SwarmOptions {
    /// Fault kinds the seed draws from (each seed keeps a random subset of them).
    pub kinds: Vec<SwarmKind>,
    /// Victims: nodes whose names start with one of these (`namesrv`, `broker` — slaves
    /// `broker-a-s1` included —, `broker-a-s` for a group's slaves only, `consumer`,
    /// `producer`, `controller`), and `master:<group>`: the group's master at the time of
    /// the fault.
    pub targets: Vec<String>,
    /// Quiet time before each fault, drawn (s).
    pub interval_s: [u64; 2],
    /// How long each fault lasts before it is undone, drawn (s).
    pub duration_s: [u64; 2],
    /// `loss`: packet loss rate, drawn (per mille).
    pub loss_per_mille: [u64; 2],
    /// `latency` and `slow-fsync`: the high end of the latency range, drawn (ms).
    pub latency_ms: [u64; 2],
    /// `clock-step`: size of the step, drawn (ms; the sign is drawn too).
    pub clock_step_ms: [u64; 2],
    /// Keep every kind in every seed (no swarm subset).
    pub all_kinds: bool,
}

impl Default for SwarmOptions {
    fn default() -> Self {
        SwarmOptions {
            kinds: Vec::new(),
            targets: vec!["broker".into(), "namesrv".into()],
            interval_s: [5, 20],
            duration_s: [2, 15],
            loss_per_mille: [10, 200],
            latency_ms: [20, 300],
            clock_step_ms: [1_000, 60_000],
            all_kinds: false,
        }
    }
}

/// The kinds this seed keeps (the swarm subset), in table order.
pub fn enabled(options: &SwarmOptions, draw: &Draw) -> Vec<SwarmKind> {
    let mut kinds: Vec<SwarmKind> = options.kinds.clone();
    kinds.sort();
    kinds.dedup();
    if options.all_kinds || kinds.len() <= 1 {
        return kinds;
    }
    let keep: Vec<SwarmKind> = kinds.iter().copied().filter(|_| draw.one_in(2)).collect();
    if keep.is_empty() {
        let index = draw.between(0, kinds.len() as u64 - 1) as usize;
        return vec![kinds[index]];
    }
    keep
}

/// The swarm's victims among `nodes`: those a target prefixes, and each `master:<group>`
/// target as is (resolved when drawn).
pub fn victims(options: &SwarmOptions, nodes: &[String]) -> Vec<String> {
    let mut victims: Vec<String> = nodes
        .iter()
        .filter(|v| options.targets.iter().any(|t| v.starts_with(t.as_str())))
        .cloned()
        .collect();
    victims.extend(
        options
            .targets
            .iter()
            .filter(|t| t.starts_with(MASTER_OF))
            .cloned(),
    );
    victims
}

/// Runs the swarm until virtual time `until`; returns the kinds this seed kept.
pub async fn run(
    world: &World,
    options: &SwarmOptions,
    injector: &parking_lot::Mutex<Injector>,
    resolver: &Targets,
    victims: &[String],
    until: Duration,
) -> Vec<SwarmKind> {
    let draw = Draw::new(world, "general/swarm");
    let kinds = enabled(options, &draw);
    let victims: Vec<&String> = victims.iter().collect();
    if kinds.is_empty() || victims.is_empty() {
        return kinds;
    }
    loop {
        let [low, high] = options.interval_s;
        let quiet = Duration::from_secs(draw.between(low, high));
        let [low, high] = options.duration_s;
        let lasting = Duration::from_secs(draw.between(low, high));
        if world.now() + quiet + lasting >= until {
            break;
        }
        world.sleep(quiet).await;
        let kind = kinds[draw.between(0, kinds.len() as u64 - 1) as usize];
        let index = draw.between(0, victims.len() as u64 - 1) as usize;
        let victim = victims[index];
        // The other end of a one-way link clog: another victim.
        let step = draw.between(1, (victims.len() as u64 - 1).max(1)) as usize;
        let other = victims[(index + step) % victims.len()];
        let (inject, undo) = steps(options, &draw, kind, victim, other, &victims);
        // The undo steps name the node the fault hit, not the master of the time they run.
        let mut resolved = Vec::new();
        for step in &inject {
            resolved.push(resolver.resolve(step).await);
        }
        for step in &resolved {
            injector.lock().apply(step);
        }
        world.sleep(lasting).await;
        for step in &undo {
            let step = same_victim(step, &inject, &resolved);
            injector.lock().apply(&step);
        }
    }
    kinds
}

/// `undo` with the names its inject steps were resolved to (`master:a` → the node hit).
fn same_victim(undo: &FaultStep, inject: &[FaultStep], resolved: &[FaultStep]) -> FaultStep {
    let mut undo = undo.clone();
    for (before, after) in inject.iter().zip(resolved) {
        if undo.node == before.node {
            undo.node = after.node.clone();
        }
        if undo.from == before.from {
            undo.from = after.from.clone();
        }
        if undo.to == before.to {
            undo.to = after.to.clone();
        }
    }
    undo
}

/// The steps that inject one fault of `kind` and the steps that undo it.
fn steps(
    options: &SwarmOptions,
    draw: &Draw,
    kind: SwarmKind,
    victim: &str,
    other: &str,
    victims: &[&String],
) -> (Vec<FaultStep>, Vec<FaultStep>) {
    let on = |action| FaultStep::on(0.0, action, victim);
    match kind {
        SwarmKind::Kill => (vec![on(FaultAction::Kill)], vec![on(FaultAction::Restart)]),
        SwarmKind::PowerLoss => (
            vec![on(FaultAction::PowerLoss)],
            vec![on(FaultAction::Restart)],
        ),
        SwarmKind::Pause => (vec![on(FaultAction::Pause)], vec![on(FaultAction::Resume)]),
        SwarmKind::Clog => (vec![on(FaultAction::Clog)], vec![on(FaultAction::Unclog)]),
        SwarmKind::Partition => {
            let mut left = Vec::new();
            let mut right = Vec::new();
            for v in victims {
                match draw.one_in(2) {
                    true => left.push(v.to_string()),
                    false => right.push(v.to_string()),
                }
            }
            let mut step = FaultStep::on(0.0, FaultAction::Partition, "");
            step.sets = vec![left, right];
            (vec![step], vec![FaultStep::on(0.0, FaultAction::Heal, "")])
        }
        SwarmKind::ClogLink => {
            let mut clog = FaultStep::on(0.0, FaultAction::ClogLink, "");
            clog.from = Some(victim.to_string());
            clog.to = Some(other.to_string());
            let mut unclog = clog.clone();
            unclog.action = FaultAction::UnclogLink;
            (vec![clog], vec![unclog])
        }
        SwarmKind::Loss => {
            let [low, high] = options.loss_per_mille;
            let mut loss = FaultStep::on(0.0, FaultAction::Loss, "");
            loss.rate = Some(draw.between(low, high) as f64 / 1000.0);
            let mut none = loss.clone();
            none.rate = Some(0.0);
            (vec![loss], vec![none])
        }
        SwarmKind::Latency => {
            let [low, high] = options.latency_ms;
            let mut slow = FaultStep::on(0.0, FaultAction::Latency, "");
            slow.range_ms = Some([1, draw.between(low, high)]);
            let mut fast = slow.clone();
            fast.range_ms = Some([1, 10]);
            (vec![slow], vec![fast])
        }
        SwarmKind::ClockStep => {
            let [low, high] = options.clock_step_ms;
            let size = draw.between(low, high) as i64;
            let ms = if draw.one_in(2) { size } else { -size };
            let mut step = on(FaultAction::ClockStep);
            step.ms = Some(ms);
            let mut back = step.clone();
            back.ms = Some(-ms);
            (vec![step], vec![back])
        }
        SwarmKind::SlowFsync => {
            let [low, high] = options.latency_ms;
            let mut slow = on(FaultAction::SlowFsync);
            slow.range_ms = Some([low / 4, draw.between(low, high)]);
            (vec![slow], vec![on(FaultAction::DiskOk)])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimRandom;

    #[test]
    fn each_seed_keeps_a_nonempty_subset_and_seeds_differ() {
        let options = SwarmOptions {
            kinds: vec![
                SwarmKind::Kill,
                SwarmKind::Partition,
                SwarmKind::Loss,
                SwarmKind::ClockStep,
            ],
            ..SwarmOptions::default()
        };
        let mut subsets = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let draw = Draw::from_random(SimRandom::new(seed, "general/swarm"));
            let kept = enabled(&options, &draw);
            assert!(!kept.is_empty() && kept.len() <= 4);
            subsets.insert(kept);
        }
        assert!(subsets.len() > 4, "{subsets:?}");
    }
}
