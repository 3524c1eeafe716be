//! Replication (§5.1–5.3, §5.8): classic master→slave HA and the controller mode's AutoSwitch.
//!
//! Model. A master streams its CommitLog, byte for byte, to every slave connected to its HA
//! port (`haListenPort`, listenPort + 1); a slave appends the bytes at the same physical
//! offsets, so its log is byte-identical, and its own dispatcher builds its consume queues and
//! index. The slave reports its log end (8 bytes) on connecting, after each append and every
//! 5 s; those reports are the master's acknowledgements. A SYNC_MASTER answers a send only
//! when a slave acknowledged the message's end offset (or FLUSH_SLAVE_TIMEOUT after 3 s, or
//! SLAVE_NOT_AVAILABLE at once with no slave within 256 MiB); the message stays on the master
//! either way. ASYNC_MASTER answers after its own write.
//!
//! AutoSwitch (§5.8, controller mode; `HaConfig::protocol`): each link starts with a handshake
//! naming the slave's broker id (ids the master's group does not know are refused); the master
//! answers with its epoch history and the slave cuts a divergent tail (durably, through
//! `MessageStore::truncate_to`) to the last point both histories agree on, or refuses to
//! replicate when they share no epoch. Frames carry their epoch and the confirm offset (the
//! least ack in the sync-state set); with `allAckInSyncStateSet` a write is acknowledged only
//! when every member has it and consumers see only confirmed data, on master and slaves.
//!
//! Parts: sans-IO cores with unit tests — `frame` and `auto_frame` (the two wire formats),
//! `master_link` (one slave link on the master), `slave_link` (the slave's link), `acks`
//! (classic acknowledgements and waiting sends), `sync_set` (the sync-state set, confirm
//! offset, all-ack waiters, proposals) — their drivers `master` (+ `auto_master`,
//! `master_sync`) and `slave` (+ `auto_slave`) over the env seams, `epochs` (the persisted
//! epoch history) and `role` (store steps of a role change). Errors: `LinkError`; every
//! closed link is logged with its reason.
//!
//! Roles change at run time by aborting the running driver's task and starting the other:
//! the HA listener lives in the `Master`'s task, so a slave has no HA port (as in Java).
//!
//! Fault model: a link survives nothing — any error, malformed frame or offset mismatch
//! closes it and the slave reconnects every `reconnect_interval`. Classic HA never truncates:
//! a slave whose log diverges from its master's keeps being refused, with a log line each
//! time. Not modelled: brokerIP2 (the HA address uses brokerIP1), cascading slaves.

mod acks;
mod auto_frame;
mod auto_master;
mod auto_slave;
mod config;
mod epochs;
mod error;
mod frame;
mod master;
mod master_link;
mod master_sync;
mod protocol;
mod role;
mod slave;
mod slave_link;
mod sync_set;
mod waiters;

pub use acks::{AckTable, LinkId};
pub use auto_frame::{
    decode_master_msg, decode_slave_msg, encode_ack, encode_auto_transfer_header, encode_handshake,
    encode_reply, AutoTransfer, MasterMsg, SlaveMsg, ACK_BYTES, AUTO_TRANSFER_HEADER_BYTES,
    HANDSHAKE_BYTES, REPLY_HEADER_BYTES,
};
pub use config::HaConfig;
pub use epochs::{Epochs, EpochsError, EPOCH_FILE_NAME};
pub use error::LinkError;
pub use frame::{
    decode_reports, decode_transfer, encode_report, encode_transfer_header, FrameError, Invalid,
    TransferHeader, REPORT_BYTES, TRANSFER_HEADER_BYTES,
};
pub use master::{BrokerFilter, Master};
pub use master_link::{CloseReason, LogEnds, MasterAction, MasterLink};
pub use protocol::HaProtocol;
pub use role::{prepare_master, RoleError};
pub use slave::{MasterResolver, Slave};
pub use slave_link::{FrameVerdict, SlaveClose, SlaveLink};
pub use sync_set::SyncSet;
