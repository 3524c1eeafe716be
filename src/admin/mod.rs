//! The admin tool's core (`mqadmin`, §7.2): an [`Admin`] client with one async method per
//! operation, and pure renderers (`render`) from results to the tables and JSON it prints.
//!
//! Owns: which requests an operation sends to which peers, in which order, and how the
//! answers combine. Does not own: argument parsing and printing (the `mqadmin` binary in
//! `real/`), nor any state — every operation asks the name servers afresh.
//!
//! Fault model: an operation stops at the first peer that fails or refuses and returns a typed
//! [`AdminError`] naming it; what it did before that stays done (an update to a cluster may
//! have reached some masters — running it again is safe, every update here is idempotent).
//! Name-server reads take the first name server that answers; writes to name servers
//! (`delete_topic`, `write_perm`) go to every one and fail if any does. `cluster_list` is the
//! exception: an unreachable broker is a row with its error, not a failed list.
//!
//! Differences from Java's tool, all for lack of broker support: `consumer_progress` asks
//! every master (no retry topics to find the group's brokers by); `reset_offset_by_time`
//! only moves the committed offsets of an offline group (no INVOKE_BROKER_TO_RESET_OFFSET,
//! see `group`).

mod client;
mod cluster;
mod controller;
mod error;
mod group;
mod message;
pub mod render;
mod topic;
mod view;

pub use client::{Admin, AdminConfig};
pub use error::AdminError;
pub use message::{
    ConsumeSpec, SendSpec, QUERY_MAX_NUM, TOOLS_CONSUMER_GROUP, TOOLS_PRODUCER_GROUP,
};
pub use view::{
    ClusterRow, ConsumerProgress, Done, MessageView, PermRow, ProgressRow, ResetRow, SendView,
    Target, TopicSpec, TopicStatusRow,
};
