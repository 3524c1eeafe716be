//! Golden ext-field maps of the 5.x controller headers, written from the field tables of
//! apache/rocketmq 5.x (`remoting/.../protocol/header/controller/**`,
//! `NotifyBrokerRoleChangedRequestHeader`, `namesrv/BrokerHeartbeatRequestHeader`) and the
//! bodies' JSON (`SyncStateSet`, `ElectMasterResponseBody`, `BrokerReplicasInfo`): each header
//! writes exactly these keys with Java's `toString()` values and reads back the same value.

use rocketsim::protocol::body::controller::{
    BrokerReplicasInfo, ElectMasterResponseBody, SyncStateSetBody,
};
use rocketsim::protocol::header::*;
use rocketsim::protocol::ExtFields;
use std::fmt::Debug;

fn golden<H: CommandHeader + PartialEq + Debug>(header: H, expected: &[(&str, &str)]) {
    let mut ext = ExtFields::new();
    header.write(&mut ext);
    let written: Vec<(&str, &str)> = ext.iter().collect();
    let mut expected_sorted = expected.to_vec();
    expected_sorted.sort();
    assert_eq!(written, expected_sorted, "{header:?}");
    let java: ExtFields = expected.iter().copied().collect();
    assert_eq!(H::read(&java).expect("reads Java's map"), header);
}

#[test]
fn broker_id_headers() {
    golden(
        GetNextBrokerIdHeader {
            cluster_name: "c".into(),
            broker_name: "b".into(),
        },
        &[("clusterName", "c"), ("brokerName", "b")],
    );
    golden(
        GetNextBrokerIdResponseHeader {
            cluster_name: "c".into(),
            broker_name: "b".into(),
            next_broker_id: 4,
        },
        &[
            ("clusterName", "c"),
            ("brokerName", "b"),
            ("nextBrokerId", "4"),
        ],
    );
    golden(
        ApplyBrokerIdHeader {
            cluster_name: "c".into(),
            broker_name: "b".into(),
            applied_broker_id: 2,
            register_check_code: "10.0.0.2:10911;1700000000000".into(),
        },
        &[
            ("clusterName", "c"),
            ("brokerName", "b"),
            ("appliedBrokerId", "2"),
            ("registerCheckCode", "10.0.0.2:10911;1700000000000"),
        ],
    );
}

#[test]
fn register_and_heartbeat_headers() {
    golden(
        RegisterToControllerHeader {
            cluster_name: "c".into(),
            broker_name: "b".into(),
            broker_id: 1,
            broker_address: "10.0.0.1:10911".into(),
            invoke_time: Some(1700000000000),
        },
        &[
            ("clusterName", "c"),
            ("brokerName", "b"),
            ("brokerId", "1"),
            ("brokerAddress", "10.0.0.1:10911"),
            ("invokeTime", "1700000000000"),
        ],
    );
    golden(
        RegisterToControllerResponseHeader {
            cluster_name: "c".into(),
            broker_name: "b".into(),
            master: MasterInfoHeader {
                master_broker_id: Some(1),
                master_address: Some("10.0.0.1:10911".into()),
                master_epoch: Some(3),
                sync_state_set_epoch: Some(5),
            },
        },
        &[
            ("clusterName", "c"),
            ("brokerName", "b"),
            ("masterBrokerId", "1"),
            ("masterAddress", "10.0.0.1:10911"),
            ("masterEpoch", "3"),
            ("syncStateSetEpoch", "5"),
        ],
    );
    golden(
        BrokerHeartbeatHeader {
            cluster_name: "c".into(),
            broker_addr: "10.0.0.1:10911".into(),
            broker_name: "b".into(),
            broker_id: Some(1),
            epoch: Some(3),
            max_offset: Some(4096),
            confirm_offset: Some(2048),
            heartbeat_timeout_mills: Some(10000),
            election_priority: Some(2),
        },
        &[
            ("clusterName", "c"),
            ("brokerAddr", "10.0.0.1:10911"),
            ("brokerName", "b"),
            ("brokerId", "1"),
            ("epoch", "3"),
            ("maxOffset", "4096"),
            ("confirmOffset", "2048"),
            ("heartbeatTimeoutMills", "10000"),
            ("electionPriority", "2"),
        ],
    );
}

#[test]
fn election_and_sync_state_set_headers() {
    golden(
        ElectMasterHeader {
            cluster_name: "c".into(),
            broker_name: "b".into(),
            broker_id: -1,
            designate_elect: false,
            invoke_time: Some(5),
        },
        &[
            ("clusterName", "c"),
            ("brokerName", "b"),
            ("brokerId", "-1"),
            ("designateElect", "false"),
            ("invokeTime", "5"),
        ],
    );
    golden(
        AlterSyncStateSetHeader {
            broker_name: "b".into(),
            master_broker_id: 1,
            master_epoch: 2,
            invoke_time: Some(5),
        },
        &[
            ("brokerName", "b"),
            ("masterBrokerId", "1"),
            ("masterEpoch", "2"),
            ("invokeTime", "5"),
        ],
    );
    golden(
        AlterSyncStateSetResponseHeader {
            new_sync_state_set_epoch: 7,
        },
        &[("newSyncStateSetEpoch", "7")],
    );
    golden(
        GetReplicaInfoHeader {
            broker_name: "b".into(),
        },
        &[("brokerName", "b")],
    );
    golden(
        ControllerMetadataHeader {
            group: Some("g".into()),
            controller_leader_id: Some("n0".into()),
            controller_leader_address: Some("127.0.0.1:9878".into()),
            is_leader: true,
            peers: Some("n0:127.0.0.1:9878;".into()),
        },
        &[
            ("group", "g"),
            ("controllerLeaderId", "n0"),
            ("controllerLeaderAddress", "127.0.0.1:9878"),
            ("isLeader", "true"),
            ("peers", "n0:127.0.0.1:9878;"),
        ],
    );
    // A group without master: nothing but the epoch.
    golden(
        MasterInfoHeader {
            master_epoch: Some(4),
            ..MasterInfoHeader::default()
        },
        &[("masterEpoch", "4")],
    );
}

#[test]
fn bodies_in_javas_json() {
    let java = br#"{"syncStateSet":[3,1],"syncStateSetEpoch":2}"#;
    let body = SyncStateSetBody::decode(java).expect("decodes");
    assert_eq!(
        body.sync_state_set.iter().copied().collect::<Vec<_>>(),
        [1, 3]
    );
    assert_eq!(
        String::from_utf8(body.encode()).unwrap(),
        r#"{"syncStateSet":[1,3],"syncStateSetEpoch":2}"#
    );

    let java = br#"{"brokerMemberGroup":{"brokerAddrs":{"1":"10.0.0.1:10911"},"brokerName":"b","cluster":"c"},"syncStateSet":[1]}"#;
    let body = ElectMasterResponseBody::decode(java).expect("decodes");
    assert_eq!(body.encode(), java.to_vec());

    let java = br#"{"replicasInfoTable":{"b":{"inSyncReplicas":[{"alive":true,"brokerAddress":"a:1","brokerId":1,"brokerName":"b"}],"masterAddress":"a:1","masterBrokerId":1,"masterEpoch":1,"notInSyncReplicas":[],"syncStateSetEpoch":1}}}"#;
    let body = BrokerReplicasInfo::decode(java).expect("decodes");
    assert_eq!(body.encode(), java.to_vec());
}
