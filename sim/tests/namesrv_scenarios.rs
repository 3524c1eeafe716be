//! The name-server scenarios over many seeds: no violation, the same seed gives the same trace,
//! the runs reach the states they claim to exercise, and planted bugs are caught.

mod sweep;

use rocketsim_sim::scenario::namesrv_expiry::{self, NamesrvExpiryOptions};
use rocketsim_sim::scenario::namesrv_failover::{self, NamesrvFailoverOptions};
use rocketsim_sim::scenario::namesrv_support::ScenarioResult;
use rocketsim_sim::{run, Outcome, SimConfig};
use serde::de::DeserializeOwned;
use std::path::Path;
use sweep::{assert_clean, figure, sweep};

const SEEDS: u64 = 200;

/// The options table `table` of `scenarios/<file>`.
fn options<T: DeserializeOwned>(file: &str, table: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut doc: toml::Table = toml::from_str(&text).expect("scenario TOML");
    let scenario = doc["scenario"].as_table().expect("[scenario]");
    assert_eq!(
        scenario["workload"].as_str(),
        Some(table.replace('_', "-").as_str())
    );
    let options = doc
        .remove(table)
        .unwrap_or_else(|| panic!("[{table}] in {file}"));
    options.try_into().expect("options")
}

fn expiry(seed: u64, options: &NamesrvExpiryOptions) -> Outcome<ScenarioResult> {
    run(SimConfig::new(seed), |world| async move {
        namesrv_expiry::run(world, options).await
    })
}

fn failover(seed: u64, options: &NamesrvFailoverOptions) -> Outcome<ScenarioResult> {
    run(SimConfig::new(seed), |world| async move {
        namesrv_failover::run(world, options).await
    })
}

#[test]
fn namesrv_expiry_holds_its_bounds_over_many_seeds() {
    let options: NamesrvExpiryOptions = options("namesrv-expiry.toml", "namesrv_expiry");
    let (results, wall) = sweep(SEEDS, |seed| expiry(seed, &options));
    assert_clean("namesrv-expiry", &results);
    let gone: Vec<u64> = results
        .iter()
        .map(|(_, r)| figure(r, "gone_after_ms"))
        .collect();
    let (min, max) = (gone.iter().min().unwrap(), gone.iter().max().unwrap());
    let forced = results
        .iter()
        .filter(|(_, r)| r.get("forced") == Some("true"))
        .count();
    let late_landing = results
        .iter()
        .filter(|(_, r)| r.get("registration_landed_after_kill_ms").is_some())
        .count();
    println!("namesrv-expiry: {SEEDS} seeds in {wall:.2} s wall; route gone after {min}..={max} ms; {forced} forced; {late_landing} with a registration landing after the kill");
    // Sometimes: both registration modes and both directions of the clock step were exercised.
    assert!(forced > 0 && forced < results.len());
    let steps = results
        .iter()
        .map(|(_, r)| r.get("namesrv_clock_step_ms").unwrap().starts_with('-'));
    let backwards = steps.filter(|&b| b).count();
    assert!(backwards > 0 && backwards < results.len());
}

#[test]
fn namesrv_failover_keeps_routes_over_many_seeds() {
    let options: NamesrvFailoverOptions = options("namesrv-failover.toml", "namesrv_failover");
    let (results, wall) = sweep(SEEDS, |seed| failover(seed, &options));
    assert_clean("namesrv-failover", &results);
    let failovers: u64 = results.iter().map(|(_, r)| figure(r, "failovers")).sum();
    let queries: u64 = results.iter().map(|(_, r)| figure(r, "queries")).sum();
    let clogged = results
        .iter()
        .filter(|(_, r)| r.get("clogged") == Some("true"))
        .count();
    let slowest = results
        .iter()
        .map(|(_, r)| figure(r, "slowest_query_ms"))
        .max()
        .unwrap();
    println!("namesrv-failover: {SEEDS} seeds in {wall:.2} s wall; {queries} queries, {failovers} failovers, {clogged} clogged kills, slowest query {slowest} ms");
    // Sometimes: clients did fail over, in both kill modes (a clogged kill costs a timeout).
    assert!(failovers > 0);
    assert!(clogged > 0 && clogged < results.len());
    assert!(
        slowest >= 3000,
        "no query ever waited out a dead name server"
    );
}

#[test]
fn same_seed_same_trace() {
    let expiry_options = NamesrvExpiryOptions::default();
    let failover_options = NamesrvFailoverOptions::default();
    for seed in [3, 77] {
        let (a, b) = (expiry(seed, &expiry_options), expiry(seed, &expiry_options));
        assert_eq!(a.trace_hash, b.trace_hash, "namesrv-expiry seed {seed}");
        assert_eq!(a.output, b.output);
        let (a, b) = (
            failover(seed, &failover_options),
            failover(seed, &failover_options),
        );
        assert_eq!(a.trace_hash, b.trace_hash, "namesrv-failover seed {seed}");
        assert_eq!(a.output, b.output);
    }
    assert_ne!(
        expiry(3, &expiry_options).trace_hash,
        expiry(4, &expiry_options).trace_hash
    );
}

/// Test the tests: a name server that expires too early or scans too rarely is caught.
#[test]
fn planted_expiry_bugs_are_caught() {
    let early = NamesrvExpiryOptions {
        namesrv_expiry_s: 100,
        ..NamesrvExpiryOptions::default()
    };
    let result = expiry(5, &early).output.unwrap();
    assert!(
        result
            .violations_safety
            .iter()
            .any(|v| v.contains("gone early")),
        "{result:?}"
    );
    let late = NamesrvExpiryOptions {
        namesrv_scan_s: 30,
        ..NamesrvExpiryOptions::default()
    };
    let caught = (0..10).any(|seed| {
        let result = expiry(seed, &late).output.unwrap();
        result
            .violations_safety
            .iter()
            .any(|v| v.contains("gone late"))
    });
    assert!(
        caught,
        "a 30 s scan never broke the 130 s bound in 10 seeds"
    );
}
