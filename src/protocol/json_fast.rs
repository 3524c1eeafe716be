//! The JSON header's hot path, by hand: writing exactly the bytes serde_json writes for
//! `json::HeaderOut`, and reading the compact shape every fastjson or serde writer produces.
//!
//! Why: a remoting call encodes and decodes two headers, and serde's generic machinery (visitor
//! per field, `Option` wrappers, an `IgnoredAny` per unknown key, `fmt` for every integer) was
//! the largest single cost of a simulated message. The hand-written paths do one pass and one
//! allocation per ext key and value.
//!
//! Reading is a strict subset: no whitespace, no surrogate escapes or raw control bytes in strings, integers
//! as plain digits, ext values as strings, top-level keys among the known ones, each at most
//! once, everything within the limits. Anything else returns `None` and `json::decode` parses
//! it with serde, which is the reference: whatever the fast path accepts, serde decodes to the
//! same command (a test holds the two to it). Writing is byte-identical to serde_json (keys in
//! declaration order, its escape table, `\u00xx` in lowercase hex).

use std::borrow::Cow;
use std::collections::BTreeMap;

use bytes::{BufMut, BytesMut};

use super::code::{LanguageCode, SerializeType};
use super::command::{Kind, RemotingCommand};
use super::frame::{EXT_FIELDS_MAX, EXT_KEY_BYTES_MAX, EXT_VALUE_BYTES_MAX};

/// Writes the header of `cmd` as serde_json would write `json::HeaderOut`.
pub(super) fn encode(cmd: &RemotingCommand, dst: &mut BytesMut) {
    let ext = cmd.ext_fields.as_map();
    let ext_bytes: usize = ext.iter().map(|(k, v)| k.len() + v.len() + 6).sum();
    dst.reserve(128 + ext_bytes + cmd.remark.as_ref().map_or(0, |r| r.len() + 12));
    dst.put_slice(b"{\"code\":");
    put_int(dst, cmd.kind.code_raw());
    if !ext.is_empty() {
        dst.put_slice(b",\"extFields\":{");
        for (i, (key, value)) in ext.iter().enumerate() {
            if i > 0 {
                dst.put_u8(b',');
            }
            put_str(dst, key);
            dst.put_u8(b':');
            put_str(dst, value);
        }
        dst.put_u8(b'}');
    }
    dst.put_slice(b",\"flag\":");
    put_int(dst, cmd.kind.flag());
    dst.put_slice(b",\"language\":");
    put_str(dst, cmd.language.name());
    dst.put_slice(b",\"opaque\":");
    put_int(dst, cmd.opaque);
    if let Some(remark) = &cmd.remark {
        dst.put_slice(b",\"remark\":");
        put_str(dst, remark);
    }
    dst.put_slice(b",\"serializeTypeCurrentRPC\":");
    put_str(dst, SerializeType::Json.name());
    dst.put_slice(b",\"version\":");
    put_int(dst, cmd.version);
    dst.put_u8(b'}');
}

fn put_int(dst: &mut BytesMut, value: i32) {
    let mut digits = [0u8; 11];
    let mut at = digits.len();
    let mut rest = i64::from(value).unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        dst.put_u8(b'-');
    }
    dst.put_slice(&digits[at..]);
}

/// serde_json's escaping: `"` and `\` by backslash, \b \t \n \f \r by name, other bytes below
/// 0x20 as `\u00xx`; everything else (DEL and non-ASCII included) as is.
fn put_str(dst: &mut BytesMut, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    dst.put_u8(b'"');
    let mut run = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let named = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            b'\t' => b't',
            b'\n' => b'n',
            0x0C => b'f',
            b'\r' => b'r',
            0x00..=0x1F => b'u',
            _ => continue,
        };
        dst.put_slice(&bytes[run..i]);
        run = i + 1;
        match named {
            b'u' => dst.put_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xF)],
            ]),
            _ => dst.put_slice(&[b'\\', named]),
        }
    }
    dst.put_slice(&bytes[run..]);
    dst.put_u8(b'"');
}

/// The top-level fields seen so far (each may appear once).
#[derive(Default)]
struct Seen {
    code: Option<i32>,
    flag: Option<i32>,
    opaque: Option<i32>,
    version: Option<i32>,
    language: Option<LanguageCode>,
    remark: Option<String>,
    ext: Option<BTreeMap<String, String>>,
}

/// Reads a header of the compact shape; `None` for anything serde must judge.
pub(super) fn decode(text: &str) -> Option<RemotingCommand> {
    let mut cur = Cursor { text, at: 0 };
    cur.eat(b'{')?;
    let mut seen = Seen::default();
    if !cur.eat_if(b'}') {
        loop {
            let key = cur.plain_str()?;
            cur.eat(b':')?;
            cur.field(&key, &mut seen)?;
            if cur.eat_if(b'}') {
                break;
            }
            cur.eat(b',')?;
        }
    }
    if cur.at != text.len() {
        return None;
    }
    Some(RemotingCommand {
        kind: Kind::from_wire(seen.code.unwrap_or(0), seen.flag.unwrap_or(0)),
        language: seen.language.unwrap_or(LanguageCode::Java),
        version: seen.version.unwrap_or(0),
        opaque: seen.opaque.unwrap_or(0),
        remark: seen.remark,
        ext_fields: seen.ext.unwrap_or_default().into(),
        body: bytes::Bytes::new(),
    })
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        self.eat_if(byte).then_some(())
    }

    fn eat_if(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        self.at += usize::from(hit);
        hit
    }

    /// One top-level value; `None` for a duplicate, an unknown key or an unusual value.
    fn field(&mut self, key: &str, seen: &mut Seen) -> Option<()> {
        fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
            match slot.replace(value) {
                None => Some(()),
                Some(_) => None,
            }
        }
        match key {
            "code" => once(&mut seen.code, self.int()?),
            "flag" => once(&mut seen.flag, self.int()?),
            "opaque" => once(&mut seen.opaque, self.int()?),
            "version" => once(&mut seen.version, self.int()?),
            "language" => once(
                &mut seen.language,
                LanguageCode::from_name(&self.plain_str()?),
            ),
            "remark" => once(&mut seen.remark, self.plain_str()?.into_owned()),
            "extFields" => once(&mut seen.ext, self.ext()?),
            // serde ignores it (any value); we only take the string it always is.
            "serializeTypeCurrentRPC" => self.plain_str().map(drop),
            _ => None,
        }
    }

    /// A string with no control bytes; escapes are resolved as serde_json does, except that
    /// surrogates (`\uD800`–`\uDFFF`) are left to serde.
    fn plain_str(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.at;
        let rest = self.text.as_bytes().get(start..)?;
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        match rest[len] {
            b'"' => {
                self.at = start + len + 1;
                self.text.get(start..start + len).map(Cow::Borrowed)
            }
            b'\\' => {
                self.at = start + len;
                let mut owned = self.text.get(start..start + len)?.to_owned();
                self.escaped_rest(&mut owned)?;
                Some(Cow::Owned(owned))
            }
            _ => None,
        }
    }

    /// The rest of a string from its first backslash on, appended to `out`.
    fn escaped_rest(&mut self, out: &mut String) -> Option<()> {
        loop {
            let rest = self.text.as_bytes().get(self.at..)?;
            let len = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            out.push_str(self.text.get(self.at..self.at + len)?);
            self.at += len + 1;
            match rest[len] {
                b'"' => return Some(()),
                b'\\' => out.push(self.escape()?),
                _ => return None,
            }
        }
    }

    /// The character of one escape, after its backslash.
    fn escape(&mut self) -> Option<char> {
        let named = self.peek()?;
        self.at += 1;
        Some(match named {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = self.text.get(self.at..self.at + 4)?;
                let code = u32::from_str_radix(hex, 16).ok()?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                self.at += 4;
                char::from_u32(code)?
            }
            _ => return None,
        })
    }

    /// An `i32` as plain digits: `-?(0|[1-9][0-9]*)`, no fraction or exponent, and not `-0`
    /// (serde_json reads that as a float).
    fn int(&mut self) -> Option<i32> {
        let negative = self.eat_if(b'-');
        let start = self.at;
        let digits = self.text.as_bytes().get(start..)?;
        let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if len == 0 || len > 10 || (digits[0] == b'0' && (len > 1 || negative)) {
            return None;
        }
        if matches!(digits.get(len), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.at = start + len;
        let magnitude = digits[..len]
            .iter()
            .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
        i32::try_from(if negative { -magnitude } else { magnitude }).ok()
    }

    /// `extFields`: an object of plain strings within the limits.
    fn ext(&mut self) -> Option<BTreeMap<String, String>> {
        self.eat(b'{')?;
        let mut map = BTreeMap::new();
        if self.eat_if(b'}') {
            return Some(map);
        }
        let mut count = 0usize;
        loop {
            let key = self.plain_str()?;
            self.eat(b':')?;
            let value = self.plain_str()?;
            count += 1;
            if count > EXT_FIELDS_MAX
                || key.len() > EXT_KEY_BYTES_MAX
                || value.len() > EXT_VALUE_BYTES_MAX
            {
                return None;
            }
            map.insert(key.into_owned(), value.into_owned());
            if self.eat_if(b'}') {
                return Some(map);
            }
            self.eat(b',')?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::json::{decode_serde, encode_serde};
    use crate::protocol::{ExtFields, RequestCode, ResponseCode};
    use proptest::prelude::*;

    fn both_encodings(cmd: &RemotingCommand) -> (BytesMut, BytesMut) {
        let (mut fast, mut reference) = (BytesMut::new(), BytesMut::new());
        encode(cmd, &mut fast);
        encode_serde(cmd, &mut reference).expect("serde encodes");
        (fast, reference)
    }

    /// Whatever the fast reader accepts, serde reads the same way.
    fn agrees(text: &str) -> bool {
        match decode(text) {
            None => true,
            Some(cmd) => decode_serde(text) == Ok(cmd),
        }
    }

    #[test]
    fn writes_what_serde_writes_for_every_escape() {
        let all: String = (0u8..0x80).map(char::from).chain("é€😀".chars()).collect();
        let mut cmd = RemotingCommand::response(ResponseCode::SYSTEM_ERROR, Some(all.clone()))
            .with_opaque(i32::MIN);
        cmd.ext_fields = ExtFields::from_iter([(all.clone(), all), ("b".into(), String::new())]);
        let (fast, reference) = both_encodings(&cmd);
        assert_eq!(fast, reference);
        assert_eq!(decode_serde(std::str::from_utf8(&fast).unwrap()), Ok(cmd));
    }

    #[test]
    fn reads_its_own_output_and_defers_the_unusual() {
        let cmd = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
            .with_opaque(-7)
            .with_ext_field("a", "1")
            .with_ext_field("b", "x y")
            .with_ext_field("properties", "UNIQ_KEY\u{1}0A\u{2}KEYS\u{1}k \"é\"\u{2}");
        let (fast, _) = both_encodings(&cmd);
        let text = std::str::from_utf8(&fast).unwrap();
        assert_eq!(decode(text), Some(cmd));
        for unusual in [
            r#"{ "code":1}"#,
            r#"{"code":1.0}"#,
            r#"{"code":-0}"#,
            r#"{"code":01}"#,
            r#"{"code":2147483648}"#,
            r#"{"code":1,"code":2}"#,
            r#"{"remark":null}"#,
            r#"{"remark":"\ud83d\ude00"}"#,
            r#"{"remark":"\x"}"#,
            r#"{"language":9}"#,
            r#"{"extFields":{"n":7}}"#,
            r#"{"extFields":null}"#,
            r#"{"other":1}"#,
            r#"{"code":1}x"#,
            r#"{"code":1,}"#,
        ] {
            assert_eq!(decode(unusual), None, "{unusual}");
            assert!(agrees(unusual), "{unusual}");
        }
    }

    fn token() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "{",
            "}",
            ":",
            ",",
            " ",
            "\"",
            "\\",
            "-",
            "0",
            "7",
            "12",
            "2147483647",
            "2147483648",
            "1.5",
            "1e3",
            "null",
            "true",
            "\"code\"",
            "\"flag\"",
            "\"opaque\"",
            "\"version\"",
            "\"language\"",
            "\"GO\"",
            "\"remark\"",
            "\"extFields\"",
            "\"k\"",
            "\"v\"",
            "\"\\n\"",
            "\"\\u0001\"",
            "\"\\ud800\"",
            "\"\\u00E9\\\"\"",
            "\"\\/\"",
            "\"\\q\"",
            "\"\\u+12a\"",
            "\"serializeTypeCurrentRPC\"",
            "\"JSON\"",
            "\"é\"",
            "\u{1}",
        ])
    }

    proptest! {
        #[test]
        fn fast_reader_never_disagrees_with_serde(tokens in prop::collection::vec(token(), 0..24)) {
            let text: String = tokens.concat();
            prop_assert!(agrees(&text), "{}", text);
            let framed = format!("{{{}}}", tokens.concat());
            prop_assert!(agrees(&framed), "{}", framed);
        }

        #[test]
        fn fast_writer_matches_serde(
            code in any::<i32>(),
            opaque in any::<i32>(),
            version in any::<i32>(),
            response in any::<bool>(),
            remark in proptest::option::of(".{0,12}"),
            ext in prop::collection::btree_map(".{0,6}", ".{0,12}", 0..5),
        ) {
            let mut cmd = RemotingCommand::request(RequestCode(code)).with_opaque(opaque);
            if response {
                cmd = RemotingCommand::response(ResponseCode(code), remark.clone()).with_opaque(opaque);
            }
            cmd.version = version;
            cmd.remark = remark;
            cmd.ext_fields = ext.into();
            let (fast, reference) = both_encodings(&cmd);
            prop_assert_eq!(&fast, &reference);
            let text = std::str::from_utf8(&fast).unwrap();
            prop_assert_eq!(decode_serde(text), Ok(cmd.clone()));
            prop_assert!(agrees(text));
        }
    }
}
