//! A simulated TCP connection with real half-close.
//!
//! madsim's `TcpStream` has no shutdown (it is a no-op): the peer sees end-of-stream only when
//! the whole stream is dropped, which also ends our reading. To give `shutdown` its TCP meaning
//! — the peer reads EOF after the bytes already written, and we can still read its answer —
//! every write is sent as a frame `[len: u32 BE][len bytes]` and shutdown as the single
//! header `u32::MAX`. Both ends are always `SimEnv`s, so the framing never leaves the
//! simulation; readers strip it and see a plain byte stream.
//!
//! End of stream without the marker (the peer's process was killed, or it dropped the
//! connection) also reads as EOF, as a FIN from the peer's kernel would; a stream that ends
//! inside a frame reads as `ConnectionReset`.
//!
//! Except when the peer's process died while we were cut off from it (a clog either way at the
//! moment of death, as recorded by the world): then no FIN or RST could have reached us, and
//! madsim's immediate close would be a lie that hands every failure detector a free, instant
//! answer. Such a connection behaves like TCP towards a dead machine behind a partition: reads
//! hang (until the caller's own timeout or keep-alive logic gives up), and writes vanish into
//! the send buffer while the path is still clogged; once it is open again a write fails with
//! `ConnectionReset`, as the restarted machine's kernel would answer an unknown connection.

use crate::netstate::NetState;
use crate::world::NodeId;
use bytes::{Buf, BytesMut};
use madsim::net::TcpStream;
use rocketsim::env::{Conn, ConnRead, ConnWrite};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};

const SHUTDOWN_MARK: u32 = u32::MAX;
const HEADER_BYTES: usize = 4;
/// Largest frame: anything below the marker.
const FRAME_BYTES_MAX: usize = (u32::MAX - 1) as usize;
/// Room made in the receive buffer before each read (an empty buffer would take 64 bytes).
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// What a connection knows about the node on its other end, to tell a death the peer's kernel
/// would have announced from one nobody could have seen.
#[derive(Clone)]
pub(crate) struct PeerWatch {
    pub net: Arc<NetState>,
    pub me: NodeId,
    pub peer: NodeId,
    /// The peer's death count when the connection opened: the death that ends it is the next.
    pub deaths_at_open: usize,
}

impl PeerWatch {
    fn died_out_of_sight(watch: &Option<PeerWatch>) -> bool {
        watch
            .as_ref()
            .is_some_and(|w| w.net.died_out_of_sight(w.peer, w.deaths_at_open, w.me))
    }

    fn still_cut_off(watch: &Option<PeerWatch>) -> bool {
        watch.as_ref().is_some_and(|w| w.net.cut_off(w.me, w.peer))
    }
}

/// An established simulated connection.
pub struct SimConn {
    stream: TcpStream,
    local: SocketAddr,
    peer: SocketAddr,
    watch: Option<PeerWatch>,
}

impl SimConn {
    /// Wraps a madsim stream; `local` overrides its local address (madsim reports the
    /// listener's `0.0.0.0` for accepted streams, a real kernel the interface's address).
    /// `watch` is `None` for a connection to our own node.
    pub(crate) fn new(
        stream: TcpStream,
        local: SocketAddr,
        peer: SocketAddr,
        watch: Option<PeerWatch>,
    ) -> Self {
        SimConn {
            stream,
            local,
            peer,
            watch,
        }
    }
}

impl Conn for SimConn {
    type Read = SimConnRead;
    type Write = SimConnWrite;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }

    fn split(self) -> (SimConnRead, SimConnWrite) {
        let (read, write) = tokio::io::split(self.stream);
        let reader = SimConnRead {
            half: read,
            raw: BytesMut::new(),
            frame_left: 0,
            eof: false,
            watch: self.watch.clone(),
        };
        let writer = SimConnWrite {
            half: write,
            shut: false,
            watch: self.watch,
        };
        (reader, writer)
    }
}

/// The read half: strips the framing.
pub struct SimConnRead {
    half: ReadHalf<TcpStream>,
    /// Bytes received and not yet handed out, framing included.
    raw: BytesMut,
    /// Payload bytes of the current frame not yet handed out.
    frame_left: usize,
    eof: bool,
    watch: Option<PeerWatch>,
}

impl SimConnRead {
    /// Hands out buffered payload (`Some(n)`), or EOF (`Some(0)`), consuming headers on the
    /// way; `None` when more bytes must be received first.
    fn step(&mut self, buf: &mut BytesMut) -> Option<usize> {
        loop {
            if self.eof {
                return Some(0);
            }
            if self.frame_left > 0 {
                if self.raw.is_empty() {
                    return None;
                }
                let n = self.frame_left.min(self.raw.len());
                buf.extend_from_slice(&self.raw[..n]);
                self.raw.advance(n);
                self.frame_left -= n;
                return Some(n);
            }
            if self.raw.len() < HEADER_BYTES {
                return None;
            }
            match self.raw.get_u32() {
                SHUTDOWN_MARK => self.eof = true,
                len => self.frame_left = len as usize,
            }
        }
    }

    async fn read_some(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        loop {
            if let Some(n) = self.step(buf) {
                return Ok(n);
            }
            self.raw.reserve(READ_CHUNK_BYTES);
            if self.half.read_buf(&mut self.raw).await? == 0 {
                if PeerWatch::died_out_of_sight(&self.watch) {
                    // Nothing could have told us: wait for bytes that will never come.
                    return std::future::pending().await;
                }
                if self.raw.is_empty() && self.frame_left == 0 {
                    self.eof = true;
                    return Ok(0);
                }
                let message = "stream ended inside a frame";
                return Err(io::Error::new(io::ErrorKind::ConnectionReset, message));
            }
        }
    }
}

impl ConnRead for SimConnRead {
    fn read_buf(&mut self, buf: &mut BytesMut) -> impl Future<Output = io::Result<usize>> + Send {
        self.read_some(buf)
    }
}

/// The write half: frames every write, flushes it, and sends the marker on shutdown.
pub struct SimConnWrite {
    half: WriteHalf<TcpStream>,
    shut: bool,
    watch: Option<PeerWatch>,
}

impl SimConnWrite {
    /// A write to a peer that died out of sight succeeds while the path is still clogged (the
    /// bytes sit unacknowledged in our send buffer) and is reset once it is open.
    fn unseen_death(&self, error: io::Error) -> io::Result<()> {
        match PeerWatch::died_out_of_sight(&self.watch) && PeerWatch::still_cut_off(&self.watch) {
            true => Ok(()),
            false => Err(error),
        }
    }

    async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        match self.send_frames(data).await {
            Ok(()) => Ok(()),
            Err(error) => self.unseen_death(error),
        }
    }

    async fn send_frames(&mut self, data: &[u8]) -> io::Result<()> {
        if self.shut {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after shutdown",
            ));
        }
        for chunk in data.chunks(FRAME_BYTES_MAX) {
            self.half
                .write_all(&(chunk.len() as u32).to_be_bytes())
                .await?;
            self.half.write_all(chunk).await?;
        }
        self.half.flush().await
    }

    async fn close(&mut self) -> io::Result<()> {
        if self.shut {
            return Ok(());
        }
        self.shut = true;
        let marked = async {
            self.half.write_all(&SHUTDOWN_MARK.to_be_bytes()).await?;
            self.half.flush().await
        };
        match marked.await {
            Ok(()) => Ok(()),
            Err(error) => self.unseen_death(error),
        }
    }
}

impl ConnWrite for SimConnWrite {
    fn write_all(&mut self, data: &[u8]) -> impl Future<Output = io::Result<()>> + Send {
        self.send(data)
    }

    fn shutdown(&mut self) -> impl Future<Output = io::Result<()>> + Send {
        self.close()
    }
}
