//! The broker (§1.6, §2, §3.5–3.6, §6.3–6.5): producers send to it, consumers pull from it,
//! operators administer it; it keeps every name server informed of its topics.
//!
//! Model: request handlers, one file per request family — `send` (SEND_MESSAGE, V2, batch),
//! `pull` (PULL_MESSAGE with long polling), `offset` (consumer and queue offsets), `query`
//! (view by id, query by key), `clients` (heartbeats, consumer lists, orderly locks), `admin`
//! (topics, subscription groups), `stats` (operator views) — decode, consult the state, encode.
//! State with behaviour is sans-IO and unit-tested on its own: `long_poll` (held pulls),
//! `client_registry` (groups, expiry, who to notify), `lock_table` (orderly locks),
//! `consumer_offsets`. `server` and `housekeeping` are the drivers. Errors are typed
//! (`BrokerError`) and mapped to response codes in one place.
//!
//! Durability: messages are the store's (see `store::MessageStore` for what each flush mode
//! promises). Committed consumer offsets are saved every 5 s and at clean shutdown, so a crash
//! can rewind a group by up to 5 s of commits (re-delivery, never loss). Topic and
//! subscription-group configs are saved on every change. Client registrations, locks and held
//! pulls are in memory only: clients re-announce themselves within a heartbeat period.
//!
//! Replication (`crate::ha`): every broker listens on its HA port; a SLAVE (brokerId > 0)
//! refuses sends, copies its master's log and, every 10 s, its metadata (`slave_sync`), and
//! serves pulls; a SYNC_MASTER answers a send after a slave acknowledged it (§5.3). Pull
//! answers suggest a broker id per §5.5.
//!
//! Not modelled yet: delayed messages (`DELAY` is stored but not delayed), transactions (half
//! messages are stored but never committed), CONSUMER_SEND_MSG_BACK, SQL92 filtering.

mod admin;
mod client_registry;
mod clients;
mod config;
mod consumer_offsets;
mod error;
mod filter;
mod housekeeping;
mod lock_table;
mod long_poll;
mod offset;
mod pull;
mod query;
mod rates;
mod registration;
mod replicas;
mod replication;
mod send;
mod send_queue;
mod server;
mod slave_sync;
mod state;
mod stats;
mod topic_config_table;
mod topic_name;

pub use client_registry::{
    ClientRegistry, ConsumerGroup, Member, NotifyIdsChanged, RegistryLimits,
};
pub use config::{BrokerConfig, BrokerRole, ControllerMode};
pub use consumer_offsets::ConsumerOffsetTable;
pub use error::{BrokerError, Busy, Denied};
pub use lock_table::LockTable;
pub use long_poll::PullHolds;
pub use registration::{
    parse_namesrv_addrs, BrokerIdentity, MasterInfo, NamesrvAnswer, Outcome, RegisterError,
    Registrar, RegistrationConfig, UNREGISTERED,
};
pub use replicas::{ReplicaRole, ReplicaView};
pub use replication::EpochError;
pub use server::{run, Broker, StartError};
pub use topic_config_table::TopicConfigTable;
pub use topic_name::{TopicNameError, TBW102, TOPIC_BYTES_MAX};
