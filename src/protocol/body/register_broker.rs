//! `RegisterBrokerBody`, the body of REGISTER_BROKER (§2.4), in both of its forms.
//!
//! * Plain: JSON `{"filterServerList":[…],"topicConfigSerializeWrapper":{…}}`.
//! * Compressed (`compressed=true` in the header): a zlib stream (Java's `Deflater`, best
//!   compression) of big-endian length-prefixed parts:
//!   `i32 len, DataVersion JSON; i32 topicCount; topicCount × (i32 len, TopicConfig text);
//!   i32 len, filterServerList JSON`. The topic configs are Java's space-separated
//!   `TopicConfig.encode()` text, not JSON (see `topic_config`). 5.x brokers append a
//!   static-topic mapping section, which we do not use and skip.
//!
//! Limits: the body, the inflated stream and the topic count are bounded ([`BodyLimits`]);
//! inflation stops one byte past the limit, so a zip bomb costs at most that much memory.

use std::io::Read;

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};

use super::{
    fastjson, BodyError, BodyLimits, DataVersion, TopicConfig, TopicConfigSerializeWrapper,
};

/// Most filter servers one broker may list.
pub const FILTER_SERVERS_MAX: usize = 64;

/// What a broker registers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterBrokerBody {
    pub filter_server_list: Vec<String>,
    pub topic_config_serialize_wrapper: TopicConfigSerializeWrapper,
}

/// The JSON form as read: the wrapper is required, the list optional.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonIn {
    #[serde(default)]
    filter_server_list: Option<Vec<String>>,
    topic_config_serialize_wrapper: Option<TopicConfigSerializeWrapper>,
}

impl RegisterBrokerBody {
    /// The plain JSON form.
    pub fn encode_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a register body serializes")
    }

    /// The compressed form.
    pub fn encode_compressed(&self) -> Vec<u8> {
        let mut raw = Vec::new();
        let wrapper = &self.topic_config_serialize_wrapper;
        put_part(&mut raw, wrapper.data_version.to_json().as_bytes());
        let count = i32::try_from(wrapper.topic_config_table.len()).unwrap_or(i32::MAX);
        raw.extend_from_slice(&count.to_be_bytes());
        for config in wrapper.topic_config_table.values() {
            put_part(&mut raw, config.encode_text().as_bytes());
        }
        let filters = serde_json::to_vec(&self.filter_server_list).expect("strings serialize");
        put_part(&mut raw, &filters);
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        std::io::Write::write_all(&mut encoder, &raw).expect("compressing into memory");
        encoder.finish().expect("compressing into memory")
    }

    /// Decodes either form, checking every limit and every topic config.
    pub fn decode(bytes: &[u8], compressed: bool, limits: &BodyLimits) -> Result<Self, BodyError> {
        if bytes.len() > limits.body_bytes_max {
            return Err(BodyError::TooLarge {
                what: "register body",
                len: bytes.len(),
                max: limits.body_bytes_max,
            });
        }
        let mut body = match compressed {
            true => decode_compressed(bytes, limits)?,
            false => decode_json(bytes)?,
        };
        body.topic_config_serialize_wrapper
            .normalize(limits.topics_max)?;
        if body.filter_server_list.len() > FILTER_SERVERS_MAX {
            return Err(BodyError::Invalid {
                what: "filterServerList",
                value: format!(
                    "{} entries (limit {FILTER_SERVERS_MAX})",
                    body.filter_server_list.len()
                ),
            });
        }
        Ok(body)
    }
}

fn put_part(raw: &mut Vec<u8>, part: &[u8]) {
    let len = i32::try_from(part.len()).expect("a register body part fits an i32 length");
    raw.extend_from_slice(&len.to_be_bytes());
    raw.extend_from_slice(part);
}

fn decode_json(bytes: &[u8]) -> Result<RegisterBrokerBody, BodyError> {
    let parsed: JsonIn = fastjson::parse(bytes, "register body")?;
    let wrapper = parsed
        .topic_config_serialize_wrapper
        .ok_or(BodyError::Missing {
            what: "topicConfigSerializeWrapper",
        })?;
    Ok(RegisterBrokerBody {
        filter_server_list: parsed.filter_server_list.unwrap_or_default(),
        topic_config_serialize_wrapper: wrapper,
    })
}

fn inflate(bytes: &[u8], max: usize) -> Result<Vec<u8>, BodyError> {
    let mut raw = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    ZlibDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut raw)
        .map_err(|e| BodyError::Inflate {
            detail: e.to_string(),
        })?;
    if raw.len() > max {
        return Err(BodyError::TooLarge {
            what: "inflated register body",
            len: raw.len(),
            max,
        });
    }
    Ok(raw)
}

fn decode_compressed(bytes: &[u8], limits: &BodyLimits) -> Result<RegisterBrokerBody, BodyError> {
    let raw = inflate(bytes, limits.inflated_bytes_max)?;
    let mut parts = Parts { raw: &raw };
    let data_version: DataVersion = fastjson::parse(parts.part("dataVersion")?, "dataVersion")?;
    let count = parts.int("topic count")?;
    let count = usize::try_from(count).map_err(|_| BodyError::BadLength {
        what: "topic count",
        len: i64::from(count),
    })?;
    if count > limits.topics_max {
        return Err(BodyError::TooManyTopics {
            count,
            max: limits.topics_max,
        });
    }
    let mut wrapper = TopicConfigSerializeWrapper {
        data_version,
        ..Default::default()
    };
    for _ in 0..count {
        let text =
            std::str::from_utf8(parts.part("topic config")?).map_err(|_| BodyError::Utf8 {
                what: "topic config",
            })?;
        let config = TopicConfig::decode_text(text)?;
        wrapper
            .topic_config_table
            .insert(config.topic_name.clone(), config);
    }
    let filters = fastjson::parse(parts.part("filterServerList")?, "filterServerList")?;
    // Whatever follows is 5.x's static-topic mapping section.
    Ok(RegisterBrokerBody {
        filter_server_list: filters,
        topic_config_serialize_wrapper: wrapper,
    })
}

/// A cursor over the inflated stream.
struct Parts<'a> {
    raw: &'a [u8],
}

impl<'a> Parts<'a> {
    fn int(&mut self, what: &'static str) -> Result<i32, BodyError> {
        let (word, rest) = self
            .raw
            .split_first_chunk::<4>()
            .ok_or(BodyError::Truncated { what })?;
        self.raw = rest;
        Ok(i32::from_be_bytes(*word))
    }

    fn part(&mut self, what: &'static str) -> Result<&'a [u8], BodyError> {
        let len = self.int(what)?;
        let bad = BodyError::BadLength {
            what,
            len: i64::from(len),
        };
        let len = usize::try_from(len).map_err(|_| bad.clone())?;
        if len > self.raw.len() {
            return Err(bad);
        }
        let (part, rest) = self.raw.split_at(len);
        self.raw = rest;
        Ok(part)
    }
}
