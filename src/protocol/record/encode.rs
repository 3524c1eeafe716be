//! The record encoder: field by field in the order of reference §3.1, big-endian.
//!
//! Everything is validated before the first byte is written, so on error `dst` is untouched.

use std::net::SocketAddr;

use bytes::{BufMut, BytesMut};

use super::error::{invalid, Field, InvalidReason, RecordEncodeError, RecordError};
use super::layout::{
    Layout, MessageVersion, MAGIC_AT, PHYSICAL_OFFSET_AT, QUEUE_OFFSET_AT, RECORD_BYTES_MIN,
    TOPIC_V2_BYTES_MAX,
};
use super::MessageRecord;

/// TOTALSIZE is an `int32`.
const RECORD_BYTES_WIRE_MAX: usize = i32::MAX as usize;

/// The body CRC as RocketMQ stores it: CRC32 with the top bit cleared (`UtilAll.crc32`).
pub fn body_crc(body: &[u8]) -> u32 {
    crc32fast::hash(body) & 0x7FFF_FFFF
}

impl MessageRecord {
    /// Bytes [`MessageRecord::encode_into`] writes (if the record is encodable).
    pub fn encoded_len(&self) -> usize {
        self.layout().total_bytes(
            self.body.len(),
            self.topic.len(),
            self.properties.encoded_len(),
        )
    }

    /// Appends the record's exact bytes to `dst`. Fails, writing nothing, if the topic is over
    /// 32767 bytes, the properties over 32767, or the whole over `i32::MAX`.
    pub fn encode_into(&self, dst: &mut BytesMut) -> Result<(), RecordEncodeError> {
        let total = self.checked_len()?;
        let version = self.version();
        dst.reserve(total);
        let start = dst.len();
        dst.put_u32(total as u32);
        dst.put_u32(version.magic());
        dst.put_u32(body_crc(&self.body));
        dst.put_i32(self.queue_id);
        dst.put_i32(self.flag);
        dst.put_u64(self.queue_offset);
        dst.put_u64(self.physical_offset);
        dst.put_i32(self.wire_sys_flag().to_wire());
        dst.put_i64(self.born_timestamp_ms);
        put_host(dst, self.born_host);
        dst.put_i64(self.store_timestamp_ms);
        put_host(dst, self.store_host);
        dst.put_i32(self.reconsume_times);
        dst.put_u64(self.prepared_transaction_offset);
        dst.put_u32(self.body.len() as u32);
        dst.put_slice(&self.body);
        match version {
            MessageVersion::V1 => dst.put_u8(self.topic.len() as u8),
            MessageVersion::V2 => dst.put_u16(self.topic.len() as u16),
        }
        dst.put_slice(self.topic.as_bytes());
        dst.put_u16(self.properties.encoded_len() as u16);
        self.properties.encode_into(dst)?;
        // The layout and the writes above must agree, or every reader would misparse.
        assert_eq!(
            dst.len() - start,
            total,
            "record encoder wrote a wrong length"
        );
        Ok(())
    }

    /// The record's bytes in a fresh buffer.
    pub fn encode(&self) -> Result<BytesMut, RecordEncodeError> {
        let mut dst = BytesMut::new();
        self.encode_into(&mut dst)?;
        Ok(dst)
    }

    fn layout(&self) -> Layout {
        Layout::new(self.wire_sys_flag(), self.version())
    }

    fn checked_len(&self) -> Result<usize, RecordEncodeError> {
        if self.topic.len() > TOPIC_V2_BYTES_MAX {
            return Err(RecordEncodeError::TopicTooLong {
                len: self.topic.len(),
                max: TOPIC_V2_BYTES_MAX,
            });
        }
        self.properties.checked_len()?;
        let len = self.encoded_len();
        if len > RECORD_BYTES_WIRE_MAX {
            return Err(RecordEncodeError::RecordTooLarge {
                len,
                max: RECORD_BYTES_WIRE_MAX,
            });
        }
        Ok(len)
    }
}

fn put_host(dst: &mut BytesMut, host: SocketAddr) {
    match host {
        SocketAddr::V4(v4) => dst.put_slice(&v4.ip().octets()),
        SocketAddr::V6(v6) => dst.put_slice(&v6.ip().octets()),
    }
    dst.put_i32(i32::from(host.port()));
}

/// Overwrites the queue offset and physical offset of the encoded record at the start of
/// `record`: the store learns both only at append time, after encoding.
pub fn patch_offsets(
    record: &mut [u8],
    queue_offset: u64,
    physical_offset: u64,
) -> Result<(), RecordError> {
    if record.len() < RECORD_BYTES_MIN {
        return Err(RecordError::Incomplete {
            needed: RECORD_BYTES_MIN - record.len(),
        });
    }
    let magic = u32::from_be_bytes([record[4], record[5], record[6], record[7]]);
    if MessageVersion::from_magic(magic).is_none() {
        return Err(invalid(
            MAGIC_AT,
            Field::Magic,
            InvalidReason::BadMagic { found: magic },
        ));
    }
    record[QUEUE_OFFSET_AT..QUEUE_OFFSET_AT + 8].copy_from_slice(&queue_offset.to_be_bytes());
    record[PHYSICAL_OFFSET_AT..PHYSICAL_OFFSET_AT + 8]
        .copy_from_slice(&physical_offset.to_be_bytes());
    Ok(())
}
