//! The world: the nodes of one simulation, their disks and clocks, and every fault the
//! script can inject. A `World` is a handle usable from the script (the supervisor, madsim's
//! main task) and cloneable into tasks.
//!
//! Model:
//! * A node is a machine: a name, an IP, a `SimDisk` and a `ClockSkew` that outlive its
//!   processes. Its process is the `init` future, started by `add_node` and again by every
//!   `restart`, each time with a fresh `SimEnv` (a new *incarnation*) on the same disk. When
//!   `init` returns, the node stays up: its spawned tasks keep running until it is killed.
//! * `kill` ends the process (tasks dropped, sockets closed, disk untouched); `power_loss`
//!   also applies the disk's power-loss model; neither restarts — call `restart`.
//! * Every action is recorded in the trace, by node name.
//!
//! Calls that reach madsim (`kill`, `clog_link`, …) must be made from inside the simulation
//! (the script or a task), never while holding the world's lock: madsim re-enters the world
//! when it restarts a node.

mod faults;
mod run;

pub use run::{run, Failure, Outcome, SimConfig};

use crate::disk::{DiskFaults, SimDisk};
use crate::env::{derive_seed, ClockSkew, EnvParts, NodeHost, SimEnv};
use crate::netstate::NetState;
use crate::task::{current_node, Tagged};
use crate::trace::{virtual_nanos, TraceEvent, TraceSink};
use parking_lot::Mutex;
use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// A node of the world, in the order nodes were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(usize);

impl NodeId {
    /// Position in the order of `add_node` calls.
    pub fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node#{}", self.0)
    }
}

/// A node's process ended before `run_on` got its result.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("node {node} is down")]
pub struct NodeDown {
    pub node: String,
}

type BoxedInit = Arc<dyn Fn(SimEnv) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

struct NodeSlot {
    host: Arc<NodeHost>,
    disk: SimDisk,
    clock: Arc<ClockSkew>,
    /// The current (or last) incarnation's env.
    env: Option<SimEnv>,
}

struct WorldInner {
    seed: u64,
    handle: madsim::runtime::Handle,
    trace: Arc<TraceSink>,
    net: Arc<NetState>,
    nodes: Mutex<Vec<NodeSlot>>,
}

/// Handle on the simulated world. Cheap to clone.
#[derive(Clone)]
pub struct World {
    inner: Arc<WorldInner>,
}

impl World {
    pub(crate) fn new(seed: u64, handle: madsim::runtime::Handle, trace: Arc<TraceSink>) -> Self {
        let inner = WorldInner {
            seed,
            handle,
            trace,
            net: Arc::new(NetState::default()),
            nodes: Mutex::new(Vec::new()),
        };
        World {
            inner: Arc::new(inner),
        }
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// Virtual time since the simulation started.
    pub fn now(&self) -> Duration {
        Duration::from_nanos(virtual_nanos().unwrap_or(0))
    }

    /// Sleeps in virtual time.
    pub async fn sleep(&self, duration: Duration) {
        madsim::time::sleep(duration).await
    }

    /// Adds an event to the trace, stamped with virtual time and the running node's name.
    pub fn record(&self, kind: &'static str, detail: impl fmt::Display) {
        self.inner.trace.push(TraceEvent {
            virtual_nanos: virtual_nanos().unwrap_or(0),
            node: current_node(),
            target: "world".to_string(),
            message: format!("{kind} {detail}"),
        });
    }

    /// Adds a node and starts its first process: `init` runs with the node's first `SimEnv`,
    /// and again, with a new one, on every `restart`. Names and IPs must be unique.
    pub fn add_node<F, Fut>(&self, name: &str, ip: IpAddr, init: F) -> NodeId
    where
        F: Fn(SimEnv) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let init: BoxedInit = Arc::new(move |env| Box::pin(init(env)));
        self.build_node(name, ip, init)
    }

    /// Adds a node whose process does nothing by itself: a place to run clients with
    /// `run_on` or `env(node).spawn(…)`.
    pub fn add_client_node(&self, name: &str, ip: IpAddr) -> NodeId {
        self.add_node(name, ip, |_env| async {})
    }

    fn build_node(&self, name: &str, ip: IpAddr, init: BoxedInit) -> NodeId {
        let (id, host) = {
            let mut nodes = self.inner.nodes.lock();
            let taken = nodes.iter().any(|slot| &*slot.host.name == name);
            assert!(!taken, "node name {name} is already taken");
            let id = NodeId(nodes.len());
            let host = Arc::new(NodeHost::new(id, name, ip));
            let disk = SimDisk::new(derive_seed(self.inner.seed, &format!("{name}/disk")));
            let clock = Arc::new(ClockSkew::default());
            nodes.push(NodeSlot {
                host: host.clone(),
                disk,
                clock,
                env: None,
            });
            (id, host)
        };
        self.inner.net.add_node(ip, id);
        self.record("node.add", format_args!("{name} {ip}"));
        let boot = boot_fn(Arc::downgrade(&self.inner), id, host.name.clone(), init);
        let node = self
            .inner
            .handle
            .create_node()
            .name(name)
            .ip(ip)
            .init(boot)
            .build();
        // Set before anything runs: the first poll of `init` comes after this returns.
        let _ = host.madsim_id.set(node.id());
        id
    }

    /// Starts a new incarnation of `id`: called by madsim (through `boot_fn`) on add and
    /// restart, with madsim's node table locked — so no madsim calls in here.
    fn start_incarnation(&self, id: NodeId) -> SimEnv {
        let env = {
            let mut nodes = self.inner.nodes.lock();
            let slot = &mut nodes[id.0];
            let incarnation = slot.host.incarnation.fetch_add(1, Ordering::Relaxed) + 1;
            slot.host.alive.store(true, Ordering::Relaxed);
            let env = SimEnv::new(EnvParts {
                host: slot.host.clone(),
                incarnation,
                disk: slot.disk.clone(),
                clock: slot.clock.clone(),
                net: self.inner.net.clone(),
                handle: self.inner.handle.clone(),
                seed: self.inner.seed,
            });
            slot.env = Some(env.clone());
            env
        };
        let (name, incarnation) = (env.node_name().to_string(), env.incarnation());
        self.record(
            "node.start",
            format_args!("{name} incarnation={incarnation}"),
        );
        env
    }

    fn host(&self, id: NodeId) -> Arc<NodeHost> {
        self.inner.nodes.lock()[id.0].host.clone()
    }

    fn madsim_id(&self, id: NodeId) -> madsim::task::NodeId {
        *self
            .host(id)
            .madsim_id
            .get()
            .expect("add_node sets the madsim id before returning")
    }

    /// The node's name.
    pub fn node_name(&self, id: NodeId) -> String {
        self.host(id).name.to_string()
    }

    /// All nodes, in the order they were added.
    pub fn nodes(&self) -> Vec<NodeId> {
        (0..self.inner.nodes.lock().len()).map(NodeId).collect()
    }

    /// Whether the node's process runs (it may be paused).
    pub fn is_alive(&self, id: NodeId) -> bool {
        self.host(id).alive.load(Ordering::Relaxed)
    }

    /// The env of the node's current (or, when dead, last) incarnation.
    pub fn env(&self, id: NodeId) -> SimEnv {
        let nodes = self.inner.nodes.lock();
        nodes[id.0]
            .env
            .clone()
            .expect("madsim starts the first incarnation inside add_node")
    }

    /// The node's disk (it outlives the node's processes).
    pub fn disk(&self, id: NodeId) -> SimDisk {
        self.inner.nodes.lock()[id.0].disk.clone()
    }

    /// Sets the node's disk faults.
    pub fn set_disk_faults(&self, id: NodeId, faults: DiskFaults) {
        self.record(
            "disk.faults",
            format_args!("{} {faults:?}", self.node_name(id)),
        );
        self.disk(id).set_faults(faults);
    }

    /// Runs `f(env)` as a task on the node and returns its result, or `NodeDown` if the
    /// node's process dies (or is dead) before it finishes.
    pub async fn run_on<T, F, Fut>(&self, id: NodeId, f: F) -> Result<T, NodeDown>
    where
        F: FnOnce(SimEnv) -> Fut,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let env = self.env(id);
        let down = || NodeDown {
            node: env.node_name().to_string(),
        };
        let join = env.spawn_here("run_on", f(env.clone())).ok_or_else(down)?;
        join.await.map_err(|_| down())
    }

    fn clock(&self, id: NodeId) -> Arc<ClockSkew> {
        self.inner.nodes.lock()[id.0].clock.clone()
    }

    fn net(&self) -> &NetState {
        &self.inner.net
    }
}

/// The closure madsim calls to start a process of node `id`.
fn boot_fn(
    world: Weak<WorldInner>,
    id: NodeId,
    name: Arc<str>,
    init: BoxedInit,
) -> impl Fn() -> Pin<Box<dyn Future<Output = ()>>> + Send + Sync + 'static {
    move || {
        let env = world
            .upgrade()
            .map(|inner| World { inner }.start_incarnation(id));
        let process = env.map(|env| Tagged::new(name.clone(), "init", init(env)));
        Box::pin(async move {
            if let Some(process) = process {
                process.await;
            }
            // madsim ends a node whose init future returns; ours live on with their tasks.
            std::future::pending::<()>().await
        })
    }
}
