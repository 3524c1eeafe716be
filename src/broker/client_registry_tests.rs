use super::*;
use crate::protocol::heartbeat::{ConsumeFromWhere, ConsumeType, MessageModel, ProducerData};

fn at(secs: u64) -> Instant {
    Instant::from_origin(Duration::from_secs(secs))
}

fn consumer(client: &str, group: &str) -> HeartbeatData {
    HeartbeatData {
        client_id: client.into(),
        consumers: vec![ConsumerData {
            consume_from_where: ConsumeFromWhere::LastOffset,
            consume_type: ConsumeType::ConsumePassively,
            group_name: group.into(),
            message_model: MessageModel::Clustering,
            subscriptions: Vec::new(),
            unit_mode: false,
        }],
        producers: vec![ProducerData {
            group_name: "PG".into(),
        }],
    }
}

fn notify(group: &str, conns: &[u64]) -> Vec<NotifyIdsChanged> {
    vec![NotifyIdsChanged {
        group: group.into(),
        conns: conns.iter().map(|&c| ConnId(c)).collect(),
    }]
}

#[test]
fn joining_notifies_every_member_and_a_repeat_heartbeat_does_not() {
    let mut r = ClientRegistry::new(RegistryLimits::default());
    assert_eq!(
        r.on_heartbeat(&consumer("c1", "G"), ConnId(1), at(0)),
        notify("G", &[1])
    );
    assert_eq!(
        r.on_heartbeat(&consumer("c1", "G"), ConnId(1), at(5)),
        vec![]
    );
    assert_eq!(
        r.on_heartbeat(&consumer("c2", "G"), ConnId(2), at(6)),
        notify("G", &[1, 2])
    );
    assert_eq!(r.consumer_ids("G"), vec!["c1", "c2"]);
    assert_eq!(r.producer_ids("PG"), vec!["c1", "c2"]);
}

#[test]
fn leaving_by_unregister_close_or_silence_notifies_the_rest() {
    let mut r = ClientRegistry::new(RegistryLimits::default());
    r.on_heartbeat(&consumer("c1", "G"), ConnId(1), at(0));
    r.on_heartbeat(&consumer("c2", "G"), ConnId(2), at(0));
    r.on_heartbeat(&consumer("c3", "G"), ConnId(3), at(100));
    assert_eq!(
        r.on_unregister("c1", Some("PG"), Some("G")),
        notify("G", &[2, 3])
    );
    assert_eq!(r.on_unregister("c1", None, Some("G")), vec![]);
    // c2 silent since 0 s: gone after 120 s.
    assert_eq!(r.on_tick(at(120)), (vec![], vec![]));
    assert_eq!(r.on_tick(at(121)), (notify("G", &[3]), vec![ConnId(2)]));
    assert_eq!(r.on_connection_closed(ConnId(3)), vec![]);
    assert!(r.consumer_group("G").is_none());
    assert!(r.producer_ids("PG").is_empty());
}

#[test]
fn groups_are_bounded() {
    let limits = RegistryLimits {
        groups_max: 1,
        members_max: 1,
        ..RegistryLimits::default()
    };
    let mut r = ClientRegistry::new(limits);
    r.on_heartbeat(&consumer("c1", "G"), ConnId(1), at(0));
    assert_eq!(
        r.on_heartbeat(&consumer("c2", "G"), ConnId(2), at(0)),
        vec![]
    );
    assert_eq!(
        r.on_heartbeat(&consumer("c2", "H"), ConnId(2), at(0)),
        vec![]
    );
    assert_eq!(r.consumer_ids("G"), vec!["c1"]);
    assert!(r.consumer_group("H").is_none());
}
