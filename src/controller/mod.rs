//! The controller of RocketMQ 5's controller mode (§5.8): who is master of each broker group,
//! with epochs that fence stale masters, plus the broker-side library that talks to it and the
//! epoch history the AutoSwitch handshake compares.
//!
//! Model. Per broker group (a `brokerName` within a cluster) the controller keeps the replicas
//! (broker id → address), the master id, `masterEpoch`, the sync-state set and its
//! `syncStateSetEpoch` ([`BrokerGroup`], persisted), and per broker its liveness: last
//! heartbeat, epoch, max and confirm offsets, election priority ([`Liveness`], memory only,
//! rebuilt by heartbeats). All decisions are made by the sans-IO [`ControllerState`]: requests
//! and "time is now t" in, typed outcomes out (who was elected, whom to notify, which
//! connections to close). [`server`] is the thin driver over the remoting layer; it persists
//! every change of the groups through the `Fs` seam *before* answering, so an epoch a broker
//! has seen is never handed out twice by a restarted controller.
//!
//! Invariants: `masterEpoch` and `syncStateSetEpoch` only grow; the master, when present, is
//! in the sync-state set; the sync-state set only names registered replicas; a change of the
//! sync-state set is accepted only from the current master at the current epochs.
//!
//! Broker side: [`client`] registers, heartbeats every second, polls GET_REPLICA_INFO every
//! 5 s, takes role-change pushes, and turns all of them into ordered [`client::RoleEvent`]s
//! through the sans-IO [`client::RoleTracker`]. [`epoch_file`] is the `epochFileCheckpoint`
//! format and [`epoch_cache`] the epoch history with the truncation rule.
//!
//! This controller is a single node. A replicated controller would need: the group table as
//! the state of a replicated log (Raft: DLedger or JRaft in RocketMQ), every mutation (apply
//! id, address update, election, sync-state set change) appended and committed by a majority
//! before it is answered or notified; only the leader running the inactive-broker scan and
//! answering requests (others answer CONTROLLER_NOT_LEADER and GET_METADATA_INFO names the
//! leader); heartbeats and liveness kept on the leader only and rebuilt after a leader change
//! (with a grace period of one heartbeat timeout before any master is judged dead, as this
//! node does after a restart); and brokers that rotate through `controllerAddr` to find the
//! leader. Fencing by epoch carries over unchanged: the epochs are part of the replicated
//! state.

pub mod client;
mod config;
mod elect;
pub mod epoch_cache;
pub mod epoch_file;
mod error;
mod group;
mod handlers;
mod liveness;
mod machine;
#[cfg(test)]
mod machine_tests;
pub mod server;
mod snapshot;

pub use config::{ControllerConfig, ControllerLimits};
pub use error::{AlterFailure, ControllerError, StartError};
pub use group::{BrokerGroup, BrokerId, GroupView, Replica};
pub use liveness::{BrokerStats, LiveInfo, Liveness};
pub use machine::{
    ControllerState, ElectRequest, Election, ElectionOutcome, Heartbeat, RoleChange, ScanResult,
};
pub use server::{run, Controller};
pub use snapshot::Snapshot;
