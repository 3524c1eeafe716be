//! Client management (§2.3, §2.7, §6.5): HEART_BEAT (34), UNREGISTER_CLIENT (35),
//! GET_CONSUMER_LIST_BY_GROUP (38), LOCK_BATCH_MQ (41), UNLOCK_BATCH_MQ (42). Membership
//! changes go out as NOTIFY_CONSUMER_IDS_CHANGED on each member's own connection.

use std::sync::Arc;

use bytes::Bytes;

use super::error::BrokerError;
use super::state::State;
use crate::env::Env;
use crate::protocol::body::{BodyError, ConsumerListBody, LockBatchBody, LockBatchResponseBody};
use crate::protocol::header::{ConsumerGroupHeader, UnregisterClientHeader};
use crate::protocol::heartbeat::HeartbeatData;
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;

/// Largest HEART_BEAT or lock body accepted.
const BODY_BYTES_MAX: usize = 4 * 1024 * 1024;

fn success() -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS, None)
}

fn body_of(request: &RemotingCommand, what: &'static str) -> Result<Bytes, BrokerError> {
    if request.body.is_empty() {
        return Err(BrokerError::MissingBody { what });
    }
    if request.body.len() > BODY_BYTES_MAX {
        let (len, max) = (request.body.len(), BODY_BYTES_MAX);
        return Err(BodyError::TooLarge { what, len, max }.into());
    }
    Ok(request.body.clone())
}

pub(crate) async fn heartbeat<E: Env>(
    state: Arc<State<E>>,
    ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let body = body_of(&request, "HeartbeatData")?;
    let data: HeartbeatData = serde_json::from_slice(&body).map_err(|e| BodyError::Json {
        what: "HeartbeatData",
        detail: e.to_string(),
    })?;
    let now = state.env.now();
    let notify = state.clients.lock().on_heartbeat(&data, ctx.info().id, now);
    state.notify_ids_changed(notify);
    Ok(success())
}

pub(crate) async fn unregister_client<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: UnregisterClientHeader = request.header()?;
    let notify = state.clients.lock().on_unregister(
        &h.client_id,
        h.producer_group.as_deref(),
        h.consumer_group.as_deref(),
    );
    state.notify_ids_changed(notify);
    Ok(success())
}

/// Java answers SYSTEM_ERROR "no consumer for this group" for an unknown group; an empty list
/// is as informative and lets a client tell "none" from a failure, so we answer that.
pub(crate) async fn consumer_list<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: ConsumerGroupHeader = request.header()?;
    let body = ConsumerListBody {
        consumer_id_list: state.clients.lock().consumer_ids(&h.consumer_group),
    };
    Ok(success().with_body(Bytes::from(body.encode())))
}

pub(crate) async fn lock_batch<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let body = LockBatchBody::decode(&body_of(&request, "LockBatchRequestBody")?)?;
    let now = state.env.now();
    let held =
        (state.locks.lock()).lock_batch(&body.consumer_group, &body.mq_set, &body.client_id, now);
    let answer = LockBatchResponseBody {
        lock_ok_mq_set: held,
    };
    Ok(success().with_body(Bytes::from(answer.encode())))
}

pub(crate) async fn unlock_batch<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let body = LockBatchBody::decode(&body_of(&request, "UnlockBatchRequestBody")?)?;
    (state.locks.lock()).unlock_batch(&body.consumer_group, &body.mq_set, &body.client_id);
    Ok(success())
}
