//! The consumer (§2.2, §6.3–§6.5, §6.8): Java 4.9's push consumer and lite pull consumer.
//!
//! Files: `config` (settings with Java's defaults, the user-facing types), `subscription`
//! (tag expressions), `process_queue` (sans-IO: what is held of one queue, flow control,
//! the commit point, orderly batches, lock state), `offset_store` (sans-IO offset table and
//! the broadcasting file), `pull` (one PULL_MESSAGE as pure functions), `calls` (the other
//! remote calls), `engine` (the driver: heartbeat, routes, rebalance) with `pulling` (pull
//! loops), `offsets` (commit, persist, local file) and `locks` (orderly broker locks), `push` (concurrent and orderly consumption) and `lite_pull` (poll).
//!
//! Determinism: every timer, task, clock reading and file goes through the env seams;
//! everything iterated is a `BTreeMap`/`BTreeSet`/`Vec`; no randomness is drawn.

mod calls;
mod config;
mod engine;
mod lite_pull;
mod locks;
mod offset_store;
mod offsets;
mod process_queue;
mod pull;
mod pulling;
mod push;
mod subscription;

pub use config::{
    ConsumeFromWhere, ConsumeStatus, ConsumerConfig, ConsumerError, Listener, MessageModel,
    ReceivedMessage,
};
pub use lite_pull::LitePullConsumer;
pub use offset_store::{local_file, OffsetTable};
pub use process_queue::{ProcessQueue, QueueStats};
pub use pull::{inflate, pull_request, read_pull_response, PullOutcome, PullParams};
pub use push::PushConsumer;
pub use subscription::Subscription;
