//! `KVTable`: a flat string map, `{"table":{k:v}}`. The name server answers a registration
//! with the ORDER_TOPIC_CONFIG namespace in this form.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{fastjson, BodyError};

/// `{"table":{…}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvTable {
    #[serde(default)]
    pub table: BTreeMap<String, String>,
}

impl KvTable {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a string map serializes")
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        fastjson::parse(bytes, "KV table")
    }
}
