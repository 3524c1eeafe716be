//! Bad input to the controller: every malformed request gets an error response naming the
//! problem, nothing changes, a garbage frame closes only its own connection, and the server
//! keeps serving. The same body runs in simulation and over loopback.

mod controller_common;
mod support;

use bytes::{Bytes, BytesMut};
use controller_common::*;
use rocketsim::controller::Controller;
use rocketsim::env::{Conn, ConnRead, ConnWrite, Env};
use rocketsim::protocol::header::{
    AlterSyncStateSetHeader, ApplyBrokerIdHeader, BrokerHeartbeatHeader, ControllerMetadataHeader,
};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use support::{loopback_any, on_real, on_sim, sim_addr, sim_ip};

fn alter(body: &'static [u8]) -> RemotingCommand {
    RemotingCommand::request(RequestCode::CONTROLLER_ALTER_SYNC_STATE_SET)
        .with_header(&AlterSyncStateSetHeader {
            broker_name: GROUP.into(),
            master_broker_id: 1,
            master_epoch: 1,
            invoke_time: None,
        })
        .with_body(Bytes::from_static(body))
}

/// (case, request, expected code, a word the remark must contain).
fn cases() -> Vec<(&'static str, RemotingCommand, ResponseCode, &'static str)> {
    use RequestCode as C;
    use ResponseCode as R;
    let bare = |code| RemotingCommand::request(code);
    let heartbeat = BrokerHeartbeatHeader {
        cluster_name: "c".into(),
        broker_addr: "a:1".into(),
        broker_name: GROUP.into(),
        broker_id: None,
        epoch: None,
        max_offset: None,
        confirm_offset: None,
        heartbeat_timeout_mills: None,
        election_priority: None,
    };
    let mut bad_id = bare(C::CONTROLLER_APPLY_BROKER_ID).with_header(&ApplyBrokerIdHeader {
        cluster_name: "c".into(),
        broker_name: GROUP.into(),
        applied_broker_id: 1,
        register_check_code: "a:1;1".into(),
    });
    bad_id.ext_fields.insert("appliedBrokerId", "one");
    let names = |body: &'static [u8]| {
        bare(C::CONTROLLER_GET_SYNC_STATE_DATA).with_body(Bytes::from_static(body))
    };
    vec![
        (
            "next id without names",
            bare(C::CONTROLLER_GET_NEXT_BROKER_ID),
            R::SYSTEM_ERROR,
            "clusterName",
        ),
        (
            "apply without header",
            bare(C::CONTROLLER_APPLY_BROKER_ID),
            R::SYSTEM_ERROR,
            "clusterName",
        ),
        (
            "apply with a bad id",
            bad_id,
            R::SYSTEM_ERROR,
            "appliedBrokerId",
        ),
        (
            "register without header",
            bare(C::CONTROLLER_REGISTER_BROKER),
            R::SYSTEM_ERROR,
            "clusterName",
        ),
        (
            "heartbeat without header",
            bare(C::BROKER_HEARTBEAT),
            R::SYSTEM_ERROR,
            "clusterName",
        ),
        (
            "heartbeat without brokerId",
            bare(C::BROKER_HEARTBEAT).with_header(&heartbeat),
            R::CONTROLLER_INVALID_REQUEST,
            "brokerId",
        ),
        (
            "elect without header",
            bare(C::CONTROLLER_ELECT_MASTER),
            R::SYSTEM_ERROR,
            "clusterName",
        ),
        (
            "alter without header",
            bare(C::CONTROLLER_ALTER_SYNC_STATE_SET),
            R::SYSTEM_ERROR,
            "brokerName",
        ),
        (
            "alter without body",
            alter(b""),
            R::CONTROLLER_INVALID_REQUEST,
            "body",
        ),
        (
            "alter with garbage",
            alter(b"\x00\xff{"),
            R::SYSTEM_ERROR,
            "sync state set",
        ),
        (
            "alter of an unknown group",
            alter(br#"{"syncStateSet":[1],"syncStateSetEpoch":1}"#),
            R::CONTROLLER_BROKER_METADATA_NOT_EXIST,
            GROUP,
        ),
        (
            "replica info without header",
            bare(C::CONTROLLER_GET_REPLICA_INFO),
            R::SYSTEM_ERROR,
            "brokerName",
        ),
        (
            "sync state data without body",
            names(b""),
            R::CONTROLLER_INVALID_REQUEST,
            "broker name",
        ),
        (
            "sync state data of garbage",
            names(b"{\"a\":1}"),
            R::SYSTEM_ERROR,
            "broker name list",
        ),
        (
            "unknown code",
            bare(RequestCode(1099)),
            R::REQUEST_CODE_NOT_SUPPORTED,
            "1099",
        ),
    ]
}

async fn each_is_refused_and_serving_goes_on<E: Env>(
    ctl_env: E,
    env: E,
    bind: SocketAddr,
    dir: PathBuf,
) {
    let listener = ctl_env.bind(bind).await.expect("bind");
    let controller = Controller::start(ctl_env, listener, controller_config(&dir))
        .await
        .expect("start");
    let addr = controller.local_addr();
    let client = raw_client(&env);
    for (case, request, code, word) in cases() {
        let response = call(&client, addr, request).await;
        let remark = response.remark.clone().unwrap_or_default();
        println!("{case}: {:?} {remark}", response.response_code());
        assert_eq!(response.response_code(), Some(code), "{case}: {remark}");
        assert!(
            remark.contains(word),
            "{case}: {remark:?} does not name {word:?}"
        );
    }
    assert!(
        controller.with_state(|s| s.groups().is_empty()).await,
        "nothing was stored"
    );

    // A frame that is not one: only that connection closes.
    let conn = env.connect(addr).await.expect("connect");
    let (mut read, mut write) = conn.split();
    write
        .write_all(&[0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4])
        .await
        .expect("write");
    let mut buf = BytesMut::new();
    let closed = env
        .timeout(Duration::from_secs(5), read.read_buf(&mut buf))
        .await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");

    let response = call(
        &client,
        addr,
        RemotingCommand::request(RequestCode::CONTROLLER_GET_METADATA_INFO),
    )
    .await;
    assert_eq!(response.response_code(), Some(ResponseCode::SUCCESS));
    let header: ControllerMetadataHeader = response.header().expect("header");
    assert!(header.is_leader);
    controller.shutdown();
}

#[test]
fn bad_input_in_simulation() {
    on_sim(7, |world| async move {
        let ctl = world.add_client_node("controller", sim_ip(1));
        let broker = world.add_client_node("broker", sim_ip(2));
        let ctl_env = world.env(ctl);
        world
            .run_on(broker, move |env| {
                each_is_refused_and_serving_goes_on(
                    ctl_env,
                    env,
                    sim_addr(1, 9878),
                    PathBuf::from("controller"),
                )
            })
            .await
            .expect("node stays up");
    });
}

#[test]
fn bad_input_for_real() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    on_real(|env| each_is_refused_and_serving_goes_on(env.clone(), env, loopback_any(), path));
}
