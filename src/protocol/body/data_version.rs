//! `DataVersion`: a broker's version of its topic table. The broker bumps it on every change;
//! the name server compares the whole value to decide whether a registration carries news
//! (§2.4) and answers QUERY_DATA_VERSION with the one it holds.

use serde::{Deserialize, Serialize};

/// 4.9: `{"counter":N,"timestamp":ms}`; 5.x adds `stateVersion`. Equal iff every field is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataVersion {
    #[serde(default)]
    pub counter: i64,
    /// 5.x only; omitted when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_version: Option<i64>,
    #[serde(default)]
    pub timestamp: i64,
}

impl DataVersion {
    /// A first version stamped `now_ms` (Java's `new DataVersion()`).
    pub fn new(now_ms: u64) -> Self {
        DataVersion {
            counter: 0,
            state_version: None,
            timestamp: i64::try_from(now_ms).unwrap_or(i64::MAX),
        }
    }

    /// The version after one more change at `now_ms` (Java's `nextVersion()`).
    pub fn next(self, now_ms: u64) -> Self {
        DataVersion {
            counter: self.counter.wrapping_add(1),
            timestamp: i64::try_from(now_ms).unwrap_or(i64::MAX),
            ..self
        }
    }

    /// JSON as a broker sends it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a data version serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shapes() {
        let v = DataVersion::new(1_700_000_000_000).next(1_700_000_000_005);
        assert_eq!(v.to_json(), r#"{"counter":1,"timestamp":1700000000005}"#);
        let five: DataVersion =
            serde_json::from_str(r#"{"counter":2,"stateVersion":7,"timestamp":3}"#).unwrap();
        assert_eq!(five.state_version, Some(7));
        assert_eq!(
            five.to_json(),
            r#"{"counter":2,"stateVersion":7,"timestamp":3}"#
        );
        assert_ne!(
            five,
            DataVersion {
                state_version: None,
                ..five
            }
        );
    }
}
