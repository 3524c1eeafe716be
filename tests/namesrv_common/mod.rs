//! Helpers shared by the name-server tests: requests as a broker or a client would build them.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use bytes::Bytes;
use rocketsim::env::Env;
use rocketsim::namesrv::NamesrvConfig;
use rocketsim::protocol::body::{
    DataVersion, RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper, TopicRouteData,
};
use rocketsim::protocol::header::{GetRouteInfoHeader, RegisterBrokerHeader};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// A name server config whose KV file lives under `dir`.
pub fn config_in(dir: &Path) -> NamesrvConfig {
    NamesrvConfig {
        kv_config_path: dir.join("kvConfig.json"),
        ..NamesrvConfig::default()
    }
}

pub fn client<E: Env>(env: &E) -> Client<E> {
    Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default())
}

pub fn register_header(name: &str, id: i64, addr: &str) -> RegisterBrokerHeader {
    RegisterBrokerHeader {
        broker_name: name.into(),
        broker_addr: addr.into(),
        cluster_name: "DefaultCluster".into(),
        ha_server_addr: format!("{addr}-ha"),
        broker_id: id,
        compressed: false,
        body_crc32: 0,
        heartbeat_timeout_ms: None,
        enable_acting_master: None,
    }
}

pub fn register_body(counter: i64, topics: &[&str]) -> RegisterBrokerBody {
    RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: TopicConfigSerializeWrapper {
            data_version: DataVersion {
                counter,
                state_version: None,
                timestamp: 1_700_000_000_000,
            },
            topic_config_table: topics
                .iter()
                .map(|t| (t.to_string(), TopicConfig::with_queues(*t, 4, 4, 6)))
                .collect(),
        },
    }
}

/// A JSON REGISTER_BROKER with the body's CRC in the header.
pub fn register_request(name: &str, id: i64, addr: &str, topics: &[&str]) -> RemotingCommand {
    let body = register_body(1, topics).encode_json();
    let mut header = register_header(name, id, addr);
    header.body_crc32 = crc32fast::hash(&body);
    RemotingCommand::request(RequestCode::REGISTER_BROKER)
        .with_header(&header)
        .with_body(Bytes::from(body))
}

pub fn route_request(topic: &str) -> RemotingCommand {
    RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&GetRouteInfoHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    })
}

/// Calls and insists on an answer (any code).
pub async fn call<E: Env>(
    client: &Client<E>,
    addr: SocketAddr,
    request: RemotingCommand,
) -> RemotingCommand {
    client
        .invoke(addr, request, CALL_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("call to {addr} failed: {e}"))
}

/// The route of `topic`, or the response code that said why not.
pub async fn route<E: Env>(
    client: &Client<E>,
    addr: SocketAddr,
    topic: &str,
) -> Result<TopicRouteData, ResponseCode> {
    let response = call(client, addr, route_request(topic)).await;
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => {
            Ok(TopicRouteData::decode(&response.body).expect("route JSON"))
        }
        code => Err(code.expect("a response")),
    }
}

/// Asserts SUCCESS.
pub fn ok(response: &RemotingCommand) {
    assert_eq!(
        response.response_code(),
        Some(ResponseCode::SUCCESS),
        "remark: {:?}",
        response.remark
    );
}
