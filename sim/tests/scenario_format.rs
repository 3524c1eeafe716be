//! The `cluster` workload's file format: every new table parses, and every mistake is an
//! error naming the file, the line and the key (exit 64 from `rocketsim run`).

use rocketsim_sim::scenario::{load, ScenarioError};
use std::path::{Path, PathBuf};
use std::process::Command;

const BASE: &str = r#"[scenario]
name = "x"
workload = "cluster"
safety_s = 30
liveness_s = 30

[topology]
namesrvs = 2

[[topology.broker_groups]]
name = "broker-a"

[[topics]]
name = "T"

[[producers]]
topic = "T"

[[consumer_groups]]
name = "G"
topic = "T"
consumers = 2
"#;

fn write(name: &str, body: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rocketsim-format-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, body).expect("write scenario");
    path
}

/// The error `load` gives for `body`, as printed.
fn error(name: &str, body: &str) -> String {
    match load(&write(name, body)) {
        Ok(_) => panic!("{name}: loaded, expected an error"),
        Err(e @ (ScenarioError::Parse { .. } | ScenarioError::Invalid { .. })) => e.to_string(),
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn every_table_of_the_format_parses() {
    let body = format!(
        "{BASE}
[[faults]]
at_s = 1
action = \"partition\"
sets = [[\"broker-a\"], [\"namesrv-1\", \"namesrv-2\"]]

[[faults]]
at_s = 2
action = \"clog-link\"
from = \"producer-1\"
to = \"broker-a\"

[[faults]]
at_s = 3
action = \"clock-step\"
node = \"namesrv-1\"
ms = -5000

[[faults]]
at_s = 4
action = \"slow-fsync\"
node = \"broker-a\"
range_ms = [10, 50]

[[faults]]
at_s = 5
action = \"disk-full\"
node = \"broker-a\"

[swarm]
kinds = [\"kill\", \"loss\"]
"
    );
    let scenario = load(&write("full", &body)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scenario.faults.len(), 5);
    assert_eq!(scenario.consumer_groups[0].consumers, 2);
    assert!(scenario.swarm.is_some());
}

#[test]
fn a_fault_on_a_node_that_does_not_exist_names_file_line_and_key() {
    let body = format!("{BASE}\n[[faults]]\nat_s = 1\naction = \"kill\"\nnode = \"broker-z\"\n");
    let text = error("ghost", &body);
    assert!(
        text.contains("ghost.toml: line 27: faults[0].node"),
        "{text}"
    );
    assert!(
        text.contains("broker-z") && text.contains("broker-a"),
        "{text}"
    );
}

#[test]
fn replication_keys_are_checked_and_name_slaves_and_master_targets() {
    let group = |extra: &str| {
        BASE.replace(
            "name = \"broker-a\"\n",
            &format!("name = \"broker-a\"\n{extra}"),
        )
    };
    let text = error("sync-alone", &group("role = \"SYNC_MASTER\"\n"));
    assert!(
        text.contains("topology.broker_groups[0].role") && text.contains("slaves >= 1"),
        "{text}"
    );
    let text = error("ctl-alone", &group("controller = true\n"));
    assert!(
        text.contains("topology.broker_groups[0].controller"),
        "{text}"
    );
    let text = error("read-alone", &group("slave_read = true\n"));
    assert!(text.contains("slave_read"), "{text}");
    let text = error("all-ack", &group("slaves = 1\nall_ack = false\n"));
    assert!(text.contains("all_ack"), "{text}");
    let text = error("many", &group("slaves = 4\n"));
    assert!(text.contains("at most 3 slaves"), "{text}");
    // Slaves are nodes, `master:<group>` a target; an unknown group is an error.
    let good = format!(
        "{}\n[[faults]]\nat_s = 1\naction = \"kill\"\nnode = \"broker-a-s1\"\n\n[[faults]]\nat_s = 2\naction = \"power-loss\"\nnode = \"master:broker-a\"\n",
        group("role = \"SYNC_MASTER\"\nslaves = 1\nslave_read = true\n")
    );
    load(&write("good", &good)).expect("slaves and master targets load");
    let text = error(
        "no-group",
        &good.replace("master:broker-a", "master:broker-z"),
    );
    assert!(
        text.contains("no broker group named \"broker-z\""),
        "{text}"
    );
    let text = error("no-slave", &good.replace("broker-a-s1", "broker-a-s2"));
    assert!(text.contains("broker-a-s2"), "{text}");
}

#[test]
fn unknown_keys_bad_durations_and_unknown_topics_are_errors() {
    let text = error("unknown", &BASE.replace("consumers = 2", "consumerz = 2"));
    assert!(
        text.contains("line 22") && text.contains("consumerz"),
        "{text}"
    );
    let text = error("duration", &BASE.replace("safety_s = 30", "safety_s = -3"));
    assert!(
        text.contains("line 4") && text.contains("safety_s"),
        "{text}"
    );
    let late = format!("{BASE}\n[[faults]]\nat_s = 99\naction = \"heal\"\n");
    let text = error("late", &late);
    assert!(
        text.contains("faults[0].at_s") && text.contains("safety phase"),
        "{text}"
    );
    let text = error(
        "topic",
        &BASE.replace(
            "[[producers]]\ntopic = \"T\"",
            "[[producers]]\ntopic = \"U\"",
        ),
    );
    assert!(text.contains("line 17: producers[0].topic"), "{text}");
    let text = error("swarm", &format!("{BASE}\n[swarm]\nkinds = [\"meteor\"]\n"));
    assert!(text.contains("meteor"), "{text}");
    let text = error(
        "ms",
        &format!("{BASE}\n[[faults]]\nat_s = 1\naction = \"clock-step\"\nnode = \"broker-a\"\n"),
    );
    assert!(
        text.contains("faults[0].ms") && text.contains("needs"),
        "{text}"
    );
}

#[test]
fn the_binary_exits_64_on_a_bad_file() {
    let path = write("exit", &BASE.replace("namesrvs = 2", "namesrvs = 0"));
    let root: &Path = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_rocketsim"))
        .args(["run", &path.to_string_lossy(), "--seed", "1"])
        .current_dir(root)
        .output()
        .expect("run rocketsim");
    let text = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(64), "{text}");
    assert!(
        text.contains("exit.toml: line 8: topology.namesrvs"),
        "{text}"
    );
}

#[test]
fn every_shipped_scenario_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    for dir in [root.clone()] {
        for entry in std::fs::read_dir(dir).expect("scenarios/") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                load(&path).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
}

#[test]
fn the_replication_scenarios_are_judged_by_their_matrix_rows() {
    use rocketsim_sim::check::matrix::Replication;
    use rocketsim_sim::check::{Claim, FaultKind};
    use rocketsim_sim::scenario::general::plan;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let config = |file: &str| plan::guarantees(&load(&root.join(file)).expect("loads"));
    let impostor = config("ha-port-impostor.toml");
    assert_eq!(impostor.replication, Replication::ClassicSyncMaster);
    assert_eq!(
        impostor.loss(Some(FaultKind::PowerLoss)),
        Claim::Violation,
        "SYNC_FLUSH"
    );
    let switch = config("master-slave-switch.toml");
    assert_eq!(switch.replication, Replication::SyncMaster);
    assert!(switch.faults.contains(&FaultKind::MasterSwitch));
    assert_eq!(switch.loss(Some(FaultKind::MasterSwitch)), Claim::Violation);
    let lag = config("async-master-switch.toml");
    assert_eq!(lag.replication, Replication::AsyncMaster);
    assert_eq!(
        lag.loss(Some(FaultKind::MasterSwitch)),
        Claim::Reported("lost_replication_lag")
    );
    assert!(lag.reported_figures().contains(&"lost_replication_lag"));
    let partitioned = config("partitioned-master.toml");
    assert_eq!(partitioned.replication, Replication::SyncMaster);
    // The node names faults may use: slaves, the controller, the impostor.
    let names = plan::node_names(&load(&root.join("partitioned-master.toml")).unwrap());
    for name in ["broker-a", "broker-a-s1", "broker-a-s2", "controller"] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    let names = plan::node_names(&load(&root.join("ha-port-impostor.toml")).unwrap());
    assert!(names.iter().any(|n| n == "broker-a-impostor"), "{names:?}");
}
