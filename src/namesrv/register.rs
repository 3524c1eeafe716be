//! REGISTER_BROKER, UNREGISTER_BROKER and QUERY_DATA_VERSION: the broker side of the
//! conversation.

use std::sync::Arc;

use bytes::Bytes;

use super::error::NamesrvError;
use super::kv_config::ORDER_TOPIC_CONFIG;
use super::state::State;
use super::table::Registration;
use crate::env::Env;
use crate::protocol::body::{fastjson, DataVersion, RegisterBrokerBody};
use crate::protocol::header::{QueryDataVersionHeader, QueryDataVersionResponseHeader};
use crate::protocol::header::{
    RegisterBrokerHeader, RegisterBrokerResponseHeader, UnregisterBrokerHeader,
};
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;

fn success() -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS, None)
}

/// REGISTER_BROKER (103): checks the body's CRC when the header carries one, decodes the body
/// (plain or compressed), updates the table and tells a slave where its master is. The body of
/// the answer is the ORDER_TOPIC_CONFIG namespace, when it exists.
pub(crate) async fn register_broker<E: Env>(
    state: Arc<State<E>>,
    ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: RegisterBrokerHeader = request.header()?;
    if header.body_crc32 != 0 {
        let actual = crc32fast::hash(&request.body);
        if actual != header.body_crc32 {
            let expected = header.body_crc32;
            return Err(NamesrvError::Crc { expected, actual });
        }
    }
    // Java registers a broker that sends no body with an empty topic table, version 0/0.
    let body = match request.body.is_empty() {
        true => RegisterBrokerBody::default(),
        false => {
            let limits = &state.config.body_limits;
            RegisterBrokerBody::decode(&request.body, header.compressed, limits)?
        }
    };
    let topics = body.topic_config_serialize_wrapper.topic_config_table.len();
    let registration = Registration {
        cluster: header.cluster_name,
        broker_name: header.broker_name,
        broker_addr: header.broker_addr,
        broker_id: header.broker_id,
        ha_server_addr: header.ha_server_addr,
        topics: body.topic_config_serialize_wrapper,
        filter_servers: body.filter_server_list,
        conn: ctx.info().id,
    };
    let addr = registration.broker_addr.clone();
    let now = state.env.now();
    let registered = state.table.lock().register(registration, now)?;
    tracing::debug!(
        target: "rocketsim::namesrv", broker = %addr, topics,
        applied = registered.topics_applied, "broker registered"
    );
    let response_header = RegisterBrokerResponseHeader {
        ha_server_addr: registered.master_ha_addr,
        master_addr: registered.master_addr,
    };
    let order = state.kv.lock().namespace(ORDER_TOPIC_CONFIG);
    let mut response = success().with_header(&response_header);
    if let Some(order) = order {
        response = response.with_body(Bytes::from(order.to_json()));
    }
    Ok(response)
}

/// UNREGISTER_BROKER (104): a broker shutting down cleanly.
pub(crate) async fn unregister_broker<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: UnregisterBrokerHeader = request.header()?;
    let removed =
        state
            .table
            .lock()
            .unregister(&header.broker_name, &header.broker_addr, header.broker_id);
    tracing::debug!(
        target: "rocketsim::namesrv", broker = %header.broker_addr, removed,
        "broker unregistered"
    );
    Ok(success())
}

/// QUERY_DATA_VERSION (322): whether the broker's topic table changed since it registered.
/// An unchanged answer refreshes the broker's liveness.
pub(crate) async fn query_data_version<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, NamesrvError> {
    let header: QueryDataVersionHeader = request.header()?;
    if request.body.is_empty() {
        return Err(NamesrvError::MissingBody {
            what: "the broker's DataVersion",
        });
    }
    let version: DataVersion = fastjson::parse(&request.body, "dataVersion")?;
    let now = state.env.now();
    let answer = state
        .table
        .lock()
        .query_data_version(&header.broker_addr, &version, now);
    let response_header = QueryDataVersionResponseHeader {
        changed: answer.changed,
    };
    let mut response = success().with_header(&response_header);
    if let Some(current) = answer.current {
        response = response.with_body(Bytes::from(current.to_json()));
    }
    Ok(response)
}
