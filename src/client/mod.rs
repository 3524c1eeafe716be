//! The client library: producer and consumer behaviour of the RocketMQ 4.9 Java client.
//!
//! So far: queue allocation strategies for rebalancing (`rebalance`), pure functions.

pub mod rebalance;
