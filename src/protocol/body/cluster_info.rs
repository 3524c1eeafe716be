//! `ClusterInfo` (§2.5), the answer to GET_BROKER_CLUSTER_INFO: every broker group and which
//! cluster holds which groups. Its `BrokerData`s carry the integer-keyed address maps, so it is
//! written in the same two dialects as route data, chosen the same way.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::fastjson::{self, push_json};
use super::{BodyError, BrokerData, JsonStyle};

/// `{"brokerAddrTable":{name:BrokerData},"clusterAddrTable":{cluster:[name]}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    #[serde(default)]
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    #[serde(default)]
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

impl ClusterInfo {
    /// The JSON text in `style`.
    pub fn to_json(&self, style: JsonStyle) -> String {
        let mut out = String::from("{\"brokerAddrTable\":{");
        for (index, (name, broker)) in self.broker_addr_table.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            push_json(&mut out, name);
            out.push(':');
            broker.write(&mut out, style);
        }
        out.push_str("},\"clusterAddrTable\":");
        push_json(&mut out, &self.cluster_addr_table);
        out.push('}');
        out
    }

    /// Reads either dialect.
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        fastjson::parse(bytes, "cluster info")
    }
}
