//! The ROCKETMQ binary header (§1.4, `RocketMQSerializable`), big-endian:
//!
//! ```text
//! int16 code | int8 language | int16 version | int32 opaque | int32 flag
//! int32 remarkLen + remark | int32 extLen + ext area of (int16 keyLen + key, int32 valLen + value)*
//! ```
//!
//! As in RocketMQ, a zero-length string is null: an empty remark decodes as `None` and an ext
//! entry with an empty key or value is dropped (so empty ext values do not survive this
//! encoding — they do not in Java either). Bytes after the ext area are ignored, as Java does.
//! Stricter than Java: negative lengths are rejected instead of read as null.

use bytes::{BufMut, Bytes, BytesMut};

use super::code::LanguageCode;
use super::command::{ExtFields, Kind, RemotingCommand};
use super::error::InvalidReason;
use super::frame::{
    invalid, EXT_FIELDS_MAX, EXT_KEY_BYTES_MAX, EXT_VALUE_BYTES_MAX, HEADER_OFFSET,
};
use super::{DecodeError, EncodeError};

pub(super) fn encode(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), EncodeError> {
    let code = cmd.kind.code_raw();
    let code = i16::try_from(code).map_err(|_| out_of_range("code", code))?;
    let version = i16::try_from(cmd.version).map_err(|_| out_of_range("version", cmd.version))?;
    dst.put_i16(code);
    dst.put_u8(cmd.language.code());
    dst.put_i16(version);
    dst.put_i32(cmd.opaque);
    dst.put_i32(cmd.kind.flag());
    let remark = cmd.remark.as_deref().unwrap_or_default();
    put_len_i32(dst, remark.len(), "remark")?;
    dst.put_slice(remark.as_bytes());
    // Keys and values were checked against the limits, so these sums and casts cannot overflow.
    let ext_len: usize = cmd
        .ext_fields
        .iter()
        .map(|(k, v)| 2 + k.len() + 4 + v.len())
        .sum();
    put_len_i32(dst, ext_len, "ext fields")?;
    for (key, value) in cmd.ext_fields.iter() {
        dst.put_i16(key.len() as i16);
        dst.put_slice(key.as_bytes());
        dst.put_i32(value.len() as i32);
        dst.put_slice(value.as_bytes());
    }
    Ok(())
}

fn put_len_i32(dst: &mut BytesMut, len: usize, field: &'static str) -> Result<(), EncodeError> {
    let len32 = i32::try_from(len).map_err(|_| EncodeError::FieldTooLarge {
        field,
        len,
        max: i32::MAX as usize,
    })?;
    dst.put_i32(len32);
    Ok(())
}

fn out_of_range(field: &'static str, value: i32) -> EncodeError {
    EncodeError::OutOfRange {
        field,
        value: i64::from(value),
    }
}

pub(super) fn decode(header: &[u8]) -> Result<RemotingCommand, DecodeError> {
    let mut r = Reader {
        buf: header,
        pos: 0,
        base: HEADER_OFFSET,
    };
    let code = r.i16("code")?;
    let language = LanguageCode::from_byte(r.u8("language")?);
    let version = r.i16("version")?;
    let opaque = r.i32("opaque")?;
    let flag = r.i32("flag")?;
    let remark_len = r.len_i32("remark length", usize::MAX)?;
    let remark = r.string(remark_len, "remark")?;
    let ext_len = r.len_i32("ext fields length", usize::MAX)?;
    let ext_start = r.base + r.pos;
    let ext_area = r.take(ext_len, "ext fields")?;
    let ext_fields = decode_ext(ext_area, ext_start)?;
    Ok(RemotingCommand {
        kind: Kind::from_wire(i32::from(code), flag),
        language,
        version: i32::from(version),
        opaque,
        remark,
        ext_fields,
        body: Bytes::new(),
    })
}

/// `area` is exactly the ext area; `base` is its offset in the frame.
fn decode_ext(area: &[u8], base: usize) -> Result<ExtFields, DecodeError> {
    let mut r = Reader {
        buf: area,
        pos: 0,
        base,
    };
    let mut ext = ExtFields::new();
    let mut count = 0usize;
    while r.pos < area.len() {
        count += 1;
        if count > EXT_FIELDS_MAX {
            let why = InvalidReason::TooLarge {
                len: count,
                max: EXT_FIELDS_MAX,
            };
            return Err(invalid(base + r.pos, "ext field count", why));
        }
        let key_len = r.len_i16("ext key length", EXT_KEY_BYTES_MAX)?;
        let key = r.string(key_len, "ext key")?;
        let value_len = r.len_i32("ext value length", EXT_VALUE_BYTES_MAX)?;
        let value = r.string(value_len, "ext value")?;
        if let (Some(key), Some(value)) = (key, value) {
            ext.insert(key, value);
        }
    }
    Ok(ext)
}

/// A bounds-checked cursor; errors carry the frame offset of the failing field.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Frame offset of `buf[0]`.
    base: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.buf.len());
        let Some(bytes) = end.and_then(|end| self.buf.get(self.pos..end)) else {
            return Err(invalid(
                self.base + self.pos,
                what,
                InvalidReason::LengthPastEnd,
            ));
        };
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn i16(&mut self, what: &'static str) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }

    fn i32(&mut self, what: &'static str) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array(what)?))
    }

    fn len_i16(&mut self, what: &'static str, max: usize) -> Result<usize, DecodeError> {
        let at = self.pos;
        let len = i64::from(self.i16(what)?);
        self.check_len(at, len, what, max)
    }

    fn len_i32(&mut self, what: &'static str, max: usize) -> Result<usize, DecodeError> {
        let at = self.pos;
        let len = i64::from(self.i32(what)?);
        self.check_len(at, len, what, max)
    }

    /// A length must be non-negative, within its limit and within the bytes that remain.
    fn check_len(
        &self,
        at: usize,
        len: i64,
        what: &'static str,
        max: usize,
    ) -> Result<usize, DecodeError> {
        let at = self.base + at;
        let len = usize::try_from(len).map_err(|_| invalid(at, what, InvalidReason::Negative))?;
        if len > max {
            return Err(invalid(at, what, InvalidReason::TooLarge { len, max }));
        }
        if len > self.buf.len() - self.pos {
            return Err(invalid(at, what, InvalidReason::LengthPastEnd));
        }
        Ok(len)
    }

    /// A UTF-8 string of `len` bytes; zero length is null.
    fn string(&mut self, len: usize, what: &'static str) -> Result<Option<String>, DecodeError> {
        let at = self.base + self.pos;
        let bytes = self.take(len, what)?;
        if bytes.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|e| invalid(at + e.valid_up_to(), what, InvalidReason::Utf8))?;
        Ok(Some(text.to_owned()))
    }
}
