//! "State + event → exact state/result" tests of the route table.

use super::*;
use crate::protocol::body::{TopicConfig, TopicList};

fn at(secs: u64) -> Instant {
    Instant::from_origin(Duration::from_secs(secs))
}

fn version(counter: i64) -> DataVersion {
    DataVersion {
        counter,
        state_version: None,
        timestamp: 1000 + counter,
    }
}

fn topics(counter: i64, configs: &[TopicConfig]) -> TopicConfigSerializeWrapper {
    TopicConfigSerializeWrapper {
        data_version: version(counter),
        topic_config_table: configs
            .iter()
            .map(|c| (c.topic_name.clone(), c.clone()))
            .collect(),
    }
}

fn reg(
    name: &str,
    id: i64,
    addr: &str,
    conn: u64,
    wrapper: TopicConfigSerializeWrapper,
) -> Registration {
    Registration {
        cluster: "C".into(),
        broker_name: name.into(),
        broker_addr: addr.into(),
        broker_id: id,
        ha_server_addr: format!("{addr}-ha"),
        topics: wrapper,
        filter_servers: Vec::new(),
        conn: ConnId(conn),
    }
}

fn t(name: &str, queues: i32) -> TopicConfig {
    TopicConfig::with_queues(name, queues, queues, 6)
}

/// The invariants of the module docs.
fn check_invariants(table: &RouteTable) {
    for (cluster, names) in &table.clusters {
        assert!(!names.is_empty(), "cluster {cluster} has no brokers");
        for name in names {
            let group = table.brokers.get(name).expect("listed group exists");
            assert_eq!(&group.cluster, cluster);
            assert!(
                !group.broker_addrs.is_empty(),
                "group {name} has no address"
            );
        }
    }
    for (name, group) in &table.brokers {
        assert!(table.clusters[&group.cluster].contains(name));
    }
    for (topic, queues) in &table.topics {
        assert!(!queues.is_empty(), "topic {topic} has no queues");
        for name in queues.keys() {
            assert!(
                table.brokers.contains_key(name),
                "{topic} on unknown {name}"
            );
        }
    }
    for addr in table.live.keys() {
        let known = table
            .brokers
            .values()
            .any(|g| g.broker_addrs.values().any(|a| a == addr));
        assert!(known, "live {addr} is in no group");
    }
}

fn route_addrs(table: &RouteTable, topic: &str) -> Option<Vec<(String, BTreeMap<i64, String>)>> {
    let route = table.route(topic)?;
    Some(
        route
            .broker_datas
            .into_iter()
            .map(|b| (b.broker_name, b.broker_addrs))
            .collect(),
    )
}

#[test]
fn master_registration_creates_routes() {
    let mut table = RouteTable::new(TableConfig::default());
    let done = table
        .register(
            reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4), t("U", 2)])),
            at(0),
        )
        .unwrap();
    assert_eq!(
        done,
        Registered {
            master_addr: None,
            master_ha_addr: None,
            topics_applied: true
        }
    );
    check_invariants(&table);
    let route = table.route("T").unwrap();
    assert_eq!(
        route.queue_datas,
        vec![QueueData {
            broker_name: "b1".into(),
            perm: 6,
            read_queue_nums: 4,
            topic_sys_flag: 0,
            write_queue_nums: 4,
        }]
    );
    assert_eq!(
        route_addrs(&table, "U"),
        Some(vec![("b1".into(), [(0, "m:1".to_string())].into())])
    );
    assert_eq!(table.route("V"), None);
    assert_eq!(table.sizes(), (1, 1, 2));
}

#[test]
fn slave_learns_master_and_adds_no_topics() {
    let mut table = RouteTable::new(TableConfig::default());
    let early = table
        .register(reg("b1", 1, "s:1", 2, topics(1, &[t("S", 4)])), at(0))
        .unwrap();
    assert_eq!(early, Registered::default(), "no master yet");
    table
        .register(reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4)])), at(1))
        .unwrap();
    let done = table
        .register(reg("b1", 1, "s:1", 2, topics(1, &[t("S", 4)])), at(2))
        .unwrap();
    assert_eq!(done.master_addr.as_deref(), Some("m:1"));
    assert_eq!(done.master_ha_addr.as_deref(), Some("m:1-ha"));
    assert!(!done.topics_applied);
    assert_eq!(table.route("S"), None, "a slave's topics are not routed");
    assert_eq!(
        route_addrs(&table, "T"),
        Some(vec![(
            "b1".into(),
            [(0, "m:1".to_string()), (1, "s:1".to_string())].into()
        )])
    );
    check_invariants(&table);
}

#[test]
fn unchanged_version_does_not_reapply_topics() {
    let mut table = RouteTable::new(TableConfig::default());
    table
        .register(reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    table.wipe_write_perm("b1");
    // Same version: the wiped permission stays, only liveness is refreshed.
    let same = table
        .register(reg("b1", 0, "m:1", 1, topics(1, &[t("T", 8)])), at(30))
        .unwrap();
    assert!(!same.topics_applied);
    assert_eq!(table.route("T").unwrap().queue_datas[0].perm, 4);
    assert_eq!(table.live("m:1").unwrap().last_update, at(30));
    // A new version is applied.
    let newer = table
        .register(reg("b1", 0, "m:1", 1, topics(2, &[t("T", 8)])), at(60))
        .unwrap();
    assert!(newer.topics_applied);
    let queue = &table.route("T").unwrap().queue_datas[0];
    assert_eq!((queue.perm, queue.write_queue_nums), (6, 8));
}

#[test]
fn dropped_topics_stay_until_the_group_goes() {
    let mut table = RouteTable::new(TableConfig::default());
    table
        .register(
            reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4), t("U", 4)])),
            at(0),
        )
        .unwrap();
    table
        .register(reg("b1", 0, "m:1", 1, topics(2, &[t("T", 4)])), at(1))
        .unwrap();
    assert!(
        table.route("U").is_some(),
        "RocketMQ keeps topics a broker stops declaring"
    );
    assert!(table.unregister("b1", "m:1", 0));
    assert_eq!((table.route("T"), table.route("U")), (None, None));
    assert_eq!(table.sizes(), (0, 0, 0));
    assert!(table.clusters.is_empty());
    check_invariants(&table);
}

#[test]
fn unregister_checks_the_address_under_the_id() {
    let mut table = RouteTable::new(TableConfig::default());
    table
        .register(reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    table
        .register(reg("b1", 0, "m:2", 2, topics(1, &[t("T", 4)])), at(1))
        .unwrap();
    // A late unregister of the old master must not remove the new one.
    table.unregister("b1", "m:1", 0);
    assert_eq!(
        route_addrs(&table, "T"),
        Some(vec![("b1".into(), [(0, "m:2".to_string())].into())])
    );
    assert!(!table.unregister("nope", "x:1", 0));
    check_invariants(&table);
}

#[test]
fn promoted_slave_keeps_one_id_per_address() {
    let mut table = RouteTable::new(TableConfig::default());
    table
        .register(reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    table
        .register(reg("b1", 1, "s:1", 2, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    table.connection_closed(ConnId(1));
    table
        .register(reg("b1", 0, "s:1", 2, topics(1, &[t("T", 4)])), at(5))
        .unwrap();
    assert_eq!(
        route_addrs(&table, "T"),
        Some(vec![("b1".into(), [(0, "s:1".to_string())].into())])
    );
    check_invariants(&table);
}

#[test]
fn expiry_is_strictly_after_120_seconds_since_the_last_registration() {
    let mut table = RouteTable::new(TableConfig::default());
    table
        .register(reg("b1", 0, "m:1", 7, topics(1, &[t("T", 4)])), at(10))
        .unwrap();
    table
        .register(reg("b2", 0, "m:2", 8, topics(1, &[t("T", 4)])), at(40))
        .unwrap();
    assert_eq!(
        table.expire(at(130)),
        vec![],
        "exactly 120 s is not expired"
    );
    let gone = table.expire(at(131));
    assert_eq!(
        gone,
        vec![Removed {
            broker_addr: "m:1".into(),
            conn: ConnId(7)
        }]
    );
    assert_eq!(
        route_addrs(&table, "T"),
        Some(vec![("b2".into(), [(0, "m:2".to_string())].into())])
    );
    // An unchanged data-version query keeps b2 alive; a changed one does not.
    let answer = table.query_data_version("m:2", &version(1), at(150));
    assert_eq!(
        answer,
        DataVersionAnswer {
            changed: false,
            current: Some(version(1))
        }
    );
    let answer = table.query_data_version("m:2", &version(2), at(200));
    assert!(answer.changed);
    assert_eq!(table.expire(at(270)), vec![]);
    assert_eq!(table.expire(at(271)).len(), 1);
    assert_eq!(table.sizes(), (0, 0, 0));
    check_invariants(&table);
}

#[test]
fn unknown_broker_version_is_changed() {
    let mut table = RouteTable::new(TableConfig::default());
    let answer = table.query_data_version("m:1", &version(1), at(0));
    assert_eq!(
        answer,
        DataVersionAnswer {
            changed: true,
            current: None
        }
    );
}

#[test]
fn closed_connection_removes_only_brokers_registered_on_it() {
    let mut table = RouteTable::new(TableConfig::default());
    table
        .register(reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    table
        .register(reg("b1", 1, "s:1", 2, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    // The master re-registers over a new connection; its old one closing changes nothing.
    table
        .register(reg("b1", 0, "m:1", 3, topics(1, &[t("T", 4)])), at(1))
        .unwrap();
    assert_eq!(table.connection_closed(ConnId(1)), vec![]);
    let gone = table.connection_closed(ConnId(2));
    assert_eq!(
        gone,
        vec![Removed {
            broker_addr: "s:1".into(),
            conn: ConnId(2)
        }]
    );
    assert_eq!(
        route_addrs(&table, "T"),
        Some(vec![("b1".into(), [(0, "m:1".to_string())].into())])
    );
    // The group keeps its queues while any address is left.
    table.connection_closed(ConnId(3));
    assert_eq!(table.route("T"), None);
    check_invariants(&table);
}

#[test]
fn master_gone_slave_left_keeps_the_route() {
    let mut table = RouteTable::new(TableConfig::default());
    table
        .register(reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    table
        .register(reg("b1", 1, "s:1", 2, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    table.connection_closed(ConnId(1));
    assert_eq!(
        route_addrs(&table, "T"),
        Some(vec![("b1".into(), [(1, "s:1".to_string())].into())])
    );
    check_invariants(&table);
}

#[test]
fn limits_reject_without_changing_anything() {
    let config = TableConfig {
        brokers_max: 1,
        topics_max: 2,
        ..TableConfig::default()
    };
    let mut table = RouteTable::new(config);
    table
        .register(reg("b1", 0, "m:1", 1, topics(1, &[t("T", 4)])), at(0))
        .unwrap();
    let full = table.register(reg("b2", 0, "m:2", 2, topics(1, &[t("U", 4)])), at(0));
    assert_eq!(full, Err(TableError::TooManyBrokers { limit: 1 }));
    let many = table.register(
        reg("b1", 0, "m:1", 1, topics(2, &[t("U", 4), t("V", 4)])),
        at(0),
    );
    assert_eq!(many, Err(TableError::TooManyTopics { limit: 2 }));
    for (bad, error) in [
        (
            reg("", 0, "m:3", 3, topics(1, &[])),
            TableError::Empty {
                field: "brokerName",
            },
        ),
        (
            reg("b3", 0, "", 3, topics(1, &[])),
            TableError::Empty {
                field: "brokerAddr",
            },
        ),
        (
            reg("b3", -1, "m:3", 3, topics(1, &[])),
            TableError::NegativeBrokerId(-1),
        ),
    ] {
        assert_eq!(table.register(bad, at(0)), Err(error));
    }
    assert_eq!(table.sizes(), (1, 1, 1));
    assert_eq!(
        table
            .topic_list()
            .topic_list
            .into_iter()
            .collect::<Vec<_>>(),
        vec!["T".to_string()]
    );
    check_invariants(&table);
}

#[test]
fn cluster_queries_and_admin_operations() {
    let mut table = RouteTable::new(TableConfig::default());
    table
        .register(
            reg(
                "b1",
                0,
                "m:1",
                1,
                topics(1, &[t("T", 4), TopicConfig::with_queues("TBW102", 8, 8, 7)]),
            ),
            at(0),
        )
        .unwrap();
    let mut other = reg("b2", 0, "m:2", 2, topics(1, &[t("T", 4), t("X", 1)]));
    other.cluster = "D".into();
    table.register(other, at(0)).unwrap();
    let info = table.cluster_info();
    assert_eq!(
        info.cluster_addr_table["C"].iter().collect::<Vec<_>>(),
        vec!["b1"]
    );
    assert_eq!(info.broker_addr_table["b2"].cluster, "D");
    let names = |list: TopicList| list.topic_list.into_iter().collect::<Vec<_>>();
    assert_eq!(names(table.topics_by_cluster("C")), vec!["T", "TBW102"]);
    assert_eq!(names(table.topics_by_cluster("D")), vec!["T", "X"]);
    assert!(names(table.topics_by_cluster("E")).is_empty());
    assert_eq!(table.wipe_write_perm("b1"), 2);
    assert_eq!(table.route("TBW102").unwrap().queue_datas[0].perm, 5);
    assert_eq!(table.add_write_perm("b1"), 2);
    assert_eq!(
        table.route("TBW102").unwrap().queue_datas[0].perm,
        7,
        "INHERIT kept"
    );
    assert_eq!(table.wipe_write_perm("nobody"), 0);
    assert!(table.delete_topic("T", Some("D")));
    assert_eq!(route_addrs(&table, "T").unwrap().len(), 1);
    assert!(table.delete_topic("X", None));
    assert!(!table.delete_topic("X", None));
    assert_eq!(names(table.topic_list()), vec!["T", "TBW102"]);
    check_invariants(&table);
}
