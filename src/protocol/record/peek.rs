//! Reading the first 8 bytes (size and magic) and the leading fixed fields without decoding
//! the whole record: what a consume-queue rebuild, a dispatcher or a time-based offset search
//! needs, at the cost of at most 76 bytes and no allocation.

use super::error::{invalid, Field, InvalidReason, RecordError};
use super::layout::{
    record_bytes_max, Layout, MessageVersion, BLANK_BYTES, BLANK_MAGIC, BODY_CRC_AT,
    RECORD_BYTES_MIN, TOTAL_SIZE_AT,
};
use super::reader::Reader;
use super::DecodeOptions;
use crate::protocol::sysflag::SysFlag;

/// What the first 8 bytes of a position say, after sanity checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefix {
    /// The end-of-file marker declaring `len` bytes unused.
    Blank { len: usize },
    /// A message record of `total` bytes (within the limits) in format `version`.
    Message {
        total: usize,
        version: MessageVersion,
    },
}

/// Reads TOTALSIZE and the magic. Anything shorter than 8 bytes is `Incomplete`; a size out
/// of bounds or an unknown magic is `Invalid`, so a caller never waits for (or allocates) an
/// absurd number of bytes.
pub(crate) fn read_prefix(src: &[u8], opts: &DecodeOptions) -> Result<Prefix, RecordError> {
    let Some(prefix) = src.get(..BLANK_BYTES) else {
        return Err(RecordError::Incomplete {
            needed: BLANK_BYTES - src.len(),
        });
    };
    let mut r = Reader::new(prefix, TOTAL_SIZE_AT);
    let size = r.i32(Field::TotalSize)?;
    let magic = r.u32(Field::Magic)?;
    if magic == BLANK_MAGIC {
        let len = check_size(size, BLANK_BYTES, usize::MAX)?;
        return Ok(Prefix::Blank { len });
    }
    let Some(version) = MessageVersion::from_magic(magic) else {
        let why = InvalidReason::BadMagic { found: magic };
        return Err(invalid(super::MAGIC_AT, Field::Magic, why));
    };
    let max = record_bytes_max(opts.body_bytes_max);
    let total = check_size(size, RECORD_BYTES_MIN, max)?;
    Ok(Prefix::Message { total, version })
}

fn check_size(size: i32, min: usize, max: usize) -> Result<usize, RecordError> {
    let field = Field::TotalSize;
    let Ok(len) = usize::try_from(size) else {
        let why = InvalidReason::Negative {
            value: i64::from(size),
        };
        return Err(invalid(TOTAL_SIZE_AT, field, why));
    };
    if len < min {
        return Err(invalid(
            TOTAL_SIZE_AT,
            field,
            InvalidReason::TooShort { len, min },
        ));
    }
    if len > max {
        return Err(invalid(
            TOTAL_SIZE_AT,
            field,
            InvalidReason::TooLarge { len, max },
        ));
    }
    Ok(len)
}

/// The leading fields of a message record, up to and including the store timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHead {
    pub total_size: usize,
    pub version: MessageVersion,
    /// As stored; not verified (that needs the body).
    pub body_crc: u32,
    pub queue_id: i32,
    pub flag: i32,
    pub queue_offset: u64,
    pub physical_offset: u64,
    pub sys_flag: SysFlag,
    pub born_timestamp_ms: i64,
    pub store_timestamp_ms: i64,
}

/// What [`peek`] found at a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peeked {
    Message(RecordHead),
    /// The end-of-file marker; see [`super::Decoded::Blank`].
    Blank {
        len: usize,
    },
}

/// Reads the leading fields of the record at the start of `src`. Needs only the bytes up to
/// the store timestamp (64, or 76 with an IPv6 born host), not the whole record.
pub fn peek(src: &[u8], opts: &DecodeOptions) -> Result<Peeked, RecordError> {
    let (total, version) = match read_prefix(src, opts)? {
        Prefix::Blank { len } => return Ok(Peeked::Blank { len }),
        Prefix::Message { total, version } => (total, version),
    };
    // The SYSFLAG decides where the store timestamp is; RECORD_BYTES_MIN exceeds the largest
    // head end, so the head always lies inside a record of a sane size.
    let flag_end = super::SYS_FLAG_AT + 4;
    let head_end = match src.get(super::SYS_FLAG_AT..flag_end) {
        Some(bytes) => {
            let sys_flag = SysFlag::from_bits(be_u32(bytes));
            Layout::new(sys_flag, version).store_timestamp_at() + 8
        }
        None => flag_end,
    };
    if src.len() < head_end {
        return Err(RecordError::Incomplete {
            needed: head_end - src.len(),
        });
    }
    let mut r = Reader::new(&src[..head_end], BODY_CRC_AT);
    let body_crc = r.u32(Field::BodyCrc)?;
    let queue_id = r.i32(Field::QueueId)?;
    let flag = r.i32(Field::Flag)?;
    let queue_offset = r.u64(Field::QueueOffset)?;
    let physical_offset = r.u64(Field::PhysicalOffset)?;
    let sys_flag = SysFlag::from_wire(r.i32(Field::SysFlag)?);
    let born_timestamp_ms = r.i64(Field::BornTimestamp)?;
    r.take(
        Layout::new(sys_flag, version).born_host_bytes(),
        Field::BornHost,
    )?;
    let store_timestamp_ms = r.i64(Field::StoreTimestamp)?;
    Ok(Peeked::Message(RecordHead {
        total_size: total,
        version,
        body_crc,
        queue_id,
        flag,
        queue_offset,
        physical_offset,
        sys_flag,
        born_timestamp_ms,
        store_timestamp_ms,
    }))
}

fn be_u32(bytes: &[u8]) -> u32 {
    let mut out = [0u8; 4];
    out.copy_from_slice(bytes);
    u32::from_be_bytes(out)
}
