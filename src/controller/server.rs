//! The driver: a remoting server whose processors are the handlers, the inactive-broker scan,
//! a close listener, persistence and role-change pushes. All decisions are the state
//! machine's.
//!
//! Durability: every change of the groups is written (`Fs::write_file_atomic`) while the state
//! lock is held and before the request is answered or anyone is notified; a failed write
//! undoes the change and answers SYSTEM_ERROR. Heartbeats change only liveness, which is not
//! persisted.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;

use super::config::ControllerConfig;
use super::error::{ControllerError, StartError};
use super::handlers;
use super::machine::{ControllerState, ElectionOutcome, RoleChange};
use super::snapshot::Snapshot;
use crate::env::{Env, Instant, Task};
use crate::protocol::header::MasterInfoHeader;
use crate::protocol::{RemotingCommand, RequestCode};
use crate::remoting::{ConnInfo, Dispatcher, Server};

/// What the handlers share.
pub(super) struct Shared<E: Env> {
    pub(super) env: E,
    pub(super) config: ControllerConfig,
    pub(super) state: tokio::sync::Mutex<ControllerState>,
    server: Mutex<Option<Arc<Server>>>,
}

impl<E: Env> Shared<E> {
    /// Runs `change` on the state and persists the groups if it changed them.
    pub(super) async fn mutate<R>(
        &self,
        change: impl FnOnce(&mut ControllerState, Instant) -> Result<R, ControllerError>,
    ) -> Result<R, ControllerError> {
        let mut state = self.state.lock().await;
        let before = state.groups().clone();
        let result = change(&mut state, self.env.now());
        self.persist_locked(&mut state, before).await?;
        result
    }

    async fn persist_locked(
        &self,
        state: &mut ControllerState,
        before: std::collections::BTreeMap<String, super::group::BrokerGroup>,
    ) -> Result<(), ControllerError> {
        if !state.take_dirty() {
            return Ok(());
        }
        let bytes = Snapshot::of(state.groups()).encode();
        let path = &self.config.store_path;
        if let Err(error) = self.env.write_file_atomic(path, &bytes).await {
            tracing::error!(target: "rocketsim::controller", %error, path = %path.display(), "cannot persist the controller state; change undone");
            state.restore_groups(before);
            return Err(ControllerError::Persist(error));
        }
        Ok(())
    }

    /// Pushes NOTIFY_BROKER_ROLE_CHANGED to every replica with a known connection.
    pub(super) async fn notify(&self, change: &RoleChange) {
        if !self.config.notify_broker_role_changed {
            return;
        }
        let Some(server) = self.server.lock().clone() else {
            return;
        };
        let header = MasterInfoHeader {
            master_broker_id: change.view.master.as_ref().map(|(id, _)| *id),
            master_address: change.view.master.as_ref().map(|(_, a)| a.clone()),
            master_epoch: Some(change.view.master_epoch),
            sync_state_set_epoch: Some(change.view.sync_state_set_epoch),
        };
        let body = bytes::Bytes::from(change.view.sync_state_set_body().encode());
        for (id, addr, conn) in &change.targets {
            let Some(connection) = conn.and_then(|c| server.connection(c)) else {
                continue;
            };
            let push = RemotingCommand::oneway(RequestCode::NOTIFY_BROKER_ROLE_CHANGED)
                .with_header(&header)
                .with_body(body.clone());
            if let Err(error) = connection.send_oneway(push).await {
                tracing::debug!(target: "rocketsim::controller", broker = id, %addr, %error, "role change push failed");
            }
        }
    }

    async fn report(&self, outcomes: Vec<ElectionOutcome>) {
        for outcome in outcomes {
            match outcome {
                ElectionOutcome::Elected(change) => {
                    let master = change.view.master.as_ref().map(|(id, _)| *id);
                    tracing::info!(
                        target: "rocketsim::controller", group = %change.view.broker_name,
                        ?master, master_epoch = change.view.master_epoch,
                        "master inactive, new master elected"
                    );
                    self.notify(&change).await;
                }
                ElectionOutcome::NoCandidate {
                    broker_name,
                    master_epoch,
                } => {
                    tracing::warn!(
                        target: "rocketsim::controller", group = %broker_name, master_epoch,
                        "master inactive and no replica of the sync state set is alive: the group has no master"
                    );
                }
            }
        }
    }
}

/// A running controller.
pub struct Controller<E: Env> {
    shared: Arc<Shared<E>>,
    server: Arc<Server>,
    scanner: E::Task,
}

impl<E: Env> Controller<E> {
    /// Loads the persisted groups, starts serving on `listener` and starts the scan.
    pub async fn start(
        env: E,
        listener: E::Listener,
        config: ControllerConfig,
    ) -> Result<Self, StartError> {
        let groups = load(&env, &config)?;
        let state = ControllerState::new(&config, groups, env.now());
        let shared = Arc::new(Shared {
            env: env.clone(),
            config,
            state: tokio::sync::Mutex::new(state),
            server: Mutex::new(None),
        });
        let remoting = shared.config.remoting.clone();
        let server = Server::start(&env, listener, dispatcher(&shared), remoting)
            .map_err(StartError::Listen)?;
        let server = Arc::new(server);
        *shared.server.lock() = Some(server.clone());
        let scanner = env.spawn("controller-scan", scan(shared.clone(), server.clone()));
        tracing::info!(target: "rocketsim::controller", addr = %server.local_addr(), "controller started");
        Ok(Controller {
            shared,
            server,
            scanner,
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Reads the state (tests, simulation checkers).
    pub async fn with_state<R>(&self, read: impl FnOnce(&ControllerState) -> R) -> R {
        read(&*self.shared.state.lock().await)
    }

    /// Stops the scan and the server.
    pub fn shutdown(&self) {
        self.scanner.abort();
        self.server.shutdown();
        *self.shared.server.lock() = None;
    }
}

/// Runs a controller on `listener` until `shutdown` completes.
pub async fn run<E: Env>(
    env: E,
    listener: E::Listener,
    config: ControllerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let controller = Controller::start(env, listener, config).await?;
    shutdown.await;
    controller.shutdown();
    Ok(())
}

fn load<E: Env>(
    env: &E,
    config: &ControllerConfig,
) -> Result<std::collections::BTreeMap<String, super::group::BrokerGroup>, StartError> {
    let path = &config.store_path;
    let display = || path.display().to_string();
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        env.create_dir_all(parent)
            .map_err(|source| StartError::Read {
                path: display(),
                source,
            })?;
    }
    match env.read_file(path) {
        Ok(bytes) => Snapshot::decode(&bytes, &config.limits)
            .map(|s| s.groups)
            .map_err(|e| StartError::Parse {
                path: display(),
                detail: e.to_string(),
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Default::default()),
        Err(source) => Err(StartError::Read {
            path: display(),
            source,
        }),
    }
}

fn dispatcher<E: Env>(shared: &Arc<Shared<E>>) -> Dispatcher {
    use RequestCode as C;
    let d = Dispatcher::new()
        .register_with(
            C::CONTROLLER_GET_NEXT_BROKER_ID,
            shared,
            handlers::next_broker_id::<E>,
        )
        .register_with(
            C::CONTROLLER_APPLY_BROKER_ID,
            shared,
            handlers::apply_broker_id::<E>,
        )
        .register_with(
            C::CONTROLLER_REGISTER_BROKER,
            shared,
            handlers::register::<E>,
        )
        .register_with(C::BROKER_HEARTBEAT, shared, handlers::heartbeat::<E>)
        .register_with(C::CONTROLLER_ELECT_MASTER, shared, handlers::elect::<E>)
        .register_with(
            C::CONTROLLER_ALTER_SYNC_STATE_SET,
            shared,
            handlers::alter_sync_state_set::<E>,
        )
        .register_with(
            C::CONTROLLER_GET_REPLICA_INFO,
            shared,
            handlers::replica_info::<E>,
        )
        .register_with(
            C::CONTROLLER_GET_SYNC_STATE_DATA,
            shared,
            handlers::sync_state_data::<E>,
        )
        .register_with(
            C::CONTROLLER_GET_METADATA_INFO,
            shared,
            handlers::metadata::<E>,
        );
    let closed = shared.clone();
    d.on_close(move |info: ConnInfo| {
        let shared = closed.clone();
        closed.env.spawn("controller-conn-closed", async move {
            connection_closed(shared, info).await;
        });
    })
}

async fn connection_closed<E: Env>(shared: Arc<Shared<E>>, info: ConnInfo) {
    let outcomes = {
        let mut state = shared.state.lock().await;
        let before = state.groups().clone();
        let outcomes = state.connection_closed(info.id, shared.env.now());
        if shared.persist_locked(&mut state, before).await.is_err() {
            return;
        }
        outcomes
    };
    shared.report(outcomes).await;
}

/// Every `scan_interval`, on a fixed schedule: expires silent brokers (closing their
/// connections) and re-elects groups whose master is inactive.
async fn scan<E: Env>(shared: Arc<Shared<E>>, server: Arc<Server>) {
    let env = shared.env.clone();
    let mut next = env.now() + shared.config.scan_interval;
    loop {
        env.sleep(next - env.now()).await;
        let result = {
            let mut state = shared.state.lock().await;
            let before = state.groups().clone();
            let result = state.scan(env.now());
            match shared.persist_locked(&mut state, before).await {
                Ok(()) => Some(result),
                Err(_) => None,
            }
        };
        if let Some(result) = result {
            for (name, id, info) in result.expired {
                tracing::info!(target: "rocketsim::controller", group = %name, broker = id, addr = %info.address, "broker inactive: no heartbeat within its timeout");
                if let Some(connection) = info.conn.and_then(|c| server.connection(c)) {
                    connection.close();
                }
            }
            shared.report(result.elections).await;
        }
        next = next + shared.config.scan_interval;
    }
}
