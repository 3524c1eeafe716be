//! The request layer's errors and the one place they become response codes.
//!
//! Lower layers keep their own types (`HeaderError`, `BodyError`, `TableError`, `KvError`);
//! this enum wraps them with what only the request layer knows (CRC check, unknown topic).
//! [`NamesrvError::response`] is the only mapping to `ResponseCode`, and its remark is the
//! error's text, so a client always learns what was wrong.

use std::io;

use super::kv_config::KvError;
use super::table::TableError;
use crate::protocol::body::BodyError;
use crate::protocol::{HeaderError, RemotingCommand, ResponseCode};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum NamesrvError {
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error("{0}")]
    Body(#[from] BodyError),
    #[error("the request has no body; {what} expected")]
    MissingBody { what: &'static str },
    #[error("crc32 not match: the body's is {actual}, the header says {expected}")]
    Crc { expected: u32, actual: u32 },
    #[error("{0}")]
    Table(#[from] TableError),
    #[error("No topic route info in name server for the topic: {topic}")]
    TopicNotExist { topic: String },
    #[error("No config item, Namespace: {namespace} Key: {key}")]
    KvNotFound { namespace: String, key: String },
    #[error("{0}")]
    Kv(#[from] KvError),
    #[error("the KV store was updated in memory but could not be persisted: {0}")]
    KvPersist(io::Error),
}

impl NamesrvError {
    /// The response code a RocketMQ name server answers this with.
    pub fn code(&self) -> ResponseCode {
        match self {
            NamesrvError::TopicNotExist { .. } => ResponseCode::TOPIC_NOT_EXIST,
            NamesrvError::KvNotFound { .. } => ResponseCode::QUERY_NOT_FOUND,
            // Java answers a bad header, a bad body and a CRC mismatch with SYSTEM_ERROR and
            // the exception's text; limits and empty names get the same treatment.
            NamesrvError::Header(_)
            | NamesrvError::Body(_)
            | NamesrvError::MissingBody { .. }
            | NamesrvError::Crc { .. }
            | NamesrvError::Table(_)
            | NamesrvError::Kv(_)
            | NamesrvError::KvPersist(_) => ResponseCode::SYSTEM_ERROR,
        }
    }

    /// The response carrying this error (the connection sets the opaque).
    pub fn response(&self) -> RemotingCommand {
        RemotingCommand::response(self.code(), Some(self.to_string()))
    }
}

/// Why the name server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read {path}: {source}")]
    KvRead { path: String, source: io::Error },
    #[error("cannot parse {path}: {source}")]
    KvParse { path: String, source: BodyError },
    #[error("cannot start the server: {0}")]
    Listen(io::Error),
}

impl crate::remoting::Refusal for NamesrvError {
    fn response(&self) -> RemotingCommand {
        NamesrvError::response(self)
    }
}
