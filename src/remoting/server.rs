//! The accepting side: a task that accepts connections on a listener and starts a
//! [`Connection`] for each, and a registry of the live ones.
//!
//! A connection leaves the registry when it closes, just before the dispatcher's close
//! listener runs, so a listener that looks a connection up sees it gone.

use super::config::RemotingConfig;
use super::connection::{ConnId, ConnInfo, Connection};
use super::dispatch::Dispatcher;
use crate::env::{Env, Listener, Task};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

type Registry = Arc<Mutex<BTreeMap<ConnId, Connection>>>;

/// A running server. Dropping the handle does not stop it; call [`Server::shutdown`].
pub struct Server {
    local_addr: SocketAddr,
    connections: Registry,
    acceptor: Mutex<Option<Box<dyn Task>>>,
}

impl Server {
    /// Starts accepting on `listener`, serving requests with `dispatcher`.
    pub fn start<E: Env>(
        env: &E,
        listener: E::Listener,
        dispatcher: Dispatcher,
        config: RemotingConfig,
    ) -> io::Result<Server> {
        let local_addr = listener.local_addr()?;
        let connections: Registry = Arc::default();
        let dispatcher = Arc::new(with_registry_cleanup(dispatcher, connections.clone()));
        let acceptor = env.spawn(
            "remoting-acceptor",
            accept_loop(
                env.clone(),
                listener,
                dispatcher,
                config,
                connections.clone(),
            ),
        );
        tracing::debug!(target: "rocketsim::remoting", addr = %local_addr, "server listening");
        Ok(Server {
            local_addr,
            connections,
            acceptor: Mutex::new(Some(Box::new(acceptor))),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The live connection with this id, to send a request back to its peer.
    pub fn connection(&self, id: ConnId) -> Option<Connection> {
        self.connections.lock().get(&id).cloned()
    }

    /// The live connections, in id order.
    pub fn connections(&self) -> Vec<ConnInfo> {
        self.connections
            .lock()
            .values()
            .map(Connection::info)
            .collect()
    }

    /// Stops accepting and closes every connection (queued responses are still written).
    pub fn shutdown(&self) {
        if let Some(acceptor) = self.acceptor.lock().take() {
            acceptor.abort();
        }
        let live: Vec<Connection> = self.connections.lock().values().cloned().collect();
        for connection in live {
            connection.close();
        }
    }
}

fn with_registry_cleanup(mut dispatcher: Dispatcher, registry: Registry) -> Dispatcher {
    let user = dispatcher.on_close.take();
    dispatcher.on_close(move |info: ConnInfo| {
        registry.lock().remove(&info.id);
        if let Some(user) = &user {
            user(info);
        }
    })
}

async fn accept_loop<E: Env>(
    env: E,
    mut listener: E::Listener,
    dispatcher: Arc<Dispatcher>,
    config: RemotingConfig,
    registry: Registry,
) {
    let mut next_id = 0u64;
    loop {
        let (conn, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // E.g. out of file descriptors: back off instead of spinning.
                tracing::warn!(target: "rocketsim::remoting", %error, "accept failed");
                env.sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if registry.lock().len() >= config.connections_max {
            tracing::warn!(
                target: "rocketsim::remoting", %peer, limit = config.connections_max,
                "too many connections, refusing"
            );
            continue;
        }
        next_id += 1;
        let id = ConnId(next_id);
        match Connection::start(&env, conn, id, dispatcher.clone(), config.clone()) {
            Ok(connection) => {
                registry.lock().insert(id, connection.clone());
                // It may have closed before it was registered; its cleanup then found nothing.
                if connection.is_closed() {
                    registry.lock().remove(&id);
                }
            }
            Err(error) => {
                tracing::warn!(target: "rocketsim::remoting", %peer, %error, "connection lost at accept");
            }
        }
    }
}
