//! The JSON header (§1.3): what fastjson writes, and what any client may send.
//!
//! Writing matches fastjson's shape byte for byte: keys in alphabetical order, `language` and
//! `serializeTypeCurrentRPC` as enum names, `remark` omitted when `None`. `extFields` is omitted
//! when empty — Java's commands without a custom header have a null map, which fastjson omits,
//! and Java reads a missing map as empty — and its keys are in byte order.
//!
//! Reading is lenient (§11): any of the fields may be missing (Java's defaults: code, flag,
//! opaque and version 0, language JAVA), unknown keys are ignored, ext values that are JSON
//! numbers or booleans become their text, null ext values are absent (fastjson omits them),
//! and `language` may be a name or an ordinal. Limits are enforced while parsing, so an
//! oversized ext map is skipped rather than built.

use std::collections::BTreeMap;
use std::fmt;

use bytes::BytesMut;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::code::LanguageCode;
use super::command::{ExtFields, Kind, RemotingCommand};
use super::error::InvalidReason;
use super::frame::{
    invalid, EXT_FIELDS_MAX, EXT_KEY_BYTES_MAX, EXT_VALUE_BYTES_MAX, HEADER_OFFSET,
};
use super::{DecodeError, EncodeError};

/// Field order is the wire order (serde_json writes fields as declared). `json_fast::encode`
/// writes the same bytes by hand; this is the reference its tests compare against.
#[cfg(test)]
#[derive(serde::Serialize)]
struct HeaderOut<'a> {
    code: i32,
    #[serde(rename = "extFields", skip_serializing_if = "BTreeMap::is_empty")]
    ext_fields: &'a BTreeMap<String, String>,
    flag: i32,
    language: &'static str,
    opaque: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    remark: Option<&'a str>,
    #[serde(rename = "serializeTypeCurrentRPC")]
    serialize_type_current_rpc: &'static str,
    version: i32,
}

pub(super) fn encode(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), EncodeError> {
    super::json_fast::encode(cmd, dst);
    Ok(())
}

/// What `encode` writes, through serde: the reference for `json_fast::encode`.
#[cfg(test)]
pub(super) fn encode_serde(cmd: &RemotingCommand, dst: &mut BytesMut) -> Result<(), EncodeError> {
    let out = HeaderOut {
        code: cmd.kind.code_raw(),
        ext_fields: cmd.ext_fields.as_map(),
        flag: cmd.kind.flag(),
        language: cmd.language.name(),
        opaque: cmd.opaque,
        remark: cmd.remark.as_deref(),
        serialize_type_current_rpc: super::code::SerializeType::Json.name(),
        version: cmd.version,
    };
    // Only I/O errors or non-string map keys can fail serde_json; neither exists here.
    serde_json::to_writer(bytes::BufMut::writer(dst), &out)
        .expect("a header serializes into memory");
    Ok(())
}

#[derive(Deserialize)]
struct HeaderIn {
    #[serde(default)]
    code: Option<i32>,
    #[serde(default, rename = "extFields")]
    ext_fields: Option<ExtIn>,
    #[serde(default)]
    flag: Option<i32>,
    #[serde(default)]
    language: Option<LanguageIn>,
    #[serde(default)]
    opaque: Option<i32>,
    #[serde(default)]
    remark: Option<String>,
    #[serde(default)]
    version: Option<i32>,
}

pub(super) fn decode(header: &[u8]) -> Result<RemotingCommand, DecodeError> {
    let text = std::str::from_utf8(header).map_err(|e| {
        invalid(
            HEADER_OFFSET + e.valid_up_to(),
            "header",
            InvalidReason::Utf8,
        )
    })?;
    // serde would also accept a JSON array for a struct; a header is always an object.
    if let Some(cmd) = super::json_fast::decode(text) {
        return Ok(cmd);
    }
    decode_serde(text)
}

/// The lenient reader, for everything `json_fast::decode` leaves to it.
pub(super) fn decode_serde(text: &str) -> Result<RemotingCommand, DecodeError> {
    if !text.trim_start().starts_with('{') {
        return Err(bad_json("expected a JSON object".to_owned()));
    }
    let parsed: HeaderIn = serde_json::from_str(text).map_err(|e| bad_json(e.to_string()))?;
    let ext = parsed.ext_fields.unwrap_or_default();
    if let Some((what, why)) = ext.over {
        return Err(invalid(HEADER_OFFSET, what, why));
    }
    Ok(RemotingCommand {
        kind: Kind::from_wire(parsed.code.unwrap_or(0), parsed.flag.unwrap_or(0)),
        language: parsed.language.map_or(LanguageCode::Java, |l| l.0),
        version: parsed.version.unwrap_or(0),
        opaque: parsed.opaque.unwrap_or(0),
        remark: parsed.remark,
        ext_fields: ExtFields::from(ext.map),
        body: bytes::Bytes::new(),
    })
}

fn bad_json(message: String) -> DecodeError {
    invalid(HEADER_OFFSET, "header", InvalidReason::Json(message))
}

/// `language`: a name (`"JAVA"`) or, from some clients, the ordinal.
struct LanguageIn(LanguageCode);

impl<'de> Deserialize<'de> for LanguageIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LanguageIn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a language name or ordinal")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LanguageIn, E> {
                Ok(LanguageIn(LanguageCode::from_name(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LanguageIn, E> {
                Ok(LanguageIn(
                    u8::try_from(v).map_or(LanguageCode::Other, LanguageCode::from_byte),
                ))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<LanguageIn, E> {
                Ok(LanguageIn(LanguageCode::Other))
            }
        }
        d.deserialize_any(V)
    }
}

/// `extFields` with values coerced to strings. Entries past a limit are skipped, not stored,
/// and the first violation is kept in `over` to become a typed error.
#[derive(Default)]
struct ExtIn {
    map: BTreeMap<String, String>,
    over: Option<(&'static str, InvalidReason)>,
}

impl<'de> Deserialize<'de> for ExtIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ExtVisitor)
    }
}

struct ExtVisitor;

impl<'de> Visitor<'de> for ExtVisitor {
    type Value = ExtIn;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of ext fields")
    }

    fn visit_unit<E: de::Error>(self) -> Result<ExtIn, E> {
        Ok(ExtIn::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<ExtIn, A::Error> {
        let mut ext = ExtIn::default();
        let mut count = 0usize;
        while let Some(key) = access.next_key::<String>()? {
            count += 1;
            let over = ext_over_limit(count, &key);
            if over.is_some() || ext.over.is_some() {
                ext.over = ext.over.or(over);
                access.next_value::<IgnoredAny>()?;
                continue;
            }
            let Some(value) = access.next_value::<ExtValue>()?.0 else {
                continue;
            };
            if value.len() > EXT_VALUE_BYTES_MAX {
                let why = InvalidReason::TooLarge {
                    len: value.len(),
                    max: EXT_VALUE_BYTES_MAX,
                };
                ext.over = Some(("ext field value", why));
                continue;
            }
            ext.map.insert(key, value);
        }
        Ok(ext)
    }
}

fn ext_over_limit(count: usize, key: &str) -> Option<(&'static str, InvalidReason)> {
    if count > EXT_FIELDS_MAX {
        return Some((
            "ext field count",
            InvalidReason::TooLarge {
                len: count,
                max: EXT_FIELDS_MAX,
            },
        ));
    }
    if key.len() > EXT_KEY_BYTES_MAX {
        return Some((
            "ext field key",
            InvalidReason::TooLarge {
                len: key.len(),
                max: EXT_KEY_BYTES_MAX,
            },
        ));
    }
    None
}

/// One ext value: a string as is, a number or boolean as its text, null as absent.
struct ExtValue(Option<String>);

impl<'de> Deserialize<'de> for ExtValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ExtValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v)))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ExtValue, E> {
                Ok(ExtValue(Some(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ExtValue, E> {
                Ok(ExtValue(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{RequestCode, ResponseCode};

    fn parse(text: &str) -> RemotingCommand {
        decode(text.as_bytes()).expect("lenient header parses")
    }

    #[test]
    fn everything_missing_is_java_defaults() {
        let cmd = parse("{}");
        assert_eq!(cmd.kind, Kind::from_wire(0, 0));
        assert_eq!(cmd.language, LanguageCode::Java);
        assert_eq!((cmd.version, cmd.opaque, cmd.remark), (0, 0, None));
        assert!(cmd.ext_fields.is_empty());
    }

    #[test]
    fn nulls_are_absent() {
        let cmd = parse(
            r#"{"code":1,"flag":1,"remark":null,"extFields":null,"language":null,"version":null}"#,
        );
        assert_eq!(cmd.response_code(), Some(ResponseCode::SYSTEM_ERROR));
        assert_eq!((cmd.language, cmd.remark), (LanguageCode::Java, None));
    }

    #[test]
    fn language_by_name_or_ordinal() {
        assert_eq!(parse(r#"{"language":"GO"}"#).language, LanguageCode::Go);
        assert_eq!(parse(r#"{"language":9}"#).language, LanguageCode::Go);
        assert_eq!(
            parse(r#"{"language":"KLINGON"}"#).language,
            LanguageCode::Other
        );
        assert_eq!(parse(r#"{"language":-1}"#).language, LanguageCode::Other);
        assert_eq!(parse(r#"{"language":300}"#).language, LanguageCode::Other);
    }

    #[test]
    fn ext_values_are_coerced_to_text() {
        let cmd = parse(
            r#"{"code":14,"serializeTypeCurrentRPC":"ROCKETMQ","extFields":{"n":7,"neg":-7,"big":18446744073709551615,"f":1.5,"t":true,"s":"x"}}"#,
        );
        assert_eq!(cmd.request_code(), Some(RequestCode::QUERY_CONSUMER_OFFSET));
        let ext: Vec<(&str, &str)> = cmd.ext_fields.iter().collect();
        let expected = [
            ("big", "18446744073709551615"),
            ("f", "1.5"),
            ("n", "7"),
            ("neg", "-7"),
            ("s", "x"),
            ("t", "true"),
        ];
        assert_eq!(ext, expected);
    }

    #[test]
    fn empty_ext_fields_are_omitted_and_remark_written_when_present() {
        let cmd = RemotingCommand::response(ResponseCode::SYSTEM_BUSY, Some("busy \"now\"".into()));
        let mut out = BytesMut::new();
        encode(&cmd, &mut out).expect("encodes");
        assert_eq!(
            &out[..],
            br#"{"code":2,"flag":1,"language":"JAVA","opaque":0,"remark":"busy \"now\"","serializeTypeCurrentRPC":"JSON","version":409}"#
        );
    }
}
