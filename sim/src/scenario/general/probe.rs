//! Reads the brokers' consumer offsets from the admin node, as `mqadmin consumerProgress`
//! does: QUERY_CONSUMER_OFFSET (the group's committed offset of a queue) and GET_MAX_OFFSET
//! (the queue's next offset). Two uses:
//! * the offset probe, a task polling every clustering group's committed offsets during both
//!   phases and recording each answer in the history (`check::consumer_offsets_monotonic`
//!   judges them);
//! * the liveness phase's "consumer lag zero": committed == max on every queue.
//!
//! Broadcasting groups keep offsets in a file on each consumer, not at the broker: not probed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;
use rocketsim::protocol::header::{
    GetMaxOffsetHeader, OffsetResponseHeader, QueryConsumerOffsetHeader,
};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::Client;

use crate::check::OffsetObservation;
use crate::scenario::messaging::traffic::SharedLedger;
use crate::{SimEnv, World};

const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// The address of a broker group's current master, shared by the group's probed queues (in
/// controller mode a tracker task moves it when the master does).
pub type MasterCell = Arc<parking_lot::Mutex<SocketAddr>>;

/// A queue of a group's topic and the address of its broker group's master.
#[derive(Clone, Debug)]
pub struct ProbedQueue {
    pub group: String,
    pub queue: MessageQueue,
    pub master: MasterCell,
}

impl ProbedQueue {
    /// Where the queue's master is now.
    pub fn broker(&self) -> SocketAddr {
        *self.master.lock()
    }
}

/// `Some(offset)` committed, `None` when the group has none; `Err` when the broker did not
/// answer.
pub async fn committed(client: &Client<SimEnv>, target: &ProbedQueue) -> Result<Option<i64>, ()> {
    let request = RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET).with_header(
        &QueryConsumerOffsetHeader {
            consumer_group: target.group.clone(),
            topic: target.queue.topic.clone(),
            queue_id: target.queue.queue_id,
            set_zero_if_not_found: Some(false),
        },
    );
    let response = client
        .invoke(target.broker(), request, CALL_TIMEOUT)
        .await
        .map_err(|_| ())?;
    match response.response_code() {
        Some(ResponseCode::QUERY_NOT_FOUND) => Ok(None),
        Some(ResponseCode::SUCCESS) => response
            .header::<OffsetResponseHeader>()
            .map(|h| Some(h.offset))
            .map_err(|_| ()),
        _ => Err(()),
    }
}

/// The queue's max (next) offset.
pub async fn max_offset(client: &Client<SimEnv>, target: &ProbedQueue) -> Result<i64, ()> {
    let request =
        RemotingCommand::request(RequestCode::GET_MAX_OFFSET).with_header(&GetMaxOffsetHeader {
            topic: target.queue.topic.clone(),
            queue_id: target.queue.queue_id,
            committed: None,
        });
    let response = client
        .invoke(target.broker(), request, CALL_TIMEOUT)
        .await
        .map_err(|_| ())?;
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => response
            .header::<OffsetResponseHeader>()
            .map(|h| h.offset)
            .map_err(|_| ()),
        _ => Err(()),
    }
}

/// Polls every target every `period` until `stop`, recording each committed offset.
pub async fn run(
    world: World,
    client: Client<SimEnv>,
    targets: Vec<ProbedQueue>,
    ledger: SharedLedger,
    period: Duration,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::SeqCst) {
        for target in &targets {
            // Stamped when asked: the answer is the state at some moment after this, so a
            // broker stop right after the broker answered still falls after the stamp (and
            // explains what the next answer says).
            let asked_at = world.now();
            if let Ok(Some(offset)) = committed(&client, target).await {
                let observation = OffsetObservation {
                    group: target.group.clone(),
                    queue: target.queue.clone(),
                    offset,
                    at: asked_at,
                };
                ledger.lock().oracle.offset_observed(observation);
            }
        }
        world.sleep(period).await;
    }
}

/// Queues whose committed offset is not the max offset now, described (empty: lag zero).
/// A committed offset *past* the max is returned too: the caller judges it.
pub async fn lagging(client: &Client<SimEnv>, targets: &[ProbedQueue]) -> Vec<Lag> {
    let mut lagging = Vec::new();
    for target in targets {
        let committed = committed(client, target).await;
        let max = max_offset(client, target).await;
        let lag = match (committed, max) {
            (Ok(c), Ok(m)) if c.unwrap_or(0) == m => continue,
            (Ok(c), Ok(m)) => Lag {
                target: target.clone(),
                committed: c,
                max: Some(m),
            },
            (_, max) => Lag {
                target: target.clone(),
                committed: None,
                max: max.ok(),
            },
        };
        lagging.push(lag);
    }
    lagging
}

/// One queue that has not caught up.
#[derive(Clone, Debug)]
pub struct Lag {
    pub target: ProbedQueue,
    pub committed: Option<i64>,
    /// `None`: the broker did not answer.
    pub max: Option<i64>,
}

impl Lag {
    /// The committed offset is past the queue's end (its tail was lost).
    pub fn ahead(&self) -> bool {
        matches!((self.committed, self.max), (Some(c), Some(m)) if c > m)
    }

    pub fn describe(&self) -> String {
        let queue = crate::check::history::show(&self.target.queue);
        match self.max {
            None => format!("group {} {queue}: broker did not answer", self.target.group),
            Some(max) => format!(
                "group {} {queue}: committed {:?}, max {max}",
                self.target.group, self.committed
            ),
        }
    }
}
