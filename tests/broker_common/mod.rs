//! Helpers of the broker tests: start a broker, build raw requests as a 4.9 client would, and
//! read the answers.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use bytes::{Bytes, BytesMut};
use rocketsim::broker::{Broker, BrokerConfig};
use rocketsim::env::Env;
use rocketsim::protocol::batch::{encode_batch, BatchEntry};
use rocketsim::protocol::header::{
    CreateTopicHeader, PullMessageHeader, PullMessageResponseHeader, SendMessageHeader,
    SendMessageHeaderV2, SendMessageResponseHeader,
};
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::record::{decode_all, DecodeOptions, MessageRecord};
use rocketsim::protocol::sysflag::PullSysFlag;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig};
use rocketsim::store::StoreConfig;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A broker config for tests: small store files, `ip:port` published.
pub fn config(root: &Path, ip: IpAddr, port: u16, namesrv: Option<SocketAddr>) -> BrokerConfig {
    let mut config = BrokerConfig::new("broker-a", root);
    config.broker_ip1 = ip;
    config.listen_port = port;
    config.max_message_size = 16 * 1024;
    config.namesrv_addr = namesrv.into_iter().collect();
    config
}

/// Binds `bind`, then starts a broker publishing the bound port.
pub async fn start<E: Env>(env: &E, bind: SocketAddr, mut config: BrokerConfig) -> Broker<E> {
    let listener = env.bind(bind).await.expect("bind");
    let addr = rocketsim::env::Listener::local_addr(&listener).expect("addr");
    config.listen_port = addr.port();
    config.broker_ip1 = addr.ip();
    config.store_tweak = Some(|s| {
        let mut small = StoreConfig::small(s.root.clone());
        small.store_host = s.store_host;
        small.flush_mode = s.flush_mode;
        small.body_bytes_max = s.body_bytes_max;
        small
    });
    Broker::start(env.clone(), listener, config)
        .await
        .expect("broker starts")
}

pub fn client<E: Env>(env: &E) -> Client<E> {
    Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default())
}

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

pub fn assert_code(response: &RemotingCommand, code: ResponseCode) {
    assert_eq!(
        response.response_code(),
        Some(code),
        "remark: {:?}",
        response.remark
    );
}

pub fn create_topic(topic: &str, queues: i32) -> RemotingCommand {
    RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC).with_header(&CreateTopicHeader {
        topic: topic.into(),
        default_topic: "TBW102".into(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm: 6,
        topic_filter_type: "SINGLE_TAG".into(),
        topic_sys_flag: Some(0),
        order: false,
    })
}

pub fn props(pairs: &[(&str, &str)]) -> Properties {
    Properties::from_pairs(pairs.iter().copied()).expect("properties")
}

pub fn send_header(topic: &str, queue_id: i32, properties: &Properties) -> SendMessageHeader {
    let text = String::from_utf8(properties.encode().expect("encode").to_vec()).expect("utf8");
    SendMessageHeader {
        producer_group: "PG".into(),
        topic: topic.into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id,
        sys_flag: 0,
        born_timestamp_ms: 1_700_000_000_000,
        flag: 0,
        properties: Some(text),
        reconsume_times: Some(0),
        unit_mode: false,
        max_reconsume_times: None,
        batch: false,
        broker_name: None,
    }
}

pub fn send_v1(header: &SendMessageHeader, body: &[u8]) -> RemotingCommand {
    RemotingCommand::request(RequestCode::SEND_MESSAGE)
        .with_header(header)
        .with_body(Bytes::copy_from_slice(body))
}

pub fn send_v2(header: SendMessageHeader, body: &[u8]) -> RemotingCommand {
    RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
        .with_header(&SendMessageHeaderV2(header))
        .with_body(Bytes::copy_from_slice(body))
}

pub fn send_batch(topic: &str, queue_id: i32, bodies: &[&str]) -> RemotingCommand {
    let entries: Vec<BatchEntry> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| BatchEntry {
            flag: 0,
            body: Bytes::copy_from_slice(b.as_bytes()),
            properties: props(&[("UNIQ_KEY", &format!("BATCH{i}")), ("WAIT", "true")]),
        })
        .collect();
    let mut body = BytesMut::new();
    encode_batch(&entries, &mut body).expect("batch");
    let mut header = send_header(topic, queue_id, &Properties::new());
    header.batch = true;
    RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE)
        .with_header(&SendMessageHeaderV2(header))
        .with_body(body.freeze())
}

pub fn send_answer(response: &RemotingCommand) -> SendMessageResponseHeader {
    assert_code(response, ResponseCode::SUCCESS);
    response.header().expect("send response header")
}

pub struct Pull {
    pub group: &'static str,
    pub topic: &'static str,
    pub queue_id: i32,
    pub offset: i64,
    pub subscription: &'static str,
    pub suspend_ms: Option<i64>,
    pub commit_offset: Option<i64>,
}

impl Pull {
    pub fn new(topic: &'static str, queue_id: i32, offset: i64) -> Self {
        Pull {
            group: "CG",
            topic,
            queue_id,
            offset,
            subscription: "*",
            suspend_ms: None,
            commit_offset: None,
        }
    }

    pub fn request(&self) -> RemotingCommand {
        let flags = PullSysFlag::build(
            self.commit_offset.is_some(),
            self.suspend_ms.is_some(),
            true,
            false,
        );
        RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(&PullMessageHeader {
            consumer_group: self.group.into(),
            topic: self.topic.into(),
            queue_id: self.queue_id,
            queue_offset: self.offset,
            max_msg_nums: 32,
            sys_flag: flags.to_wire(),
            commit_offset: self.commit_offset.unwrap_or(0),
            suspend_timeout_ms: self.suspend_ms.unwrap_or(0),
            subscription: Some(self.subscription.into()),
            sub_version: 0,
            expression_type: Some("TAG".into()),
            max_msg_bytes: None,
        })
    }
}

/// Pulls; returns the code, the response header and the records.
pub async fn pull<E: Env>(
    client: &Client<E>,
    addr: SocketAddr,
    pull: &Pull,
) -> (ResponseCode, PullMessageResponseHeader, Vec<MessageRecord>) {
    let response = call(client, addr, pull.request()).await;
    let code = response.response_code().expect("a response");
    let header = response
        .header()
        .unwrap_or_else(|e| panic!("pull header ({code:?} {:?}): {e}", response.remark));
    let records = decode_all(&response.body, &DecodeOptions::default()).expect("records");
    (code, header, records)
}
