//! Pure codecs of RocketMQ's remoting protocol: frames, commands with JSON or ROCKETMQ headers,
//! typed codes and typed custom headers. No I/O: bytes in, values out, and back.

mod binary;
pub mod code;
pub mod command;
mod error;
pub mod frame;
pub mod header;
pub mod heartbeat;
mod json;

pub use code::{LanguageCode, RequestCode, ResponseCode, SerializeType};
pub use command::{ExtFields, Kind, RemotingCommand};
pub use error::{DecodeError, EncodeError, HeaderError, InvalidReason};
