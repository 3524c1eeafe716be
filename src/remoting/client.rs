//! The calling side: one connection per remote address, opened on first use and again after
//! it closes, and calls with a timeout that covers connecting, queueing and waiting.

use super::config::RemotingConfig;
use super::connection::{ConnId, Connection};
use super::dispatch::Dispatcher;
use super::error::RpcError;
use crate::env::Env;
use crate::protocol::RemotingCommand;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A pool of connections, one per address. Cheap to clone.
pub struct Client<E: Env> {
    inner: Arc<Inner<E>>,
}

impl<E: Env> Clone for Client<E> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<E> {
    env: E,
    dispatcher: Arc<Dispatcher>,
    config: RemotingConfig,
    connections: Mutex<BTreeMap<SocketAddr, Connection>>,
    /// One lock per address being connected to, so concurrent first calls share one connect.
    connecting: Mutex<BTreeMap<SocketAddr, Arc<tokio::sync::Mutex<()>>>>,
    next_id: AtomicU64,
}

impl<E: Env> Client<E> {
    /// A client whose connections serve the requests peers send back with `dispatcher`
    /// (use `Dispatcher::new()` when none are expected).
    pub fn new(env: E, dispatcher: Dispatcher, config: RemotingConfig) -> Self {
        Client {
            inner: Arc::new(Inner {
                env,
                dispatcher: Arc::new(dispatcher),
                config,
                connections: Mutex::new(BTreeMap::new()),
                connecting: Mutex::new(BTreeMap::new()),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// Sends `request` to `addr` and waits up to `timeout` for the response.
    pub async fn invoke(
        &self,
        addr: SocketAddr,
        request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RpcError> {
        let env = &self.inner.env;
        let started = env.now();
        let connection = self.connection(addr, timeout).await?;
        let remaining = timeout.saturating_sub(env.now() - started);
        connection.invoke(env, request, remaining).await
    }

    /// Sends `request` to `addr` as oneway.
    pub async fn invoke_oneway(
        &self,
        addr: SocketAddr,
        request: RemotingCommand,
    ) -> Result<(), RpcError> {
        let connect_timeout = self.inner.config.connect_timeout;
        let connection = self.connection(addr, connect_timeout).await?;
        connection.send_oneway(request).await
    }

    /// The open connection to `addr`, opening one (within `timeout` and the connect timeout)
    /// if there is none.
    pub async fn connection(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> Result<Connection, RpcError> {
        if let Some(open) = self.open_connection(addr) {
            return Ok(open);
        }
        let gate = self
            .inner
            .connecting
            .lock()
            .entry(addr)
            .or_default()
            .clone();
        let _turn = gate.lock().await;
        // Whoever held the gate before us may have connected already.
        if let Some(open) = self.open_connection(addr) {
            return Ok(open);
        }
        let fresh = self.connect(addr, timeout).await;
        // Forget the gate once nobody else waits on it, so the map stays bounded.
        {
            let mut connecting = self.inner.connecting.lock();
            if Arc::strong_count(&gate) <= 2 {
                connecting.remove(&addr);
            }
        }
        let fresh = fresh?;
        self.inner.connections.lock().insert(addr, fresh.clone());
        Ok(fresh)
    }

    /// Closes the connection to `addr`, if any (pending calls on it fail).
    pub fn close(&self, addr: SocketAddr) {
        let removed = self.inner.connections.lock().remove(&addr);
        if let Some(connection) = removed {
            connection.close();
        }
    }

    /// Closes every connection.
    pub fn close_all(&self) {
        let all = std::mem::take(&mut *self.inner.connections.lock());
        for connection in all.into_values() {
            connection.close();
        }
    }

    fn open_connection(&self, addr: SocketAddr) -> Option<Connection> {
        let connections = self.inner.connections.lock();
        connections.get(&addr).filter(|c| !c.is_closed()).cloned()
    }

    async fn connect(&self, addr: SocketAddr, timeout: Duration) -> Result<Connection, RpcError> {
        let inner = &self.inner;
        let timeout = timeout.min(inner.config.connect_timeout);
        let conn = match inner.env.timeout(timeout, inner.env.connect(addr)).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(source)) => return Err(RpcError::Connect { addr, source }),
            Err(_) => return Err(RpcError::ConnectTimeout { addr, timeout }),
        };
        let id = ConnId(inner.next_id.fetch_add(1, Ordering::Relaxed));
        Connection::start(
            &inner.env,
            conn,
            id,
            inner.dispatcher.clone(),
            inner.config.clone(),
        )
        .map_err(|source| RpcError::Connect { addr, source })
    }
}
