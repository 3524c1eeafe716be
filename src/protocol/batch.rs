//! The body of SEND_BATCH_MESSAGE (reference §3.2): the client's encoding of several messages
//! of one topic, each
//! `int32 TOTALSIZE | int32 MAGIC (0) | int32 BODYCRC (0) | int32 FLAG | int32 BODYLEN | body |
//! int16 PROPLEN | properties`.
//!
//! The broker re-encodes each entry as a full CommitLog record; this module only translates
//! the client format. Decoding is strict about structure — TOTALSIZE must equal the sum of the
//! fields (every known client computes it so), nothing may be negative or run past the body —
//! and lenient about MAGIC and BODYCRC, which clients fill with zeros and Java never reads.
//! Limits: at most [`BatchLimits::messages_max`] entries and bodies of at most
//! [`BatchLimits::body_bytes_max`]; memory is bounded by the input in any case.

use bytes::{BufMut, Bytes, BytesMut};
use thiserror::Error;

use crate::protocol::properties::{Properties, PropertiesError};
use crate::protocol::record::{InvalidReason, BODY_BYTES_MAX};

/// Fixed bytes of one entry: five `int32` and the `int16` properties length.
pub const BATCH_ENTRY_BYTES_MIN: usize = 4 * 5 + 2;
/// Default cap on entries per batch. RocketMQ caps only the body size (4 MiB), which admits
/// up to ~190k empty entries; 65536 stays far above real batches while bounding the per-entry
/// bookkeeping.
pub const BATCH_MESSAGES_MAX: usize = 65_536;

/// One message of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchEntry {
    pub flag: i32,
    pub body: Bytes,
    pub properties: Properties,
}

/// Limits a decoder enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    pub messages_max: usize,
    /// Per-entry body limit (the broker's `maxMessageSize`).
    pub body_bytes_max: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self {
            messages_max: BATCH_MESSAGES_MAX,
            body_bytes_max: BODY_BYTES_MAX,
        }
    }
}

/// A field of a batch entry, for error reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BatchField {
    TotalSize,
    Magic,
    BodyCrc,
    Flag,
    BodyLen,
    Body,
    PropertiesLen,
    Properties,
}

/// Why a batch body could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BatchDecodeError {
    /// Entry `index` is malformed; `at` is the field's offset from the start of the body.
    #[error("invalid batch entry {index}: {field:?} at byte {at}: {why}")]
    Invalid {
        index: usize,
        at: usize,
        field: BatchField,
        why: InvalidReason,
    },
    #[error("batch holds more than {max} messages")]
    TooManyMessages { max: usize },
}

/// Why entries could not be encoded as a batch body.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BatchEncodeError {
    #[error("batch entry {index}: {source}")]
    Properties {
        index: usize,
        source: PropertiesError,
    },
    /// An entry's TOTALSIZE would not fit its `int32`.
    #[error("batch entry {index} of {len} bytes is too large")]
    EntryTooLarge { index: usize, len: usize },
}

/// Appends the batch body of `entries` to `dst`; writes nothing on error.
pub fn encode_batch(entries: &[BatchEntry], dst: &mut BytesMut) -> Result<(), BatchEncodeError> {
    let mut total = 0;
    for (index, entry) in entries.iter().enumerate() {
        total += entry_len(index, entry)?;
    }
    dst.reserve(total);
    for (index, entry) in entries.iter().enumerate() {
        let props_len = entry.properties.encoded_len();
        dst.put_u32((BATCH_ENTRY_BYTES_MIN + entry.body.len() + props_len) as u32);
        dst.put_u32(0); // MAGIC: unused in the client format.
        dst.put_u32(0); // BODYCRC: the broker computes it.
        dst.put_i32(entry.flag);
        dst.put_u32(entry.body.len() as u32);
        dst.put_slice(&entry.body);
        dst.put_u16(props_len as u16);
        // Cannot fail: every size was checked above, before the first byte was written.
        entry
            .properties
            .encode_into(dst)
            .map_err(|source| BatchEncodeError::Properties { index, source })?;
    }
    Ok(())
}

fn entry_len(index: usize, entry: &BatchEntry) -> Result<usize, BatchEncodeError> {
    let props = entry
        .properties
        .checked_len()
        .map_err(|source| BatchEncodeError::Properties { index, source })?;
    let len = BATCH_ENTRY_BYTES_MIN + entry.body.len() + props;
    if len > i32::MAX as usize {
        return Err(BatchEncodeError::EntryTooLarge { index, len });
    }
    Ok(len)
}

/// Decodes a batch body; bodies share `src`'s buffer.
pub fn decode_batch(
    src: &Bytes,
    limits: &BatchLimits,
) -> Result<Vec<BatchEntry>, BatchDecodeError> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at < src.len() {
        if entries.len() == limits.messages_max {
            return Err(BatchDecodeError::TooManyMessages {
                max: limits.messages_max,
            });
        }
        let (entry, len) = decode_entry(src, at, entries.len(), limits)?;
        entries.push(entry);
        at += len;
    }
    Ok(entries)
}

/// Decodes the entry starting at `start`; returns it and its length.
fn decode_entry(
    src: &Bytes,
    start: usize,
    index: usize,
    limits: &BatchLimits,
) -> Result<(BatchEntry, usize), BatchDecodeError> {
    let mut r = Cursor {
        src,
        at: start,
        end: src.len(),
        index,
    };
    let total = r.len_i32(BatchField::TotalSize)?;
    if total < BATCH_ENTRY_BYTES_MIN {
        let why = InvalidReason::TooShort {
            len: total,
            min: BATCH_ENTRY_BYTES_MIN,
        };
        return Err(r.invalid(start, BatchField::TotalSize, why));
    }
    r.end = start.saturating_add(total);
    if r.end > src.len() {
        let why = InvalidReason::Overrun {
            end: r.end,
            declared: src.len(),
        };
        return Err(r.invalid(start, BatchField::TotalSize, why));
    }
    r.take(4, BatchField::Magic)?;
    r.take(4, BatchField::BodyCrc)?;
    let flag = i32::from_be_bytes(r.array(BatchField::Flag)?);
    let body_len_at = r.at;
    let body_len = r.len_i32(BatchField::BodyLen)?;
    if body_len > limits.body_bytes_max {
        let why = InvalidReason::TooLarge {
            len: body_len,
            max: limits.body_bytes_max,
        };
        return Err(r.invalid(body_len_at, BatchField::BodyLen, why));
    }
    let body = r.take(body_len, BatchField::Body)?;
    let props_len = i16::from_be_bytes(r.array(BatchField::PropertiesLen)?);
    let props_len = r.non_negative(i64::from(props_len), BatchField::PropertiesLen)?;
    let props = r.take(props_len, BatchField::Properties)?;
    if r.at != r.end {
        let why = InvalidReason::LengthMismatch {
            declared: total,
            actual: r.at - start,
        };
        return Err(r.invalid(start, BatchField::TotalSize, why));
    }
    let entry = BatchEntry {
        flag,
        body: src.slice(body),
        properties: Properties::decode(&src[props]),
    };
    Ok((entry, total))
}

/// A bounds-checked cursor over one entry; `end` is the entry's declared end once known.
struct Cursor<'a> {
    src: &'a Bytes,
    at: usize,
    end: usize,
    index: usize,
}

impl Cursor<'_> {
    fn take(
        &mut self,
        n: usize,
        field: BatchField,
    ) -> Result<std::ops::Range<usize>, BatchDecodeError> {
        let end = self.at.saturating_add(n);
        if end > self.end {
            let why = InvalidReason::Overrun {
                end,
                declared: self.end,
            };
            return Err(self.invalid(self.at, field, why));
        }
        let range = self.at..end;
        self.at = end;
        Ok(range)
    }

    fn array<const N: usize>(&mut self, field: BatchField) -> Result<[u8; N], BatchDecodeError> {
        let range = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.src[range]);
        Ok(out)
    }

    /// An `int32` length that must not be negative.
    fn len_i32(&mut self, field: BatchField) -> Result<usize, BatchDecodeError> {
        let value = i32::from_be_bytes(self.array(field)?);
        self.non_negative(i64::from(value), field)
    }

    fn non_negative(&self, value: i64, field: BatchField) -> Result<usize, BatchDecodeError> {
        usize::try_from(value).map_err(|_| {
            // Reported at the length field just read.
            let at = self
                .at
                .saturating_sub(if field == BatchField::PropertiesLen {
                    2
                } else {
                    4
                });
            self.invalid(at, field, InvalidReason::Negative { value })
        })
    }

    fn invalid(&self, at: usize, field: BatchField, why: InvalidReason) -> BatchDecodeError {
        BatchDecodeError::Invalid {
            index: self.index,
            at,
            field,
            why,
        }
    }
}
