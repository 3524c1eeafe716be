//! The AutoSwitch link driver of [`Master`] (§5.8): handshake, reply with the epoch history,
//! then the transfer loop of `MasterLink` with 36-byte frames that never span two epochs and
//! carry the confirm offset; acks feed the sync-state set (`master_sync`).
//!
//! Refused handshakes (closed with a WARN line, nothing sent): a first message that is not a
//! handshake, a broker id the `allowed` filter rejects (unknown to the group) or the master's
//! own id, no handshake within `handshake_timeout`. A second link from the same broker id
//! supersedes the first, which closes.

use std::pin::pin;
use std::sync::Arc;

use bytes::BytesMut;
use futures::future::{select, Either};
use parking_lot::Mutex;

use super::acks::LinkId;
use super::auto_frame::{
    decode_slave_msg, encode_auto_transfer_header, encode_reply, AutoTransfer, SlaveMsg,
};
use super::config::WAIT_MIN;
use super::error::LinkError;
use super::frame::FrameError;
use super::master::Master;
use super::master_link::{MasterAction, MasterLink};
use crate::env::{Conn, ConnRead, ConnWrite, Env};

/// Acks are 12 bytes; anything that piles up beyond this unread is not a slave.
const ACK_BUFFER_BYTES_MAX: usize = 64 * 1024;

/// What a handshake said.
#[derive(Clone, Copy, Debug)]
struct Hello {
    broker_id: i64,
    sync_from_last_file: bool,
    async_learner: bool,
}

impl<E: Env> Master<E> {
    pub(super) async fn run_auto_link(
        self: Arc<Self>,
        id: LinkId,
        conn: E::Conn,
        peer: std::net::SocketAddr,
    ) {
        let (mut read, mut write) = conn.split();
        let mut buf = BytesMut::with_capacity(1024);
        let hello = match self.handshake(id, &mut read, &mut write, &mut buf).await {
            Ok(hello) => hello,
            Err(error) => {
                tracing::warn!(target: "rocketsim::ha", %peer, link = id, %error, "handshake refused");
                let _ = write.shutdown().await;
                return;
            }
        };
        let broker = hello.broker_id;
        let core = MasterLink::new(&self.config, self.env.now())
            .empty_from_first_file(!hello.sync_from_last_file);
        let core = Mutex::new(core);
        self.acks.lock().on_link_opened(id);
        let outcome = {
            let reader = pin!(self.read_acks(id, broker, &core, &mut read, buf));
            let writer = pin!(self.stream_auto(id, broker, &core, &mut write));
            match select(reader, writer).await {
                Either::Left((outcome, _)) | Either::Right((outcome, _)) => outcome,
            }
        };
        self.acks.lock().on_link_closed(id);
        let released = self.sync.lock().on_link_closed(broker, id);
        for waiter in released {
            let _ = waiter.send(());
        }
        self.refresh_dispatch_limit();
        let _ = write.shutdown().await;
        let acked = core.lock().acked();
        match outcome {
            Err(error) => {
                tracing::warn!(target: "rocketsim::ha", %peer, link = id, broker, acked, %error, "slave link closed")
            }
            Ok(()) => {
                tracing::info!(target: "rocketsim::ha", %peer, link = id, broker, acked, "slave link ended")
            }
        }
    }

    /// Takes the handshake, checks the broker id, sends the reply.
    async fn handshake(
        &self,
        id: LinkId,
        read: &mut <E::Conn as Conn>::Read,
        write: &mut <E::Conn as Conn>::Write,
        buf: &mut BytesMut,
    ) -> Result<Hello, LinkError> {
        let hello = loop {
            match decode_slave_msg(buf) {
                Ok((
                    SlaveMsg::Handshake {
                        sync_from_last_file,
                        async_learner,
                        broker_id,
                    },
                    used,
                )) => {
                    let _ = buf.split_to(used);
                    break Hello {
                        broker_id,
                        sync_from_last_file,
                        async_learner,
                    };
                }
                Ok((SlaveMsg::Ack { .. }, _)) => return Err(LinkError::NotAHandshake),
                Err(FrameError::Invalid(invalid)) => return Err(invalid.into()),
                Err(FrameError::Incomplete) => {}
            }
            let timeout = self.config.handshake_timeout;
            match self.env.timeout(timeout, read.read_buf(buf)).await {
                Ok(Ok(0)) => return Err(LinkError::ClosedInHandshake),
                Ok(Ok(_)) => {}
                Ok(Err(error)) => return Err(error.into()),
                Err(_) => return Err(LinkError::HandshakeTimeout),
            }
        };
        let auto = self.auto.as_ref().expect("an AutoSwitch master");
        if hello.broker_id == self.config.broker_id || !(auto.allowed)(hello.broker_id) {
            return Err(LinkError::UnknownBroker {
                id: hello.broker_id,
            });
        }
        let epochs = auto.epochs.cache();
        let max = self.store.max_physical_offset();
        let reply = encode_reply(max, epochs.last_epoch(), &epochs.encode_wire());
        write.write_all(&reply).await?;
        // Registered only once answered: a failed reply leaves no link behind.
        let superseded = self
            .sync
            .lock()
            .on_handshake(hello.broker_id, id, hello.async_learner);
        if let Some(old) = superseded {
            tracing::warn!(target: "rocketsim::ha", broker = hello.broker_id, old, new = id,
                "a newer link of the same broker supersedes the older");
        }
        tracing::info!(target: "rocketsim::ha", link = id, broker = hello.broker_id, max,
            epoch = epochs.last_epoch(), "handshake answered");
        Ok(hello)
    }

    async fn read_acks(
        &self,
        id: LinkId,
        broker: i64,
        core: &Mutex<MasterLink>,
        read: &mut <E::Conn as Conn>::Read,
        mut buf: BytesMut,
    ) -> Result<(), LinkError> {
        loop {
            while !buf.is_empty() {
                let offset = match decode_slave_msg(&buf) {
                    Ok((SlaveMsg::Ack { offset }, used)) => {
                        let _ = buf.split_to(used);
                        offset
                    }
                    Ok((SlaveMsg::Handshake { .. }, _)) => return Err(LinkError::NotAnAck),
                    Err(FrameError::Invalid(invalid)) => return Err(invalid.into()),
                    Err(FrameError::Incomplete) => break,
                };
                self.on_ack(id, broker, core, offset)?;
            }
            if buf.len() > ACK_BUFFER_BYTES_MAX {
                return Err(LinkError::BufferOverflow { len: buf.len() });
            }
            if read.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        }
    }

    fn on_ack(
        &self,
        id: LinkId,
        broker: i64,
        core: &Mutex<MasterLink>,
        offset: u64,
    ) -> Result<(), LinkError> {
        let ack = core.lock().on_report(offset, self.ends(), self.env.now())?;
        let released = self.acks.lock().on_ack(id, ack);
        let all_acked = {
            let mut sync = self.sync.lock();
            sync.on_ack(broker, ack, self.store.max_physical_offset())
        };
        for waiter in released.into_iter().chain(all_acked.released) {
            let _ = waiter.send(());
        }
        if all_acked.joined {
            tracing::info!(target: "rocketsim::ha", broker, ack, "slave caught up: joining the sync-state set");
            self.review_wanted.notify_one();
        }
        self.refresh_dispatch_limit();
        // The first ack may start a transfer.
        self.appended.notify_waiters();
        Ok(())
    }

    async fn stream_auto(
        &self,
        id: LinkId,
        broker: i64,
        core: &Mutex<MasterLink>,
        write: &mut <E::Conn as Conn>::Write,
    ) -> Result<(), LinkError> {
        let epochs = &self.auto.as_ref().expect("an AutoSwitch master").epochs;
        loop {
            let appended = self.appended.notified();
            if !self.sync.lock().is_current(broker, id) {
                return Err(LinkError::Superseded);
            }
            let ends = self.ends();
            let action = core.lock().next_action(self.env.now(), ends);
            let (start, len_max) = match action {
                MasterAction::Close(reason) => return Err(reason.into()),
                MasterAction::Transfer { start, len_max } => (start, len_max),
                MasterAction::Heartbeat { start } => (start, 0),
                MasterAction::Wait => {
                    let now = self.env.now();
                    let until = core.lock().next_deadline();
                    let wait = (until - now).min(self.config.transfer_poll).max(WAIT_MIN);
                    let _ = self.env.timeout(wait, appended).await;
                    continue;
                }
            };
            let cache = epochs.cache();
            let max = i64::try_from(ends.max).unwrap_or(i64::MAX);
            let at = i64::try_from(start).unwrap_or(i64::MAX);
            let entry = match len_max {
                0 => cache.last(),
                _ => cache.find_by_offset(at, max),
            };
            let Some(entry) = entry.filter(|e| e.start_offset <= at) else {
                return Err(LinkError::NoEpoch { offset: start });
            };
            let epoch_end = cache.end_of(entry.epoch, max).unwrap_or(max);
            let len = (len_max as u64).min(epoch_end.saturating_sub(at) as u64) as usize;
            let bytes = match len {
                0 => bytes::Bytes::new(),
                _ => self.store.read_raw(start, len)?,
            };
            let header = AutoTransfer {
                size: bytes.len() as u32,
                offset: start,
                epoch: entry.epoch,
                epoch_start: entry.start_offset as u64,
                confirm: self.confirm_offset(),
            };
            let mut frame = BytesMut::with_capacity(header_len() + bytes.len());
            frame.extend_from_slice(&encode_auto_transfer_header(&header));
            frame.extend_from_slice(&bytes);
            write.write_all(&frame).await?;
            let now = self.env.now();
            core.lock().on_sent(start, bytes.len(), now);
            self.sync.lock().on_sent(broker, ends.max, now);
        }
    }
}

fn header_len() -> usize {
    super::auto_frame::AUTO_TRANSFER_HEADER_BYTES
}
