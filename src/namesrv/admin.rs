//! The admin tool's requests: KV config (PUT/GET/DELETE_KV_CONFIG), write permission of a
//! broker group (WIPE/ADD_WRITE_PERM_OF_BROKER) and DELETE_TOPIC_IN_NAMESRV.

use std::io;
use std::sync::Arc;

use super::error::NamesrvError;
use super::state::State;
use crate::env::Env;
use crate::protocol::header::{
    perm_count_field, BrokerNameHeader, DeleteTopicHeader, KvConfigHeader, KvValueHeader,
};

use crate::protocol::{HeaderError, RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::RequestContext;

fn success() -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS, None)
}

/// Writes the KV store's current content to its file, in the order of calls.
pub(crate) async fn persist_kv<E: Env>(state: &State<E>) -> io::Result<()> {
    let _turn = state.kv_persist.lock().await;
    let content = state.kv.lock().to_json();
    let path = &state.config.kv_config_path;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        state.env.create_dir_all(dir)?;
    }
    state.env.write_file_atomic(path, &content).await
}

/// PUT_KV_CONFIG (100).
pub(crate) async fn put_kv<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: KvConfigHeader = request.header()?;
    let value = header
        .value
        .ok_or(HeaderError::Missing { field: "value" })?;
    state
        .kv
        .lock()
        .put(&header.namespace, &header.key, &value)?;
    persist_kv(&state).await.map_err(NamesrvError::KvPersist)?;
    Ok(success())
}

/// GET_KV_CONFIG (101): QUERY_NOT_FOUND when absent.
pub(crate) async fn get_kv<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: KvConfigHeader = request.header()?;
    let value = state
        .kv
        .lock()
        .get(&header.namespace, &header.key)
        .map(String::from);
    match value {
        Some(value) => Ok(success().with_header(&KvValueHeader { value })),
        None => Err(NamesrvError::KvNotFound {
            namespace: header.namespace,
            key: header.key,
        }),
    }
}

/// DELETE_KV_CONFIG (102): succeeds whether or not the entry existed, as in RocketMQ.
pub(crate) async fn delete_kv<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: KvConfigHeader = request.header()?;
    let removed = state.kv.lock().delete(&header.namespace, &header.key);
    if removed {
        persist_kv(&state).await.map_err(NamesrvError::KvPersist)?;
    }
    Ok(success())
}

/// WIPE_WRITE_PERM_OF_BROKER (205) and ADD_WRITE_PERM_OF_BROKER (327); the answer counts the
/// topics touched (`wipeTopicCount` / `addTopicCount`).
pub(crate) async fn write_perm<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: BrokerNameHeader = request.header()?;
    let wipe = request.request_code() == Some(RequestCode::WIPE_WRITE_PERM_OF_BROKER);
    let count = {
        let mut table = state.table.lock();
        match wipe {
            true => table.wipe_write_perm(&header.broker_name),
            false => table.add_write_perm(&header.broker_name),
        }
    };
    tracing::info!(
        target: "rocketsim::namesrv", broker = %header.broker_name, wipe, count,
        "write permission changed"
    );
    Ok(success().with_ext_field(perm_count_field(wipe), count.to_string()))
}

/// DELETE_TOPIC_IN_NAMESRV (216).
pub(crate) async fn delete_topic<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: DeleteTopicHeader = request.header()?;
    let cluster = header.cluster_name.as_deref();
    state.table.lock().delete_topic(&header.topic, cluster);
    Ok(success())
}
