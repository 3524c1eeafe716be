//! The messaging scenarios over many seeds: no violation, the same seed gives the same trace,
//! the runs reach the states they claim to exercise (kills mid-stream, takeovers, the 120 s
//! expiry path, traffic while every name server is down), and a planted bug is caught.
//!
//! Seeds per scenario: `ROCKETSIM_MESSAGING_SEEDS` (default below, sized so that the four
//! sweeps fit in a few minutes of `cargo test` on 2 cores; `rocketsim sweep scenarios/<name>.toml
//! --seeds 0..200` runs the full 200).

mod sweep;

use rocketsim_sim::scenario::messaging;
use rocketsim_sim::scenario::namesrv_support::ScenarioResult;
use rocketsim_sim::scenario::{load, Scenario};
use rocketsim_sim::{run, Outcome, SimConfig};
use std::path::Path;
use sweep::{assert_clean, figure, sweep};

/// Default seeds per sweep (the short scenarios; `namesrv-all-down` runs a quarter of them).
const SEEDS: u64 = 40;

fn seeds(divisor: u64) -> u64 {
    let base = std::env::var("ROCKETSIM_MESSAGING_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEEDS);
    (base / divisor).max(1)
}

fn scenario(file: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scenarios")
        .join(file);
    load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn one(seed: u64, scenario: &Scenario) -> Outcome<ScenarioResult> {
    run(SimConfig::new(seed), |world| async move {
        messaging::run(world, scenario).await
    })
}

fn sum(results: &[(u64, ScenarioResult)], key: &str) -> u64 {
    results.iter().map(|(_, r)| figure(r, key)).sum()
}

fn max(results: &[(u64, ScenarioResult)], key: &str) -> u64 {
    results
        .iter()
        .map(|(_, r)| figure(r, key))
        .max()
        .unwrap_or(0)
}

fn count(results: &[(u64, ScenarioResult)], key: &str, value: &str) -> usize {
    results
        .iter()
        .filter(|(_, r)| r.get(key) == Some(value))
        .count()
}

fn totals(name: &str, results: &[(u64, ScenarioResult)], wall: f64) {
    println!(
        "{name}: {} seeds in {wall:.1} s wall; acked={} failed={} indeterminate={} consumed={} lost={} dup={} max_e2e_ms={}",
        results.len(),
        sum(results, "acked"),
        sum(results, "failed"),
        sum(results, "indeterminate"),
        sum(results, "consumed"),
        sum(results, "lost"),
        sum(results, "dup"),
        max(results, "max_e2e_ms"),
    );
}

/// The file's ten virtual minutes are what `rocketsim sweep` runs; the in-test sweeps take
/// `safety_s` seconds of it (the properties are the same, checked continuously).
fn shortened(file: &str, safety_s: u64) -> Scenario {
    let mut scenario = scenario(file);
    scenario.scenario.safety_s = safety_s;
    scenario
}

#[test]
fn steady_state_delivers_everything_in_order() {
    let scenario = shortened("steady-state.toml", 20);
    let (results, wall) = sweep(seeds(4), |seed| one(seed, &scenario));
    assert_clean("steady-state", &results);
    totals("steady-state", &results, wall);
    // Reached: both send modes in every run, both groups consumed everything acked.
    for (seed, r) in &results {
        assert!(
            figure(r, "sync_sends") > 0 && figure(r, "ordered_sends") > 0,
            "seed {seed}"
        );
        assert!(
            figure(r, "consumed") >= 2 * figure(r, "acked"),
            "seed {seed}"
        );
        // Liveness: converged (lag zero) and the offset probe saw commits.
        assert!(r.reached.contains("liveness_converged"), "seed {seed}");
        assert!(figure(r, "offset_reads") > 0, "seed {seed}");
        assert_eq!(
            figure(r, "consumer_offsets_rewound"),
            0,
            "seed {seed}: no restart"
        );
    }
}

#[test]
fn async_flush_power_loss_reports_the_unflushed_tail_and_converges() {
    let scenario = scenario("async-flush-power-loss.toml");
    let (results, wall) = sweep(seeds(8), |seed| one(seed, &scenario));
    assert_clean("async-flush-power-loss", &results);
    totals("async-flush-power-loss", &results, wall);
    println!(
        "async-flush-power-loss: lost_unflushed={} lost_behind_reused_offsets={} offsets_reused={} consumer_offsets_rewound={} consumer_offsets_reset={}",
        sum(&results, "lost_unflushed"),
        sum(&results, "lost_behind_reused_offsets"),
        sum(&results, "offsets_reused"),
        sum(&results, "consumer_offsets_rewound"),
        sum(&results, "consumer_offsets_reset"),
    );
    for (seed, r) in &results {
        assert!(r.reached.contains("broker_power_lost"), "seed {seed}");
        assert!(r.reached.contains("liveness_converged"), "seed {seed}");
        assert_eq!(
            figure(r, "faults"),
            4,
            "seed {seed}: the schedule's four steps"
        );
    }
    // Reached: some power loss dropped an unflushed tail.
    assert!(results
        .iter()
        .any(|(_, r)| r.reached.contains("power_loss_hit_unsynced_tail")));
}

#[test]
fn mixed_modes_every_group_gets_its_topic() {
    let scenario = scenario("mixed-modes.toml");
    let (results, wall) = sweep(seeds(10), |seed| one(seed, &scenario));
    assert_clean("mixed-modes", &results);
    totals("mixed-modes", &results, wall);
    for (seed, r) in &results {
        for mark in [
            "async_send_made",
            "oneway_send_made",
            "batch_send_made",
            "ordered_send_made",
            "broadcast_delivered",
            "lite_pull_delivered",
            "consume_failure_injected",
            "liveness_converged",
        ] {
            assert!(r.reached.contains(mark), "seed {seed}: {mark} not reached");
        }
        // Oneway sends are indeterminate; some of them arrive ("recovered").
        assert!(
            figure(r, "indeterminate") >= figure(r, "oneway_sends"),
            "seed {seed}"
        );
    }
}

#[test]
fn partition_swarm_converges_after_healing() {
    let scenario = shortened("partition-swarm.toml", 120);
    let (results, wall) = sweep(seeds(10), |seed| one(seed, &scenario));
    assert_clean("partition-swarm", &results);
    totals("partition-swarm", &results, wall);
    let kinds: std::collections::BTreeSet<&str> = results
        .iter()
        .filter_map(|(_, r)| r.get("swarm_kinds"))
        .collect();
    println!("partition-swarm: swarm subsets {kinds:?}");
    assert!(
        kinds.len() > 1,
        "every seed drew the same fault kinds: {kinds:?}"
    );
    for (seed, r) in &results {
        assert!(figure(r, "faults") > 0, "seed {seed}: no fault injected");
        assert!(r.reached.contains("liveness_converged"), "seed {seed}");
    }
}

#[test]
fn slave_read_failover_master_dies_consumers_read_the_slave_nothing_acked_lost() {
    let scenario = scenario("slave-read-failover.toml");
    let (results, wall) = sweep(seeds(10), |seed| one(seed, &scenario));
    assert_clean("slave-read-failover", &results);
    totals("slave-read-failover", &results, wall);
    println!(
        "slave-read-failover: delivered_while_master_down={} failover_first_ack_ms≤{} consumer_offsets_rewound={} replicas_diverged={}",
        sum(&results, "delivered_while_master_down"),
        max(&results, "failover_first_ack_ms"),
        sum(&results, "consumer_offsets_rewound"),
        sum(&results, "replicas_diverged"),
    );
    for (seed, r) in &results {
        assert!(r.reached.contains("liveness_converged"), "seed {seed}");
        assert!(
            figure(r, "faults") > 0,
            "seed {seed}: the master never died"
        );
        assert_eq!(figure(r, "replicas_compared"), 1, "seed {seed}");
        assert_eq!(figure(r, "lost"), 0, "seed {seed}");
    }
    assert!(
        results
            .iter()
            .any(|(_, r)| r.reached.contains("delivered_while_master_down")),
        "no seed consumed from the slave while the master was down"
    );
}

#[test]
fn ha_port_impostor_acknowledges_nothing_without_the_real_slave() {
    let scenario = scenario("ha-port-impostor.toml");
    let (results, wall) = sweep(seeds(10), |seed| one(seed, &scenario));
    assert_clean("ha-port-impostor", &results);
    totals("ha-port-impostor", &results, wall);
    for (seed, r) in &results {
        assert!(r.reached.contains("impostor_connected"), "seed {seed}");
        assert!(r.reached.contains("broker_power_lost"), "seed {seed}");
        // The slave was dead: broker-a's SYNC sends could only end indeterminate, and the
        // checker found no SEND_OK among them (assert_clean).
        assert!(figure(r, "indeterminate") > 0, "seed {seed}");
        assert!(
            figure(r, "impostor_closed_by_master") > 0,
            "seed {seed}: the master never refused the impostor"
        );
        // While the real slave ran, broker-a acknowledged; those survived the power loss.
        assert!(figure(r, "final_log_checked") > 0, "seed {seed}");
    }
}

#[test]
fn master_slave_switch_loses_nothing_acknowledged() {
    let scenario = scenario("master-slave-switch.toml");
    let (results, wall) = sweep(seeds(6), |seed| one(seed, &scenario));
    assert_clean("master-slave-switch", &results);
    totals("master-slave-switch", &results, wall);
    for (seed, r) in &results {
        assert_eq!(figure(r, "lost"), 0, "seed {seed}");
        assert!(r.reached.contains("liveness_converged"), "seed {seed}");
    }
    assert!(
        results
            .iter()
            .any(|(_, r)| r.reached.contains("master_moved")),
        "no seed switched masters"
    );
}

#[test]
fn async_master_switch_reports_what_the_lag_lost() {
    let scenario = scenario("async-master-switch.toml");
    let (results, wall) = sweep(seeds(6), |seed| one(seed, &scenario));
    assert_clean("async-master-switch", &results);
    totals("async-master-switch", &results, wall);
    println!(
        "async-master-switch: lost_replication_lag={} master_moves={}",
        sum(&results, "lost_replication_lag"),
        sum(&results, "master_moves"),
    );
}

#[test]
fn partitioned_master_is_fenced_and_nothing_acked_is_lost() {
    let scenario = scenario("partitioned-master.toml");
    let (results, wall) = sweep(seeds(6), |seed| one(seed, &scenario));
    assert_clean("partitioned-master", &results);
    totals("partitioned-master", &results, wall);
    for (seed, r) in &results {
        assert_eq!(figure(r, "lost"), 0, "seed {seed}");
    }
    assert!(
        results
            .iter()
            .any(|(_, r)| r.reached.contains("master_moved")),
        "the cut-off master was never replaced"
    );
}

#[test]
fn consumer_crash_moves_queues_to_the_survivors() {
    let scenario = scenario("consumer-crash.toml");
    let (results, wall) = sweep(seeds(1), |seed| one(seed, &scenario));
    assert_clean("consumer-crash", &results);
    totals("consumer-crash", &results, wall);
    let restarted = results
        .iter()
        .filter(|(_, r)| r.get("restarted_after_s").is_some())
        .count();
    println!(
        "consumer-crash: takeover ≤ {} ms, deliveries resumed ≤ {} ms, {restarted} restarts",
        max(&results, "takeover_ms"),
        max(&results, "resumed_ms")
    );
    // Reached: the victim held queues and had consumed when killed (mid-stream); some runs
    // restart it and some do not.
    for (seed, r) in &results {
        assert!(
            figure(r, "victim_queues") > 0,
            "seed {seed}: the victim held nothing"
        );
        assert!(
            figure(r, "victim_consumed_before_kill") > 0,
            "seed {seed}: not mid-stream"
        );
    }
    assert!(restarted > 0 && restarted < results.len());
}

#[test]
fn broker_death_sends_go_on_and_the_route_expires() {
    let scenario = scenario("broker-death.toml");
    let (results, wall) = sweep(seeds(1), |seed| one(seed, &scenario));
    assert_clean("broker-death", &results);
    totals("broker-death", &results, wall);
    let clogged = count(&results, "clogged", "true");
    let fault = count(&results, "latency_fault", "true");
    let expired: Vec<u64> = results
        .iter()
        .filter(|(_, r)| r.get("clogged") == Some("true"))
        .map(|(_, r)| figure(r, "route_gone_ms"))
        .collect();
    println!(
        "broker-death: {clogged} clogged, {fault} with the latency fault strategy; stall ≤ {} ms; route gone after {:?} ms (clogged); last send offered the dead broker ≤ {} ms after; lost_with_broker={}",
        max(&results, "stall_max_ms"),
        (expired.iter().min(), expired.iter().max()),
        results.iter().filter_map(|(_, r)| r.get("last_offered_dead_ms")).filter_map(|v| v.parse::<u64>().ok()).max().unwrap_or(0),
        sum(&results, "lost_with_broker"),
    );
    // Reached: both death modes and both queue selectors; behind the clog the route went by
    // the expiry (≥ 120 s after the last registration, so ≥ 85 s after the death), not by a closed connection.
    assert!(clogged > 0 && clogged < results.len());
    assert!(fault > 0 && fault < results.len());
    assert!(expired.iter().all(|&ms| ms >= 85_000), "{expired:?}");
    for (seed, r) in &results {
        assert!(
            figure(r, "acked_before_death") > 0,
            "seed {seed}: died before traffic"
        );
    }
}

#[test]
fn namesrv_all_down_traffic_goes_on_from_cached_routes() {
    let scenario = scenario("namesrv-all-down.toml");
    let (results, wall) = sweep(seeds(4), |seed| one(seed, &scenario));
    assert_clean("namesrv-all-down", &results);
    totals("namesrv-all-down", &results, wall);
    println!(
        "namesrv-all-down: stalls while down ≤ {} ms (sends), ≤ {} ms (deliveries); routes back after ≤ {} ms",
        max(&results, "stall_send_max_ms"),
        max(&results, "stall_delivery_max_ms"),
        max(&results, "rerouted_ms"),
    );
    for (seed, r) in &results {
        assert!(
            figure(r, "acked_after_restart") > 0,
            "seed {seed}: no traffic after the restart"
        );
    }
}

#[test]
fn same_seed_same_trace() {
    for (file, safety_s) in [
        ("steady-state.toml", 20),
        ("consumer-crash.toml", 90),
        ("broker-death.toml", 210),
        ("mixed-modes.toml", 40),
    ] {
        let scenario = shortened(file, safety_s);
        let (a, b) = (one(3, &scenario), one(3, &scenario));
        assert_eq!(a.trace_hash, b.trace_hash, "{file} seed 3");
        assert_eq!(a.output, b.output, "{file} seed 3");
        assert_ne!(
            a.trace_hash,
            one(4, &scenario).trace_hash,
            "{file}: seeds 3 and 4"
        );
    }
}

/// Test the tests: consumers that silently forget deliveries are caught as lost messages.
#[test]
fn planted_forgetful_consumer_is_caught() {
    let mut scenario = shortened("steady-state.toml", 20);
    scenario.topology.plant_forget_one_in = 200;
    let result = one(5, &scenario).output.unwrap();
    assert!(
        result
            .violations_liveness
            .iter()
            .any(|v| rocketsim_sim::check::unstamp(v)
                .is_some_and(|(_, text)| text.starts_with("lost:"))),
        "{result:?}"
    );
    assert!(figure(&result, "lost") > 0);
}
