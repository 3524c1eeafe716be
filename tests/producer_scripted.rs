//! The producer against a scripted peer that is both its name server and its two brokers
//! ("b1", "b2", one address): each case scripts the brokers' answers and checks which
//! attempts the producer made and what it returned — Java's retry policy, the V2 header it
//! writes, and its heartbeat. The same bodies in simulation and over loopback.

mod support;

use bytes::Bytes;
use parking_lot::Mutex;
use rocketsim::client::{Message, Producer, ProducerConfig, SendError, SendStatus};
use rocketsim::env::Env;
use rocketsim::protocol::body::{BrokerData, JsonStyle, QueueData, TopicRouteData};
use rocketsim::protocol::header::{
    SendMessageHeader, SendMessageResponseHeader, UnregisterClientHeader,
};
use rocketsim::protocol::heartbeat::HeartbeatData;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Dispatcher, RemotingConfig, Server};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use support::{loopback_any, on_real, on_sim, sim_addr, sim_ip};

#[derive(Default)]
struct Script {
    /// Answers to the next sends, in order (SUCCESS once exhausted).
    answers: VecDeque<ResponseCode>,
    /// (broker name from the header, queue id) of each send received.
    attempts: Vec<(String, i32)>,
    /// Raw ext fields of the last send.
    last_ext: Vec<(String, String)>,
    heartbeats: Vec<HeartbeatData>,
    /// (clientID, producerGroup) of each UNREGISTER_CLIENT.
    unregisters: Vec<(String, Option<String>)>,
}

fn route(addr: SocketAddr) -> TopicRouteData {
    let mut route = TopicRouteData::default();
    for name in ["b1", "b2"] {
        route.queue_datas.push(QueueData {
            broker_name: name.into(),
            perm: 6,
            read_queue_nums: 2,
            topic_sys_flag: 0,
            write_queue_nums: 2,
        });
        let mut broker = BrokerData::new("C", name);
        broker.broker_addrs.insert(0, addr.to_string());
        route.broker_datas.push(broker);
    }
    route
}

fn start_peer<E: Env>(env: &E, listener: E::Listener, script: Arc<Mutex<Script>>) -> Server {
    let addr = rocketsim::env::Listener::local_addr(&listener).expect("addr");
    let body = Bytes::from(route(addr).to_json(JsonStyle::Standard));
    let sends = script.clone();
    let leaves = script.clone();
    let dispatcher = Dispatcher::new()
        .register(RequestCode::GET_ROUTEINFO_BY_TOPIC, move |_, request| {
            let body = body.clone();
            async move {
                RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None).with_body(body)
            }
        })
        .register(
            RequestCode::SEND_MESSAGE_V2,
            move |_, request: RemotingCommand| {
                let header = SendMessageHeader::read_v2(&request.ext_fields).expect("V2 header");
                let mut script = sends.lock();
                let broker = header.broker_name.clone().unwrap_or_default();
                script.attempts.push((broker, header.queue_id));
                script.last_ext = request
                    .ext_fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let code = script.answers.pop_front().unwrap_or(ResponseCode::SUCCESS);
                let response =
                    RemotingCommand::response_to(&request, code, Some("scripted".into()))
                        .with_header(&SendMessageResponseHeader {
                            msg_id: "0A00000100002A9F0000000000000000".into(),
                            queue_id: header.queue_id,
                            queue_offset: 42,
                            transaction_id: None,
                            msg_region: None,
                            trace_on: None,
                        });
                async move { response }
            },
        )
        .register(
            RequestCode::HEART_BEAT,
            move |_, request: RemotingCommand| {
                let data: HeartbeatData = serde_json::from_slice(&request.body).expect("heartbeat");
                script.lock().heartbeats.push(data);
                async move { RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None) }
            },
        )
        .register(
            RequestCode::UNREGISTER_CLIENT,
            move |_, request: RemotingCommand| {
                let h: UnregisterClientHeader = request.header().expect("unregister header");
                leaves
                    .lock()
                    .unregisters
                    .push((h.client_id, h.producer_group));
                async move { RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None) }
            },
        );
    Server::start(env, listener, dispatcher, RemotingConfig::default()).expect("server")
}

async fn scripted<E: Env>(env: E, peer_env: E, bind: SocketAddr, client_ip: std::net::IpAddr) {
    let script = Arc::new(Mutex::new(Script::default()));
    let listener = peer_env.bind(bind).await.expect("bind");
    let server = start_peer(&peer_env, listener, script.clone());
    let config = ProducerConfig::new("PG", vec![server.local_addr()], client_ip);
    let producer = Producer::new(env.clone(), config);
    producer.start();
    let case = |answers: &[ResponseCode]| {
        let mut s = script.lock();
        s.answers = answers.iter().copied().collect();
        s.attempts.clear();
    };
    let attempts = |script: &Mutex<Script>| script.lock().attempts.clone();

    // A retried code: the second attempt goes to the other broker and succeeds.
    case(&[ResponseCode::SYSTEM_ERROR]);
    let sent = producer
        .send(Message::new("T", "x"))
        .await
        .expect("retried");
    let tried = attempts(&script);
    assert_eq!(tried.len(), 2);
    assert_ne!(
        tried[0].0, tried[1].0,
        "the retry avoids the broker that failed"
    );
    assert_eq!(sent.queue.broker_name, tried[1].0);
    assert_eq!((sent.status, sent.queue_offset), (SendStatus::SendOk, 42));

    // Retried codes on every attempt: three attempts, then the last broker error.
    case(&[ResponseCode::TOPIC_NOT_EXIST; 3]);
    let failed = producer.send(Message::new("T", "x")).await;
    assert!(
        matches!(&failed, Err(SendError::Broker { code, remark })
            if *code == ResponseCode::TOPIC_NOT_EXIST && remark.as_deref() == Some("scripted")),
        "{failed:?}"
    );
    assert_eq!(attempts(&script).len(), 3);

    // Not retried: SYSTEM_BUSY is returned at once.
    case(&[ResponseCode::SYSTEM_BUSY]);
    let busy = producer.send(Message::new("T", "x")).await;
    assert!(
        matches!(&busy, Err(SendError::Broker { code, .. }) if *code == ResponseCode::SYSTEM_BUSY),
        "{busy:?}"
    );
    assert_eq!(attempts(&script).len(), 1);

    // Stored but not OK: a result with the status, not retried.
    for (code, status) in [
        (
            ResponseCode::FLUSH_DISK_TIMEOUT,
            SendStatus::FlushDiskTimeout,
        ),
        (
            ResponseCode::FLUSH_SLAVE_TIMEOUT,
            SendStatus::FlushSlaveTimeout,
        ),
        (
            ResponseCode::SLAVE_NOT_AVAILABLE,
            SendStatus::SlaveNotAvailable,
        ),
    ] {
        case(&[code]);
        let sent = producer.send(Message::new("T", "x")).await.expect("stored");
        assert_eq!(sent.status, status);
        assert_eq!(attempts(&script).len(), 1);
    }

    // The V2 header: short field names, the group, TBW102 and 4 queues for auto-create.
    let ext = script.lock().last_ext.clone();
    let field = |k: &str| ext.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(field("a").as_deref(), Some("PG"));
    assert_eq!(field("b").as_deref(), Some("T"));
    assert_eq!(field("c").as_deref(), Some("TBW102"));
    assert_eq!(field("d").as_deref(), Some("4"));
    assert_eq!(field("f").as_deref(), Some("0"));
    assert!(field("i").expect("properties").contains("UNIQ_KEY\u{1}"));
    assert_eq!(field("m").as_deref(), Some("false"));

    // The heartbeat: first after 1 s, with the producer group.
    env.sleep(Duration::from_millis(1_500)).await;
    let beats = script.lock().heartbeats.clone();
    assert!(!beats.is_empty(), "a heartbeat within 1.5 s");
    let groups: Vec<&str> = beats[0]
        .producers
        .iter()
        .map(|p| p.group_name.as_str())
        .collect();
    assert_eq!(groups, ["CLIENT_INNER_PRODUCER", "PG"]);
    assert!(beats[0].consumers.is_empty());
    // Shutdown: UNREGISTER_CLIENT with the group to the broker (one address serves both
    // names, so one call), then later sends are refused.
    producer.shutdown();
    env.sleep(Duration::from_millis(500)).await;
    let left = script.lock().unregisters.clone();
    assert_eq!(left, [(producer.client_id(), Some("PG".to_string()))]);
    assert!(matches!(
        producer.send(Message::new("T", "x")).await,
        Err(SendError::NotRunning)
    ));
    server.shutdown();
}

#[test]
fn scripted_in_simulation() {
    for seed in 1..3 {
        on_sim(seed, |world| async move {
            let peer = world.add_client_node("peer", sim_ip(1));
            let client = world.add_client_node("client", sim_ip(2));
            let peer_env = world.env(peer);
            world
                .run_on(client, move |env| {
                    scripted(env, peer_env, sim_addr(1, 9876), sim_ip(2))
                })
                .await
                .expect("node stays up");
        });
    }
}

#[test]
fn scripted_for_real() {
    on_real(|env| {
        let ip = loopback_any().ip();
        scripted(env.clone(), env, loopback_any(), ip)
    });
}
