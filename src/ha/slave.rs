//! The slave's driver: finds the master's HA address (`haMasterAddress`, else what the name
//! servers answered at registration), connects, and runs the link over [`SlaveLink`]:
//! appends each frame at its physical offset and reports the new end. A closed link (any
//! reason, logged) is retried every `reconnect_interval`.
//!
//! AutoSwitch (§5.8, `auto_slave`): every connection starts with the handshake, the
//! truncation of a divergent tail and the epoch bookkeeping; stopping the slave is aborting
//! its task (a link in flight is dropped; the store stays consistent since every append and
//! truncation is whole).
//!
//! Limits: the read buffer holds at most one frame (`frame_body_bytes_max` + header); a frame
//! announcing more closes the link before its body is read.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Buf, BytesMut};

use super::config::{HaConfig, WAIT_MIN};
use super::epochs::Epochs;
use super::error::LinkError;
use super::frame::{decode_transfer, encode_report, FrameError, TRANSFER_HEADER_BYTES};
use super::slave_link::{FrameVerdict, SlaveLink};
use crate::env::{Conn, ConnRead, ConnWrite, Env};
use crate::store::MessageStore;

/// Where the master's HA port is, asked before every connection attempt.
pub type MasterResolver = Arc<dyn Fn() -> Option<SocketAddr> + Send + Sync>;

/// The slave side of replication.
pub struct Slave<E: Env> {
    pub(super) env: E,
    pub(super) store: MessageStore<E>,
    pub(super) config: HaConfig,
    resolve: MasterResolver,
    /// AutoSwitch only: the persisted epoch history.
    pub(super) epochs: Option<Arc<Epochs<E>>>,
}

impl<E: Env> Slave<E> {
    pub fn new(
        env: E,
        store: MessageStore<E>,
        config: HaConfig,
        resolve: MasterResolver,
    ) -> Arc<Self> {
        Arc::new(Slave {
            env,
            store,
            config,
            resolve,
            epochs: None,
        })
    }

    /// An AutoSwitch slave (§5.8) keeping its epoch history in `epochs`.
    pub fn new_auto_switch(
        env: E,
        store: MessageStore<E>,
        config: HaConfig,
        resolve: MasterResolver,
        epochs: Arc<Epochs<E>>,
    ) -> Arc<Self> {
        Arc::new(Slave {
            env,
            store,
            config,
            resolve,
            epochs: Some(epochs),
        })
    }

    /// Starts replicating; abort the task to stop.
    pub fn start(self: &Arc<Self>) -> E::Task {
        self.env.spawn("ha-slave", self.clone().run())
    }

    async fn run(self: Arc<Self>) {
        loop {
            let master = self.config.master_address.or_else(|| (self.resolve)());
            if let Some(master) = master {
                match self.link(master).await {
                    Ok(()) => {
                        tracing::info!(target: "rocketsim::ha", %master, "master closed the link")
                    }
                    Err(error) => tracing::warn!(target: "rocketsim::ha", %master, %error,
                        end = self.store.replica_end(), "link to the master closed"),
                }
            }
            self.env.sleep(self.config.reconnect_interval).await;
        }
    }

    async fn link(&self, master: SocketAddr) -> Result<(), LinkError> {
        let conn = match self
            .env
            .timeout(self.config.connect_timeout, self.env.connect(master))
            .await
        {
            Ok(conn) => conn?,
            Err(_) => return Err(LinkError::ConnectTimeout),
        };
        tracing::info!(target: "rocketsim::ha", %master, end = self.store.replica_end(), "connected to the master");
        let (mut read, mut write) = conn.split();
        let result = match &self.epochs {
            None => self.transfer(master, &mut read, &mut write).await,
            Some(epochs) => {
                self.auto_transfer(epochs, master, &mut read, &mut write)
                    .await
            }
        };
        let _ = write.shutdown().await;
        result
    }

    async fn transfer(
        &self,
        master: SocketAddr,
        read: &mut <E::Conn as Conn>::Read,
        write: &mut <E::Conn as Conn>::Write,
    ) -> Result<(), LinkError> {
        let mut core = SlaveLink::new(&self.config, self.env.now());
        let mut buf =
            BytesMut::with_capacity(TRANSFER_HEADER_BYTES + self.config.transfer_batch_bytes);
        loop {
            if let Some(offset) = core.report_due(self.env.now(), self.store.replica_end()) {
                write.write_all(&encode_report(offset)).await?;
                core.on_reported(offset, self.env.now());
            }
            let wait = (core.next_deadline() - self.env.now()).max(WAIT_MIN);
            match self.env.timeout(wait, read.read_buf(&mut buf)).await {
                Ok(Ok(0)) => return Ok(()),
                Ok(Ok(_)) => self.apply_frames(&mut core, &mut buf)?,
                Ok(Err(error)) => return Err(error.into()),
                Err(_) => {}
            }
            core.check_silence(self.env.now())?;
            if let Some(now) = self.moved_from(master) {
                return Err(LinkError::MasterMoved { now });
            }
        }
    }

    /// Appends every whole frame in `buf`.
    fn apply_frames(&self, core: &mut SlaveLink, buf: &mut BytesMut) -> Result<(), LinkError> {
        loop {
            let header = match decode_transfer(buf, self.config.frame_body_bytes_max) {
                Ok(header) => header,
                Err(FrameError::Incomplete) => return Ok(()),
                Err(FrameError::Invalid(invalid)) => return Err(invalid.into()),
            };
            let local = self.store.replica_end();
            let verdict = core.on_frame(header.start, header.size, local, self.env.now())?;
            buf.advance(TRANSFER_HEADER_BYTES);
            let body = buf.split_to(header.size as usize);
            if verdict == FrameVerdict::Append {
                self.store.append_replica(header.start, &body)?;
            }
        }
    }

    /// The master's address changed since we connected (a new registration answer).
    pub(super) fn moved_from(&self, connected: SocketAddr) -> Option<SocketAddr> {
        let now = self.config.master_address.or_else(|| (self.resolve)())?;
        (now != connected).then_some(now)
    }
}
