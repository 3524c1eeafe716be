//! Looking messages up (§2.3, §3.5): VIEW_MESSAGE_BY_ID (33), by the CommitLog offset an
//! offset msgId carries, and QUERY_MESSAGE (12), by key through the index — by KEYS, or by
//! UNIQ_KEY when the request carries `_UNIQUE_KEY_QUERY=true`. Bodies are records verbatim.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::error::BrokerError;
use super::state::State;
use crate::env::Env;
use crate::protocol::header::{
    QueryMessageHeader, QueryMessageResponseHeader, ViewMessageHeader, UNIQUE_KEY_QUERY,
};
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;

/// Java's `defaultQueryMaxNum` for unique-key lookups.
const UNIQUE_KEY_QUERY_MAX: usize = 32;

pub(crate) async fn view_message<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: ViewMessageHeader = request.header()?;
    let not_found = BrokerError::MessageNotFound { offset: h.offset };
    let Ok(offset) = u64::try_from(h.offset) else {
        return Err(not_found);
    };
    let record = state.store.read(offset).map_err(|_| not_found)?;
    Ok(RemotingCommand::response(ResponseCode::SUCCESS, None).with_body(record))
}

pub(crate) async fn query_message<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: QueryMessageHeader = request.header()?;
    let unique = request
        .ext_fields
        .get(UNIQUE_KEY_QUERY)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let max = match unique {
        true => UNIQUE_KEY_QUERY_MAX,
        false => h.max_num.max(1) as usize,
    };
    let (begin, end) = (h.begin_timestamp_ms, h.end_timestamp_ms);
    let found = (state.store).query_by_key(&h.topic, &h.key, begin, end, max)?;
    let mut body = BytesMut::new();
    for offset in found {
        let Ok((raw, record)) = state.store.read_record(offset) else {
            continue;
        };
        // A unique-key query wants the message whose UNIQ_KEY it is, not one keyed alike.
        if unique && record.properties.uniq_key() != Some(h.key.as_str()) {
            continue;
        }
        body.extend_from_slice(&raw);
    }
    if body.is_empty() {
        return Err(BrokerError::QueryNotFound);
    }
    let header = QueryMessageResponseHeader {
        index_last_update_timestamp_ms: state.env.now_millis() as i64,
        index_last_update_phyoffset: state.store.dispatched_offset() as i64,
    };
    Ok(RemotingCommand::response(ResponseCode::SUCCESS, None)
        .with_header(&header)
        .with_body(Bytes::from(body)))
}
