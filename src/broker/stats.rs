//! Operator views (§7.2): GET_BROKER_RUNTIME_INFO (28), GET_CONSUME_STATS (208),
//! GET_TOPIC_STATS_INFO (202), in the JSON shapes `mqadmin brokerStatus`, `consumerProgress`
//! and `topicStatus` parse. Rates are over the last 10 s, 60 s and 600 s (`rates`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::error::BrokerError;
use super::state::State;
use crate::env::Env;
use crate::protocol::body::{
    ConsumeStats, KvTable, MessageQueue, OffsetWrapper, TopicOffset, TopicStatsTable,
};
use crate::protocol::header::{GetConsumeStatsHeader, TopicHeader};
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;

fn success(body: String) -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS, None).with_body(Bytes::from(body))
}

pub(crate) async fn runtime_info<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    _request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let store = &state.store;
    let uptime_s = state.env.now_millis().saturating_sub(state.started_ms) / 1000;
    let pairs = [
        ("brokerVersionDesc", "V4_9_8".to_string()),
        ("brokerVersion", "409".to_string()),
        (
            "msgPutTotalTodayNow",
            state.put_total.load(Ordering::Relaxed).to_string(),
        ),
        (
            "msgGetTotalTodayNow",
            state.get_total.load(Ordering::Relaxed).to_string(),
        ),
        (
            "commitLogMinOffset",
            store.min_physical_offset().to_string(),
        ),
        (
            "commitLogMaxOffset",
            store.max_physical_offset().to_string(),
        ),
        (
            "dispatchBehindBytes",
            (store.max_physical_offset() - store.dispatched_offset()).to_string(),
        ),
        ("putTps", state.put_rate.lock().describe()),
        ("getTransferedTps", state.get_rate.lock().describe()),
        (
            "sendThreadPoolQueueSize",
            state.send_queue.queued().to_string(),
        ),
        ("pullHoldCount", state.holds.lock().len().to_string()),
        (
            "runtime",
            format!("[ 0 days, 0 hours, 0 minutes, {uptime_s} seconds ]"),
        ),
        ("bootTimestamp", state.started_ms.to_string()),
    ];
    let table = KvTable {
        table: pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    };
    Ok(success(table.to_json()))
}

fn queue(state: &State<impl Env>, topic: &str, queue_id: i32) -> MessageQueue {
    MessageQueue {
        broker_name: state.config.broker_name.clone(),
        queue_id,
        topic: topic.to_string(),
    }
}

pub(crate) async fn consume_stats<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: GetConsumeStatsHeader = request.header()?;
    let group = &h.consumer_group;
    let topics = match h.topic {
        Some(topic) => vec![topic],
        None => state.offsets.lock().topics_of_group(group),
    };
    let mut stats = ConsumeStats::default();
    for topic in topics {
        let Some(config) = state.topics.get(&topic) else {
            continue;
        };
        for queue_id in 0..config.read_queue_nums {
            let (_, max) = state.store.queue_offsets(&topic, queue_id);
            let committed = state.offsets.lock().query(group, &topic, queue_id);
            let wrapper = OffsetWrapper {
                broker_offset: max as i64,
                consumer_offset: committed.unwrap_or(0),
                last_timestamp: 0,
            };
            stats
                .offset_table
                .insert(queue(&state, &topic, queue_id), wrapper);
        }
    }
    Ok(success(stats.encode()))
}

pub(crate) async fn topic_stats<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: TopicHeader = request.header()?;
    let config = state
        .topics
        .get(&h.topic)
        .ok_or_else(|| BrokerError::TopicNotExist {
            topic: h.topic.clone(),
        })?;
    let mut table = TopicStatsTable::default();
    for queue_id in 0..config.write_queue_nums {
        let (min, max) = state.store.queue_offsets(&h.topic, queue_id);
        let offset = TopicOffset {
            last_update_timestamp: 0,
            max_offset: max as i64,
            min_offset: min as i64,
        };
        table
            .offset_table
            .insert(queue(&state, &h.topic, queue_id), offset);
    }
    Ok(success(table.encode()))
}
