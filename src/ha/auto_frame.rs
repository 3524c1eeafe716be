//! The AutoSwitch HA wire format (§5.8, `AutoSwitchHAClient/Connection`), big-endian, plain
//! TCP. Every message starts with an `int32` state (READY 0, HANDSHAKE 1, TRANSFER 2,
//! SUSPEND 3, SHUTDOWN 4); only HANDSHAKE and TRANSFER are sent.
//!
//! * slave → master handshake, 16 B: state 1, `int16 isSyncFromLastFile`, `int16
//!   isAsyncLearner`, `int64 slaveBrokerId`;
//! * slave → master ack, 12 B: state 2, `int64 maxOffset`;
//! * master → slave handshake reply, 20 B + body: state 1, `int32 bodySize`, `int64` master max
//!   offset, `int32` master epoch, body = epoch entries (`int32 epoch`, `int64 startOffset`);
//! * master → slave transfer, 36 B + body: state 2, `int32 bodySize`, `int64 offset`, `int32
//!   epoch`, `int64 epochStartOffset`, `int64 confirmOffset`, then `bodySize` log bytes
//!   (0: a heartbeat). A batch never spans two epochs.
//!
//! Check-then-parse over a byte slice: `Incomplete` until a whole message is there, `Invalid`
//! as soon as a header holds a value no peer may send. Never panics (see the fuzz test).

use super::frame::{FrameError, Invalid};
use crate::controller::epoch_cache::WIRE_ENTRY_BYTES;

pub const STATE_HANDSHAKE: i32 = 1;
pub const STATE_TRANSFER: i32 = 2;
pub const HANDSHAKE_BYTES: usize = 16;
pub const ACK_BYTES: usize = 12;
pub const REPLY_HEADER_BYTES: usize = 20;
pub const AUTO_TRANSFER_HEADER_BYTES: usize = 36;

/// What a slave sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlaveMsg {
    Handshake {
        sync_from_last_file: bool,
        async_learner: bool,
        broker_id: i64,
    },
    Ack {
        offset: u64,
    },
}

/// The header of what a master sends; the body is the `body_len()` bytes after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MasterMsg {
    Reply {
        body_size: u32,
        max_offset: u64,
        epoch: i32,
    },
    Transfer(AutoTransfer),
}

/// A transfer frame's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoTransfer {
    pub size: u32,
    pub offset: u64,
    pub epoch: i32,
    pub epoch_start: u64,
    pub confirm: u64,
}

impl MasterMsg {
    pub fn header_len(&self) -> usize {
        match self {
            MasterMsg::Reply { .. } => REPLY_HEADER_BYTES,
            MasterMsg::Transfer(_) => AUTO_TRANSFER_HEADER_BYTES,
        }
    }

    pub fn body_len(&self) -> usize {
        match self {
            MasterMsg::Reply { body_size, .. } => *body_size as usize,
            MasterMsg::Transfer(t) => t.size as usize,
        }
    }
}

pub fn encode_handshake(sync_from_last_file: bool, async_learner: bool, broker_id: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(HANDSHAKE_BYTES);
    out.extend_from_slice(&STATE_HANDSHAKE.to_be_bytes());
    out.extend_from_slice(&i16::from(sync_from_last_file).to_be_bytes());
    out.extend_from_slice(&i16::from(async_learner).to_be_bytes());
    out.extend_from_slice(&broker_id.to_be_bytes());
    out
}

pub fn encode_ack(offset: u64) -> [u8; ACK_BYTES] {
    let mut out = [0u8; ACK_BYTES];
    out[..4].copy_from_slice(&STATE_TRANSFER.to_be_bytes());
    out[4..].copy_from_slice(&offset.to_be_bytes());
    out
}

/// The handshake reply with its body (`epochs`: 12-byte entries, oldest first).
pub fn encode_reply(max_offset: u64, epoch: i32, epochs: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(REPLY_HEADER_BYTES + epochs.len());
    out.extend_from_slice(&STATE_HANDSHAKE.to_be_bytes());
    out.extend_from_slice(&(epochs.len() as u32).to_be_bytes());
    out.extend_from_slice(&max_offset.to_be_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    out.extend_from_slice(epochs);
    out
}

pub fn encode_auto_transfer_header(t: &AutoTransfer) -> [u8; AUTO_TRANSFER_HEADER_BYTES] {
    let mut out = [0u8; AUTO_TRANSFER_HEADER_BYTES];
    out[..4].copy_from_slice(&STATE_TRANSFER.to_be_bytes());
    out[4..8].copy_from_slice(&t.size.to_be_bytes());
    out[8..16].copy_from_slice(&t.offset.to_be_bytes());
    out[16..20].copy_from_slice(&t.epoch.to_be_bytes());
    out[20..28].copy_from_slice(&t.epoch_start.to_be_bytes());
    out[28..36].copy_from_slice(&t.confirm.to_be_bytes());
    out
}

fn i16_at(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(v)
}

fn offset(value: i64) -> Result<u64, Invalid> {
    u64::try_from(value).map_err(|_| Invalid::NegativeOffset(value))
}

fn flag(value: i16) -> Result<bool, Invalid> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Invalid::BadFlag(other)),
    }
}

fn size(value: i32, max: usize) -> Result<u32, Invalid> {
    let size = u32::try_from(value).map_err(|_| Invalid::NegativeSize(value))?;
    if size as usize > max {
        return Err(Invalid::BodyTooLarge { size, max });
    }
    Ok(size)
}

/// The slave message at the start of `buf` and its length.
pub fn decode_slave_msg(buf: &[u8]) -> Result<(SlaveMsg, usize), FrameError> {
    if buf.len() < 4 {
        return Err(FrameError::Incomplete);
    }
    match i32_at(buf, 0) {
        STATE_HANDSHAKE if buf.len() < HANDSHAKE_BYTES => Err(FrameError::Incomplete),
        STATE_HANDSHAKE => {
            let msg = SlaveMsg::Handshake {
                sync_from_last_file: flag(i16_at(buf, 4))?,
                async_learner: flag(i16_at(buf, 6))?,
                broker_id: i64_at(buf, 8),
            };
            Ok((msg, HANDSHAKE_BYTES))
        }
        STATE_TRANSFER if buf.len() < ACK_BYTES => Err(FrameError::Incomplete),
        STATE_TRANSFER => {
            let msg = SlaveMsg::Ack {
                offset: offset(i64_at(buf, 4))?,
            };
            Ok((msg, ACK_BYTES))
        }
        state => Err(Invalid::UnknownState(state).into()),
    }
}

/// The master message at the start of `buf`, whole (header and body present). A reply body
/// holds at most `epochs_max` entries; a transfer body at most `body_max` bytes.
pub fn decode_master_msg(
    buf: &[u8],
    body_max: usize,
    epochs_max: usize,
) -> Result<MasterMsg, FrameError> {
    if buf.len() < 4 {
        return Err(FrameError::Incomplete);
    }
    let msg = match i32_at(buf, 0) {
        STATE_HANDSHAKE if buf.len() < REPLY_HEADER_BYTES => return Err(FrameError::Incomplete),
        STATE_HANDSHAKE => {
            let body_size = size(i32_at(buf, 4), epochs_max * WIRE_ENTRY_BYTES)?;
            if !(body_size as usize).is_multiple_of(WIRE_ENTRY_BYTES) {
                return Err(Invalid::EpochBodyLength(body_size).into());
            }
            MasterMsg::Reply {
                body_size,
                max_offset: offset(i64_at(buf, 8))?,
                epoch: i32_at(buf, 16),
            }
        }
        STATE_TRANSFER if buf.len() < AUTO_TRANSFER_HEADER_BYTES => {
            return Err(FrameError::Incomplete)
        }
        STATE_TRANSFER => MasterMsg::Transfer(transfer(buf, body_max)?),
        state => return Err(Invalid::UnknownState(state).into()),
    };
    if buf.len() < msg.header_len() + msg.body_len() {
        return Err(FrameError::Incomplete);
    }
    Ok(msg)
}

fn transfer(buf: &[u8], body_max: usize) -> Result<AutoTransfer, Invalid> {
    let t = AutoTransfer {
        size: size(i32_at(buf, 4), body_max)?,
        offset: offset(i64_at(buf, 8))?,
        epoch: i32_at(buf, 16),
        epoch_start: offset(i64_at(buf, 20))?,
        confirm: offset(i64_at(buf, 28))?,
    };
    if t.epoch < 0 {
        return Err(Invalid::NegativeEpoch(t.epoch));
    }
    if t.epoch_start > t.offset {
        let (epoch_start, offset) = (t.epoch_start, t.offset);
        return Err(Invalid::EpochStartsAfterFrame {
            epoch_start,
            offset,
        });
    }
    Ok(t)
}

#[cfg(test)]
#[path = "auto_frame_tests.rs"]
mod tests;
