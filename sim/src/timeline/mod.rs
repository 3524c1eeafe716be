//! The run's timeline: what happened to each node over virtual time, as one self-contained
//! HTML page (`rocketsim run … --timeline out.html`).
//!
//! Sans-IO: `build` turns a run's header, its kept trace and its violations into a
//! `Timeline` (plain data), `render` turns that into an HTML string; writing the file is the
//! caller's business. Nothing here reads a clock or the disk, so both halves are tested on
//! hand-made traces.
//!
//! Model:
//! * One `Lane` per node, in the order nodes were added (`node.add`), with `Span`s of its
//!   process state (up, paused, killed, power lost) and of its network cuts (clogs and
//!   partitions, until unclogged or healed), and `Mark`s for point events on it.
//! * World-wide events (heal, packet loss, latency, records of no node) go to `global`.
//! * Violations come from the verdict, which is known only at the end: they are red marks
//!   at the end of the run, with their text.
//! * Rates are per-second counts: the messaging workload's `workload.rate` records and the
//!   events of the `rocketsim::workload` target.
//!
//! The page fetches nothing: inline CSS and SVG, no script, no fonts, no URL of any kind.

mod build;
mod classify;
mod render;

pub use build::build;
pub use classify::{classify, Category};
pub use render::render;

use std::collections::BTreeMap;

/// What the header shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunInfo {
    pub scenario: String,
    pub seed: u64,
    /// `pass` or `fail`.
    pub result: String,
    pub trace_hash: u64,
    /// The command line that reproduces the run.
    pub reproduce: String,
    /// The runner's final line (figures included).
    pub final_line: String,
    /// Virtual time the run covered.
    pub virtual_nanos: u64,
}

/// A node's process state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    Up,
    Paused,
    Killed,
    PowerLost,
    /// Cut off from (some of) the network: clogged or partitioned.
    Cut,
}

/// A time range of one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub from_nanos: u64,
    pub to_nanos: u64,
    pub state: NodeState,
    pub text: String,
}

/// What a point mark stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkKind {
    Kill,
    Restart,
    PowerLoss,
    Pause,
    Resume,
    /// Clog, unclog, partition, heal, packet loss, latency.
    Net,
    /// Clock step or drift.
    Clock,
    Disk,
    /// A route change on a name server: registration, expiry, removal.
    Route,
    /// Anything else recorded.
    Event,
    Violation,
}

/// A point event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub at_nanos: u64,
    pub kind: MarkKind,
    pub text: String,
}

/// One node's row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lane {
    pub name: String,
    /// Process state over time, in order, not overlapping.
    pub spans: Vec<Span>,
    /// Network cuts over time, in order, not overlapping.
    pub cuts: Vec<Span>,
    pub marks: Vec<Mark>,
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeline {
    pub info: RunInfo,
    /// The end of the time axis: the run's end, or its last event if later.
    pub end_nanos: u64,
    pub lanes: Vec<Lane>,
    pub global: Vec<Mark>,
    pub violations: Vec<Mark>,
    /// Series name → virtual second → count.
    pub rates: BTreeMap<String, BTreeMap<u64, u64>>,
}

impl Timeline {
    /// The lane of `name`, if the node was added.
    pub fn lane(&self, name: &str) -> Option<&Lane> {
        self.lanes.iter().find(|lane| lane.name == name)
    }
}
