//! The record decoder: check-then-parse.
//!
//! First the 8-byte prefix (size within limits, known magic), then — only once all TOTALSIZE
//! bytes are present — the fields in order, each bounded by the declared size. So a strict
//! prefix of a valid record is always `Incomplete`, and any inconsistency is `Invalid` with
//! the field and offset that broke. The body CRC is checked last, after the structure is
//! known to be sound.

use std::ops::Range;

use bytes::Bytes;

use super::encode::body_crc;
use super::error::{invalid, Field, InvalidReason, RecordError};
use super::layout::{Layout, MessageVersion, BODY_CRC_AT};
use super::peek::{read_prefix, Prefix};
use super::reader::Reader;
use super::{DecodeOptions, Decoded, MessageRecord};
use crate::protocol::properties::Properties;
use crate::protocol::sysflag::SysFlag;

/// Decodes the entry at the start of `src`: a message (its body copied out of `src`) or the
/// blank end-of-file marker.
pub fn decode_entry(src: &[u8], opts: &DecodeOptions) -> Result<Decoded, RecordError> {
    decode_with_body(src, opts, Bytes::copy_from_slice)
}

/// As [`decode_entry`], but the body shares `src`'s buffer instead of being copied: for pull
/// responses and mapped segments read into one `Bytes`.
pub fn decode_entry_shared(src: &Bytes, opts: &DecodeOptions) -> Result<Decoded, RecordError> {
    decode_with_body(src, opts, |body| src.slice_ref(body))
}

/// Decodes a concatenation of records, as in a pull response body. A trailing partial record
/// is an error here (`Incomplete`): a response is complete or broken. Blank markers are
/// `Invalid`, since they never leave the CommitLog.
pub fn decode_all(src: &Bytes, opts: &DecodeOptions) -> Result<Vec<MessageRecord>, RecordError> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < src.len() {
        let rest = src.slice(at..);
        match decode_entry_shared(&rest, opts)? {
            Decoded::Message { record, len } => {
                records.push(record);
                at += len;
            }
            Decoded::Blank { .. } => {
                let why = InvalidReason::UnexpectedBlank;
                return Err(invalid(super::MAGIC_AT, Field::Magic, why));
            }
        }
    }
    Ok(records)
}

fn decode_with_body<'a>(
    src: &'a [u8],
    opts: &DecodeOptions,
    body: impl FnOnce(&'a [u8]) -> Bytes,
) -> Result<Decoded, RecordError> {
    let (total, version) = match read_prefix(src, opts)? {
        Prefix::Blank { len } => return Ok(Decoded::Blank { len }),
        Prefix::Message { total, version } => (total, version),
    };
    let Some(record) = src.get(..total) else {
        return Err(RecordError::Incomplete {
            needed: total - src.len(),
        });
    };
    let parsed = parse(record, version, opts)?;
    let body_bytes = &record[parsed.body.clone()];
    if opts.check_crc {
        check_crc(parsed.stored_crc, body_bytes)?;
    }
    let mut message = parsed.message;
    message.body = body(body_bytes);
    Ok(Decoded::Message {
        record: message,
        len: total,
    })
}

/// A record parsed but for its body, which is left as a range so that the caller decides
/// between copying and sharing.
struct Parsed {
    message: MessageRecord,
    stored_crc: u32,
    body: Range<usize>,
}

fn parse(
    record: &[u8],
    version: MessageVersion,
    opts: &DecodeOptions,
) -> Result<Parsed, RecordError> {
    let mut r = Reader::new(record, BODY_CRC_AT);
    let stored_crc = r.u32(Field::BodyCrc)?;
    let queue_id = r.i32(Field::QueueId)?;
    let flag = r.i32(Field::Flag)?;
    let queue_offset = r.u64(Field::QueueOffset)?;
    let physical_offset = r.u64(Field::PhysicalOffset)?;
    let sys_flag = SysFlag::from_wire(r.i32(Field::SysFlag)?);
    let born_timestamp_ms = r.i64(Field::BornTimestamp)?;
    let born_host = r.host(sys_flag.born_host_v6(), Field::BornHost)?;
    let store_timestamp_ms = r.i64(Field::StoreTimestamp)?;
    let store_host = r.host(sys_flag.store_host_v6(), Field::StoreHost)?;
    let reconsume_times = r.i32(Field::ReconsumeTimes)?;
    let prepared_transaction_offset = r.u64(Field::PreparedTransactionOffset)?;
    let body = read_body(&mut r, opts)?;
    let topic = read_topic(&mut r, version)?;
    let properties = read_properties(&mut r)?;
    if r.at() != record.len() {
        let why = InvalidReason::LengthMismatch {
            declared: record.len(),
            actual: r.at(),
        };
        return Err(invalid(super::TOTAL_SIZE_AT, Field::TotalSize, why));
    }
    debug_assert_eq!(
        Layout::new(sys_flag, version).body_len_at() + 4,
        body.start,
        "reader and layout disagree"
    );
    let message = MessageRecord {
        queue_id,
        flag,
        queue_offset,
        physical_offset,
        sys_flag,
        born_timestamp_ms,
        born_host,
        store_timestamp_ms,
        store_host,
        reconsume_times,
        prepared_transaction_offset,
        body: Bytes::new(),
        topic,
        properties,
    };
    Ok(Parsed {
        message,
        stored_crc,
        body,
    })
}

fn read_body(r: &mut Reader<'_>, opts: &DecodeOptions) -> Result<Range<usize>, RecordError> {
    let at = r.at();
    let len = r.i32(Field::BodyLen)?;
    let len = non_negative(at, Field::BodyLen, i64::from(len))?;
    if len > opts.body_bytes_max {
        let why = InvalidReason::TooLarge {
            len,
            max: opts.body_bytes_max,
        };
        return Err(invalid(at, Field::BodyLen, why));
    }
    let start = r.at();
    r.take(len, Field::Body)?;
    Ok(start..r.at())
}

fn read_topic(r: &mut Reader<'_>, version: MessageVersion) -> Result<String, RecordError> {
    let at = r.at();
    // Both widths are signed in Java: a V1 length byte over 127 is negative, not 128..255.
    let len = match version {
        MessageVersion::V1 => i64::from(r.u8(Field::TopicLen)? as i8),
        MessageVersion::V2 => i64::from(r.i16(Field::TopicLen)?),
    };
    let len = non_negative(at, Field::TopicLen, len)?;
    let topic_at = r.at();
    let bytes = r.take(len, Field::Topic)?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| invalid(topic_at, Field::Topic, InvalidReason::Utf8))
}

fn read_properties(r: &mut Reader<'_>) -> Result<Properties, RecordError> {
    let at = r.at();
    let len = r.i16(Field::PropertiesLen)?;
    let len = non_negative(at, Field::PropertiesLen, i64::from(len))?;
    Ok(Properties::decode(r.take(len, Field::Properties)?))
}

fn non_negative(at: usize, field: Field, value: i64) -> Result<usize, RecordError> {
    usize::try_from(value).map_err(|_| invalid(at, field, InvalidReason::Negative { value }))
}

fn check_crc(stored: u32, body: &[u8]) -> Result<(), RecordError> {
    let computed = body_crc(body);
    if stored != computed {
        let why = InvalidReason::BodyCrcMismatch { stored, computed };
        return Err(invalid(BODY_CRC_AT, Field::BodyCrc, why));
    }
    Ok(())
}
