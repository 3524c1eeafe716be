//! Errors of the record codec, one type per direction.
//!
//! Decoding: `Incomplete` means `src` holds a valid-looking prefix of a record (size and magic
//! sane) and more bytes are needed; `Invalid` means the bytes cannot be a record. Recovery
//! stops at the first `Invalid` (that is where the log ends); a reader of a pull response
//! treats either as a broken response.

use thiserror::Error;

use crate::protocol::properties::PropertiesError;

/// Why bytes could not be decoded as a record.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RecordError {
    /// `src` is a strict prefix of a record; `needed` more bytes are required at least (exact
    /// once TOTALSIZE and the magic are readable).
    #[error("incomplete record: {needed} more bytes needed")]
    Incomplete { needed: usize },
    /// The bytes are not a record. `at` is the offset of `field` from the record's start.
    #[error("invalid record: {field:?} at byte {at}: {why}")]
    Invalid {
        at: usize,
        field: Field,
        why: InvalidReason,
    },
}

/// The record field an `Invalid` error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    TotalSize,
    Magic,
    BodyCrc,
    QueueId,
    Flag,
    QueueOffset,
    PhysicalOffset,
    SysFlag,
    BornTimestamp,
    BornHost,
    StoreTimestamp,
    StoreHost,
    ReconsumeTimes,
    PreparedTransactionOffset,
    BodyLen,
    Body,
    TopicLen,
    Topic,
    PropertiesLen,
    Properties,
}

/// What exactly is wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InvalidReason {
    #[error("unknown magic {found:#010x}")]
    BadMagic { found: u32 },
    /// A blank end-of-file marker where only a message may stand (e.g. a pull response).
    #[error("blank end-of-file marker where a message was expected")]
    UnexpectedBlank,
    #[error("body CRC stored {stored:#010x}, computed {computed:#010x}")]
    BodyCrcMismatch { stored: u32, computed: u32 },
    /// TOTALSIZE disagrees with the sum of the field sizes.
    #[error("declared size {declared}, fields take {actual}")]
    LengthMismatch { declared: usize, actual: usize },
    /// A field ends beyond the record's declared TOTALSIZE.
    #[error("field ends at {end}, beyond the declared size {declared}")]
    Overrun { end: usize, declared: usize },
    #[error("{len} is below the minimum {min}")]
    TooShort { len: usize, min: usize },
    #[error("{len} exceeds the limit {max}")]
    TooLarge { len: usize, max: usize },
    #[error("negative value {value}")]
    Negative { value: i64 },
    #[error("not valid UTF-8")]
    Utf8,
    #[error("port {port} outside 0..=65535")]
    PortOutOfRange { port: i32 },
}

/// Why a record could not be encoded. Only structural limits: policy (the broker's
/// `maxMessageSize`, topic naming rules) is checked before a record is built.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RecordEncodeError {
    #[error("topic of {len} bytes exceeds {max}")]
    TopicTooLong { len: usize, max: usize },
    #[error(transparent)]
    Properties(#[from] PropertiesError),
    /// TOTALSIZE would not fit the `int32` on the wire.
    #[error("record of {len} bytes exceeds {max}")]
    RecordTooLarge { len: usize, max: usize },
}

pub(crate) fn invalid(at: usize, field: Field, why: InvalidReason) -> RecordError {
    RecordError::Invalid { at, field, why }
}
