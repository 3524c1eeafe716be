//! "Sometimes" probes from inside the nodes: code paths a simulation wants evidence it
//! exercised (a held pull woken by a new message, …), which the workload driving the cluster
//! cannot see from outside.
//!
//! A probe is a DEBUG `tracing` event with target [`TARGET`] whose message is the probe's
//! name. The simulator's trace layer collects the names a run emitted into its reached marks;
//! in the deployment build it is one more debug event, filtered out like the others.

/// The `tracing` target of probe events.
pub const TARGET: &str = "rocketsim::probe";

/// Marks that this code path ran: `probe!("long_poll_woken_by_message")`.
#[macro_export]
macro_rules! probe {
    ($name:literal) => {
        ::tracing::debug!(target: "rocketsim::probe", $name)
    };
}
