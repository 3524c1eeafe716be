//! What can go wrong in an admin operation, typed so the command line can say which peer
//! failed and how, and tests can match on the kind.

use std::net::SocketAddr;

use crate::client::SendError;
use crate::protocol::message_id::MessageIdError;
use crate::protocol::ResponseCode;
use crate::remoting::RpcError;

/// Why an admin operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No name server address was given.
    #[error("no name server address (-n or NAMESRV_ADDR)")]
    NoNameServer,
    /// The call to a peer produced no response.
    #[error("call to {addr} failed: {source}")]
    Rpc {
        addr: SocketAddr,
        #[source]
        source: RpcError,
    },
    /// The peer answered with a code other than success.
    #[error("{addr} refused: {code}{}", remark_suffix(remark))]
    Refused {
        addr: SocketAddr,
        code: ResponseCode,
        remark: Option<String>,
    },
    /// The peer's answer (header or body) could not be read.
    #[error("bad answer from {addr}: {what}: {detail}")]
    BadBody {
        addr: SocketAddr,
        what: &'static str,
        detail: String,
    },
    /// No name server routes the topic.
    #[error("topic {topic} does not exist")]
    NoSuchTopic { topic: String },
    /// No registered broker has this name or address, or it has no master.
    #[error("no broker {broker} (or it has no master)")]
    NoSuchBroker { broker: String },
    /// No registered cluster has this name.
    #[error("no cluster {cluster}")]
    NoSuchCluster { cluster: String },
    /// An offset message id that does not parse.
    #[error("message id {id}: {source}")]
    BadMessageId {
        id: String,
        #[source]
        source: MessageIdError,
    },
    /// The looked-up message is not (or no longer) stored.
    #[error("no message {what}")]
    MessageNotFound { what: String },
    /// The producer could not send.
    #[error("send failed: {0}")]
    Send(#[from] SendError),
}

fn remark_suffix(remark: &Option<String>) -> String {
    match remark {
        Some(remark) if !remark.is_empty() => format!(" ({remark})"),
        _ => String::new(),
    }
}
