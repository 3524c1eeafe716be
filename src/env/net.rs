//! TCP: listeners and connections split into a read half and a write half, so a connection
//! driver can read frames in one task while responses are written from another.

use bytes::BytesMut;
use std::future::Future;
use std::io;
use std::net::SocketAddr;

/// Opening connections.
pub trait Net {
    /// A bound listening socket.
    type Listener: Listener<Conn = Self::Conn>;
    /// An established connection.
    type Conn: Conn;

    /// Listens on `addr` (port 0 picks a free port; see `Listener::local_addr`).
    fn bind(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// Opens a connection to `addr`. Fails with `ConnectionRefused` when nothing listens there;
    /// a clogged or partitioned link may make it hang, so callers put it under a timeout.
    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::Conn>> + Send;
}

/// A listening socket.
pub trait Listener: Send + 'static {
    /// The connection type it yields.
    type Conn: Conn;

    /// Waits for the next inbound connection and returns it with the peer's address.
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Conn, SocketAddr)>> + Send;

    /// The address actually bound (to learn the port after binding port 0).
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// An established connection, before it is split.
pub trait Conn: Send + 'static {
    /// The read half.
    type Read: ConnRead;
    /// The write half.
    type Write: ConnWrite;

    /// Our end's address: RocketMQ stamps it (store host, born host) into records.
    fn local_addr(&self) -> io::Result<SocketAddr>;

    /// The other end's address: the born host of a message, the key of a client channel.
    fn peer_addr(&self) -> io::Result<SocketAddr>;

    /// Splits into halves that can be used from different tasks.
    fn split(self) -> (Self::Read, Self::Write);
}

/// Reading from a connection.
pub trait ConnRead: Send + 'static {
    /// Reads whatever bytes are available (at least one, waiting if needed) and appends them
    /// to `buf`. Returns the number of bytes read; `Ok(0)` means the peer closed the stream.
    fn read_buf(&mut self, buf: &mut BytesMut) -> impl Future<Output = io::Result<usize>> + Send;
}

/// Writing to a connection.
pub trait ConnWrite: Send + 'static {
    /// Writes all of `data` and flushes it, so the peer can read it without a further call.
    fn write_all(&mut self, data: &[u8]) -> impl Future<Output = io::Result<()>> + Send;

    /// Closes our sending side: the peer reads end-of-stream after the bytes already written.
    fn shutdown(&mut self) -> impl Future<Output = io::Result<()>> + Send;
}
