//! The driver: a remoting server whose processors are the request handlers, a close listener
//! that feeds the table, and the expiry scan. All decisions are the table's; this file only
//! moves events in and carries out what comes back (closing an expired broker's connection).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;

use super::config::NamesrvConfig;
use super::error::StartError;
use super::kv_config::KvConfig;
use super::state::State;
use super::table::RouteTable;
use super::{admin, register, route};
use crate::env::{Env, Instant, Task};
use crate::protocol::RequestCode;
use crate::remoting::{Dispatcher, Server};

/// A running name server.
pub struct Namesrv<E: Env> {
    state: Arc<State<E>>,
    server: Arc<Server>,
    scanner: E::Task,
}

impl<E: Env> Namesrv<E> {
    /// Loads the KV store, starts serving on `listener` and starts the expiry scan.
    pub async fn start(
        env: E,
        listener: E::Listener,
        config: NamesrvConfig,
    ) -> Result<Self, StartError> {
        let kv = load_kv(&env, &config)?;
        let state = Arc::new(State {
            env: env.clone(),
            table: Mutex::new(RouteTable::new(config.table.clone())),
            kv: Mutex::new(kv),
            kv_persist: tokio::sync::Mutex::new(()),
            config,
        });
        let remoting = state.config.remoting.clone();
        let server = Server::start(&env, listener, dispatcher(&state), remoting)
            .map_err(StartError::Listen)?;
        let server = Arc::new(server);
        let scanner = env.spawn("namesrv-expiry", scan(state.clone(), server.clone()));
        tracing::info!(target: "rocketsim::namesrv", addr = %server.local_addr(), "name server started");
        Ok(Namesrv {
            state,
            server,
            scanner,
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Reads the route table (for tests and simulation checkers).
    pub fn with_table<R>(&self, read: impl FnOnce(&RouteTable) -> R) -> R {
        read(&self.state.table.lock())
    }

    /// Stops the scan and the server; open connections are closed.
    pub fn shutdown(&self) {
        self.scanner.abort();
        self.server.shutdown();
    }
}

/// Runs a name server on `listener` until `shutdown` completes.
pub async fn run<E: Env>(
    env: E,
    listener: E::Listener,
    config: NamesrvConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let namesrv = Namesrv::start(env, listener, config).await?;
    shutdown.await;
    namesrv.shutdown();
    Ok(())
}

fn load_kv<E: Env>(env: &E, config: &NamesrvConfig) -> Result<KvConfig, StartError> {
    let path = &config.kv_config_path;
    match env.read_file(path) {
        Ok(bytes) => KvConfig::from_json(&bytes, config.kv_limits).map_err(|source| {
            let path = path.display().to_string();
            StartError::KvParse { path, source }
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(KvConfig::new(config.kv_limits)),
        Err(source) => {
            let path = path.display().to_string();
            Err(StartError::KvRead { path, source })
        }
    }
}

fn dispatcher<E: Env>(state: &Arc<State<E>>) -> Dispatcher {
    use RequestCode as C;
    let d = Dispatcher::new();
    let d = d.register_with(C::REGISTER_BROKER, state, register::register_broker::<E>);
    let d = d.register_with(
        C::UNREGISTER_BROKER,
        state,
        register::unregister_broker::<E>,
    );
    let d = d.register_with(
        C::QUERY_DATA_VERSION,
        state,
        register::query_data_version::<E>,
    );
    let d = d.register_with(C::GET_ROUTEINFO_BY_TOPIC, state, route::route_by_topic::<E>);
    let d = d.register_with(C::GET_BROKER_CLUSTER_INFO, state, route::cluster_info::<E>);
    let d = d.register_with(
        C::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
        state,
        route::all_topics::<E>,
    );
    let d = d.register_with(
        C::GET_TOPICS_BY_CLUSTER,
        state,
        route::topics_by_cluster::<E>,
    );
    let d = d.register_with(C::PUT_KV_CONFIG, state, admin::put_kv::<E>);
    let d = d.register_with(C::GET_KV_CONFIG, state, admin::get_kv::<E>);
    let d = d.register_with(C::DELETE_KV_CONFIG, state, admin::delete_kv::<E>);
    let d = d.register_with(C::WIPE_WRITE_PERM_OF_BROKER, state, admin::write_perm::<E>);
    let d = d.register_with(C::ADD_WRITE_PERM_OF_BROKER, state, admin::write_perm::<E>);
    let d = d.register_with(C::DELETE_TOPIC_IN_NAMESRV, state, admin::delete_topic::<E>);
    let closed = state.clone();
    d.on_close(move |info| {
        if !closed.config.remove_on_close {
            return;
        }
        for removed in closed.table.lock().connection_closed(info.id) {
            tracing::info!(
                target: "rocketsim::namesrv", broker = %removed.broker_addr, conn = %info.id,
                "connection closed, broker removed"
            );
        }
    })
}

/// Every `scan_interval` (first after `scan_initial_delay`), on a fixed schedule so that
/// processing time does not make scans drift: removes brokers whose last registration is
/// older than the expiry and closes their connections.
///
/// Expiry runs on the monotonic clock (`env.now()`), not the wall clock: a wall-clock step on
/// the name server (NTP, an operator, a skew fault) must not expire every broker at once or
/// keep a dead one forever. RocketMQ compares `System.currentTimeMillis()` and is exposed to
/// both.
async fn scan<E: Env>(state: Arc<State<E>>, server: Arc<Server>) {
    let env = state.env.clone();
    let mut next: Instant = env.now() + state.config.scan_initial_delay;
    loop {
        env.sleep(next - env.now()).await;
        let now = env.now();
        let removed = state.table.lock().expire(now);
        for gone in removed {
            tracing::info!(
                target: "rocketsim::namesrv", broker = %gone.broker_addr,
                "broker expired: no registration within the expiry"
            );
            if let Some(connection) = server.connection(gone.conn) {
                connection.close();
            }
        }
        next = next + state.config.scan_interval;
    }
}
