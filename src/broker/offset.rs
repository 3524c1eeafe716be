//! Offsets (§2.3): the consumer's committed offsets (QUERY_CONSUMER_OFFSET 14,
//! UPDATE_CONSUMER_OFFSET 15, GET_ALL_CONSUMER_OFFSET 43) and the queues' own
//! (GET_MAX_OFFSET 30, GET_MIN_OFFSET 31, GET_EARLIEST_MSG_STORETIME 32,
//! SEARCH_OFFSET_BY_TIMESTAMP 29).

use std::sync::Arc;

use bytes::Bytes;

use super::error::BrokerError;
use super::state::State;
use crate::env::Env;
use crate::protocol::header::{
    GetEarliestMsgStoretimeHeader, GetMaxOffsetHeader, GetMinOffsetHeader, OffsetResponseHeader,
    QueryConsumerOffsetHeader, SearchOffsetHeader, TimestampResponseHeader,
    UpdateConsumerOffsetHeader,
};
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;
use crate::store::metadata::{unquote_integer_keys, ConsumerOffsets};

fn offset_response(offset: u64) -> RemotingCommand {
    let header = OffsetResponseHeader {
        offset: offset as i64,
    };
    RemotingCommand::response(ResponseCode::SUCCESS, None).with_header(&header)
}

/// QUERY_CONSUMER_OFFSET. Without a stored offset, Java answers 0 when the queue still starts
/// at 0 (a brand-new group then consumes from the beginning, §6.3), else QUERY_NOT_FOUND; the
/// 5.x `setZeroIfNotFound=false` asks for QUERY_NOT_FOUND regardless.
pub(crate) async fn query_consumer_offset<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: QueryConsumerOffsetHeader = request.header()?;
    let stored = (state.offsets.lock()).query(&h.consumer_group, &h.topic, h.queue_id);
    if let Some(offset) = stored {
        return Ok(offset_response(offset.max(0) as u64));
    }
    let (min, _) = state.store.queue_offsets(&h.topic, h.queue_id);
    if min == 0 && h.set_zero_if_not_found != Some(false) {
        return Ok(offset_response(0));
    }
    Err(BrokerError::OffsetNotFound)
}

/// UPDATE_CONSUMER_OFFSET (usually oneway).
pub(crate) async fn update_consumer_offset<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: UpdateConsumerOffsetHeader = request.header()?;
    if state.topics.get(&h.topic).is_none() {
        return Err(BrokerError::TopicNotExist { topic: h.topic });
    }
    (state.offsets.lock()).commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    Ok(RemotingCommand::response(ResponseCode::SUCCESS, None))
}

/// GET_ALL_CONSUMER_OFFSET: `ConsumerOffsetSerializeWrapper` with fastjson's bare integer keys.
pub(crate) async fn all_consumer_offsets<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    _request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let table = ConsumerOffsets {
        offset_table: state.offsets.lock().snapshot_clean(),
    };
    let json = serde_json::to_string(&table).expect("offsets serialize");
    let body = Bytes::from(unquote_integer_keys(&json, 3));
    Ok(RemotingCommand::response(ResponseCode::SUCCESS, None).with_body(body))
}

/// GET_ALL_DELAY_OFFSET (45): `delayOffset.json`'s table (delay level → progress), fastjson
/// style. Delay levels are not modelled yet, so this is the table as loaded (often empty).
pub(crate) async fn all_delay_offsets<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    _request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let table = state.store.metadata().delay_offsets;
    let json = serde_json::to_string(&table).expect("delay offsets serialize");
    let body = Bytes::from(unquote_integer_keys(&json, 2));
    Ok(RemotingCommand::response(ResponseCode::SUCCESS, None).with_body(body))
}

pub(crate) async fn max_offset<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: GetMaxOffsetHeader = request.header()?;
    Ok(offset_response(
        state.store.queue_offsets(&h.topic, h.queue_id).1,
    ))
}

pub(crate) async fn min_offset<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: GetMinOffsetHeader = request.header()?;
    Ok(offset_response(
        state.store.queue_offsets(&h.topic, h.queue_id).0,
    ))
}

/// GET_EARLIEST_MSG_STORETIME: the store time of the queue's first message, -1 if none.
pub(crate) async fn earliest_store_time<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: GetEarliestMsgStoretimeHeader = request.header()?;
    let (min, max) = state.store.queue_offsets(&h.topic, h.queue_id);
    let mut timestamp_ms = -1;
    if min < max {
        let first = state
            .store
            .read_queue(&h.topic, h.queue_id, min, 1, 1, None)?;
        if let Some((_, entry)) = first.entries.first() {
            timestamp_ms = state
                .store
                .read_record(entry.physical_offset)?
                .1
                .store_timestamp_ms;
        }
    }
    let header = TimestampResponseHeader { timestamp_ms };
    Ok(RemotingCommand::response(ResponseCode::SUCCESS, None).with_header(&header))
}

/// SEARCH_OFFSET_BY_TIMESTAMP: the first offset stored at or after the time.
pub(crate) async fn search_offset<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: SearchOffsetHeader = request.header()?;
    let offset = (state.store).queue_offset_by_time(&h.topic, h.queue_id, h.timestamp_ms)?;
    Ok(offset_response(offset))
}
