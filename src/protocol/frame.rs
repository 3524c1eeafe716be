//! Whole frames: `[length:int32][serType:u8 | headerLen:u24][header][body]` (§1.1), big-endian.
//!
//! Decoding is check-then-parse and never panics: every length is checked against the bytes
//! present and against a limit before anything is allocated or sliced. The 8-byte prefix is
//! validated as soon as its bytes arrive, so `Incomplete` is returned only while the bytes seen
//! so far can still begin a valid frame; anything else is `Invalid` and the connection must be
//! closed. Encoding enforces the same limits, so whatever we encode we also decode, and it
//! writes nothing to `dst` on error.
//!
//! Limits (generous for real clients: the largest headers are a SEND's properties, which the
//! CommitLog caps at 32 KiB, and a REGISTER_BROKER's few addresses):
//! * the length field's value ≤ `FRAME_BYTES_MAX` on decode, as RocketMQ's default
//!   `frameMaxLength`; on encode the whole frame (length field included) stays within it,
//!   because Netty's frame decoder counts the length field too;
//! * header ≤ `HEADER_BYTES_MAX`, ≤ `EXT_FIELDS_MAX` ext fields, keys ≤ `EXT_KEY_BYTES_MAX`,
//!   values ≤ `EXT_VALUE_BYTES_MAX`.

use bytes::{BufMut, Bytes, BytesMut};

use super::code::SerializeType;
use super::command::RemotingCommand;
use super::error::InvalidReason;
use super::{binary, json, DecodeError, EncodeError};

/// Limit on the frame length field's value.
pub const FRAME_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Limit on the serialized header.
pub const HEADER_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Limit on the number of ext fields in one header.
pub const EXT_FIELDS_MAX: usize = 1024;
/// Limit on one ext field key (RocketMQ's keys are Java field names).
pub const EXT_KEY_BYTES_MAX: usize = 1024;
/// Limit on one ext field value.
pub const EXT_VALUE_BYTES_MAX: usize = 1024 * 1024;

/// Length field plus the serialize-type/header-length word.
const PREFIX_BYTES: usize = 8;
/// Offset of the header within a frame; errors in the header report offsets from here on.
pub(crate) const HEADER_OFFSET: usize = PREFIX_BYTES;

/// Encodes the whole frame (4-byte length, serialize type + 3-byte header length, header, body).
pub fn encode(
    cmd: &RemotingCommand,
    ser: SerializeType,
    dst: &mut BytesMut,
) -> Result<(), EncodeError> {
    check_limits(cmd)?;
    let start = dst.len();
    dst.put_bytes(0, PREFIX_BYTES);
    let written = match ser {
        SerializeType::Json => json::encode(cmd, dst),
        SerializeType::RocketMq => binary::encode(cmd, dst),
    };
    let finished = written.and_then(|()| finish(dst, start, ser, &cmd.body));
    if finished.is_err() {
        dst.truncate(start);
    }
    finished
}

/// Decodes one frame from the front of `src`; returns the command and the bytes consumed.
/// The body is copied out of `src`; `decode_buf` avoids the copy.
pub fn decode(src: &[u8]) -> Result<(RemotingCommand, usize), DecodeError> {
    let (mut cmd, body_start, total) = decode_head(src)?;
    if let Some(body) = src.get(body_start..total) {
        cmd.body = Bytes::copy_from_slice(body);
    }
    Ok((cmd, total))
}

/// Decodes one frame from the front of `buf` and advances it; `Ok(None)` when `buf` holds only
/// a prefix of a frame. The body shares `buf`'s allocation instead of being copied.
pub fn decode_buf(buf: &mut BytesMut) -> Result<Option<RemotingCommand>, DecodeError> {
    let (mut cmd, body_start, total) = match decode_head(buf) {
        Ok(head) => head,
        Err(DecodeError::Incomplete { .. }) => return Ok(None),
        Err(invalid) => return Err(invalid),
    };
    let mut frame = buf.split_to(total);
    cmd.body = frame.split_off(body_start).freeze();
    Ok(Some(cmd))
}

/// Ok(Some(total frame bytes)) once the length field is readable and valid; Ok(None) with
/// fewer than 4 bytes; Err(Invalid) if the length is negative, < 4 or > `FRAME_BYTES_MAX`.
pub fn peek_len(src: &[u8]) -> Result<Option<usize>, DecodeError> {
    let Some(word) = src.first_chunk::<4>() else {
        return Ok(None);
    };
    let len = i32::from_be_bytes(*word);
    let len =
        usize::try_from(len).map_err(|_| invalid(0, "frame length", InvalidReason::Negative))?;
    if len > FRAME_BYTES_MAX {
        let why = InvalidReason::TooLarge {
            len,
            max: FRAME_BYTES_MAX,
        };
        return Err(invalid(0, "frame length", why));
    }
    if len < PREFIX_BYTES - 4 {
        let why = InvalidReason::TooSmall {
            len,
            min: PREFIX_BYTES - 4,
        };
        return Err(invalid(0, "frame length", why));
    }
    Ok(Some(len + 4))
}

/// Decodes everything but the body: (command with an empty body, body start, frame length).
fn decode_head(src: &[u8]) -> Result<(RemotingCommand, usize, usize), DecodeError> {
    let Some(total) = peek_len(src)? else {
        check_partial_length(src)?;
        return Err(DecodeError::Incomplete {
            needed: 4 - src.len(),
        });
    };
    let (ser, header_len) = check_prefix(src, total)?;
    let Some(frame) = src.get(..total) else {
        return Err(DecodeError::Incomplete {
            needed: total - src.len(),
        });
    };
    let header_end = HEADER_OFFSET + header_len;
    let header = frame.get(HEADER_OFFSET..header_end).unwrap_or_default();
    let cmd = match ser {
        SerializeType::Json => json::decode(header)?,
        SerializeType::RocketMq => binary::decode(header)?,
    };
    Ok((cmd, header_end, total))
}

/// With fewer than 4 bytes: rejects a length that is already sure to be negative or too large.
fn check_partial_length(src: &[u8]) -> Result<(), DecodeError> {
    let mut smallest = [0u8; 4];
    smallest[..src.len()].copy_from_slice(src);
    match peek_len(&smallest) {
        Err(
            e @ DecodeError::Invalid {
                why: InvalidReason::Negative | InvalidReason::TooLarge { .. },
                ..
            },
        ) => Err(e),
        _ => Ok(()),
    }
}

/// Validates the serialize type and header length as soon as they are readable, before the
/// rest of the frame arrives.
fn check_prefix(src: &[u8], total: usize) -> Result<(SerializeType, usize), DecodeError> {
    let Some(&ser_byte) = src.get(4) else {
        return Err(DecodeError::Incomplete {
            needed: total - src.len(),
        });
    };
    let ser = SerializeType::from_byte(ser_byte).ok_or_else(|| {
        invalid(
            4,
            "serialize type",
            InvalidReason::UnknownSerializeType(ser_byte),
        )
    })?;
    let Some(word) = src.get(4..PREFIX_BYTES).and_then(|w| w.first_chunk::<4>()) else {
        return Err(DecodeError::Incomplete {
            needed: total - src.len(),
        });
    };
    let header_len = (u32::from_be_bytes(*word) & 0x00FF_FFFF) as usize;
    if header_len > total - PREFIX_BYTES {
        return Err(invalid(5, "header length", InvalidReason::LengthPastEnd));
    }
    if header_len > HEADER_BYTES_MAX {
        let why = InvalidReason::TooLarge {
            len: header_len,
            max: HEADER_BYTES_MAX,
        };
        return Err(invalid(5, "header length", why));
    }
    Ok((ser, header_len))
}

/// Rejects commands the decoder would reject, before anything is written.
fn check_limits(cmd: &RemotingCommand) -> Result<(), EncodeError> {
    let ext = &cmd.ext_fields;
    if ext.len() > EXT_FIELDS_MAX {
        return Err(too_large("ext field count", ext.len(), EXT_FIELDS_MAX));
    }
    for (key, value) in ext.iter() {
        if key.len() > EXT_KEY_BYTES_MAX {
            return Err(too_large("ext field key", key.len(), EXT_KEY_BYTES_MAX));
        }
        if value.len() > EXT_VALUE_BYTES_MAX {
            return Err(too_large(
                "ext field value",
                value.len(),
                EXT_VALUE_BYTES_MAX,
            ));
        }
    }
    Ok(())
}

/// Checks the sizes, patches the prefix written as zeros and appends the body.
fn finish(
    dst: &mut BytesMut,
    start: usize,
    ser: SerializeType,
    body: &Bytes,
) -> Result<(), EncodeError> {
    let header_len = dst.len() - start - PREFIX_BYTES;
    if header_len > HEADER_BYTES_MAX {
        return Err(EncodeError::HeaderTooLarge {
            len: header_len,
            max: HEADER_BYTES_MAX,
        });
    }
    let total = PREFIX_BYTES + header_len + body.len();
    if total > FRAME_BYTES_MAX {
        return Err(EncodeError::FrameTooLarge {
            len: total,
            max: FRAME_BYTES_MAX,
        });
    }
    // Both fit: total ≤ 16 MiB < i32::MAX and header_len ≤ 4 MiB < 2^24.
    let length = (total - 4) as u32;
    let word = (u32::from(ser.raw()) << 24) | header_len as u32;
    dst[start..start + 4].copy_from_slice(&length.to_be_bytes());
    dst[start + 4..start + PREFIX_BYTES].copy_from_slice(&word.to_be_bytes());
    dst.extend_from_slice(body);
    Ok(())
}

fn too_large(field: &'static str, len: usize, max: usize) -> EncodeError {
    EncodeError::FieldTooLarge { field, len, max }
}

pub(crate) fn invalid(at: usize, what: &'static str, why: InvalidReason) -> DecodeError {
    DecodeError::Invalid { at, what, why }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::OffsetResponseHeader;
    use crate::protocol::{RequestCode, ResponseCode};

    fn sample() -> RemotingCommand {
        RemotingCommand::request(RequestCode::GET_MAX_OFFSET)
            .with_opaque(7)
            .with_header(&OffsetResponseHeader { offset: -3 })
            .with_body(Bytes::from_static(b"payload"))
    }

    #[test]
    fn round_trip_both_encodings() {
        for ser in [SerializeType::Json, SerializeType::RocketMq] {
            let mut buf = BytesMut::new();
            encode(&sample(), ser, &mut buf).expect("encodes");
            buf.extend_from_slice(b"next");
            let (cmd, used) = decode(&buf).expect("decodes");
            assert_eq!(cmd, sample());
            assert_eq!(used, buf.len() - 4);
            assert_eq!(peek_len(&buf), Ok(Some(used)));
            let mut owned = buf.clone();
            assert_eq!(decode_buf(&mut owned), Ok(Some(sample())));
            assert_eq!(&owned[..], b"next");
        }
    }

    #[test]
    fn binary_rejects_wide_codes_and_writes_nothing() {
        let cmd = RemotingCommand::request(RequestCode::POP_MESSAGE);
        let mut buf = BytesMut::from(&b"keep"[..]);
        let err = encode(&cmd, SerializeType::RocketMq, &mut buf);
        assert_eq!(
            err,
            Err(EncodeError::OutOfRange {
                field: "code",
                value: 200050
            })
        );
        assert_eq!(&buf[..], b"keep");
        assert!(encode(&cmd, SerializeType::Json, &mut buf).is_ok());
    }

    #[test]
    fn oversized_body_is_refused() {
        let body = Bytes::from(vec![0u8; FRAME_BYTES_MAX]);
        let cmd = RemotingCommand::response(ResponseCode::SUCCESS, None).with_body(body);
        let mut buf = BytesMut::new();
        assert!(matches!(
            encode(&cmd, SerializeType::Json, &mut buf),
            Err(EncodeError::FrameTooLarge { .. })
        ));
        assert!(buf.is_empty());
    }

    #[test]
    fn incomplete_prefix_is_validated_early() {
        assert_eq!(decode(&[]), Err(DecodeError::Incomplete { needed: 4 }));
        assert_eq!(decode(&[0, 0]), Err(DecodeError::Incomplete { needed: 2 }));
        assert!(matches!(decode(&[0x80]), Err(DecodeError::Invalid { .. })));
        assert!(matches!(decode(&[0x02]), Err(DecodeError::Invalid { .. })));
        // Length 100 is valid; serialize type 9 is known to be wrong before the rest arrives.
        assert!(matches!(
            decode(&[0, 0, 0, 100, 9]),
            Err(DecodeError::Invalid { at: 4, .. })
        ));
        assert_eq!(
            decode(&[0, 0, 0, 100, 0]),
            Err(DecodeError::Incomplete { needed: 99 })
        );
    }
}
