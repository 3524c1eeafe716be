//! The admin client (`rocketsim::admin`) against a real name server and broker, the same body
//! in simulation and over loopback: every operation of `mqadmin`, its result checked, and the
//! typed errors for what does not exist.

mod broker_common;
mod namesrv_common;
mod support;

use broker_common::{config, start};
use rocketsim::admin::{
    Admin, AdminConfig, AdminError, ConsumeSpec, MessageView, SendSpec, Target, TopicSpec,
};
use rocketsim::env::Env;
use rocketsim::namesrv::Namesrv;
use rocketsim::protocol::body::perm;
use rocketsim::store::metadata::SubscriptionGroupConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{on_real_pair, on_sim_pair};

const CLUSTER: &str = "DefaultCluster";

async fn start_namesrv<E: Env>(env: E, bind: SocketAddr, root: &Path) -> Namesrv<E> {
    let listener = env.bind(bind).await.expect("bind namesrv");
    Namesrv::start(env, listener, namesrv_common::config_in(root))
        .await
        .expect("namesrv")
}

/// Retries `probe` every 50 ms until it gives `Some`, for at most 10 s.
async fn eventually<E: Env, T, F, Fut>(env: &E, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(value) = probe().await {
            return value;
        }
        env.sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}");
}

fn bodies(views: &[MessageView]) -> Vec<&str> {
    views.iter().map(|v| v.body.as_str()).collect()
}

async fn send<E: Env>(admin: &Admin<E>, queue_id: i32, body: &str) -> String {
    let spec = SendSpec {
        topic: "Orders".into(),
        body: body.into(),
        keys: Some(format!("key-{body}")),
        tags: Some("TagA".into()),
        queue: Some(("broker-a".into(), queue_id)),
    };
    let sent = admin.send_message(&spec).await.expect("send");
    assert_eq!(
        (sent.broker_name.as_str(), sent.queue_id),
        ("broker-a", queue_id)
    );
    assert_eq!(sent.status, "SendOk");
    sent.offset_msg_id
}

async fn administering<E: Env>(
    env: E,
    ns_env: E,
    ns_bind: SocketAddr,
    bind: SocketAddr,
    root: PathBuf,
) {
    let ns = start_namesrv(ns_env, ns_bind, &root).await;
    let cfg = config(
        &root.join("broker"),
        bind.ip(),
        bind.port(),
        Some(ns.local_addr()),
    );
    let broker = start(&env, bind, cfg).await;
    let addr = broker.local_addr();
    let admin = Admin::new(
        env.clone(),
        AdminConfig::new(vec![ns.local_addr()], bind.ip()),
    );

    // clusterList: the broker, once registered, with its version.
    let rows = eventually(&env, "broker registered", || async {
        let rows = admin.cluster_list().await.expect("cluster list");
        (!rows.is_empty()).then_some(rows)
    })
    .await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row.cluster.as_str(), row.broker_name.as_str()),
        (CLUSTER, "broker-a")
    );
    assert_eq!((row.broker_id, row.addr.clone()), (0, addr.to_string()));
    assert_eq!((row.version.as_str(), row.error.clone()), ("V4_9_8", None));
    assert_eq!(row.put_tps.split(' ').count(), 3, "{row:?}");
    let status = admin.broker_status(addr).await.expect("broker status");
    assert_eq!(status["brokerVersion"], "409");

    // updateTopic on the cluster; an unknown cluster is typed.
    let spec = TopicSpec {
        read_queue_nums: 2,
        write_queue_nums: 2,
        ..TopicSpec::new("Orders")
    };
    let done = admin
        .create_topic(&Target::Cluster(CLUSTER.into()), &spec)
        .await
        .expect("create");
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].addr, addr.to_string());
    let nope = admin
        .create_topic(&Target::Cluster("Nope".into()), &spec)
        .await;
    assert!(
        matches!(nope, Err(AdminError::NoSuchCluster { .. })),
        "{nope:?}"
    );

    // topicRoute once the broker re-registered; topicList; an unknown topic is typed.
    let route = eventually(&env, "route of Orders", || async {
        admin.topic_route("Orders").await.ok()
    })
    .await;
    assert_eq!(route.queue_datas.len(), 1);
    assert_eq!(route.queue_datas[0].write_queue_nums, 2);
    assert_eq!(
        route.broker_datas[0].master_addr(),
        Some(addr.to_string().as_str())
    );
    assert!(admin.topic_list().await.expect("list").contains("Orders"));
    let nope = admin.topic_route("Nope").await;
    assert!(
        matches!(nope, Err(AdminError::NoSuchTopic { .. })),
        "{nope:?}"
    );

    // sendMessage: three into queue 0, two into queue 1; topicStatus counts them.
    let first_id = send(&admin, 0, "m0").await;
    for (queue_id, body) in [(0, "m1"), (0, "m2"), (1, "n0"), (1, "n1")] {
        send(&admin, queue_id, body).await;
    }
    let plain = SendSpec {
        topic: "Orders".into(),
        body: "x".into(),
        queue: Some(("broker-z".into(), 0)),
        ..SendSpec::default()
    };
    let refused = admin.send_message(&plain).await;
    assert!(matches!(refused, Err(AdminError::Send(_))), "{refused:?}");
    let rows = eventually(&env, "five messages dispatched", || async {
        let rows = admin.topic_status("Orders").await.expect("status");
        let counts: Vec<_> = rows
            .iter()
            .map(|r| (r.queue_id, r.min_offset, r.max_offset))
            .collect();
        (counts == [(0, 0, 3), (1, 0, 2)]).then_some(rows)
    })
    .await;
    assert!(rows.iter().all(|r| r.broker_name == "broker-a"));

    // queryMsgById, queryMsgByKey, queryMsgByOffset.
    let view = admin.query_msg_by_id(&first_id).await.expect("by id");
    assert_eq!(
        (view.body.as_str(), view.queue_id, view.queue_offset),
        ("m0", 0, 0)
    );
    assert_eq!(
        (view.tags.as_deref(), view.keys.as_deref()),
        (Some("TagA"), Some("key-m0"))
    );
    assert_eq!(view.offset_msg_id, first_id);
    let bad = admin.query_msg_by_id("XYZ").await;
    assert!(
        matches!(bad, Err(AdminError::BadMessageId { .. })),
        "{bad:?}"
    );
    let mut beyond: rocketsim::protocol::message_id::OffsetMsgId = first_id.parse().expect("id");
    beyond.physical_offset = 1 << 40;
    let gone = admin.query_msg_by_id(&beyond.to_string()).await;
    assert!(matches!(gone, Err(AdminError::Refused { .. })), "{gone:?}");
    let found = eventually(&env, "key indexed", || async {
        let found = admin
            .query_msg_by_key("Orders", "key-n1")
            .await
            .expect("by key");
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(bodies(&found), ["n1"]);
    assert!(admin
        .query_msg_by_key("Orders", "no-such-key")
        .await
        .expect("by key")
        .is_empty());
    let at = admin
        .query_msg_by_offset("Orders", "broker-a", 0, 1)
        .await
        .expect("by offset");
    assert_eq!((at.body.as_str(), at.queue_offset), ("m1", 1));
    let past = admin.query_msg_by_offset("Orders", "broker-a", 0, 3).await;
    assert!(
        matches!(past, Err(AdminError::MessageNotFound { .. })),
        "{past:?}"
    );
    let other = admin.query_msg_by_offset("Orders", "broker-z", 0, 0).await;
    assert!(
        matches!(other, Err(AdminError::NoSuchBroker { .. })),
        "{other:?}"
    );

    // consumeMessage: everything, a count, one queue from an offset.
    let all = ConsumeSpec {
        topic: "Orders".into(),
        count: 100,
        ..ConsumeSpec::default()
    };
    let consumed = admin.consume_messages(&all).await.expect("consume");
    assert_eq!(bodies(&consumed), ["m0", "m1", "m2", "n0", "n1"]);
    let two = ConsumeSpec {
        count: 2,
        ..all.clone()
    };
    assert_eq!(
        bodies(&admin.consume_messages(&two).await.expect("consume")),
        ["m0", "m1"]
    );
    let tail = ConsumeSpec {
        queue_id: Some(1),
        offset: Some(1),
        ..all.clone()
    };
    assert_eq!(
        bodies(&admin.consume_messages(&tail).await.expect("consume")),
        ["n1"]
    );

    // updateSubGroup; consumerProgress before and after resetting by time.
    let group = SubscriptionGroupConfig {
        group_name: "Billing".into(),
        ..SubscriptionGroupConfig::default()
    };
    let done = admin
        .update_sub_group(&Target::Broker(addr), &group)
        .await
        .expect("group");
    assert_eq!(done.len(), 1);
    let progress = admin
        .consumer_progress("Billing", None)
        .await
        .expect("progress");
    assert!(progress.rows.is_empty(), "{progress:?}");
    let reset = admin
        .reset_offset_by_time("Billing", "Orders", 0)
        .await
        .expect("reset");
    let offsets: Vec<_> = reset.iter().map(|r| (r.queue_id, r.offset)).collect();
    assert_eq!(offsets, [(0, 0), (1, 0)]);
    let progress = admin
        .consumer_progress("Billing", None)
        .await
        .expect("progress");
    let diffs: Vec<_> = progress
        .rows
        .iter()
        .map(|r| (r.queue_id, r.broker_offset, r.consumer_offset, r.diff))
        .collect();
    assert_eq!(diffs, [(0, 3, 0, 3), (1, 2, 0, 2)]);
    assert_eq!(progress.diff_total, 5);
    let later_ms = env.now_millis() as i64 + 60_000;
    let reset = admin
        .reset_offset_by_time("Billing", "Orders", later_ms)
        .await
        .expect("reset");
    let offsets: Vec<_> = reset.iter().map(|r| (r.queue_id, r.offset)).collect();
    assert_eq!(offsets, [(0, 3), (1, 2)]);
    let progress = admin
        .consumer_progress("Billing", Some("Orders"))
        .await
        .expect("progress");
    assert_eq!(progress.diff_total, 0);

    // wipeWritePerm / addWritePerm: the name server's route loses and regains the write bit.
    let wiped = admin.write_perm("broker-a", true).await.expect("wipe");
    assert_eq!(wiped.len(), 1);
    assert!(wiped[0].topic_count >= 1, "{wiped:?}");
    let route = admin.topic_route("Orders").await.expect("route");
    assert_eq!(route.queue_datas[0].perm & perm::WRITE, 0);
    let added = admin.write_perm("broker-a", false).await.expect("add");
    assert_eq!(added[0].topic_count, wiped[0].topic_count);
    let route = admin.topic_route("Orders").await.expect("route");
    assert_ne!(route.queue_datas[0].perm & perm::WRITE, 0);

    // deleteTopic: gone from the broker and the name server.
    let done = admin.delete_topic(CLUSTER, "Orders").await.expect("delete");
    assert_eq!(done.len(), 2, "{done:?}");
    assert!(broker.topics().get("Orders").is_none());
    let gone = admin.topic_route("Orders").await;
    assert!(
        matches!(gone, Err(AdminError::NoSuchTopic { .. })),
        "{gone:?}"
    );
    assert!(!admin.topic_list().await.expect("list").contains("Orders"));
    let status = admin.topic_status("Orders").await;
    assert!(
        matches!(status, Err(AdminError::NoSuchTopic { .. })),
        "{status:?}"
    );
    let nope = admin.delete_topic("Nope", "Orders").await;
    assert!(
        matches!(nope, Err(AdminError::NoSuchCluster { .. })),
        "{nope:?}"
    );

    // The group's offsets went with the topic; no name server is a typed error.
    let progress = admin
        .consumer_progress("Billing", None)
        .await
        .expect("progress");
    assert!(progress.rows.is_empty(), "{progress:?}");
    let empty = Admin::new(env.clone(), AdminConfig::new(Vec::new(), bind.ip()));
    assert!(matches!(
        empty.topic_list().await,
        Err(AdminError::NoNameServer)
    ));

    admin.close();
    broker.shutdown().await.expect("clean shutdown");
    ns.shutdown();
}

#[test]
fn admin_in_simulation() {
    on_sim_pair(7, administering);
}

#[test]
fn admin_for_real() {
    on_real_pair(administering);
}
