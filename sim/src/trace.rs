//! The run's trace: world actions and `tracing` events of the system under test, in order,
//! hashed incrementally so two runs of one seed can be compared by one number.
//!
//! What goes in: every world action (`World::record`), and every `tracing` event at DEBUG or
//! above whose target starts with `rocketsim` (the core crate and this one), emitted while the
//! simulation runs. Each becomes a `TraceEvent` stamped with virtual time and the *name* of
//! the node that ran it; fields are rendered in declaration order. Nothing ambient — task
//! ids, addresses of objects, wall time — may reach an event, or equal seeds would stop
//! producing equal hashes. Span fields are not included (madsim's spans carry task ids).

use crate::task::current_node;
use madsim::time::TimeHandle;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use xxhash_rust::xxh3::Xxh3;

/// One line of the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Virtual time since the simulation started.
    pub virtual_nanos: u64,
    /// Name of the node that produced it (`"world"` for the script and world actions).
    pub node: String,
    /// `tracing` target, or `"world"` for world actions.
    pub target: String,
    /// Message and fields (`message key=value …`).
    pub message: String,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.virtual_nanos as f64 / 1e9;
        write!(
            f,
            "{secs:>12.6}s {} {}: {}",
            self.node, self.target, self.message
        )
    }
}

/// Index of the first event where two traces differ (a missing event counts), if any.
pub fn first_divergence(a: &[TraceEvent], b: &[TraceEvent]) -> Option<usize> {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(index) => Some(index),
        None if a.len() != b.len() => Some(a.len().min(b.len())),
        None => None,
    }
}

/// Virtual time now, if a simulation is running on this thread.
pub(crate) fn virtual_nanos() -> Option<u64> {
    TimeHandle::try_current().map(|time| time.elapsed().as_nanos() as u64)
}

/// Something watching the trace of the run on this thread as it is written.
type Observer = Box<dyn Fn(&TraceEvent)>;

thread_local! {
    static OBSERVER: RefCell<Option<Observer>> = const { RefCell::new(None) };
}

/// Calls `observe` with every event this thread adds to a trace from now on (`rocketsim run
/// -v`). A run has a thread of its own, so called from inside a run (its script) it watches
/// that run only, and ends with it. It sees events, it cannot change them: the hash is
/// unaffected.
pub fn observe_this_thread(observe: impl Fn(&TraceEvent) + 'static) {
    OBSERVER.with(|slot| *slot.borrow_mut() = Some(Box::new(observe)));
}

struct SinkState {
    /// Set at the end of the run: what tasks log while being torn down is not part of it.
    sealed: bool,
    hasher: Xxh3,
    events: u64,
    kept: Option<Vec<TraceEvent>>,
    /// Names of the probes the nodes emitted (`rocketsim::probe!`).
    probes: BTreeSet<String>,
}

/// Where a run's events go.
pub(crate) struct TraceSink {
    state: Mutex<SinkState>,
}

/// The hash, count and (if kept) events of a finished trace.
pub(crate) struct TraceSummary {
    pub hash: u64,
    pub events: u64,
    pub kept: Option<Vec<TraceEvent>>,
    /// The probes the nodes emitted, in name order.
    pub probes: Vec<String>,
}

impl TraceSink {
    pub fn new(keep: bool) -> Self {
        let state = SinkState {
            sealed: false,
            hasher: Xxh3::new(),
            events: 0,
            kept: keep.then(Vec::new),
            probes: BTreeSet::new(),
        };
        TraceSink {
            state: Mutex::new(state),
        }
    }

    pub fn push(&self, event: TraceEvent) {
        let mut state = self.state.lock();
        if state.sealed {
            return;
        }
        state.hasher.update(&event.virtual_nanos.to_le_bytes());
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") hash differently.
        for text in [&event.node, &event.target, &event.message] {
            state.hasher.update(&(text.len() as u64).to_le_bytes());
            state.hasher.update(text.as_bytes());
        }
        state.events += 1;
        if event.target == rocketsim::probe::TARGET && !state.probes.contains(&event.message) {
            state.probes.insert(event.message.clone());
        }
        OBSERVER.with(|slot| {
            if let Some(observe) = &*slot.borrow() {
                observe(&event);
            }
        });
        if let Some(kept) = &mut state.kept {
            kept.push(event);
        }
    }

    pub fn seal(&self) {
        self.state.lock().sealed = true;
    }

    pub fn summary(&self) -> TraceSummary {
        let mut state = self.state.lock();
        TraceSummary {
            hash: state.hasher.digest(),
            events: state.events,
            kept: state.kept.take(),
            probes: std::mem::take(&mut state.probes).into_iter().collect(),
        }
    }
}

fn wanted(meta: &Metadata<'_>) -> bool {
    meta.is_event() && meta.target().starts_with("rocketsim") && *meta.level() <= Level::DEBUG
}

/// The `tracing` layer feeding a `TraceSink`.
pub(crate) struct TraceLayer {
    sink: Arc<TraceSink>,
}

impl TraceLayer {
    pub fn new(sink: Arc<TraceSink>) -> Self {
        TraceLayer { sink }
    }
}

impl<S: Subscriber> Layer<S> for TraceLayer {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        match wanted(meta) {
            true => tracing::subscriber::Interest::always(),
            false => tracing::subscriber::Interest::never(),
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        wanted(meta)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(virtual_nanos) = virtual_nanos() else {
            return;
        };
        let mut render = Render::default();
        event.record(&mut render);
        let message = match render.fields.is_empty() {
            true => render.message,
            false => format!("{}{}", render.message, render.fields),
        };
        self.sink.push(TraceEvent {
            virtual_nanos,
            node: current_node(),
            target: event.metadata().target().to_string(),
            message,
        });
    }
}

/// Renders an event's message and ` key=value` fields in declaration order.
#[derive(Default)]
struct Render {
    message: String,
    fields: String,
}

impl Render {
    fn push(&mut self, field: &Field, value: &dyn fmt::Display) {
        use fmt::Write;
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            // Writing into a String cannot fail.
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }
}

impl Visit for Render {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, &value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.push(field, &format_args!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(nanos: u64, message: &str) -> TraceEvent {
        TraceEvent {
            virtual_nanos: nanos,
            node: "n".into(),
            target: "t".into(),
            message: message.into(),
        }
    }

    #[test]
    fn divergence_points_at_the_first_difference() {
        let a = vec![event(1, "x"), event(2, "y")];
        let b = vec![event(1, "x"), event(2, "z")];
        assert_eq!(first_divergence(&a, &a), None);
        assert_eq!(first_divergence(&a, &b), Some(1));
        assert_eq!(first_divergence(&a, &a[..1]), Some(1));
    }

    #[test]
    fn hash_depends_on_every_field() {
        let hash = |e: TraceEvent| {
            let sink = TraceSink::new(false);
            sink.push(e);
            sink.summary().hash
        };
        assert_ne!(hash(event(1, "x")), hash(event(2, "x")));
        assert_ne!(hash(event(1, "x")), hash(event(1, "y")));
    }

    #[test]
    fn probe_events_become_the_runs_probe_names_once_each_in_name_order() {
        let sink = TraceSink::new(false);
        let probe = |name: &str| TraceEvent {
            target: rocketsim::probe::TARGET.into(),
            ..event(1, name)
        };
        sink.push(probe("woken"));
        sink.push(event(2, "not a probe"));
        sink.push(probe("asleep"));
        sink.push(probe("woken"));
        assert_eq!(sink.summary().probes, vec!["asleep", "woken"]);
    }
}
