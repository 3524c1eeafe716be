//! The AutoSwitch side of [`Slave`] (§5.8): per connection, handshake → the master's reply
//! (max offset, epoch history) → reconcile → acknowledge → transfer.
//!
//! Reconcile (`truncation` of the controller's epoch rule): with a common epoch the log is cut
//! durably to the consistent point when it holds anything past it (`truncate_to`, WARN with
//! the bytes dropped and the epoch), and the epoch history after the cut is dropped too; a
//! partially received record is always dropped here. No common epoch with a non-empty log →
//! the link closes with an ERROR line and nothing is appended or discarded: the operator (or
//! an unclean election's policy) decides, never this code silently.
//!
//! Transfer: each frame must continue the local log (`SlaveLink`); after a frame of a newer
//! epoch is appended, `<epoch, epochStartOffset>` joins the history (persisted); a frame of an
//! older epoch than the newest local one closes the link. With `allAckInSyncStateSet` the frame's confirm
//! offset (clamped to the local log) becomes the store's dispatch limit.

use bytes::{Buf, BytesMut};

use super::auto_frame::{
    decode_master_msg, encode_ack, encode_handshake, AutoTransfer, MasterMsg,
    AUTO_TRANSFER_HEADER_BYTES, REPLY_HEADER_BYTES,
};
use super::config::WAIT_MIN;
use super::epochs::Epochs;
use super::error::LinkError;
use super::frame::FrameError;
use super::slave::Slave;
use super::slave_link::{FrameVerdict, SlaveLink};
use crate::controller::epoch_cache::{truncation, EpochCache};
use crate::controller::epoch_file::EPOCH_ENTRIES_MAX;
use crate::env::{Conn, ConnRead, ConnWrite, Env};

impl<E: Env> Slave<E> {
    pub(super) async fn auto_transfer(
        &self,
        epochs: &Epochs<E>,
        master: std::net::SocketAddr,
        read: &mut <E::Conn as Conn>::Read,
        write: &mut <E::Conn as Conn>::Write,
    ) -> Result<(), LinkError> {
        let c = &self.config;
        let hello = encode_handshake(c.sync_from_last_file, c.async_learner, c.broker_id);
        write.write_all(&hello).await?;
        let mut buf = BytesMut::with_capacity(AUTO_TRANSFER_HEADER_BYTES + c.transfer_batch_bytes);
        let (remote, remote_max) = self.read_reply(read, &mut buf).await?;
        self.reconcile(epochs, &remote, remote_max).await?;
        tracing::info!(target: "rocketsim::ha", %master, end = self.store.replica_end(),
            epoch = epochs.last_epoch(), master_epoch = remote.last_epoch(), "handshake done");
        let mut core = SlaveLink::new(c, self.env.now());
        loop {
            if let Some(offset) = core.report_due(self.env.now(), self.store.replica_end()) {
                write.write_all(&encode_ack(offset)).await?;
                core.on_reported(offset, self.env.now());
            }
            if !buf.is_empty() {
                self.apply_auto_frames(epochs, &mut core, &mut buf).await?;
            }
            let wait = (core.next_deadline() - self.env.now()).max(WAIT_MIN);
            match self.env.timeout(wait, read.read_buf(&mut buf)).await {
                Ok(Ok(0)) => return Ok(()),
                Ok(Ok(_)) => self.apply_auto_frames(epochs, &mut core, &mut buf).await?,
                Ok(Err(error)) => return Err(error.into()),
                Err(_) => {}
            }
            core.check_silence(self.env.now())?;
            if let Some(now) = self.moved_from(master) {
                return Err(LinkError::MasterMoved { now });
            }
        }
    }

    /// The master's handshake reply: its epoch history and max offset.
    async fn read_reply(
        &self,
        read: &mut <E::Conn as Conn>::Read,
        buf: &mut BytesMut,
    ) -> Result<(EpochCache, u64), LinkError> {
        loop {
            match decode_master_msg(buf, self.config.frame_body_bytes_max, EPOCH_ENTRIES_MAX) {
                Ok(MasterMsg::Reply {
                    body_size,
                    max_offset,
                    ..
                }) => {
                    buf.advance(REPLY_HEADER_BYTES);
                    let body = buf.split_to(body_size as usize);
                    let remote = EpochCache::decode_wire(&body)?;
                    return Ok((remote, max_offset));
                }
                Ok(MasterMsg::Transfer(_)) => return Err(LinkError::NotAReply),
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
        }
    }

    /// Cuts the local log and history back to what the master's history agrees with.
    async fn reconcile(
        &self,
        epochs: &Epochs<E>,
        remote: &EpochCache,
        remote_max: u64,
    ) -> Result<(), LinkError> {
        let store = &self.store;
        let (min, max) = (store.min_physical_offset(), store.max_physical_offset());
        let local = epochs.cache();
        let as_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let cut = truncation(&local, as_i64(max), remote, as_i64(remote_max));
        let (keep, why) = match cut {
            Some(t) => (t.keep_until.max(0) as u64, t.common_epoch),
            None if max > min => {
                let error = LinkError::NoCommonEpoch {
                    local_epoch: local.last_epoch(),
                    master_epoch: remote.last_epoch(),
                    local_max: max,
                };
                tracing::error!(target: "rocketsim::ha", %error,
                    "refusing to replicate: the local log shares no history with the master");
                return Err(error);
            }
            // An empty log: nothing to keep, any history is moot.
            None => (max, -1),
        };
        if store.replica_end() > keep {
            let reason = format!("divergent tail after epoch {why}");
            let dropped = store.truncate_to(keep, &reason).await?;
            tracing::warn!(target: "rocketsim::ha", bytes_dropped = dropped, keep_until = keep,
                common_epoch = why, "slave log truncated to the consistent point");
        }
        let drop_from = if why < 0 { 0 } else { keep };
        epochs.truncate_suffix_from_offset(drop_from).await?;
        Ok(())
    }

    /// Applies every whole transfer frame in `buf`.
    async fn apply_auto_frames(
        &self,
        epochs: &Epochs<E>,
        core: &mut SlaveLink,
        buf: &mut BytesMut,
    ) -> Result<(), LinkError> {
        loop {
            let body_max = self.config.frame_body_bytes_max;
            let frame = match decode_master_msg(buf, body_max, EPOCH_ENTRIES_MAX) {
                Ok(MasterMsg::Transfer(frame)) => frame,
                Ok(MasterMsg::Reply { .. }) => return Err(LinkError::NotATransfer),
                Err(FrameError::Incomplete) => return Ok(()),
                Err(FrameError::Invalid(invalid)) => return Err(invalid.into()),
            };
            let local = self.store.replica_end();
            let verdict = core.on_frame(frame.offset, frame.size, local, self.env.now())?;
            let last = epochs.last_epoch();
            if frame.epoch < last {
                let (local, frame) = (last, frame.epoch);
                return Err(LinkError::EpochWentBack { local, frame });
            }
            buf.advance(AUTO_TRANSFER_HEADER_BYTES);
            let body = buf.split_to(frame.size as usize);
            if verdict == FrameVerdict::Append {
                self.store.append_replica(frame.offset, &body)?;
            }
            // After the data: a crash in between leaves new-epoch bytes under the old epoch,
            // which the next handshake's truncation cuts and fetches again.
            if frame.epoch > last {
                self.record_epoch(epochs, &frame).await?;
            }
            if self.config.all_ack_in_sync_state_set {
                let limit = frame.confirm.min(self.store.max_physical_offset());
                self.store.set_dispatch_limit(Some(limit));
            }
        }
    }

    /// Records the newer epoch a frame belongs to.
    async fn record_epoch(
        &self,
        epochs: &Epochs<E>,
        frame: &AutoTransfer,
    ) -> Result<(), LinkError> {
        epochs.append(frame.epoch, frame.epoch_start).await?;
        tracing::info!(target: "rocketsim::ha", epoch = frame.epoch,
            start = frame.epoch_start, "new epoch recorded");
        Ok(())
    }
}
