//! The client library: producer and consumer behaviour of the RocketMQ 4.9 Java client.
//!
//! So far: queue allocation strategies for rebalancing (`rebalance`), pure functions; the
//! producer (`producer`) with its route cache (`route_cache`), sans-IO queue selection and
//! latency fault strategy (`fault`), pure request building (`request`) and its message,
//! result, error and configuration types (`message`); the consumer (`consumer`): push
//! (concurrent and orderly) and lite pull, with rebalance, offsets and flow control.

pub mod consumer;
pub mod fault;
pub mod message;
pub mod producer;
pub mod rebalance;
pub mod request;
pub mod route_cache;

pub use consumer::{
    ConsumeFromWhere, ConsumeStatus, ConsumerConfig, ConsumerError, Listener, LitePullConsumer,
    MessageModel, PushConsumer, ReceivedMessage,
};
pub use message::{InvalidMessage, Message, ProducerConfig, SendError, SendResult, SendStatus};
pub use producer::Producer;
