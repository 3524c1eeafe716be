//! GET_CONSUMER_LIST_BY_GROUP (38) answer: `{"consumerIdList":[...]}`.

use serde::{Deserialize, Serialize};

use super::lock_batch::decode_json;
use super::BodyError;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerListBody {
    pub consumer_id_list: Vec<String>,
}

impl ConsumerListBody {
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        decode_json(bytes, "consumer list body")
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("serializes")
    }
}
