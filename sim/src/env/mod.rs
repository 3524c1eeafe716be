//! `SimEnv`: one incarnation of one node's view of the simulated world, implementing every
//! seam of `rocketsim::env`.
//!
//! * Clock: monotonic `now` is madsim's virtual time since the simulation started;
//!   `now_millis` is madsim's virtual wall clock plus the node's `ClockSkew` (steps, drift).
//! * Spawn: madsim tasks on this node, wrapped in `Tagged` (node name for traces, panics
//!   attributed). A stale env — one of a killed incarnation — spawns nothing: its tasks would
//!   belong to a dead process.
//! * Net: madsim TCP (see `net`), always opened from this node even when the caller runs
//!   elsewhere (the script), because madsim binds sockets to the node of the running task.
//! * Fs: the node's `SimDisk`, which outlives the incarnation.
//! * Random: the stream `"<node>#<incarnation>"` of the world seed (see `random`), so a
//!   restarted process draws new values, deterministically.

mod clock;
mod conn;
mod net;
mod random;

pub use clock::ClockSkew;
pub use conn::{SimConn, SimConnRead, SimConnWrite};
pub use net::SimListener;
pub use random::{derive_seed, SimRandom};

use crate::disk::{SimDisk, SimSegment};
use crate::netstate::NetState;
use crate::task::Tagged;
use crate::world::NodeId;
use madsim::task::JoinHandle;
use madsim::time::TimeHandle;
use rocketsim::env::{Clock, Elapsed, Fs, Instant, Random, Spawn, Task};
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

/// Where a node runs now: shared by the world and every env of the node.
pub(crate) struct NodeHost {
    pub id: NodeId,
    pub name: Arc<str>,
    pub ip: IpAddr,
    /// Set once madsim has built the node.
    pub madsim_id: OnceLock<madsim::task::NodeId>,
    /// The incarnation currently running (or last run, when dead).
    pub incarnation: AtomicU64,
    pub alive: AtomicBool,
}

impl NodeHost {
    pub fn new(id: NodeId, name: &str, ip: IpAddr) -> Self {
        NodeHost {
            id,
            name: name.into(),
            ip,
            madsim_id: OnceLock::new(),
            incarnation: AtomicU64::new(0),
            alive: AtomicBool::new(false),
        }
    }
}

struct EnvCore {
    host: Arc<NodeHost>,
    incarnation: u64,
    disk: SimDisk,
    clock: Arc<ClockSkew>,
    net: Arc<NetState>,
    handle: madsim::runtime::Handle,
}

/// One node incarnation's environment. Cheap to clone.
#[derive(Clone)]
pub struct SimEnv {
    core: Arc<EnvCore>,
    random: SimRandom,
}

/// The parts of the world an env is made of.
pub(crate) struct EnvParts {
    pub host: Arc<NodeHost>,
    pub incarnation: u64,
    pub disk: SimDisk,
    pub clock: Arc<ClockSkew>,
    pub net: Arc<NetState>,
    pub handle: madsim::runtime::Handle,
    pub seed: u64,
}

fn node_down(name: &str) -> io::Error {
    let message = format!("node {name} is down");
    io::Error::new(io::ErrorKind::ConnectionAborted, message)
}

impl SimEnv {
    pub(crate) fn new(parts: EnvParts) -> Self {
        let stream = format!("{}#{}", parts.host.name, parts.incarnation);
        let random = SimRandom::new(parts.seed, &stream);
        let core = EnvCore {
            host: parts.host,
            incarnation: parts.incarnation,
            disk: parts.disk,
            clock: parts.clock,
            net: parts.net,
            handle: parts.handle,
        };
        SimEnv {
            core: Arc::new(core),
            random,
        }
    }

    /// The node this env belongs to.
    pub fn node(&self) -> NodeId {
        self.core.host.id
    }

    /// The node's name.
    pub fn node_name(&self) -> &str {
        &self.core.host.name
    }

    /// The node's IP address.
    pub fn ip(&self) -> IpAddr {
        self.core.host.ip
    }

    /// Which start of the node this env belongs to (1 for the first).
    pub fn incarnation(&self) -> u64 {
        self.core.incarnation
    }

    /// The node's disk.
    pub fn disk(&self) -> &SimDisk {
        &self.core.disk
    }

    /// The name of this env's random stream.
    pub fn random_stream(&self) -> &str {
        self.random.path()
    }

    /// Whether this env's incarnation is the node's running process.
    pub fn is_live(&self) -> bool {
        let host = &self.core.host;
        host.alive.load(Ordering::Relaxed)
            && host.incarnation.load(Ordering::Relaxed) == self.core.incarnation
    }

    pub(crate) fn net_state(&self) -> &NetState {
        &self.core.net
    }

    pub(crate) fn net_state_arc(&self) -> Arc<NetState> {
        self.core.net.clone()
    }

    /// Spawns `future` on this node as task `task`; `None` if this incarnation is dead.
    pub(crate) fn spawn_here<T, F>(&self, task: &'static str, future: F) -> Option<JoinHandle<T>>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        if !self.is_live() {
            return None;
        }
        let node = self
            .core
            .handle
            .get_node(*self.core.host.madsim_id.get()?)?;
        Some(node.spawn(Tagged::new(self.core.host.name.clone(), task, future)))
    }

    /// Runs `future` on this node: directly when already there, else as a task of the node.
    pub(crate) async fn on_node<T, F>(&self, task: &'static str, future: F) -> io::Result<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let here = self.core.host.madsim_id.get().copied() == Some(madsim::plugin::node());
        if here && self.is_live() {
            return Ok(future.await);
        }
        let join = self
            .spawn_here(task, future)
            .ok_or_else(|| node_down(self.node_name()))?;
        join.await.map_err(|_| node_down(self.node_name()))
    }
}

impl Clock for SimEnv {
    fn now(&self) -> Instant {
        Instant::from_origin(TimeHandle::current().elapsed())
    }

    fn now_millis(&self) -> u64 {
        let time = TimeHandle::current();
        let wall = time
            .now_time()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.core.clock.wall_millis(wall, time.elapsed())
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        madsim::time::sleep(duration)
    }

    async fn timeout<F>(&self, duration: Duration, future: F) -> Result<F::Output, Elapsed>
    where
        F: Future + Send,
        F::Output: Send,
    {
        madsim::time::timeout(duration, future)
            .await
            .map_err(|_| Elapsed)
    }
}

/// A task handle: dropping it detaches the task, `abort` cancels it.
pub struct SimTask {
    join: Option<JoinHandle<()>>,
}

impl Task for SimTask {
    fn abort(&self) {
        if let Some(join) = &self.join {
            join.abort();
        }
    }

    fn is_finished(&self) -> bool {
        // madsim cancels at once, so an aborted task counts as finished (its abort handle
        // says so); a task of a dead incarnation never ran.
        match &self.join {
            Some(join) => join.is_finished() || join.abort_handle().is_finished(),
            None => true,
        }
    }
}

impl Spawn for SimEnv {
    type Task = SimTask;

    fn spawn<F>(&self, name: &'static str, future: F) -> SimTask
    where
        F: Future<Output = ()> + Send + 'static,
    {
        SimTask {
            join: self.spawn_here(name, future),
        }
    }

    async fn spawn_blocking<F, R>(&self, work: F) -> R
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // No threads in a simulation: blocking work takes no virtual time and runs inline.
        work()
    }
}

impl Random for SimEnv {
    fn next_u64(&self) -> u64 {
        self.random.next_u64()
    }

    fn fork(&self, salt: &str) -> Self {
        SimEnv {
            core: self.core.clone(),
            random: self.random.fork(salt),
        }
    }
}

impl Fs for SimEnv {
    type Segment = SimSegment;

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.core.disk.create_dir_all(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        self.core.disk.list_dir(path)
    }

    fn exists(&self, path: &Path) -> bool {
        self.core.disk.exists(path)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.core.disk.remove_file(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.core.disk.remove_dir_all(path)
    }

    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.core.disk.read_file(path)
    }

    fn write_file_atomic(
        &self,
        path: &Path,
        data: &[u8],
    ) -> impl Future<Output = io::Result<()>> + Send {
        self.core.disk.write_file_atomic(path, data)
    }

    fn open_segment(&self, path: &Path, create_len: Option<u64>) -> io::Result<SimSegment> {
        self.core.disk.open_segment(path, create_len)
    }
}
