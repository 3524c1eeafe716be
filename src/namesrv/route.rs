//! GET_ROUTEINFO_BY_TOPIC and the cluster-wide reads: GET_BROKER_CLUSTER_INFO,
//! GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER.

use std::sync::Arc;

use bytes::Bytes;

use super::error::NamesrvError;
use super::kv_config::ORDER_TOPIC_CONFIG;
use super::state::State;
use crate::env::Env;
use crate::protocol::body::JsonStyle;
use crate::protocol::header::ClusterHeader;
use crate::protocol::header::GetRouteInfoHeader;
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;

fn success_with(body: String) -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS, None).with_body(Bytes::from(body))
}

/// GET_ROUTEINFO_BY_TOPIC (105): standard JSON for 4.9.4+ clients or on request, fastjson's
/// unquoted integer keys for older ones; TOPIC_NOT_EXIST when no live broker serves it.
pub(crate) async fn route_by_topic<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: GetRouteInfoHeader = request.header()?;
    let route = state.table.lock().route(&header.topic);
    let Some(mut route) = route else {
        return Err(NamesrvError::TopicNotExist {
            topic: header.topic,
        });
    };
    if state.config.order_message_enable {
        let kv = state.kv.lock();
        route.order_topic_conf = kv.get(ORDER_TOPIC_CONFIG, &header.topic).map(String::from);
    }
    let standard_only = header.accept_standard_json_only.unwrap_or(false);
    let style = JsonStyle::for_request(request.version, standard_only);
    Ok(success_with(route.to_json(style)))
}

/// GET_BROKER_CLUSTER_INFO (106): every group and cluster, in the requester's JSON dialect.
pub(crate) async fn cluster_info<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let info = state.table.lock().cluster_info();
    let style = JsonStyle::for_request(request.version, false);
    Ok(success_with(info.to_json(style)))
}

/// GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
pub(crate) async fn all_topics<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    _request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let list = state.table.lock().topic_list();
    Ok(success_with(list.to_json()))
}

/// GET_TOPICS_BY_CLUSTER (224).
pub(crate) async fn topics_by_cluster<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: ClusterHeader = request.header()?;
    let list = state.table.lock().topics_by_cluster(&header.cluster);
    Ok(success_with(list.to_json()))
}
