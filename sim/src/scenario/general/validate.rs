//! Validation of the `cluster` workload's tables: every error names the key (`file.rs` adds
//! the file and the line).

use super::faults::{FaultAction, FaultStep};
use super::options::{BrokerGroupOptions, ConsumerKind, Model, Order, Role};
use super::plan;
use crate::scenario::messaging::cluster::BODY_BYTES_MAX;
use crate::scenario::{Scenario, Workload};

type Invalid = (String, String);

fn err<T>(key: impl Into<String>, problem: impl Into<String>) -> Result<T, Invalid> {
    Err((key.into(), problem.into()))
}

fn range(key: String, [low, high]: [u64; 2]) -> Result<(), Invalid> {
    match low <= high {
        true => Ok(()),
        false => err(key, "low bound above high bound"),
    }
}

/// The `cluster` tables are errors in a file of another workload (they would be ignored).
pub fn unused_tables(scenario: &Scenario) -> Result<(), Invalid> {
    if scenario.scenario.workload == Workload::Cluster {
        return Ok(());
    }
    let used = [
        (
            "topology.broker_groups",
            !scenario.topology.broker_groups.is_empty(),
        ),
        ("topics", !scenario.topics.is_empty()),
        ("producers", !scenario.producers.is_empty()),
        ("consumer_groups", !scenario.consumer_groups.is_empty()),
        ("swarm", scenario.swarm.is_some()),
    ];
    for (key, present) in used {
        if present {
            return err(key, "only the `cluster` workload reads this table");
        }
    }
    Ok(())
}

/// Checks a `cluster` scenario.
pub fn validate(scenario: &Scenario) -> Result<(), Invalid> {
    topology(scenario)?;
    topics(scenario)?;
    producers(scenario)?;
    groups(scenario)?;
    faults(scenario)?;
    if let Some(swarm) = &scenario.swarm {
        if swarm.kinds.is_empty() {
            return err("swarm.kinds", "name at least one fault kind");
        }
        for (key, r) in [
            ("interval_s", swarm.interval_s),
            ("duration_s", swarm.duration_s),
            ("loss_per_mille", swarm.loss_per_mille),
            ("latency_ms", swarm.latency_ms),
            ("clock_step_ms", swarm.clock_step_ms),
        ] {
            range(format!("swarm.{key}"), r)?;
        }
        if swarm.loss_per_mille[1] > 500 {
            return err("swarm.loss_per_mille", "at most 500");
        }
        if swarm.duration_s[0] == 0 && swarm.interval_s[0] == 0 {
            return err(
                "swarm.interval_s",
                "interval and duration cannot both start at 0",
            );
        }
    }
    Ok(())
}

fn topology(scenario: &Scenario) -> Result<(), Invalid> {
    let t = &scenario.topology;
    if !(1..=9).contains(&t.namesrvs) {
        return err("topology.namesrvs", "must be 1..=9");
    }
    if t.broker_groups.is_empty() || t.broker_groups.len() > 26 {
        return err("topology.broker_groups", "name 1..=26 broker groups");
    }
    if !(1..=64).contains(&t.queues_per_topic) {
        return err("topology.queues_per_topic", "must be 1..=64");
    }
    if plan::producer_nodes(scenario) > 19 || plan::consumer_nodes(scenario) > 50 {
        return err(
            "topology",
            "at most 19 producer nodes and 50 consumer nodes",
        );
    }
    let first_flush = t.broker_groups[0].flush;
    let replicated = t.broker_groups.iter().find(|g| g.slaves > 0);
    for (i, g) in t.broker_groups.iter().enumerate() {
        let key = |k: &str| format!("topology.broker_groups[{i}].{k}");
        if g.name.is_empty()
            || !g
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return err(key("name"), "a non-empty name of letters, digits and '-'");
        }
        if t.broker_groups[..i].iter().any(|o| o.name == g.name) {
            return err(key("name"), format!("{:?} is named twice", g.name));
        }
        let taken = ["namesrv-", "producer-", "consumer-", "admin"];
        if taken.iter().any(|p| g.name.starts_with(p)) {
            return err(key("name"), "clashes with the name of another node kind");
        }
        replication(g, &key)?;
        if let Some(r) = replicated.filter(|_| g.slaves > 0) {
            if (r.role, r.controller, r.all_ack) != (g.role, g.controller, g.all_ack) {
                return err(key("role"), "groups with slaves must share one role, controller and all_ack (the guarantee matrix is judged per run)");
            }
        }
        if !(64 * 1024..=1 << 30).contains(&g.commitlog_segment_bytes) {
            return err(key("commitlog_segment_bytes"), "must be 64 KiB ..= 1 GiB");
        }
        range(key("fsync_latency_ms"), g.fsync_latency_ms)?;
        if g.flush != first_flush {
            return err(key("flush"), "all broker groups must share one flush mode (the guarantee matrix is judged per run)");
        }
        if g.plant_ack_before_sync && g.flush.mode() != rocketsim::store::FlushMode::Sync {
            return err(key("plant_ack_before_sync"), "needs flush = \"SYNC_FLUSH\"");
        }
    }
    Ok(())
}

/// Slaves, roles and controller mode of one group.
fn replication(g: &BrokerGroupOptions, key: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    if g.slaves > 3 {
        return err(key("slaves"), "at most 3 slaves per group");
    }
    if g.role == Role::SyncMaster && g.slaves == 0 {
        return err(
            key("role"),
            "SYNC_MASTER needs a slave to acknowledge (slaves >= 1)",
        );
    }
    if g.slave_read && g.slaves == 0 {
        return err(key("slave_read"), "needs slaves >= 1");
    }
    if g.controller && g.slaves == 0 {
        return err(
            key("controller"),
            "controller mode switches masters between replicas: needs slaves >= 1",
        );
    }
    if g.ha_impostor && (g.slaves == 0 || g.controller) {
        return err(
            key("ha_impostor"),
            "lies to a classic master's HA port: needs slaves >= 1 and no controller",
        );
    }
    if !g.all_ack && !g.controller {
        return err(
            key("all_ack"),
            "allAckInSyncStateSet is a controller-mode setting (controller = true)",
        );
    }
    Ok(())
}

fn topic_names(scenario: &Scenario) -> Vec<&str> {
    scenario.topics.iter().map(|t| t.name.as_str()).collect()
}

fn topics(scenario: &Scenario) -> Result<(), Invalid> {
    if scenario.topics.is_empty() {
        return err("topics", "name at least one topic");
    }
    for (i, t) in scenario.topics.iter().enumerate() {
        let valid = !t.name.is_empty()
            && t.name.len() <= 127
            && t.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return err(
                format!("topics[{i}].name"),
                "1..=127 letters, digits, '-' or '_'",
            );
        }
        if scenario.topics[..i].iter().any(|o| o.name == t.name) {
            return err(
                format!("topics[{i}].name"),
                format!("{:?} is named twice", t.name),
            );
        }
        if t.queues.is_some_and(|q| !(1..=64).contains(&q)) {
            return err(format!("topics[{i}].queues"), "must be 1..=64");
        }
    }
    Ok(())
}

fn known_topic(scenario: &Scenario, key: String, topic: &str) -> Result<(), Invalid> {
    let names = topic_names(scenario);
    match names.contains(&topic) {
        true => Ok(()),
        false => err(
            key,
            format!("no topic named {topic:?} (topics: {})", names.join(", ")),
        ),
    }
}

fn producers(scenario: &Scenario) -> Result<(), Invalid> {
    for (i, p) in scenario.producers.iter().enumerate() {
        let key = |k: &str| format!("producers[{i}].{k}");
        known_topic(scenario, key("topic"), &p.topic)?;
        if p.count == 0 {
            return err(key("count"), "must be > 0");
        }
        if p.rate == 0 && (p.pause_ms[0] > p.pause_ms[1] || p.pause_ms[1] == 0) {
            return err(key("pause_ms"), "need low <= high, high > 0 (or a rate)");
        }
        if p.rate > 10_000 {
            return err(key("rate"), "at most 10000 msg/s per producer");
        }
        let [low, high] = p.body_bytes;
        if low < 32 || low > high || high > BODY_BYTES_MAX as u64 {
            return err(key("body_bytes"), "need 32 <= low <= high <= 16384");
        }
        if !(1..=64).contains(&p.batch_size) {
            return err(key("batch_size"), "must be 1..=64");
        }
        if p.async_in_flight_max == 0 {
            return err(key("async_in_flight_max"), "must be > 0");
        }
        let tag_ok = |t: &String| !t.is_empty() && !t.contains("||") && !t.contains('*');
        if !p.tags.iter().all(tag_ok) {
            return err(key("tags"), "tags are non-empty, without `||` or `*`");
        }
    }
    Ok(())
}

fn groups(scenario: &Scenario) -> Result<(), Invalid> {
    for (i, g) in scenario.consumer_groups.iter().enumerate() {
        let key = |k: &str| format!("consumer_groups[{i}].{k}");
        if g.name.is_empty() || g.name.contains('@') {
            return err(key("name"), "a non-empty name without '@'");
        }
        if scenario.consumer_groups[..i]
            .iter()
            .any(|o| o.name == g.name)
        {
            return err(key("name"), format!("{:?} is named twice", g.name));
        }
        known_topic(scenario, key("topic"), &g.topic)?;
        if g.consumers == 0 {
            return err(key("consumers"), "must be > 0");
        }
        range(key("consume_delay_ms"), g.consume_delay_ms)?;
        if g.kind == ConsumerKind::LitePull && g.order == Order::Orderly {
            return err(key("order"), "orderly consumption is a push consumer's");
        }
        if g.kind == ConsumerKind::LitePull && g.fail_one_in > 0 {
            return err(
                key("fail_one_in"),
                "consume failures are a push listener's answer",
            );
        }
        if g.model == Model::Broadcast && g.order == Order::Orderly {
            return err(
                key("order"),
                "orderly broadcasting is not supported by the client",
            );
        }
    }
    Ok(())
}

fn faults(scenario: &Scenario) -> Result<(), Invalid> {
    let names = plan::node_names(scenario);
    let groups: Vec<&str> = scenario
        .topology
        .broker_groups
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    let known = |key: String, name: &str| -> Result<(), Invalid> {
        if let Some(group) = name.strip_prefix(plan::MASTER_OF) {
            return match groups.contains(&group) {
                true => Ok(()),
                false => err(
                    key,
                    format!(
                        "no broker group named {group:?} (groups: {})",
                        groups.join(", ")
                    ),
                ),
            };
        }
        match names.iter().any(|n| n == name) {
            true => Ok(()),
            false => err(
                key,
                format!("no node named {name:?} (nodes: {})", names.join(", ")),
            ),
        }
    };
    for (i, step) in scenario.faults.iter().enumerate() {
        let key = |k: &str| format!("faults[{i}].{k}");
        if !(step.at_s >= 0.0 && step.at_s <= scenario.scenario.safety_s as f64) {
            return err(key("at_s"), "must lie within the safety phase");
        }
        if step.action.needs_node() {
            known(key("node"), &step.node)?;
        } else if !step.node.is_empty() {
            return err(key("node"), format!("{:?} takes no node", step.action));
        }
        fields(step, &key)?;
        match step.action {
            FaultAction::Partition => {
                if step.sets.len() < 2 {
                    return err(key("sets"), "partition needs at least two sets of nodes");
                }
                for name in step.sets.iter().flatten() {
                    known(key("sets"), name)?;
                }
            }
            FaultAction::ClogLink | FaultAction::UnclogLink => {
                let (Some(from), Some(to)) = (&step.from, &step.to) else {
                    return err(
                        key("from"),
                        "clog-link and unclog-link need `from` and `to`",
                    );
                };
                known(key("from"), from)?;
                known(key("to"), to)?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Each action's own fields are present, and no other action's.
fn fields(step: &FaultStep, key: &dyn Fn(&str) -> String) -> Result<(), Invalid> {
    use FaultAction as A;
    let a = step.action;
    let given = [
        ("ms", step.ms.is_some(), a == A::ClockStep),
        ("ppm", step.ppm.is_some(), a == A::ClockSkew),
        ("rate", step.rate.is_some(), a == A::Loss),
        (
            "range_ms",
            step.range_ms.is_some(),
            matches!(a, A::Latency | A::SlowFsync),
        ),
        ("sets", !step.sets.is_empty(), a == A::Partition),
        (
            "from",
            step.from.is_some(),
            matches!(a, A::ClogLink | A::UnclogLink),
        ),
        (
            "to",
            step.to.is_some(),
            matches!(a, A::ClogLink | A::UnclogLink),
        ),
        ("free_bytes", step.free_bytes.is_some(), a == A::DiskFull),
    ];
    for (field, present, belongs) in given {
        if present && !belongs {
            return err(key(field), format!("`{field}` does not belong to {a:?}"));
        }
        let required = !matches!(field, "free_bytes" | "sets" | "from" | "to");
        if belongs && required && !present {
            return err(key(field), format!("{a:?} needs `{field}`"));
        }
    }
    if let Some(rate) = step.rate {
        if !(0.0..=0.5).contains(&rate) {
            return err(key("rate"), "must be 0 ..= 0.5");
        }
    }
    if let Some(r) = step.range_ms {
        range(key("range_ms"), r)?;
    }
    Ok(())
}
