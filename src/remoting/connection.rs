//! One remoting connection: a reader task that decodes frames and a writer task that drains a
//! bounded queue of encoded frames, shared by everything that sends on the connection.
//!
//! Invariants: every request we send has a fresh `opaque` and at most one pending entry; a
//! pending entry is completed exactly once (response, timeout, or close); after close no frame
//! is queued, every pending call fails with `ConnectionClosed`, and the dispatcher's close
//! listener runs exactly once. Frames already queued when the connection closes are still
//! written before the write side is shut down.

use super::config::RemotingConfig;
use super::dispatch::{Dispatcher, RequestContext};
use super::error::RpcError;
use crate::env::{Clock, Conn, ConnRead, ConnWrite, Env, Task};
use crate::protocol::{frame, DecodeError, Kind, RemotingCommand, ResponseCode};
use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// Identifies a connection within the server or client that opened it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn-{}", self.0)
    }
}

/// Who is on the other end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnInfo {
    /// Identity within the owning server or client.
    pub id: ConnId,
    /// The peer's address.
    pub peer: SocketAddr,
    /// Our address on this connection.
    pub local: SocketAddr,
}

/// Why a connection closed (for the log line).
enum CloseReason {
    PeerClosed,
    ReadFailed(std::io::Error),
    WriteFailed(std::io::Error),
    Malformed(DecodeError),
    Local,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::PeerClosed => f.write_str("peer closed"),
            CloseReason::ReadFailed(error) => write!(f, "read failed: {error}"),
            CloseReason::WriteFailed(error) => write!(f, "write failed: {error}"),
            CloseReason::Malformed(error) => write!(f, "malformed frame: {error}"),
            CloseReason::Local => f.write_str("closed locally"),
        }
    }
}

/// A handle to a live (or closed) connection. Cheap to clone.
#[derive(Clone)]
pub struct Connection {
    shared: Arc<Shared>,
}

struct Shared {
    info: ConnInfo,
    config: RemotingConfig,
    dispatcher: Arc<Dispatcher>,
    outbound: Mutex<Option<mpsc::Sender<Bytes>>>,
    pending: Mutex<BTreeMap<i32, oneshot::Sender<RemotingCommand>>>,
    closed: AtomicBool,
    closed_tx: watch::Sender<bool>,
    next_opaque: AtomicI32,
    in_flight: AtomicUsize,
    reader: Mutex<Option<Box<dyn Task>>>,
}

impl Connection {
    /// Starts the reader and writer tasks of `conn` and returns its handle.
    pub fn start<E: Env>(
        env: &E,
        conn: E::Conn,
        id: ConnId,
        dispatcher: Arc<Dispatcher>,
        config: RemotingConfig,
    ) -> std::io::Result<Connection> {
        let info = ConnInfo {
            id,
            peer: conn.peer_addr()?,
            local: conn.local_addr()?,
        };
        let (tx, rx) = mpsc::channel(config.send_queue_frames_max.max(1));
        let (closed_tx, _) = watch::channel(false);
        let connection = Connection {
            shared: Arc::new(Shared {
                info,
                config,
                dispatcher,
                outbound: Mutex::new(Some(tx)),
                pending: Mutex::new(BTreeMap::new()),
                closed: AtomicBool::new(false),
                closed_tx,
                next_opaque: AtomicI32::new(1),
                in_flight: AtomicUsize::new(0),
                reader: Mutex::new(None),
            }),
        };
        let (read, write) = conn.split();
        tracing::debug!(target: "rocketsim::remoting", %id, peer = %info.peer, "connection open");
        let batch_max = connection.shared.config.write_batch_bytes_max;
        env.spawn(
            "remoting-writer",
            write_loop(write, rx, connection.clone(), batch_max),
        );
        let reader = env.spawn(
            "remoting-reader",
            read_loop(env.clone(), read, connection.clone()),
        );
        *connection.shared.reader.lock() = Some(Box::new(reader));
        Ok(connection)
    }

    /// Identity and addresses.
    pub fn info(&self) -> ConnInfo {
        self.shared.info
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Completes when the connection has closed.
    pub async fn closed(&self) {
        let mut rx = self.shared.closed_tx.subscribe();
        // An error means the sender is gone, which happens only with the connection itself.
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// Closes the connection: queued frames are still written, pending calls fail.
    pub fn close(&self) {
        self.close_with(CloseReason::Local, true);
    }

    /// Sends `request` and waits up to `timeout` for its response.
    pub async fn invoke<C: Clock>(
        &self,
        clock: &C,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RpcError> {
        let opaque = self.next_opaque();
        request.opaque = opaque;
        let rx = self.register_pending(opaque)?;
        let peer = self.shared.info.peer;
        let exchange = async {
            self.send(&request).await?;
            rx.await
                .map_err(|_| RpcError::ConnectionClosed { addr: peer })
        };
        let outcome = clock.timeout(timeout, exchange).await;
        match outcome {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) => {
                self.shared.pending.lock().remove(&opaque);
                Err(error)
            }
            Err(_) => {
                self.shared.pending.lock().remove(&opaque);
                Err(RpcError::Timeout {
                    addr: peer,
                    timeout,
                })
            }
        }
    }

    /// Sends `request` as oneway: the peer sends no response.
    pub async fn send_oneway(&self, mut request: RemotingCommand) -> Result<(), RpcError> {
        request.opaque = self.next_opaque();
        if let Kind::Request { oneway, .. } = &mut request.kind {
            *oneway = true;
        }
        self.send(&request).await
    }

    fn next_opaque(&self) -> i32 {
        // Wraps after 2^31 requests on one connection; pending entries live far shorter.
        self.shared.next_opaque.fetch_add(1, Ordering::Relaxed)
    }

    fn register_pending(
        &self,
        opaque: i32,
    ) -> Result<oneshot::Receiver<RemotingCommand>, RpcError> {
        let peer = self.shared.info.peer;
        let mut pending = self.shared.pending.lock();
        if self.is_closed() {
            return Err(RpcError::ConnectionClosed { addr: peer });
        }
        let limit = self.shared.config.pending_responses_max;
        if pending.len() >= limit {
            return Err(RpcError::TooManyPending { addr: peer, limit });
        }
        let (tx, rx) = oneshot::channel();
        pending.insert(opaque, tx);
        Ok(rx)
    }

    async fn send(&self, command: &RemotingCommand) -> Result<(), RpcError> {
        let mut buf = BytesMut::new();
        frame::encode(command, self.shared.config.serialize_type, &mut buf)?;
        self.send_frame(buf.freeze()).await
    }

    async fn send_frame(&self, frame: Bytes) -> Result<(), RpcError> {
        let closed = RpcError::ConnectionClosed {
            addr: self.shared.info.peer,
        };
        let sender = self.shared.outbound.lock().clone();
        match sender {
            Some(sender) => sender.send(frame).await.map_err(|_| closed),
            None => Err(closed),
        }
    }

    fn close_with(&self, reason: CloseReason, abort_reader: bool) {
        if self.shared.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        // Dropping the only sender lets the writer drain what is queued, then shut down.
        self.shared.outbound.lock().take();
        // Dropping the senders fails every pending call with ConnectionClosed.
        let pending = std::mem::take(&mut *self.shared.pending.lock());
        drop(pending);
        if abort_reader {
            if let Some(reader) = self.shared.reader.lock().take() {
                reader.abort();
            }
        }
        let info = self.shared.info;
        match &reason {
            CloseReason::Malformed(error) => tracing::warn!(
                target: "rocketsim::remoting", id = %info.id, peer = %info.peer, %error,
                "malformed frame, closing connection"
            ),
            _ => tracing::debug!(
                target: "rocketsim::remoting", id = %info.id, peer = %info.peer, %reason,
                "connection closed"
            ),
        }
        self.shared.closed_tx.send_replace(true);
        self.shared.dispatcher.closed(info);
    }

    fn on_command<E: Env>(&self, env: &E, command: RemotingCommand) {
        match command.kind {
            Kind::Response { .. } => self.complete(command),
            Kind::Request { code, oneway } => self.serve(env, command, code, oneway),
        }
    }

    fn complete(&self, response: RemotingCommand) {
        let waiter = self.shared.pending.lock().remove(&response.opaque);
        match waiter {
            // The caller may have given up at this very moment; nothing to do then.
            Some(waiter) => drop(waiter.send(response)),
            None => tracing::trace!(
                target: "rocketsim::remoting", opaque = response.opaque,
                "response for no pending request (late after a timeout)"
            ),
        }
    }

    fn serve<E: Env>(
        &self,
        env: &E,
        request: RemotingCommand,
        code: crate::protocol::RequestCode,
        oneway: bool,
    ) {
        let limit = self.shared.config.in_flight_requests_max;
        if self.shared.in_flight.fetch_add(1, Ordering::AcqRel) >= limit {
            self.shared.in_flight.fetch_sub(1, Ordering::AcqRel);
            if !oneway {
                let remark =
                    format!("[OVERLOAD] more than {limit} requests in flight on this connection");
                let busy =
                    RemotingCommand::response_to(&request, ResponseCode::SYSTEM_BUSY, Some(remark));
                self.respond_in_background(env, busy);
            }
            return;
        }
        let connection = self.clone();
        env.spawn("remoting-request", async move {
            let opaque = request.opaque;
            let ctx = RequestContext {
                connection: connection.clone(),
            };
            let dispatcher = connection.shared.dispatcher.clone();
            let mut response = dispatcher.dispatch(ctx, code, request).await;
            connection.shared.in_flight.fetch_sub(1, Ordering::AcqRel);
            if !oneway {
                response.opaque = opaque;
                connection.respond(response).await;
            }
        });
    }

    fn respond_in_background<E: Env>(&self, env: &E, response: RemotingCommand) {
        let connection = self.clone();
        env.spawn("remoting-respond", async move {
            connection.respond(response).await;
        });
    }

    async fn respond(&self, response: RemotingCommand) {
        let opaque = response.opaque;
        let result = match self.send(&response).await {
            Err(RpcError::Encode(error)) => {
                let remark = format!("response cannot be encoded: {error}");
                let mut fallback =
                    RemotingCommand::response(ResponseCode::SYSTEM_ERROR, Some(remark));
                fallback.opaque = opaque;
                self.send(&fallback).await
            }
            other => other,
        };
        if result.is_err() {
            tracing::trace!(target: "rocketsim::remoting", opaque, "response dropped: connection closed");
        }
    }
}

async fn read_loop<E: Env>(env: E, mut read: <E::Conn as Conn>::Read, connection: Connection) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let reason = loop {
        if let Err(error) = decode_available(&env, &mut buf, &connection) {
            break CloseReason::Malformed(error);
        }
        match read.read_buf(&mut buf).await {
            Ok(0) => break CloseReason::PeerClosed,
            Ok(_) => {}
            Err(error) => break CloseReason::ReadFailed(error),
        }
    };
    connection.close_with(reason, false);
}

/// Decodes every whole frame at the front of `buf` and hands it on.
fn decode_available<E: Env>(
    env: &E,
    buf: &mut BytesMut,
    connection: &Connection,
) -> Result<(), DecodeError> {
    // The body of each command shares the read buffer's allocation: bodies are not copied.
    while let Some(command) = frame::decode_buf(buf)? {
        connection.on_command(env, command);
    }
    if let Some(len) = frame::peek_len(buf)? {
        // The length was checked against FRAME_BYTES_MAX, so this reservation is bounded.
        buf.reserve(len.saturating_sub(buf.len()));
    }
    Ok(())
}

async fn write_loop<W: ConnWrite>(
    mut write: W,
    mut queue: mpsc::Receiver<Bytes>,
    connection: Connection,
    batch_bytes_max: usize,
) {
    let mut batch = BytesMut::new();
    while let Some(first) = queue.recv().await {
        let written = if queue.is_empty() {
            write.write_all(&first).await
        } else {
            batch.clear();
            batch.extend_from_slice(&first);
            while batch.len() < batch_bytes_max {
                match queue.try_recv() {
                    Ok(next) => batch.extend_from_slice(&next),
                    Err(_) => break,
                }
            }
            write.write_all(&batch).await
        };
        if let Err(error) = written {
            connection.close_with(CloseReason::WriteFailed(error), true);
            return;
        }
    }
    // Best effort: the peer may already be gone.
    let _ = write.shutdown().await;
}
