//! Typed codes of the remoting protocol: request and response codes (open newtypes — a peer may
//! send any value, and an unknown request code must be answered with REQUEST_CODE_NOT_SUPPORTED,
//! not a decode failure), the sender's language and the header serialization type.

mod language;
mod request;
mod response;

pub use language::LanguageCode;
pub use request::RequestCode;
pub use response::ResponseCode;

/// Declares named constants on an `i32` newtype plus `name()`, `raw()`, Debug and Display.
/// Each value appears once, so `name()` is a plain match and the table cannot disagree with it.
macro_rules! named_codes {
    ($ty:ident { $($(#[$doc:meta])* $name:ident = $value:literal,)* }) => {
        impl $ty {
            $($(#[$doc])* pub const $name: $ty = $ty($value);)*

            /// The code as sent on the wire.
            pub const fn raw(self) -> i32 {
                self.0
            }

            /// RocketMQ's constant name for this code, if it is one we know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{}({}={})", stringify!($ty), name, self.0),
                    None => write!(f, "{}({})", stringify!($ty), self.0),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{}({})", name, self.0),
                    None => write!(f, "{}", self.0),
                }
            }
        }
    };
}
use named_codes;

/// How a frame's header is serialized: the top byte of the frame's second int32 (§1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SerializeType {
    /// fastjson text; RocketMQ's default and what we answer with.
    Json = 0,
    /// RocketMQ's compact binary header (`RocketMQSerializable`).
    RocketMq = 1,
}

impl SerializeType {
    /// The byte on the wire.
    pub const fn raw(self) -> u8 {
        self as u8
    }

    /// The type for a wire byte; `None` for anything RocketMQ does not define.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(SerializeType::Json),
            1 => Some(SerializeType::RocketMq),
            _ => None,
        }
    }

    /// The name fastjson writes in `serializeTypeCurrentRPC`.
    pub const fn name(self) -> &'static str {
        match self {
            SerializeType::Json => "JSON",
            SerializeType::RocketMq => "ROCKETMQ",
        }
    }
}
