//! `RemotingCommand`: one decoded frame, independent of how its header was serialized.
//!
//! A command is plain data: what the peer sent, typed (`Kind` instead of a raw `flag`, codes as
//! newtypes). It carries no processing state. Only flag bits 0 (response) and 1 (oneway) have a
//! meaning in RocketMQ; other bits are dropped on decode. `ExtFields` is ordered so that
//! encoding is deterministic (the simulator hashes traces of frames).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::code::{LanguageCode, RequestCode, ResponseCode};
use super::HeaderError;
use crate::protocol::header::CommandHeader;

/// `flag` bit 0: the command is a response (RocketMQ's RPC_TYPE).
pub const FLAG_RESPONSE: i32 = 1;
/// `flag` bit 1: the request expects no response (RocketMQ's RPC_ONEWAY).
pub const FLAG_ONEWAY: i32 = 2;

/// `MQVersion.Version` ordinal of RocketMQ 4.9.8, the line we are compatible with. It is what
/// we send as `version`; it is ≥ 401 (V4_9_4), so name servers answer us in standard JSON.
pub const VERSION_V4_9_8: i32 = 409;

/// Request or response, decoded from `flag`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Request { code: RequestCode, oneway: bool },
    Response { code: ResponseCode },
}

impl Kind {
    /// The raw `code` field.
    pub fn code_raw(self) -> i32 {
        match self {
            Kind::Request { code, .. } => code.raw(),
            Kind::Response { code } => code.raw(),
        }
    }

    /// The raw `flag` field.
    pub fn flag(self) -> i32 {
        match self {
            Kind::Request { oneway: false, .. } => 0,
            Kind::Request { oneway: true, .. } => FLAG_ONEWAY,
            Kind::Response { .. } => FLAG_RESPONSE,
        }
    }

    /// From the raw `code` and `flag` fields; unknown flag bits are ignored.
    pub fn from_wire(code: i32, flag: i32) -> Self {
        if flag & FLAG_RESPONSE != 0 {
            Kind::Response {
                code: ResponseCode(code),
            }
        } else {
            Kind::Request {
                code: RequestCode(code),
                oneway: flag & FLAG_ONEWAY != 0,
            }
        }
    }
}

/// The custom header as strings (`extFields`), keyed by RocketMQ's field names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExtFields(BTreeMap<String, String>);

impl ExtFields {
    pub fn new() -> Self {
        ExtFields(BTreeMap::new())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Sets `key`, returning the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(key.into(), value.into())
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// In key order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ExtFields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        ExtFields(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl From<BTreeMap<String, String>> for ExtFields {
    fn from(map: BTreeMap<String, String>) -> Self {
        ExtFields(map)
    }
}

/// One request or response, as it travels in a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemotingCommand {
    pub kind: Kind,
    pub language: LanguageCode,
    /// The sender's `MQVersion` ordinal (0 when a third-party client leaves it out).
    pub version: i32,
    /// Request id; a response echoes its request's.
    pub opaque: i32,
    pub remark: Option<String>,
    pub ext_fields: ExtFields,
    pub body: Bytes,
}

impl RemotingCommand {
    /// Language we send as: the Java client's, because some servers branch on it and
    /// Java is the one they all get right.
    pub const LANGUAGE_DEFAULT: LanguageCode = LanguageCode::Java;
    /// Version we send as.
    pub const VERSION_DEFAULT: i32 = VERSION_V4_9_8;

    fn new(kind: Kind, remark: Option<String>) -> Self {
        RemotingCommand {
            kind,
            language: Self::LANGUAGE_DEFAULT,
            version: Self::VERSION_DEFAULT,
            opaque: 0,
            remark,
            ext_fields: ExtFields::new(),
            body: Bytes::new(),
        }
    }

    /// A two-way request with opaque 0; the RPC layer assigns the opaque.
    pub fn request(code: RequestCode) -> Self {
        Self::new(
            Kind::Request {
                code,
                oneway: false,
            },
            None,
        )
    }

    /// A oneway request (flag 2) with opaque 0.
    pub fn oneway(code: RequestCode) -> Self {
        Self::new(Kind::Request { code, oneway: true }, None)
    }

    /// A response with opaque 0; prefer `response_to`.
    pub fn response(code: ResponseCode, remark: Option<String>) -> Self {
        Self::new(Kind::Response { code }, remark)
    }

    /// A response to `request`: echoes its opaque so the peer can match it.
    pub fn response_to(
        request: &RemotingCommand,
        code: ResponseCode,
        remark: Option<String>,
    ) -> Self {
        Self::response(code, remark).with_opaque(request.opaque)
    }

    /// Writes `header`'s fields into the ext fields (overwriting same-named ones).
    pub fn with_header<H: CommandHeader>(mut self, header: &H) -> Self {
        header.write(&mut self.ext_fields);
        self
    }

    pub fn with_body(mut self, body: Bytes) -> Self {
        self.body = body;
        self
    }

    pub fn with_opaque(mut self, opaque: i32) -> Self {
        self.opaque = opaque;
        self
    }

    pub fn with_remark(mut self, remark: impl Into<String>) -> Self {
        self.remark = Some(remark.into());
        self
    }

    /// Sets one ext field outside any typed header (e.g. `MSG_REGION` on a send response).
    pub fn with_ext_field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ext_fields.insert(key, value);
        self
    }

    /// Reads a typed custom header from the ext fields.
    pub fn header<H: CommandHeader>(&self) -> Result<H, HeaderError> {
        H::read(&self.ext_fields)
    }

    pub fn is_response(&self) -> bool {
        matches!(self.kind, Kind::Response { .. })
    }

    pub fn is_oneway(&self) -> bool {
        matches!(self.kind, Kind::Request { oneway: true, .. })
    }

    /// The request code, if this is a request.
    pub fn request_code(&self) -> Option<RequestCode> {
        match self.kind {
            Kind::Request { code, .. } => Some(code),
            Kind::Response { .. } => None,
        }
    }

    /// The response code, if this is a response.
    pub fn response_code(&self) -> Option<ResponseCode> {
        match self.kind {
            Kind::Response { code } => Some(code),
            Kind::Request { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_bits() {
        assert_eq!(
            Kind::from_wire(0, 1),
            Kind::Response {
                code: ResponseCode::SUCCESS
            }
        );
        assert_eq!(
            Kind::from_wire(34, 2),
            Kind::Request {
                code: RequestCode::HEART_BEAT,
                oneway: true
            }
        );
        // A response never is oneway; unknown bits are ignored.
        assert_eq!(Kind::from_wire(0, 3).flag(), FLAG_RESPONSE);
        assert_eq!(Kind::from_wire(10, 4).flag(), 0);
    }

    #[test]
    fn response_to_echoes_opaque() {
        let req = RemotingCommand::request(RequestCode::PULL_MESSAGE).with_opaque(42);
        let resp = RemotingCommand::response_to(&req, ResponseCode::PULL_NOT_FOUND, None);
        assert_eq!(resp.opaque, 42);
        assert!(resp.is_response());
        assert!(!req.is_response() && !req.is_oneway());
        assert!(RemotingCommand::oneway(RequestCode::UPDATE_CONSUMER_OFFSET).is_oneway());
    }
}
