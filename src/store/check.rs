//! What makes bytes at a CommitLog position a record we may serve or recover: the codec's
//! checks (size, magic, field bounds, length consistency, optionally the body CRC) plus the
//! ones that catch a torn write the CRC cannot see, since the CRC covers only the body:
//!
//! * the stored physical offset equals the position (a stale or misaligned record is not ours);
//! * the topic is non-empty and made of RocketMQ's topic characters `[%|a-zA-Z0-9_-]`;
//! * the properties are in canonical form (they re-encode to the bytes stored), which rules
//!   out zeroed or cut properties.
//!
//! A torn write leaves a sector-aligned prefix of the record followed by zeros. The record's
//! last byte is either the `0x02` ending its properties or the last topic character (when the
//! properties are empty), so a zeroed suffix always fails one of the checks above.

use bytes::BytesMut;

use crate::protocol::record::{decode_entry, DecodeOptions, Decoded, MessageRecord, RecordError};

/// What one position of the log holds after checking.
#[derive(Debug)]
pub enum Entry {
    Message { record: MessageRecord, len: usize },
    Blank { len: usize },
}

/// Why bytes that decode are still not a valid record here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("record says physical offset {stored}, found at {at}")]
    WrongPhysicalOffset { stored: u64, at: u64 },
    #[error("topic is not a valid topic name")]
    BadTopic,
    #[error("properties are not in canonical form")]
    BadProperties,
}

/// Whether `topic` is a legal RocketMQ topic name (`TopicValidator`: `^[%|a-zA-Z0-9_-]+$`).
pub fn topic_is_valid(topic: &str) -> bool {
    !topic.is_empty()
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'|' | b'_' | b'-'))
}

/// Decodes and checks the entry at the start of `src`, which sits at log offset `at`.
pub fn check_entry(src: &[u8], at: u64, opts: &DecodeOptions) -> Result<Entry, CheckError> {
    match decode_entry(src, opts)? {
        Decoded::Blank { len } => Ok(Entry::Blank { len }),
        Decoded::Message { record, len } => {
            check_record(&record, &src[..len], at)?;
            Ok(Entry::Message { record, len })
        }
    }
}

fn check_record(record: &MessageRecord, raw: &[u8], at: u64) -> Result<(), CheckError> {
    if record.physical_offset != at {
        return Err(CheckError::WrongPhysicalOffset {
            stored: record.physical_offset,
            at,
        });
    }
    if !topic_is_valid(&record.topic) {
        return Err(CheckError::BadTopic);
    }
    let props_len = record.properties.encoded_len();
    let stored = &raw[raw.len() - props_len..];
    let mut canonical = BytesMut::with_capacity(props_len);
    if record.properties.encode_into(&mut canonical).is_err() || canonical[..] != stored[..] {
        return Err(CheckError::BadProperties);
    }
    // The properties length field must say what we re-encoded.
    let len_at = raw.len() - props_len - 2;
    let declared = u16::from_be_bytes([raw[len_at], raw[len_at + 1]]) as usize;
    if declared != props_len {
        return Err(CheckError::BadProperties);
    }
    Ok(())
}
