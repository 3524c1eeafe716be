//! The name server (§2.4–§2.6): brokers register their topics here, clients ask it for routes.
//!
//! Model: the state is a sans-IO [`RouteTable`] (routes and broker liveness) and a
//! [`KvConfig`] (the one thing persisted, `kvConfig.json`). Request handlers — one file per
//! request family: `register` (REGISTER/UNREGISTER_BROKER, QUERY_DATA_VERSION), `route`
//! (routes, cluster info, topic lists), `admin` (KV config, write permission, topic
//! deletion) — decode, call the table, encode. `server` is the thin driver: a remoting
//! server, a close listener, the expiry scan. Errors are typed per layer and mapped to
//! response codes in one place (`NamesrvError::code`); unknown request codes are answered
//! REQUEST_CODE_NOT_SUPPORTED by the dispatcher.
//!
//! Fault model: routes live in memory only, so a restarted name server knows no broker until
//! each registers again (within one registration period). Name servers never talk to each
//! other; brokers register with all of them and clients may ask any. A broker that dies
//! without closing its connection is removed after `broker_expiry` (120 s) plus at most one
//! `scan_interval` (10 s), measured on the monotonic clock.

mod admin;
mod config;
mod error;
pub mod kv_config;
mod register;
mod route;
mod server;
mod state;
pub mod table;

pub use config::NamesrvConfig;
pub use error::{NamesrvError, StartError};
pub use kv_config::{KvConfig, KvLimits, ORDER_TOPIC_CONFIG};
pub use server::{run, Namesrv};
pub use table::RouteTable;
