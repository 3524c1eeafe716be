//! Why a body could not be decoded. Answered by the caller with a response code (the mapping
//! lives with the request handlers), never by closing the connection.

use thiserror::Error;

/// A body that is malformed or over a limit. `what` names the body or the part of it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BodyError {
    /// The body is larger than allowed (compressed, or once inflated).
    #[error("{what} of {len} bytes exceeds the limit {max}")]
    TooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// More topic configs than allowed.
    #[error("{count} topic configs exceed the limit {max}")]
    TooManyTopics { count: usize, max: usize },
    /// Not valid JSON, or JSON of the wrong shape; `detail` is the parser's message.
    #[error("{what} is not valid JSON: {detail}")]
    Json { what: &'static str, detail: String },
    /// A required part is missing or empty.
    #[error("{what} is missing")]
    Missing { what: &'static str },
    /// A value is out of its range.
    #[error("{what} is invalid: {value}")]
    Invalid { what: &'static str, value: String },
    /// The zlib stream is corrupt.
    #[error("compressed body cannot be inflated: {detail}")]
    Inflate { detail: String },
    /// The inflated stream ends inside `what`.
    #[error("compressed body ends inside {what}")]
    Truncated { what: &'static str },
    /// A length field is negative or runs past the end.
    #[error("compressed body: bad length {len} for {what}")]
    BadLength { what: &'static str, len: i64 },
    /// Text that must be UTF-8 is not.
    #[error("{what} is not valid UTF-8")]
    Utf8 { what: &'static str },
}
