//! The protocol layer's errors, one type per direction.
//!
//! `DecodeError::Incomplete` is the only recoverable outcome of decoding (read more bytes and
//! retry); every `Invalid` means the peer broke the framing and the connection must be closed,
//! as RocketMQ's Netty decoder does. `HeaderError` is about one command's custom header and is
//! answered with a response code by the caller, never by closing the connection.

use thiserror::Error;

/// Why a frame could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// `src` holds only a strict prefix of a frame; nothing was consumed. `needed` is how many
    /// more bytes are required at least (exact once the length field is readable).
    #[error("incomplete frame: {needed} more bytes needed")]
    Incomplete { needed: usize },
    /// The bytes are not a valid frame. `at` is the byte offset within the frame (the length
    /// field is at 0, the header starts at 8) of the field `what` that is wrong.
    #[error("invalid frame: {what} at byte {at}: {why}")]
    Invalid {
        at: usize,
        what: &'static str,
        why: InvalidReason,
    },
}

/// What exactly is wrong with an invalid field.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum InvalidReason {
    #[error("{len} exceeds the limit {max}")]
    TooLarge { len: usize, max: usize },
    #[error("{len} is below the minimum {min}")]
    TooSmall { len: usize, min: usize },
    #[error("negative length")]
    Negative,
    #[error("not valid UTF-8")]
    Utf8,
    #[error("unknown serialize type {0}")]
    UnknownSerializeType(u8),
    #[error("length runs past the end of its enclosing area")]
    LengthPastEnd,
    #[error("bad JSON: {0}")]
    Json(String),
}

/// A command that cannot be put on the wire; nothing is written to the destination.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error("frame of {len} bytes exceeds the limit {max}")]
    FrameTooLarge { len: usize, max: usize },
    #[error("header of {len} bytes exceeds the limit {max}")]
    HeaderTooLarge { len: usize, max: usize },
    /// An ext field key or value, the ext field count or the remark is over its limit.
    #[error("{field} of {len} exceeds the limit {max}")]
    FieldTooLarge {
        field: &'static str,
        len: usize,
        max: usize,
    },
    /// A value does not fit the binary header's field width (code and version are int16).
    #[error("{field} value {value} does not fit the ROCKETMQ header field")]
    OutOfRange { field: &'static str, value: i64 },
}

/// A custom header could not be read from a command's ext fields.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HeaderError {
    #[error("missing header field {field}")]
    Missing { field: &'static str },
    #[error("invalid header field {field}: {value:?}")]
    Invalid { field: &'static str, value: String },
}
