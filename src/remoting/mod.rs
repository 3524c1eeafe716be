//! RPC over `env::Net` in RocketMQ's remoting protocol.
//!
//! Model: a [`Connection`] is symmetric. Either side may send requests (matched to responses
//! by `opaque`), oneway requests (no response), and receive requests that it hands to a
//! [`Dispatcher`] by request code. Brokers use this to call producers and consumers back on the
//! connection the client opened (NOTIFY_CONSUMER_IDS_CHANGED, CHECK_TRANSACTION_STATE).
//!
//! A [`Server`] accepts connections and reports when one closes (the name server removes a
//! broker's routes at once when its connection closes). A [`Client`] keeps one connection per
//! address and reconnects on demand.
//!
//! Limits: frames are at most `protocol::frame::FRAME_BYTES_MAX`; requests being processed per
//! connection, responses awaited per connection and frames queued for writing are bounded
//! ([`RemotingConfig`]). A request over the processing limit is answered SYSTEM_BUSY at once.
//! A malformed frame closes only its own connection.

mod client;
mod config;
mod connection;
mod dispatch;
mod error;
mod server;

pub use client::Client;
pub use config::RemotingConfig;
pub use connection::{ConnId, ConnInfo, Connection};
pub use dispatch::{Dispatcher, Processor, Refusal, RequestContext};
pub use error::RpcError;
pub use server::Server;
