//! Running one simulation: a madsim runtime built from the seed, on a fresh OS thread, with
//! the trace layer installed for that thread only; panics mapped to `Failure`.
//!
//! Why a fresh thread per run: std's `HashMap` keys are per thread and drawn once; madsim
//! seeds them from the run's seed only if the thread has not drawn them yet. A new thread
//! makes every run start equal, whatever ran before on the caller's thread, and lets sweeps
//! run many seeds in parallel threads. Nothing here is process-global.

use super::World;
use crate::task::{panic_message, take_panic, SUPERVISOR};
use crate::trace::{TraceEvent, TraceLayer, TraceSink};
use madsim::runtime::{Handle, Runtime};
use madsim::time::TimeHandle;
use parking_lot::Mutex;
use std::future::Future;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;

/// Stack of a simulation thread: deep futures of a whole cluster live on one thread.
const STACK_BYTES: usize = 64 * 1024 * 1024;

/// How to run one simulation.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The one seed everything derives from.
    pub seed: u64,
    /// Virtual time after which the run fails with `TimeLimitExceeded`.
    pub time_limit: Option<Duration>,
    /// Keep the events in memory (for `check-determinism` and trace files), not just hash them.
    pub keep_trace: bool,
    /// Latency of each packet, drawn uniformly (madsim's default: 1–10 ms).
    pub send_latency: Range<Duration>,
    /// Probability of losing each packet at the start (the script may change it).
    pub packet_loss_rate: f64,
}

impl SimConfig {
    /// Defaults for `seed`: no time limit, trace hashed but not kept, 1–10 ms latency, no loss.
    pub fn new(seed: u64) -> Self {
        SimConfig {
            seed,
            time_limit: None,
            keep_trace: false,
            send_latency: Duration::from_millis(1)..Duration::from_millis(10),
            packet_loss_rate: 0.0,
        }
    }
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("node {node} panicked in task {task}: {message}")]
    NodePanicked {
        node: String,
        task: String,
        message: String,
    },
    #[error("the script panicked: {message}")]
    ScriptPanicked { message: String },
    #[error("virtual time limit of {limit:?} exceeded")]
    TimeLimitExceeded { limit: Duration },
    #[error("deadlock: every task waits and no timer is pending")]
    Deadlock,
    #[error("could not start the simulation thread: {message}")]
    Harness { message: String },
}

/// The result of a run and what it cost.
#[derive(Debug)]
pub struct Outcome<T> {
    pub seed: u64,
    /// The script's result, or why the run failed.
    pub output: Result<T, Failure>,
    /// xxh3-64 of every trace event in order: equal seeds must give equal hashes.
    pub trace_hash: u64,
    /// Number of trace events.
    pub events: u64,
    /// Virtual time the run covered.
    pub virtual_secs: f64,
    /// Wall time the run took (measured outside the simulation).
    pub wall_secs: f64,
    /// The events, when `keep_trace` was set.
    pub trace: Option<Vec<TraceEvent>>,
    /// The probes the nodes emitted (`rocketsim::probe!`), in name order.
    pub probes: Vec<String>,
}

/// Runs `script` as the supervisor of a new simulated world seeded by `config.seed`, on its
/// own thread, and waits for it.
pub fn run<F, Fut, T>(config: SimConfig, script: F) -> Outcome<T>
where
    F: FnOnce(World) -> Fut + Send,
    Fut: Future<Output = T>,
    T: Send,
{
    let started = std::time::Instant::now();
    let seed = config.seed;
    let joined = std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name(format!("sim-{seed}"))
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || simulate(&config, script));
        thread.map(|handle| handle.join())
    });
    let mut outcome = match joined {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(payload)) => harness_failure(seed, panic_message(payload.as_ref())),
        Err(error) => harness_failure(seed, error.to_string()),
    };
    outcome.wall_secs = started.elapsed().as_secs_f64();
    outcome
}

fn harness_failure<T>(seed: u64, message: String) -> Outcome<T> {
    Outcome {
        seed,
        output: Err(Failure::Harness { message }),
        trace_hash: 0,
        events: 0,
        virtual_secs: 0.0,
        wall_secs: 0.0,
        trace: None,
        probes: Vec::new(),
    }
}

fn runtime(config: &SimConfig) -> Runtime {
    let mut madsim_config = madsim::Config::default();
    madsim_config.net.send_latency = config.send_latency.clone();
    madsim_config.net.packet_loss_rate = config.packet_loss_rate;
    // The runtime must be the first thing on this thread to touch a HashMap (see above).
    let mut runtime = Runtime::with_seed_and_config(config.seed, madsim_config);
    if let Some(limit) = config.time_limit {
        runtime.set_time_limit(limit);
    }
    runtime
}

/// Runs on the simulation thread.
fn simulate<F, Fut, T>(config: &SimConfig, script: F) -> Outcome<T>
where
    F: FnOnce(World) -> Fut,
    Fut: Future<Output = T>,
{
    let runtime = runtime(config);
    let sink = Arc::new(TraceSink::new(config.keep_trace));
    let clock: Arc<Mutex<Option<TimeHandle>>> = Arc::default();
    let subscriber = tracing_subscriber::registry().with(TraceLayer::new(sink.clone()));
    let result = tracing::subscriber::with_default(subscriber, || {
        catch_unwind(AssertUnwindSafe(|| {
            runtime.block_on(async {
                *clock.lock() = Some(TimeHandle::current());
                let world = World::new(config.seed, Handle::current(), sink.clone());
                let output = script(world.clone()).await;
                world.teardown();
                output
            })
        }))
    });
    let output = result.map_err(|payload| classify(config, panic_message(payload.as_ref())));
    // Tasks still pending are dropped with the runtime, outside the simulation: nothing they
    // log reaches the trace. A panic in a drop must not take the caller down.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(runtime)));
    let virtual_secs = clock
        .lock()
        .as_ref()
        .map_or(0.0, |time| time.elapsed().as_secs_f64());
    let summary = sink.summary();
    Outcome {
        seed: config.seed,
        output,
        trace_hash: summary.hash,
        events: summary.events,
        virtual_secs,
        wall_secs: 0.0,
        trace: summary.kept,
        probes: summary.probes,
    }
}

/// Names a panic that unwound out of madsim.
fn classify(config: &SimConfig, message: String) -> Failure {
    if let Some(caught) = take_panic() {
        if caught.node != SUPERVISOR {
            let task = caught.task.to_string();
            return Failure::NodePanicked {
                node: caught.node,
                task,
                message: caught.message,
            };
        }
        return Failure::ScriptPanicked {
            message: caught.message,
        };
    }
    if let (Some(limit), true) = (
        config.time_limit,
        message.starts_with("time limit exceeded"),
    ) {
        return Failure::TimeLimitExceeded { limit };
    }
    if message.contains("no events, all tasks will block forever") {
        return Failure::Deadlock;
    }
    Failure::ScriptPanicked { message }
}
