//! Message properties: the `key 0x01 value 0x02` string of reference §3.4.
//!
//! [`Properties`] owns an ordered list of key/value pairs. Order is **insertion order** (the
//! order in which pairs were inserted or decoded), so encoding is deterministic and a decoded
//! string without duplicate keys re-encodes to the same bytes. Java keeps a `HashMap`, so no
//! peer depends on any particular order.
//!
//! Invariants held by every `Properties` value: keys and values are non-empty (Java's
//! `putUserProperty` rejects blank ones, and the decoder drops them anyway), and neither
//! contains a separator byte (0x01, 0x02), so every value encodes unambiguously; keys are
//! unique. The encoded-size limit (32767 bytes, an `int16` on the wire) is checked at
//! encoding, the only place where it matters.
//!
//! Decoding is lenient exactly as the reference says: fragments between 0x02 separators that
//! are shorter than 3 bytes or have no 0x01 (or an empty key or value) are skipped; the key
//! ends at the first 0x01 and the value is the rest of the fragment; a repeated key keeps the
//! last value (as `HashMap::put` does). Invalid UTF-8 is replaced (U+FFFD), as Java's
//! `new String(bytes, UTF_8)` does.

use std::collections::BTreeMap;

use bytes::{BufMut, BytesMut};
use thiserror::Error;

/// Separates a key from its value.
pub const NAME_VALUE_SEPARATOR: u8 = 0x01;
/// Terminates every pair, the last one included.
pub const PROPERTY_SEPARATOR: u8 = 0x02;
/// The encoded string is preceded by an `int16` length: at most 32767 bytes.
pub const PROPERTIES_BYTES_MAX: usize = i16::MAX as usize;
/// Pairs beyond which decoding indexes keys instead of scanning for duplicates.
const DECODE_LINEAR_MAX: usize = 32;
/// Separates the keys inside the `KEYS` property.
pub const KEY_SEPARATOR: char = ' ';

/// Well-known property keys (`MessageConst.java`).
pub mod key {
    pub const TAGS: &str = "TAGS";
    pub const KEYS: &str = "KEYS";
    pub const UNIQ_KEY: &str = "UNIQ_KEY";
    pub const WAIT: &str = "WAIT";
    pub const DELAY: &str = "DELAY";
    pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
    pub const REAL_TOPIC: &str = "REAL_TOPIC";
    pub const REAL_QID: &str = "REAL_QID";
    pub const TRAN_MSG: &str = "TRAN_MSG";
    pub const PGROUP: &str = "PGROUP";
    pub const MIN_OFFSET: &str = "MIN_OFFSET";
    pub const MAX_OFFSET: &str = "MAX_OFFSET";
    pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
    pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
    pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
    pub const CONSUME_START_TIME: &str = "CONSUME_START_TIME";
    pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
    pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
    pub const TRAN_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
    pub const TRANSACTION_ID: &str = "__transactionId__";
    pub const CLUSTER: &str = "CLUSTER";
    pub const MSG_REGION: &str = "MSG_REGION";
    pub const TRACE_ON: &str = "TRACE_ON";
    pub const INSTANCE_ID: &str = "INSTANCE_ID";
    pub const CORRELATION_ID: &str = "CORRELATION_ID";
    pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
    pub const TTL: &str = "TTL";
    pub const SHARDING_KEY: &str = "__SHARDINGKEY";
    pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
    pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
    pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
    pub const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
    pub const DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
    pub const DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";
}

/// Why a pair cannot be stored or the whole cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PropertiesError {
    #[error("property key is empty")]
    EmptyKey,
    #[error("property value is empty")]
    EmptyValue,
    #[error("property key or value contains a separator byte (0x01 or 0x02)")]
    Separator,
    #[error("an entry of KEYS is empty or contains a space")]
    BadKeysEntry,
    #[error("encoded properties take {len} bytes, more than {max}")]
    PropertiesTooLarge { len: usize, max: usize },
}

/// An ordered set of message properties; see the module doc for order and invariants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties {
    entries: Vec<(String, String)>,
}

impl Properties {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds from pairs in order, checking each as [`Properties::insert`] does.
    pub fn from_pairs<K, V>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, PropertiesError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let mut props = Self::new();
        for (k, v) in pairs {
            props.insert(k, v)?;
        }
        Ok(props)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.position(key).map(|i| self.entries[i].1.as_str())
    }

    /// Sets `key` to `value`: replaced in place if present (order kept), appended otherwise.
    pub fn insert(
        &mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), PropertiesError> {
        let (key, value) = (key.into(), value.into());
        check_pair(&key, &value)?;
        match self.position(&key) {
            Some(i) => self.entries[i].1 = value,
            None => self.entries.push((key, value)),
        }
        Ok(())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        let i = self.position(key)?;
        Some(self.entries.remove(i).1)
    }

    /// The pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The `TAGS` property.
    pub fn tags(&self) -> Option<&str> {
        self.get(key::TAGS)
    }

    /// The `UNIQ_KEY` property (the client-side message id).
    pub fn uniq_key(&self) -> Option<&str> {
        self.get(key::UNIQ_KEY)
    }

    /// The keys of the `KEYS` property, split on single spaces; empty pieces (from doubled
    /// spaces) are skipped, as the broker's index does.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.get(key::KEYS)
            .unwrap_or("")
            .split(KEY_SEPARATOR)
            .filter(|k| !k.is_empty())
    }

    /// Sets `KEYS` to `keys` joined by single spaces. No key may contain a space, or it would
    /// be split on reading.
    pub fn set_keys<'a>(
        &mut self,
        keys: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), PropertiesError> {
        let mut joined = String::new();
        for k in keys {
            if k.is_empty() || k.contains(KEY_SEPARATOR) {
                return Err(PropertiesError::BadKeysEntry);
            }
            if !joined.is_empty() {
                joined.push(KEY_SEPARATOR);
            }
            joined.push_str(k);
        }
        self.insert(key::KEYS, joined)
    }

    /// `WAIT`: whether the producer waits for the store to report success; absent means true.
    pub fn wait_store_msg_ok(&self) -> bool {
        self.get(key::WAIT).is_none_or(|v| v != "false")
    }

    /// The number of bytes [`Properties::encode_into`] writes.
    pub fn encoded_len(&self) -> usize {
        self.entries
            .iter()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum()
    }

    /// Appends the encoded string (no length prefix) to `dst`.
    pub fn encode_into(&self, dst: &mut BytesMut) -> Result<(), PropertiesError> {
        let len = self.checked_len()?;
        dst.reserve(len);
        for (k, v) in &self.entries {
            dst.put_slice(k.as_bytes());
            dst.put_u8(NAME_VALUE_SEPARATOR);
            dst.put_slice(v.as_bytes());
            dst.put_u8(PROPERTY_SEPARATOR);
        }
        Ok(())
    }

    /// The encoded string as a fresh buffer.
    pub fn encode(&self) -> Result<BytesMut, PropertiesError> {
        let mut dst = BytesMut::with_capacity(self.encoded_len());
        self.encode_into(&mut dst)?;
        Ok(dst)
    }

    /// The encoded length, or `PropertiesTooLarge` if it does not fit the `int16` prefix.
    pub fn checked_len(&self) -> Result<usize, PropertiesError> {
        let len = self.encoded_len();
        if len > PROPERTIES_BYTES_MAX {
            return Err(PropertiesError::PropertiesTooLarge {
                len,
                max: PROPERTIES_BYTES_MAX,
            });
        }
        Ok(len)
    }

    /// Decodes leniently (see the module doc); never fails. Memory is bounded by `src`.
    pub fn decode(src: &[u8]) -> Self {
        let pairs = src.iter().filter(|&&b| b == PROPERTY_SEPARATOR).count() + 1;
        let mut props = Self {
            entries: Vec::with_capacity(pairs.min(DECODE_LINEAR_MAX)),
        };
        let mut index = None;
        for fragment in src.split(|&b| b == PROPERTY_SEPARATOR) {
            if let Some((k, v)) = split_fragment(fragment) {
                props.put_decoded(lossy(k), lossy(v), &mut index);
            }
        }
        props
    }

    /// Stores a decoded pair, the last value of a repeated key winning. Duplicates are found
    /// by a linear scan while there are few pairs (the usual case, and the fastest), and by an
    /// index past [`DECODE_LINEAR_MAX`], so that a hostile string of thousands of pairs costs
    /// O(n log n), not O(n²).
    fn put_decoded(
        &mut self,
        key: String,
        value: String,
        index: &mut Option<BTreeMap<String, usize>>,
    ) {
        let found = match index {
            Some(map) => map.get(&key).copied(),
            None => self.position(&key),
        };
        if let Some(i) = found {
            self.entries[i].1 = value;
            return;
        }
        if let Some(map) = index {
            map.insert(key.clone(), self.entries.len());
        }
        self.entries.push((key, value));
        if index.is_none() && self.entries.len() > DECODE_LINEAR_MAX {
            let map = self.entries.iter().enumerate();
            *index = Some(map.map(|(i, (k, _))| (k.clone(), i)).collect());
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }
}

/// The key and value of one fragment, or `None` if the fragment is to be skipped.
fn split_fragment(fragment: &[u8]) -> Option<(&[u8], &[u8])> {
    if fragment.len() < 3 {
        return None;
    }
    let sep = fragment.iter().position(|&b| b == NAME_VALUE_SEPARATOR)?;
    let (k, v) = (&fragment[..sep], &fragment[sep + 1..]);
    if k.is_empty() || v.is_empty() {
        return None;
    }
    Some((k, v))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn check_pair(key: &str, value: &str) -> Result<(), PropertiesError> {
    if key.is_empty() {
        return Err(PropertiesError::EmptyKey);
    }
    if value.is_empty() {
        return Err(PropertiesError::EmptyValue);
    }
    let has_separator = |s: &str| {
        s.bytes()
            .any(|b| b == NAME_VALUE_SEPARATOR || b == PROPERTY_SEPARATOR)
    };
    if has_separator(key) || has_separator(value) {
        return Err(PropertiesError::Separator);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_skips_short_and_separatorless_fragments() {
        let src = b"A\x01\x02ab\x02TAGS\x01x\x02\x01vv\x02kk\x01\x02noval\x02K\x01v\x01w";
        let props = Properties::decode(src);
        let pairs: Vec<_> = props.iter().collect();
        // The last fragment has no terminating 0x02 and is still read, like Java does; its
        // value runs to the end and keeps the second 0x01.
        assert_eq!(pairs, vec![("TAGS", "x"), ("K", "v\x01w")]);
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_at_the_first_position() {
        let props = Properties::decode(b"a\x011\x02b\x012\x02a\x013\x02");
        assert_eq!(
            props.iter().collect::<Vec<_>>(),
            vec![("a", "3"), ("b", "2")]
        );
    }

    #[test]
    fn many_pairs_switch_to_the_index_and_keep_last_wins() {
        let mut src = Vec::new();
        for round in 0..2 {
            for i in 0..100 {
                src.extend_from_slice(format!("k{i}\x01v{round}\x02").as_bytes());
            }
        }
        let props = Properties::decode(&src);
        assert_eq!(props.len(), 100);
        assert_eq!(props.iter().nth(99), Some(("k99", "v1")));
        assert!(props.iter().all(|(_, v)| v == "v1"));
    }

    #[test]
    fn insert_rejects_what_cannot_be_encoded() {
        let mut p = Properties::new();
        assert_eq!(p.insert("", "v"), Err(PropertiesError::EmptyKey));
        assert_eq!(p.insert("k", ""), Err(PropertiesError::EmptyValue));
        assert_eq!(p.insert("k\x01", "v"), Err(PropertiesError::Separator));
        assert_eq!(p.insert("k", "v\x02"), Err(PropertiesError::Separator));
        assert!(p.is_empty());
    }

    #[test]
    fn too_large_is_a_typed_error() {
        let mut p = Properties::new();
        p.insert("k", "v".repeat(PROPERTIES_BYTES_MAX - 3)).unwrap();
        assert_eq!(p.encoded_len(), PROPERTIES_BYTES_MAX);
        assert!(p.encode().is_ok());
        p.insert("k", "v".repeat(PROPERTIES_BYTES_MAX - 2)).unwrap();
        assert_eq!(
            p.encode(),
            Err(PropertiesError::PropertiesTooLarge {
                len: PROPERTIES_BYTES_MAX + 1,
                max: PROPERTIES_BYTES_MAX
            })
        );
    }

    #[test]
    fn keys_split_on_single_spaces() {
        let mut p = Properties::new();
        p.insert(key::KEYS, "k1  k2 k3").unwrap();
        assert_eq!(p.keys().collect::<Vec<_>>(), vec!["k1", "k2", "k3"]);
        p.set_keys(["a", "b"]).unwrap();
        assert_eq!(p.get(key::KEYS), Some("a b"));
        assert!(p.set_keys(["a b"]).is_err());
    }

    #[test]
    fn wait_defaults_to_true() {
        let mut p = Properties::new();
        assert!(p.wait_store_msg_ok());
        p.insert(key::WAIT, "false").unwrap();
        assert!(!p.wait_store_msg_ok());
    }
}
