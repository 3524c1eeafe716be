//! 5.x controller bodies (§5.8): `SyncStateSet` (ALTER_SYNC_STATE_SET request and response,
//! REGISTER_BROKER and GET_REPLICA_INFO responses, NOTIFY_BROKER_ROLE_CHANGED),
//! `ElectMasterResponseBody` with its `BrokerMemberGroup`, `BrokerReplicasInfo`
//! (GET_SYNC_STATE_DATA response) and the broker-name list GET_SYNC_STATE_DATA asks with.
//!
//! Fields are declared in fastjson's (alphabetical) order; `brokerAddrs` is a `Map<Long,
//! String>` that fastjson may write with unquoted keys, so reading goes through
//! [`fastjson::parse`](super::fastjson::parse). Decoders are bounded by the frame size; the
//! controller bounds the set sizes it accepts.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::fastjson;
use super::BodyError;

/// A group's in-sync replicas by broker id, with the epoch of that membership.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStateSetBody {
    #[serde(default)]
    pub sync_state_set: BTreeSet<i64>,
    #[serde(default)]
    pub sync_state_set_epoch: i32,
}

impl SyncStateSetBody {
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        fastjson::parse(bytes, "sync state set")
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a sync state set always serializes")
    }
}

/// The members of one broker group: broker id → address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerMemberGroup {
    #[serde(default)]
    pub broker_addrs: BTreeMap<i64, String>,
    #[serde(default)]
    pub broker_name: String,
    #[serde(default)]
    pub cluster: String,
}

/// ELECT_MASTER (1002) response body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElectMasterResponseBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_member_group: Option<BrokerMemberGroup>,
    #[serde(default)]
    pub sync_state_set: BTreeSet<i64>,
}

impl ElectMasterResponseBody {
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        fastjson::parse(bytes, "elect master response body")
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an elect response always serializes")
    }
}

/// One replica as GET_SYNC_STATE_DATA reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaIdentity {
    #[serde(default)]
    pub alive: bool,
    pub broker_address: String,
    pub broker_id: i64,
    pub broker_name: String,
}

/// One group as GET_SYNC_STATE_DATA reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicasInfo {
    #[serde(default)]
    pub in_sync_replicas: Vec<ReplicaIdentity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_broker_id: Option<i64>,
    #[serde(default)]
    pub master_epoch: i32,
    #[serde(default)]
    pub not_in_sync_replicas: Vec<ReplicaIdentity>,
    #[serde(default)]
    pub sync_state_set_epoch: i32,
}

/// CONTROLLER_GET_SYNC_STATE_DATA (1006) response body: per broker name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerReplicasInfo {
    #[serde(default)]
    pub replicas_info_table: BTreeMap<String, ReplicasInfo>,
}

impl BrokerReplicasInfo {
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        fastjson::parse(bytes, "broker replicas info")
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("replicas info always serializes")
    }
}

/// CONTROLLER_GET_SYNC_STATE_DATA (1006) request body: a JSON list of broker names.
pub fn decode_broker_names(bytes: &[u8]) -> Result<Vec<String>, BodyError> {
    fastjson::parse(bytes, "broker name list")
}

/// Encodes the GET_SYNC_STATE_DATA request body.
pub fn encode_broker_names(names: &[String]) -> Vec<u8> {
    serde_json::to_vec(names).expect("a list of strings always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_state_set_in_javas_shape() {
        let body = SyncStateSetBody {
            sync_state_set: [2, 1].into_iter().collect(),
            sync_state_set_epoch: 3,
        };
        let text = String::from_utf8(body.encode()).expect("utf8");
        assert_eq!(text, r#"{"syncStateSet":[1,2],"syncStateSetEpoch":3}"#);
        assert_eq!(SyncStateSetBody::decode(text.as_bytes()), Ok(body));
    }

    #[test]
    fn member_group_accepts_fastjson_keys() {
        let text = r#"{"brokerMemberGroup":{"brokerAddrs":{1:"a:1",2:"b:2"},"brokerName":"g","cluster":"c"},"syncStateSet":[1]}"#;
        let body = ElectMasterResponseBody::decode(text.as_bytes()).expect("decodes");
        let group = body.broker_member_group.expect("group");
        assert_eq!(group.broker_addrs.get(&2).map(String::as_str), Some("b:2"));
        assert_eq!(body.sync_state_set, [1].into_iter().collect());
    }

    #[test]
    fn garbage_is_an_error() {
        for bytes in [
            &b""[..],
            b"{",
            b"[1,2]",
            b"{\"syncStateSet\":\"x\"}",
            b"\xff",
        ] {
            assert!(SyncStateSetBody::decode(bytes).is_err(), "{bytes:?}");
        }
        assert!(decode_broker_names(b"{}").is_err());
        assert_eq!(
            decode_broker_names(&encode_broker_names(&["a".into()])),
            Ok(vec!["a".to_string()])
        );
    }
}
