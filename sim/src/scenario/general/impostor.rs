//! rocketmq#3015 as a workload part: a node that is not a slave (`<group>-impostor`) keeps
//! connecting to the group's master's HA port (listenPort + 1) and lying. Classic HA has no
//! handshake, and a Java master trusts every 8-byte report, so a huge reported offset makes a
//! SYNC_MASTER acknowledge writes no slave has. Each connection draws one lie:
//!
//! * **huge** — the first report claims an offset far beyond the master's log;
//! * **garbage** — a few random bytes (not a multiple of 8, or nonsense values);
//! * **late huge** — report 0 (an empty slave), read a little of the stream, then claim a
//!   huge offset.
//!
//! and holds the connection for a drawn while. What the master must do is judged by the
//! checkers (`check::acked_without_replica`: no SEND_OK while no real slave runs; `lost`).
//! Draws come from the stream `general/impostor`. Figures: connections made, and connections
//! the master closed on the impostor.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rocketsim::env::{Clock, Conn, ConnRead, ConnWrite, Net};
use rocketsim::ha::encode_report;

use crate::scenario::namesrv_support::Draw;
use crate::{SimEnv, World};

/// What the impostor did.
#[derive(Debug, Default)]
pub struct ImpostorTally {
    /// Connections to the HA port that were accepted.
    pub connected: AtomicU64,
    /// Connections the master closed while the impostor held them.
    pub closed_by_master: AtomicU64,
}

/// One connection's lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lie {
    Huge,
    Garbage,
    LateHuge,
}

/// Lies to `ha_addr` from the node of `env` until virtual time `until`.
pub async fn run(
    world: World,
    env: SimEnv,
    ha_addr: SocketAddr,
    until: Duration,
    tally: Arc<ImpostorTally>,
) {
    let draw = Draw::new(&world, "general/impostor");
    while world.now() < until {
        let lie = match draw.between(0, 2) {
            0 => Lie::Huge,
            1 => Lie::Garbage,
            _ => Lie::LateHuge,
        };
        let hold = Duration::from_millis(draw.between(200, 3_000));
        if let Ok(conn) = env.connect(ha_addr).await {
            tally.connected.fetch_add(1, Ordering::Relaxed);
            let closed = lie_once(&env, &draw, conn, lie, hold).await;
            if closed {
                tally.closed_by_master.fetch_add(1, Ordering::Relaxed);
            }
        }
        env.sleep(Duration::from_millis(draw.between(100, 1_000)))
            .await;
    }
}

/// A huge offset: beyond any log a run writes, drawn.
fn huge(draw: &Draw) -> u64 {
    (1 << 40) + draw.between(0, 1 << 20)
}

/// Tells one lie on `conn` and holds it for `hold`; whether the master closed it.
async fn lie_once(
    env: &SimEnv,
    draw: &Draw,
    conn: <SimEnv as Net>::Conn,
    lie: Lie,
    hold: Duration,
) -> bool {
    let (mut read, mut write) = conn.split();
    let mut buf = BytesMut::new();
    let sent = match lie {
        Lie::Huge => write.write_all(&encode_report(huge(draw))).await,
        Lie::Garbage => {
            let len = draw.between(1, 23) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| draw.between(0, 255) as u8).collect();
            write.write_all(&bytes).await
        }
        Lie::LateHuge => {
            let first = write.write_all(&encode_report(0)).await;
            // Read a little of the stream, as a slave would, then claim everything.
            let _ = env
                .timeout(Duration::from_millis(300), read.read_buf(&mut buf))
                .await;
            match first {
                Ok(()) => write.write_all(&encode_report(huge(draw))).await,
                Err(e) => Err(e),
            }
        }
    };
    if sent.is_err() {
        return true;
    }
    let deadline = env.now() + hold;
    loop {
        let left = deadline.saturating_duration_since(env.now());
        if left.is_zero() {
            let _ = write.shutdown().await;
            return false;
        }
        buf.clear();
        match env.timeout(left, read.read_buf(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => {
                let _ = write.shutdown().await;
                return false;
            }
        }
    }
}
