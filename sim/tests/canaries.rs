//! Test the tests: every canary scenario (`scenarios/canary-*.toml`, `expect = "fail"`) is
//! caught — some seed below 50 fails with a checker's violation, not a crash — and a run of
//! each declares and reaches its "sometimes" probes.

use rocketsim_sim::runner::{run_scenario, Judgement};
use rocketsim_sim::scenario::{load, reached, Expect, Scenario};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const SEEDS: u64 = 50;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

fn canaries() -> Vec<(PathBuf, Arc<Scenario>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .expect("scenarios/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("canary-") && name.ends_with(".toml")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let scenario = load(&path).unwrap_or_else(|e| panic!("{e}"));
            (path, Arc::new(scenario))
        })
        .collect()
}

/// The first seed below `SEEDS` whose run a checker fails, with its first violation.
fn first_caught(scenario: &Arc<Scenario>) -> Option<(u64, String)> {
    (0..SEEDS).find_map(|seed| {
        let report = run_scenario(scenario, seed, false, false);
        let caught = matches!(report.judgement, Judgement::Safety | Judgement::Liveness);
        let why = report.violation_lines().into_iter().next();
        caught.then(|| (seed, why.unwrap_or_default()))
    })
}

#[test]
fn every_canary_is_caught_within_50_seeds() {
    let canaries = canaries();
    assert!(canaries.len() >= 2, "expected at least two canaries");
    for (path, scenario) in canaries {
        assert_eq!(
            scenario.scenario.expect,
            Expect::Fail,
            "{}: a canary marks itself expect = \"fail\"",
            path.display()
        );
        let caught = first_caught(&scenario);
        println!("{}: caught at {caught:?}", path.display());
        assert!(
            caught.is_some(),
            "{}: no seed below {SEEDS} caught the planted bug",
            path.display()
        );
    }
}

#[test]
fn the_sync_flush_canary_is_caught_by_the_offset_or_loss_checkers() {
    let path = scenarios_dir().join("canary-sync-flush-ack.toml");
    let scenario = Arc::new(load(&path).unwrap_or_else(|e| panic!("{e}")));
    let (seed, _) = first_caught(&scenario).expect("caught");
    let report = run_scenario(&scenario, seed, false, false);
    // The planted bug (acks before the sync, then a power loss) shows as a reused offset, a
    // lost acked message or a send offset going back; other findings may come with it.
    let lines = report.violation_lines();
    assert!(
        lines.iter().any(|why| why.contains("inconsistent offsets")
            || why.contains("lost:")
            || why.contains("non-monotonic")),
        "seed {seed}: caught for another reason: {lines:?}"
    );
    for probe in reached::declared(&scenario) {
        assert!(
            report.verdict.reached.iter().any(|p| p == probe),
            "seed {seed} did not reach {probe}: {:?}",
            report.verdict.reached
        );
    }
}

#[test]
fn the_forgetful_consumer_canary_is_caught_as_lost_messages() {
    let path = scenarios_dir().join("canary-forgetful-consumer.toml");
    let scenario = Arc::new(load(&path).unwrap_or_else(|e| panic!("{e}")));
    let (seed, _) = first_caught(&scenario).expect("caught");
    let report = run_scenario(&scenario, seed, false, false);
    let lines = report.violation_lines();
    assert!(
        // Stamped with the lost message's send time, which places it on the timeline.
        lines.iter().any(|l| l.starts_with("LIVENESS: [")
            && rocketsim_sim::check::unstamp(l).is_some_and(|(_, text)| text.starts_with("lost:"))),
        "seed {seed}: {lines:?}"
    );
}

#[test]
fn every_workload_declares_probes_its_scenario_files_can_reach() {
    for entry in std::fs::read_dir(scenarios_dir()).expect("scenarios/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let scenario = load(&path).unwrap_or_else(|e| panic!("{e}"));
        let declared = reached::declared(&scenario);
        let mut sorted = declared.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            declared.len(),
            "{}: a probe twice",
            path.display()
        );
    }
}

/// `rocketsim sweep` on `file` with `seeds`: its exit code and output.
fn sweep(file: &Path, seeds: &str) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rocketsim"))
        .args([
            "sweep",
            &file.display().to_string(),
            "--seeds",
            seeds,
            "--jobs",
            "1",
        ])
        .output()
        .expect("rocketsim runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn a_sweep_that_never_reaches_a_declared_probe_exits_2_naming_it() {
    // One seed steps the name server's clock one way only.
    let (code, text) = sweep(&scenarios_dir().join("namesrv-expiry.toml"), "1..2");
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("NOT REACHED") && text.contains("clock_stepped_"),
        "{text}"
    );
    let (code, text) = sweep(&scenarios_dir().join("namesrv-expiry.toml"), "1..12");
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_caught_canary_sweep_exits_0_and_an_uncaught_one_exits_1() {
    let canary = scenarios_dir().join("canary-forgetful-consumer.toml");
    let (code, text) = sweep(&canary, "1..2");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("canary caught at seed 1"), "{text}");
    // The same workload without its planted bug, still marked as a canary: nothing to catch.
    let healthy = std::fs::read_to_string(&canary)
        .expect("canary file")
        .replace("plant_forget_one_in = 200", "plant_forget_one_in = 0");
    let path = std::env::temp_dir().join(format!("rocketsim-uncaught-{}.toml", std::process::id()));
    std::fs::write(&path, healthy).expect("temp scenario");
    let (code, text) = sweep(&path, "1..2");
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("CANARY NOT CAUGHT"), "{text}");
}
