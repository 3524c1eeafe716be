//! TCP on tokio. Every connection, accepted or opened, gets `TCP_NODELAY`: the remoting layer
//! writes whole frames and waits for replies, so Nagle's algorithm would only add latency to
//! small requests (heartbeats, offset commits, pull requests). Writes therefore go out as
//! `write_all` issues them, and `write_all` flushes, as the seam requires.

use bytes::BytesMut;
use rocketsim::env::{Conn, ConnRead, ConnWrite, Listener, Net};
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

use crate::env::TokioEnv;

/// Below this much spare capacity `read_buf` grows the buffer before reading: with none at all
/// a read would return 0, which the seam reserves for end-of-stream.
const READ_SPARE_MIN: usize = 4 * 1024;
/// How much `read_buf` reserves when it grows the buffer: big enough that a large pull
/// response arrives in few reads, small enough to keep idle connections cheap.
const READ_RESERVE: usize = 64 * 1024;

impl Net for TokioEnv {
    type Listener = TokioListener;
    type Conn = TokioConn;

    async fn bind(&self, addr: SocketAddr) -> io::Result<TokioListener> {
        let inner = TcpListener::bind(addr).await?;
        Ok(TokioListener { inner })
    }

    async fn connect(&self, addr: SocketAddr) -> io::Result<TokioConn> {
        TokioConn::new(TcpStream::connect(addr).await?)
    }
}

/// A listening TCP socket.
#[derive(Debug)]
pub struct TokioListener {
    inner: TcpListener,
}

impl Listener for TokioListener {
    type Conn = TokioConn;

    async fn accept(&mut self) -> io::Result<(TokioConn, SocketAddr)> {
        let (stream, peer) = self.inner.accept().await?;
        Ok((TokioConn::new(stream)?, peer))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// An established TCP connection, before it is split.
#[derive(Debug)]
pub struct TokioConn {
    stream: TcpStream,
}

impl TokioConn {
    fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_nodelay(true)?;
        Ok(TokioConn { stream })
    }
}

impl Conn for TokioConn {
    type Read = TokioRead;
    type Write = TokioWrite;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.stream.local_addr()
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    fn split(self) -> (TokioRead, TokioWrite) {
        // Owned halves, not `tokio::io::split`: no lock shared between the reader and writer.
        let (read, write) = self.stream.into_split();
        (TokioRead { half: read }, TokioWrite { half: write })
    }
}

/// The read half of a connection.
#[derive(Debug)]
pub struct TokioRead {
    half: OwnedReadHalf,
}

impl ConnRead for TokioRead {
    async fn read_buf(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        if buf.capacity() - buf.len() < READ_SPARE_MIN {
            buf.reserve(READ_RESERVE);
        }
        self.half.read_buf(buf).await
    }
}

/// The write half of a connection. Dropping it closes our sending side, like `shutdown`.
#[derive(Debug)]
pub struct TokioWrite {
    half: OwnedWriteHalf,
}

impl ConnWrite for TokioWrite {
    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.half.write_all(data).await?;
        // A no-op for a raw socket today; kept so the seam's promise does not depend on that.
        self.half.flush().await
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        self.half.shutdown().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn both_ends_of_a_connection_have_nodelay() {
        let env = TokioEnv::new();
        let mut listener = env.bind(([127, 0, 0, 1], 0).into()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = tokio::join!(env.connect(addr), listener.accept());
        assert!(client.unwrap().stream.nodelay().unwrap());
        assert!(accepted.unwrap().0.stream.nodelay().unwrap());
    }
}
