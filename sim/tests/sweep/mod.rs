//! What the scenario test crates share: seeds run on all cores, and reading their results.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use rocketsim_sim::scenario::namesrv_support::ScenarioResult;
use rocketsim_sim::Outcome;
use std::time::Instant;

/// Runs seeds `0..count` of `scenario` on all cores; the results in seed order and the wall
/// time. A run that fails (panic, deadlock) fails the test, naming its seed.
pub fn sweep<F>(count: u64, scenario: F) -> (Vec<(u64, ScenarioResult)>, f64)
where
    F: Fn(u64) -> Outcome<ScenarioResult> + Sync,
{
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let mut results: Vec<(u64, ScenarioResult)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let scenario = &scenario;
                scope.spawn(move || {
                    (0..count)
                        .filter(|seed| seed % threads == t)
                        .map(|seed| {
                            let result = scenario(seed).output.unwrap_or_else(|failure| {
                                panic!("seed {seed}: the run failed: {failure}")
                            });
                            (seed, result)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    results.sort_by_key(|(seed, _)| *seed);
    (results, started.elapsed().as_secs_f64())
}

/// Every seed passed; a failure names the command that reproduces it.
pub fn assert_clean(name: &str, results: &[(u64, ScenarioResult)]) {
    for (seed, result) in results {
        assert!(
            result.passed(),
            "{name} seed {seed} (rocketsim run scenarios/{name}.toml --seed {seed}): safety {:?} liveness {:?} figures {:?}",
            result.violations_safety,
            result.violations_liveness,
            result.figures
        );
    }
}

/// A numeric figure of a result.
pub fn figure(result: &ScenarioResult, key: &str) -> u64 {
    result
        .get(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("figure {key} in {:?}", result.figures))
}
