//! The `Net` seam on madsim TCP.
//!
//! * `bind`/`connect` run on the env's node (madsim ties sockets to the running task's node).
//! * `connect` behaves like TCP's SYN retransmission: when the world has clogged the path
//!   either way, or the peer listens but madsim dropped the attempt (packet loss), it retries
//!   after 1, 2, 4 … 64 s and gives up with `TimedOut` after 127 s, like Linux with
//!   `tcp_syn_retries = 6`. When nothing listens it fails at once with `ConnectionRefused`.
//! * What a peer sees when a node is killed or loses power: madsim drops every connection of
//!   the dead process at once, even across a clogged link (it closes channels outside the link
//!   model). We keep that for peers that can reach the dead node — its kernel would send FIN or
//!   RST — so they read EOF and their writes fail with `ConnectionReset`. A peer cut off from
//!   it by a clog when it died sees nothing, as behind a real partition: its reads hang, its
//!   writes vanish while the path stays clogged (see `conn`).

use super::conn::{PeerWatch, SimConn};
use super::SimEnv;
use crate::world::NodeId;
use madsim::net::{TcpListener, TcpStream};
use rocketsim::env::{Listener, Net};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// SYN retransmissions before a connect gives up (Linux default).
const SYN_RETRIES: u32 = 6;

/// A listening socket of a node.
pub struct SimListener {
    inner: TcpListener,
    env: SimEnv,
    port: u16,
    token: u64,
}

impl Drop for SimListener {
    fn drop(&mut self) {
        let node = self.env.node();
        self.env
            .net_state()
            .unregister_listener(node, self.port, self.token);
    }
}

impl Listener for SimListener {
    type Conn = SimConn;

    async fn accept(&mut self) -> io::Result<(SimConn, SocketAddr)> {
        let (stream, peer) = self.inner.accept().await?;
        let mut local = stream.local_addr()?;
        if local.ip().is_unspecified() {
            local.set_ip(self.env.ip());
        }
        let watch = self.env.watch(self.env.net_state().node_by_ip(peer.ip()));
        Ok((SimConn::new(stream, local, peer, watch), peer))
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl SimEnv {
    async fn bind_here(&self, addr: SocketAddr) -> io::Result<SimListener> {
        let inner = self.on_node("bind", TcpListener::bind(addr)).await??;
        let port = inner.local_addr()?.port();
        let token = self.net_state().register_listener(self.node(), port);
        Ok(SimListener {
            inner,
            env: self.clone(),
            port,
            token,
        })
    }

    /// What a new connection to `peer` needs to tell later whether the peer died out of sight.
    fn watch(&self, peer: Option<NodeId>) -> Option<PeerWatch> {
        let peer = peer.filter(|&peer| peer != self.node())?;
        let net = self.net_state_arc();
        let deaths_at_open = net.deaths(peer);
        Some(PeerWatch {
            net,
            me: self.node(),
            peer,
            deaths_at_open,
        })
    }

    /// Whether a connect to `peer` can get through now, and whether someone listens there.
    fn path_to(&self, peer: Option<NodeId>, port: u16) -> (bool, bool) {
        let Some(peer) = peer else {
            return (true, false);
        };
        let net = self.net_state();
        let open = !net.clogged(self.node(), peer) && !net.clogged(peer, self.node());
        (open, net.listening(peer, port))
    }

    async fn connect_here(&self, addr: SocketAddr) -> io::Result<SimConn> {
        let ip = addr.ip();
        let peer = match ip.is_loopback() || ip.is_unspecified() || ip == self.ip() {
            true => Some(self.node()),
            false => self.net_state().node_by_ip(ip),
        };
        for attempt in 0..=SYN_RETRIES {
            let (open, listening) = self.path_to(peer, addr.port());
            if open && peer.is_some() && !listening {
                // Our own table of listeners is the truth: madsim may hand out an ephemeral
                // port that equals the target and "connect" a socket to itself.
                let message = format!("connect to {addr}: nothing listens there");
                return Err(io::Error::new(io::ErrorKind::ConnectionRefused, message));
            }
            if open {
                match self.on_node("connect", TcpStream::connect(addr)).await? {
                    Ok(stream) => {
                        let local = stream.local_addr()?;
                        let watch = self.watch(peer);
                        return Ok(SimConn::new(stream, local, addr, watch));
                    }
                    // Someone listens, so the SYN was lost: retransmit.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused && listening => {}
                    Err(e) => return Err(e),
                }
            }
            madsim::time::sleep(Duration::from_secs(1 << attempt)).await;
        }
        let message = format!("connect to {addr}: no answer to SYN");
        Err(io::Error::new(io::ErrorKind::TimedOut, message))
    }
}

impl Net for SimEnv {
    type Listener = SimListener;
    type Conn = SimConn;

    fn bind(&self, addr: SocketAddr) -> impl Future<Output = io::Result<SimListener>> + Send {
        self.bind_here(addr)
    }

    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<SimConn>> + Send {
        self.connect_here(addr)
    }
}
