//! Shared pieces of the controller tests: broker identities, configurations, an event log the
//! clients write to, and raw calls.

#![allow(
    dead_code,
    reason = "each test crate uses a different subset of the helpers"
)]

use parking_lot::Mutex;
use rocketsim::controller::client::{BrokerIdentity, ClientConfig, RoleEvent};
use rocketsim::controller::{BrokerId, ControllerConfig};
use rocketsim::env::Env;
use rocketsim::protocol::body::controller::SyncStateSetBody;
use rocketsim::protocol::header::{GetReplicaInfoHeader, MasterInfoHeader};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub const GROUP: &str = "broker-a";

/// Every role event, with the broker that got it, in the order they were delivered.
pub type Events = Arc<Mutex<Vec<(BrokerId, RoleEvent)>>>;

pub fn identity(id: BrokerId) -> BrokerIdentity {
    BrokerIdentity {
        cluster_name: "DefaultCluster".into(),
        broker_name: GROUP.into(),
        broker_addr: format!("10.9.0.{id}:10911"),
    }
}

/// RocketMQ's timings (1 s heartbeat, 10 s timeout, 5 s polls).
pub fn client_config(controller: SocketAddr, id: BrokerId) -> ClientConfig {
    let mut config = ClientConfig::new(controller, identity(id));
    config.broker_id = Some(id);
    config
}

/// Timings for wall-clock tests: everything 10× faster.
pub fn fast_client_config(controller: SocketAddr, id: BrokerId) -> ClientConfig {
    let mut config = client_config(controller, id);
    config.heartbeat_interval = Duration::from_millis(100);
    config.heartbeat_timeout = Duration::from_millis(1000);
    config.replica_info_interval = Duration::from_millis(500);
    config.register_retry = Duration::from_millis(100);
    config
}

pub fn controller_config(dir: &Path) -> ControllerConfig {
    ControllerConfig {
        store_path: dir.join("groups.json"),
        ..ControllerConfig::default()
    }
}

pub fn fast_controller_config(dir: &Path) -> ControllerConfig {
    ControllerConfig {
        heartbeat_timeout: Duration::from_millis(1000),
        scan_interval: Duration::from_millis(500),
        ..controller_config(dir)
    }
}

/// A sink for one broker's events.
pub fn sink(events: &Events, id: BrokerId) -> impl Fn(RoleEvent) + Send + Sync + 'static {
    let events = events.clone();
    move |event| events.lock().push((id, event))
}

/// The last event broker `id` got.
pub fn last_event(events: &Events, id: BrokerId) -> Option<RoleEvent> {
    let events = events.lock();
    events
        .iter()
        .rev()
        .find(|(b, _)| *b == id)
        .map(|(_, e)| e.clone())
}

pub fn is_master_at(event: Option<RoleEvent>, epoch: i32) -> bool {
    matches!(event, Some(RoleEvent::BecomeMaster { master_epoch, .. }) if master_epoch == epoch)
}

pub fn is_slave_of(event: Option<RoleEvent>, master: BrokerId, epoch: i32) -> bool {
    matches!(event, Some(RoleEvent::BecomeSlave { master_id, master_epoch, .. }) if master_id == master && master_epoch == epoch)
}

pub fn set(ids: &[BrokerId]) -> BTreeSet<BrokerId> {
    ids.iter().copied().collect()
}

/// Polls `check` every 50 ms until it holds or `limit` passes; how long it took.
pub async fn wait_until<E: Env>(
    env: &E,
    limit: Duration,
    check: impl Fn() -> bool,
) -> Option<Duration> {
    let start = env.now();
    loop {
        if check() {
            return Some(env.now() - start);
        }
        if env.now() - start > limit {
            return None;
        }
        env.sleep(Duration::from_millis(50)).await;
    }
}

pub fn raw_client<E: Env>(env: &E) -> Client<E> {
    Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default())
}

pub async fn call<E: Env>(
    client: &Client<E>,
    addr: SocketAddr,
    request: RemotingCommand,
) -> RemotingCommand {
    client
        .invoke(addr, request, Duration::from_secs(3))
        .await
        .expect("the controller answers")
}

/// GET_REPLICA_INFO: (master, master epoch, sync-state set, its epoch).
pub async fn replica_info<E: Env>(
    client: &Client<E>,
    addr: SocketAddr,
) -> (Option<BrokerId>, i32, BTreeSet<BrokerId>, i32) {
    let request = RemotingCommand::request(RequestCode::CONTROLLER_GET_REPLICA_INFO).with_header(
        &GetReplicaInfoHeader {
            broker_name: GROUP.into(),
        },
    );
    let response = call(client, addr, request).await;
    assert_eq!(
        response.response_code(),
        Some(ResponseCode::SUCCESS),
        "{response:?}"
    );
    let header: MasterInfoHeader = response.header().expect("header");
    let body = SyncStateSetBody::decode(&response.body).expect("body");
    (
        header.master_broker_id,
        header.master_epoch.unwrap_or(-1),
        body.sync_state_set,
        body.sync_state_set_epoch,
    )
}
