//! Pure codecs of RocketMQ's wire and record formats: frames, commands with JSON or ROCKETMQ
//! headers, typed codes and custom headers, CommitLog records, properties, message ids and
//! batch bodies. No I/O, no time, no randomness: bytes in, values out, and back.

pub mod batch;
mod binary;
pub mod body;
pub mod code;
pub mod command;
mod error;
pub mod frame;
pub mod header;
pub mod heartbeat;
mod json;
mod json_fast;
pub mod message_id;
pub mod properties;
pub mod record;
pub mod sysflag;

pub use code::{LanguageCode, RequestCode, ResponseCode, SerializeType};
pub use command::{ExtFields, Kind, RemotingCommand};
pub use error::{DecodeError, EncodeError, HeaderError, InvalidReason};
