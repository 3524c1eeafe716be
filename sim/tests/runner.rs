//! The `rocketsim` output contract: the final line, exit codes, determinism by seed, and
//! scenario-file errors that name the file, the line and the key.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn rocketsim(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_rocketsim"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("run rocketsim");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

fn final_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| l.starts_with("result="))
        .expect("a final result= line")
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(' ')
        .find_map(|pair| {
            pair.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .unwrap_or_else(|| panic!("no {key}= in {line}"))
}

#[test]
fn run_ends_with_the_contract_line_and_exit_zero() {
    let (code, text) = rocketsim(&["run", "scenarios/rpc-ping-pong.toml", "--seed", "7"]);
    assert_eq!(code, 0, "{text}");
    let line = final_line(&text);
    assert_eq!(
        text.lines().last(),
        Some(line),
        "the contract line must be the last line"
    );
    assert_eq!(field(line, "result"), "pass");
    assert_eq!(field(line, "seed"), "7");
    let trace = field(line, "trace");
    assert_eq!(trace.len(), 16);
    assert!(trace.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(field(line, "virtual_s").parse::<f64>().expect("virtual_s") >= 60.0);
    field(line, "wall_s").parse::<f64>().expect("wall_s");
    assert!(field(line, "events").parse::<u64>().expect("events") > 0);
    assert!(field(line, "calls_ok").parse::<u64>().expect("calls_ok") > 0);
    assert!(text.starts_with("seed: 7\n"), "the seed comes first");
}

#[test]
fn same_seed_same_trace_other_seed_other_trace() {
    let run = |seed: &str| {
        let (code, text) = rocketsim(&["run", "scenarios/rpc-ping-pong.toml", "--seed", seed]);
        assert_eq!(code, 0, "{text}");
        field(final_line(&text), "trace").to_string()
    };
    let first = run("7");
    assert_eq!(first, run("7"), "seed 7 printed two different traces");
    assert_ne!(first, run("8"), "seeds 7 and 8 printed the same trace");
}

#[test]
fn check_determinism_passes() {
    let (code, text) = rocketsim(&[
        "check-determinism",
        "scenarios/rpc-ping-pong.toml",
        "--seed",
        "3",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(final_line(&text).ends_with("determinism=ok"), "{text}");
}

#[test]
fn sweep_reports_every_seed() {
    let (code, text) = rocketsim(&[
        "sweep",
        "scenarios/rpc-ping-pong.toml",
        "--seeds",
        "1..=12",
        "--jobs",
        "2",
    ]);
    assert_eq!(code, 0, "{text}");
    let last = text.lines().last().expect("output");
    assert!(last.starts_with("seeds=12 passed=12 failed=0 "), "{last}");
    // Not a terminal: the bar is printed at milestones and full at the end.
    let full = format!("[{}] 12/12", "#".repeat(30));
    assert!(text.contains(&full), "{text}");
    // The summary table: one row per scenario with seeds, passed, failed; folded figures.
    let row = text
        .lines()
        .find(|l| l.starts_with("scenarios/rpc-ping-pong.toml "))
        .expect("a table row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..4], ["12", "12", "0"], "{row}");
    assert!(text.contains("figures: calls_ok="), "{text}");
}

fn scenario_error(name: &str, body: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("rocketsim-runner-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, body).expect("write scenario");
    let path = path.to_string_lossy().into_owned();
    rocketsim(&["run", &path, "--seed", "1"])
}

const HEADER: &str =
    "[scenario]\nname = \"x\"\nworkload = \"rpc-ping-pong\"\nsafety_s = 10\nliveness_s = 5\n";

#[test]
fn unknown_key_names_file_line_and_key() {
    let (code, text) = scenario_error("unknown", &format!("{HEADER}colour = \"red\"\n"));
    assert_eq!(code, 64, "{text}");
    assert!(text.contains("unknown.toml: line 6"), "{text}");
    assert!(text.contains("colour"), "{text}");
}

#[test]
fn bad_value_and_missing_node_are_usage_errors() {
    let bad = HEADER.replace("safety_s = 10", "safety_s = \"ten\"");
    let (code, text) = scenario_error("badvalue", &bad);
    assert_eq!(code, 64, "{text}");
    assert!(
        text.contains("line 4") && text.contains("safety_s"),
        "{text}"
    );
    let fault = "[[faults]]\nat_s = 1\naction = \"kill\"\nnode = \"broker-9\"\n";
    let (code, text) = scenario_error("nonode", &format!("{HEADER}{fault}"));
    assert_eq!(code, 64, "{text}");
    assert!(
        text.contains("faults[0].node") && text.contains("broker-9"),
        "{text}"
    );
    let (code, text) = rocketsim(&["run", "scenarios/rpc-ping-pong.toml"]);
    assert_eq!(code, 64, "a missing --seed is a usage error: {text}");
}
