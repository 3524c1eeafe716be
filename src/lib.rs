//! rocketsim: a RocketMQ-compatible message-queue cluster written once against small seams
//! (`env`), so that the same code runs in a deterministic simulation and for real.
//!
//! Layout (see DESIGN.md): `env` the seams; `protocol` pure codecs of RocketMQ's wire and record
//! formats; `remoting` request/response RPC over `env::Net`; `store` the CommitLog store;
//! `namesrv`, `broker`, `client` the nodes; `conf` their configuration files.

#![forbid(unsafe_code)]

pub mod admin;
pub mod broker;
pub mod client;
pub mod conf;
pub mod controller;
pub mod env;
pub mod ha;
pub mod namesrv;
pub mod probe;
pub mod protocol;
pub mod remoting;
pub mod store;
