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

use bytes::{Buf, BytesMut};
use madsim::net::TcpStream;
use rocketsim::env::{Conn, ConnRead, ConnWrite};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};

const SHUTDOWN_MARK: u32 = u32::MAX;
const HEADER_BYTES: usize = 4;
/// Largest frame: anything below the marker.
const FRAME_BYTES_MAX: usize = (u32::MAX - 1) as usize;
/// Room made in the receive buffer before each read (an empty buffer would take 64 bytes).
const READ_CHUNK_BYTES: usize = 64 * 1024;

/// An established simulated connection.
pub struct SimConn {
    stream: TcpStream,
    local: SocketAddr,
    peer: SocketAddr,
}

impl SimConn {
    /// Wraps a madsim stream; `local` overrides its local address (madsim reports the
    /// listener's `0.0.0.0` for accepted streams, a real kernel the interface's address).
    pub(crate) fn new(stream: TcpStream, local: SocketAddr, peer: SocketAddr) -> Self {
        SimConn {
            stream,
            local,
            peer,
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
        };
        let writer = SimConnWrite {
            half: write,
            shut: false,
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
}

impl SimConnWrite {
    async fn send(&mut self, data: &[u8]) -> io::Result<()> {
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
        self.half.write_all(&SHUTDOWN_MARK.to_be_bytes()).await?;
        self.half.flush().await?;
        self.shut = true;
        Ok(())
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
