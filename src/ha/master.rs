//! The master's driver: accepts slave links on the HA port and runs each one over
//! [`MasterLink`], feeding acknowledgements into the [`AckTable`] the SYNC_MASTER send path
//! waits on ([`Master::wait_for_slaves`]).
//!
//! One task drives the listener and every link (each a future in one `FuturesUnordered`), so
//! stopping the master is aborting one task: the listener is dropped with it (the HA port
//! closes, as Java runs the HA server only on a master) and every link closes. A broker that
//! turns slave aborts it and starts a `Slave`; one that turns master again starts a new
//! `Master` on a new listener. In AutoSwitch mode (`auto_master`) each link first takes the
//! slave's handshake; the sync-state set, confirm offset and all-ack waits live in `sync_set`. Per link: a reader takes the slave's 8-byte
//! reports (a malformed one closes the link), a writer streams what `MasterLink` asks for,
//! woken by new appends (`notify_appended`) or at the latest after `transfer_poll`.

use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::BytesMut;
use futures::future::{select, Either};
use futures::stream::{FuturesUnordered, StreamExt};
use parking_lot::Mutex;
use tokio::sync::{oneshot, Notify};

use super::acks::{AckTable, LinkId};
use super::config::{HaConfig, WAIT_MIN};
use super::epochs::Epochs;
use super::error::LinkError;
use super::frame::{decode_reports, encode_transfer_header, REPORT_BYTES};
use super::master_link::{LogEnds, MasterAction, MasterLink};
use super::sync_set::SyncSet;
use crate::env::{Conn, ConnRead, ConnWrite, Env, Listener};
use crate::store::{MessageStore, PutStatus};

/// A report is 8 bytes; anything that piles up beyond this unread is not a slave.
const REPORT_BUFFER_BYTES_MAX: usize = 1024 * 1024;

/// Which slave broker ids may replicate from an AutoSwitch master (the group's replicas).
pub type BrokerFilter = Arc<dyn Fn(i64) -> bool + Send + Sync>;

/// The AutoSwitch parts of a master.
pub(super) struct AutoSwitch<E: Env> {
    pub epochs: Arc<Epochs<E>>,
    pub allowed: BrokerFilter,
}

/// What the master side shares between the send path and the links.
pub struct Master<E: Env> {
    pub(super) env: E,
    pub(super) store: MessageStore<E>,
    pub(super) config: HaConfig,
    pub(super) acks: Mutex<AckTable<oneshot::Sender<()>>>,
    pub(super) sync: Mutex<SyncSet<oneshot::Sender<()>>>,
    pub(super) auto: Option<AutoSwitch<E>>,
    pub(super) appended: Notify,
    /// A slave became a joiner: the sync-state set should be reviewed now.
    pub(super) review_wanted: Notify,
    next_link: AtomicU64,
}

impl<E: Env> Master<E> {
    /// A classic master (§5.2).
    pub fn new(env: E, store: MessageStore<E>, config: HaConfig) -> Arc<Self> {
        Self::build(env, store, config, None)
    }

    /// An AutoSwitch master (§5.8): serves handshakes from the broker ids `allowed` accepts,
    /// answers with the history in `epochs`. Its sync-state set starts as just itself
    /// (`config.broker_id`) until [`Master::set_sync_state_set`].
    pub fn new_auto_switch(
        env: E,
        store: MessageStore<E>,
        config: HaConfig,
        epochs: Arc<Epochs<E>>,
        allowed: BrokerFilter,
    ) -> Arc<Self> {
        Self::build(env, store, config, Some(AutoSwitch { epochs, allowed }))
    }

    fn build(
        env: E,
        store: MessageStore<E>,
        config: HaConfig,
        auto: Option<AutoSwitch<E>>,
    ) -> Arc<Self> {
        let waiters_max = config.ack_waiters_max;
        let sync = SyncSet::new(
            config.broker_id,
            waiters_max,
            config.max_time_slave_not_catchup,
        );
        Arc::new(Master {
            env,
            store,
            config,
            acks: Mutex::new(AckTable::new(waiters_max)),
            sync: Mutex::new(sync),
            auto,
            appended: Notify::new(),
            review_wanted: Notify::new(),
            next_link: AtomicU64::new(1),
        })
    }

    /// Starts accepting slave links on `listener`; abort the task to stop.
    pub fn serve(self: &Arc<Self>, listener: E::Listener) -> E::Task {
        self.env
            .spawn("ha-master", self.clone().accept_loop(listener))
    }

    /// Wakes the links: the log grew.
    pub fn notify_appended(&self) {
        self.appended.notify_waiters();
    }

    /// Slave links connected now.
    pub fn slave_count(&self) -> usize {
        self.acks.lock().link_count()
    }

    /// The highest offset a slave acknowledged (`push2SlaveMaxOffset`).
    pub fn slave_acked_offset(&self) -> u64 {
        self.acks.lock().push_max()
    }

    /// SYNC_MASTER (§5.3): waits until a slave acknowledged `end_offset`: `Ok` when one did,
    /// `SlaveNotAvailable` at once when no slave is connected within `haSlaveFallbehindMax`,
    /// `FlushSlaveTimeout` after `slaveTimeout`.
    pub async fn wait_for_slaves(&self, end_offset: u64) -> PutStatus {
        let (tx, rx) = oneshot::channel();
        let key = {
            let mut acks = self.acks.lock();
            if !acks.slave_ok(end_offset, self.config.slave_fallbehind_max_bytes) {
                return PutStatus::SlaveNotAvailable;
            }
            match acks.wait(end_offset, tx) {
                Ok(None) => return PutStatus::Ok,
                Ok(Some(key)) => key,
                Err(_) => return PutStatus::FlushSlaveTimeout,
            }
        };
        self.await_release(rx, || drop(self.acks.lock().cancel(key)))
            .await
    }

    /// Waits up to `slaveTimeout` for a parked send's release; on timeout `cancel` forgets
    /// the waiter and the send answers FLUSH_SLAVE_TIMEOUT.
    pub(super) async fn await_release(
        &self,
        released: oneshot::Receiver<()>,
        cancel: impl FnOnce(),
    ) -> PutStatus {
        match self
            .env
            .timeout(self.config.slave_ack_timeout, released)
            .await
        {
            Ok(Ok(())) => PutStatus::Ok,
            _ => {
                cancel();
                PutStatus::FlushSlaveTimeout
            }
        }
    }

    pub(super) fn ends(&self) -> LogEnds {
        LogEnds {
            min: self.store.min_physical_offset(),
            max: self.store.max_physical_offset(),
            segment_bytes: self.store.commitlog_segment_bytes(),
        }
    }

    async fn accept_loop(self: Arc<Self>, mut listener: E::Listener) {
        let mut links = FuturesUnordered::new();
        loop {
            // An empty FuturesUnordered is ready at once (with None): only accept then.
            let accepted = if links.is_empty() {
                listener.accept().await
            } else {
                let accept = pin!(listener.accept());
                match select(accept, links.next()).await {
                    Either::Left((accepted, _)) => accepted,
                    Either::Right(_) => continue,
                }
            };
            let (conn, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(target: "rocketsim::ha", %error, "HA accept failed");
                    self.env.sleep(self.config.transfer_poll).await;
                    continue;
                }
            };
            if links.len() >= self.config.links_max {
                tracing::warn!(target: "rocketsim::ha", %peer, max = self.config.links_max,
                    "HA link refused: too many slave links");
                drop(conn);
                continue;
            }
            let id = self.next_link.fetch_add(1, Ordering::Relaxed);
            tracing::info!(target: "rocketsim::ha", %peer, link = id, "slave link accepted");
            links.push(match self.auto.is_some() {
                false => Either::Left(self.clone().run_link(id, conn, peer)),
                true => Either::Right(self.clone().run_auto_link(id, conn, peer)),
            });
        }
    }

    async fn run_link(self: Arc<Self>, id: LinkId, conn: E::Conn, peer: std::net::SocketAddr) {
        let (mut read, mut write) = conn.split();
        let core = Mutex::new(MasterLink::new(&self.config, self.env.now()));
        self.acks.lock().on_link_opened(id);
        let outcome = {
            let reader = pin!(self.read_reports(id, &core, &mut read));
            let writer = pin!(self.stream(&core, &mut write));
            match select(reader, writer).await {
                Either::Left((outcome, _)) | Either::Right((outcome, _)) => outcome,
            }
        };
        self.acks.lock().on_link_closed(id);
        let _ = write.shutdown().await;
        let acked = core.lock().acked();
        match outcome {
            Err(error) => {
                tracing::warn!(target: "rocketsim::ha", %peer, link = id, acked, %error, "slave link closed")
            }
            Ok(()) => {
                tracing::info!(target: "rocketsim::ha", %peer, link = id, acked, "slave link ended")
            }
        }
    }

    async fn read_reports(
        &self,
        id: LinkId,
        core: &Mutex<MasterLink>,
        read: &mut <E::Conn as Conn>::Read,
    ) -> Result<(), LinkError> {
        let mut buf = BytesMut::with_capacity(REPORT_BYTES * 16);
        loop {
            if read.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
            let (last, used) = decode_reports(&buf)?;
            let _ = buf.split_to(used);
            if buf.len() > REPORT_BUFFER_BYTES_MAX {
                return Err(LinkError::BufferOverflow { len: buf.len() });
            }
            let Some(offset) = last else { continue };
            let ack = core.lock().on_report(offset, self.ends(), self.env.now())?;
            let released = self.acks.lock().on_ack(id, ack);
            for waiter in released {
                let _ = waiter.send(());
            }
            // The first report may start a transfer.
            self.appended.notify_waiters();
        }
    }

    async fn stream(
        &self,
        core: &Mutex<MasterLink>,
        write: &mut <E::Conn as Conn>::Write,
    ) -> Result<(), LinkError> {
        loop {
            let appended = self.appended.notified();
            let action = core.lock().next_action(self.env.now(), self.ends());
            match action {
                MasterAction::Close(reason) => return Err(reason.into()),
                MasterAction::Transfer { start, len_max } => {
                    let bytes = self.store.read_raw(start, len_max)?;
                    let header = encode_transfer_header(start, bytes.len() as u32);
                    let mut frame = BytesMut::with_capacity(header.len() + bytes.len());
                    frame.extend_from_slice(&header);
                    frame.extend_from_slice(&bytes);
                    write.write_all(&frame).await?;
                    core.lock().on_sent(start, bytes.len(), self.env.now());
                }
                MasterAction::Heartbeat { start } => {
                    write.write_all(&encode_transfer_header(start, 0)).await?;
                    core.lock().on_sent(start, 0, self.env.now());
                }
                MasterAction::Wait => {
                    let now = self.env.now();
                    let until = core.lock().next_deadline();
                    let wait = (until - now).min(self.config.transfer_poll).max(WAIT_MIN);
                    let _ = self.env.timeout(wait, appended).await;
                }
            }
        }
    }
}
