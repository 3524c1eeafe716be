//! The CommitLog message record (reference §3.1): the exact bytes stored in the log, shipped
//! to slaves, and returned verbatim in pull, view and query responses.
//!
//! Owns: [`MessageRecord`] (every field of a record), its byte-exact encoder, a checking
//! decoder that tells a message from the end-of-file [`Decoded::Blank`] marker and from
//! corruption, and a [`peek`] of the leading fields for readers that need only those. Does
//! not own: compression of bodies (the SYSFLAG says whether the body is compressed; the body
//! is kept as stored), the broker's size policy, where records live on disk.
//!
//! Invariants: the written SYSFLAG's host bits always match the host address families (the
//! encoder sets them from the addresses); V2 is written only when the topic exceeds 127 bytes;
//! the decoder never allocates from a length it has not checked against the bytes present and
//! the limits in [`DecodeOptions`]; `decode(encode(r)) == r` for every record whose SYSFLAG
//! host bits already match its hosts and whose IPv6 hosts carry no flow info or scope id (the
//! format stores neither).

mod decode;
mod encode;
mod error;
mod layout;
mod peek;
mod reader;

use std::net::SocketAddr;

use bytes::Bytes;

use crate::protocol::message_id::OffsetMsgId;
use crate::protocol::properties::Properties;
use crate::protocol::sysflag::SysFlag;

pub use decode::{decode_all, decode_entry, decode_entry_shared};
pub use encode::{body_crc, patch_offsets};
pub use error::{Field, InvalidReason, RecordEncodeError, RecordError};
pub use layout::*;
pub use peek::{peek, Peeked, RecordHead};

/// One message as stored in the CommitLog. Integer fields keep the wire's widths; offsets
/// are unsigned because no valid record carries a negative one (the bits round-trip anyway).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRecord {
    pub queue_id: i32,
    /// The user's flag, opaque to the broker.
    pub flag: i32,
    /// Logical offset in the consume queue (0 for prepared and rollback records).
    pub queue_offset: u64,
    /// Absolute CommitLog offset of this record's first byte.
    pub physical_offset: u64,
    /// As given; the host bits are overridden from the addresses when encoding.
    pub sys_flag: SysFlag,
    pub born_timestamp_ms: i64,
    /// The producer's address as the broker saw it.
    pub born_host: SocketAddr,
    pub store_timestamp_ms: i64,
    /// The broker's `brokerIP1:listenPort`; with `physical_offset` it forms the offset msgId.
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: u64,
    /// The body as stored (compressed if the SYSFLAG says so).
    pub body: Bytes,
    pub topic: String,
    pub properties: Properties,
}

/// Choices a decoder makes; `Default` is the safe choice (CRC checked, 4 MiB bodies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Recompute the body CRC. Recovery does (`checkCRCOnRecover`); a hot read path of
    /// records it wrote itself may skip it.
    pub check_crc: bool,
    /// Bodies longer than this are invalid: the broker's `maxMessageSize`.
    pub body_bytes_max: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            check_crc: true,
            body_bytes_max: BODY_BYTES_MAX,
        }
    }
}

/// What one position of a CommitLog file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A message record of `len` bytes.
    Message { record: MessageRecord, len: usize },
    /// The end-of-file marker: the writer declared the last `len` bytes of the file (marker
    /// included) unused; the log continues at the start of the next file.
    Blank { len: usize },
}

impl MessageRecord {
    /// Decodes one message with [`DecodeOptions::default`]; returns it and its length. A
    /// blank marker is `Invalid` here: use [`decode_entry`] where one may appear.
    pub fn decode(src: &[u8]) -> Result<(Self, usize), RecordError> {
        Self::decode_with(src, &DecodeOptions::default())
    }

    /// As [`MessageRecord::decode`], with explicit options.
    pub fn decode_with(src: &[u8], opts: &DecodeOptions) -> Result<(Self, usize), RecordError> {
        match decode_entry(src, opts)? {
            Decoded::Message { record, len } => Ok((record, len)),
            Decoded::Blank { .. } => Err(error::invalid(
                MAGIC_AT,
                Field::Magic,
                InvalidReason::UnexpectedBlank,
            )),
        }
    }

    /// The SYSFLAG as written: the given one with the host bits set from the addresses.
    pub fn wire_sys_flag(&self) -> SysFlag {
        self.sys_flag
            .with(SysFlag::BORNHOST_V6, self.born_host.is_ipv6())
            .with(SysFlag::STOREHOST_V6, self.store_host.is_ipv6())
    }

    /// The format version the encoder writes (V2 only for topics over 127 bytes).
    pub fn version(&self) -> MessageVersion {
        MessageVersion::for_topic_len(self.topic.len())
    }

    /// The offset message id (store host + physical offset) clients see as `offsetMsgId`.
    pub fn offset_msg_id(&self) -> OffsetMsgId {
        OffsetMsgId {
            store_host: self.store_host,
            physical_offset: self.physical_offset,
        }
    }
}
