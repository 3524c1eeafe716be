//! `HeartbeatData`, the JSON body of HEART_BEAT (34) (§2.7): which producer and consumer
//! groups a client belongs to and what its consumers subscribe to.
//!
//! Written as fastjson writes it (enum names, keys in alphabetical order). Read leniently as
//! the Java broker does (§11): the C++ client sends `consumeType`, `messageModel` and
//! `consumeFromWhere` as integer ordinals and `subVersion` as a string, and leaves out
//! `unitMode`, `expressionType`, `tagsSet`, `codeSet` and `classFilterMode`; unknown keys
//! (5.x `heartbeatFingerprint`, `withoutSub`, …) are ignored.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// Field order is alphabetical so that serde_json writes fastjson's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatData {
    /// `clientIP@instanceName[@unitName]`.
    #[serde(rename = "clientID")]
    pub client_id: String,
    #[serde(rename = "consumerDataSet", default)]
    pub consumers: Vec<ConsumerData>,
    #[serde(rename = "producerDataSet", default)]
    pub producers: Vec<ProducerData>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerData {
    #[serde(rename = "groupName")]
    pub group_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerData {
    pub consume_from_where: ConsumeFromWhere,
    pub consume_type: ConsumeType,
    pub group_name: String,
    pub message_model: MessageModel,
    #[serde(rename = "subscriptionDataSet", default)]
    pub subscriptions: Vec<SubscriptionData>,
    #[serde(default)]
    pub unit_mode: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionData {
    #[serde(default)]
    pub class_filter_mode: bool,
    /// Java `String.hashCode` of each tag.
    #[serde(default)]
    pub code_set: Vec<i32>,
    #[serde(default)]
    pub expression_type: ExpressionType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_class_source: Option<String>,
    /// `TagA || TagB`, `*` or an SQL92 expression.
    pub sub_string: String,
    /// Milliseconds when the subscription was built; a number or, from C++, a string.
    #[serde(deserialize_with = "lenient_i64")]
    pub sub_version: i64,
    #[serde(default)]
    pub tags_set: Vec<String>,
    pub topic: String,
}

/// Declares an enum that serializes as its Java name and deserializes from the name or from
/// the ordinal (declaration order), as the C++ client sends it.
macro_rules! java_enum {
    ($(#[$doc:meta])* $ty:ident { $($variant:ident = $name:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $ty { $($variant,)* }

        impl $ty {
            const ALL: &'static [($ty, &'static str)] = &[$(($ty::$variant, $name),)*];

            /// The Java enum name.
            pub fn name(self) -> &'static str {
                Self::ALL[self as usize].1
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(NameOrOrdinal($ty::ALL))
            }
        }
    };
}

java_enum!(
    /// Push (passive) or pull (active) consumer; POP is 5.x.
    ConsumeType {
        ConsumeActively = "CONSUME_ACTIVELY",
        ConsumePassively = "CONSUME_PASSIVELY",
        ConsumePop = "CONSUME_POP",
    }
);

java_enum!(
    MessageModel {
        Broadcasting = "BROADCASTING",
        Clustering = "CLUSTERING",
    }
);

java_enum!(
    /// Where a group without a stored offset starts; variants 1–3 are deprecated in Java.
    ConsumeFromWhere {
        LastOffset = "CONSUME_FROM_LAST_OFFSET",
        LastOffsetAndFromMinWhenBootFirst = "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST",
        MinOffset = "CONSUME_FROM_MIN_OFFSET",
        MaxOffset = "CONSUME_FROM_MAX_OFFSET",
        FirstOffset = "CONSUME_FROM_FIRST_OFFSET",
        Timestamp = "CONSUME_FROM_TIMESTAMP",
    }
);

java_enum!(
    /// How `subString` is interpreted.
    ExpressionType {
        Tag = "TAG",
        Sql92 = "SQL92",
    }
);

/// Missing means a tag expression, as in Java.
impl Default for ExpressionType {
    fn default() -> Self {
        ExpressionType::Tag
    }
}

struct NameOrOrdinal<T: 'static>(&'static [(T, &'static str)]);

impl<T: Copy> Visitor<'_> for NameOrOrdinal<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an enum name or ordinal")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        self.0
            .iter()
            .find(|(_, name)| *name == v)
            .map(|(value, _)| *value)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        usize::try_from(v)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(value, _)| *value)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        Err(E::invalid_value(de::Unexpected::Signed(v), &self))
    }
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or an integer in a string")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_body_round_trips_in_fastjson_order() {
        let text = r#"{"clientID":"10.0.0.1@123#456","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"T"}],"unitMode":false}],"producerDataSet":[{"groupName":"CLIENT_INNER_PRODUCER"}]}"#;
        let data: HeartbeatData = serde_json::from_str(text).expect("parses");
        assert_eq!(
            data.consumers[0].consume_type,
            ConsumeType::ConsumePassively
        );
        assert_eq!(
            data.consumers[0].subscriptions[0].code_set,
            vec![2598919, 2598920]
        );
        assert_eq!(serde_json::to_string(&data).expect("writes"), text);
    }

    #[test]
    fn cpp_client_body_with_ordinals_and_missing_fields() {
        let text = r#"{"clientID":"10.0.0.2@cpp","consumerDataSet":[{"groupName":"CG","consumeType":1,"messageModel":1,"consumeFromWhere":4,"subscriptionDataSet":[{"topic":"T","subString":"*","subVersion":"1700000000000"}]}],"producerDataSet":[],"unknown":7}"#;
        let data: HeartbeatData = serde_json::from_str(text).expect("parses");
        let consumer = &data.consumers[0];
        assert_eq!(consumer.consume_type, ConsumeType::ConsumePassively);
        assert_eq!(consumer.message_model, MessageModel::Clustering);
        assert_eq!(consumer.consume_from_where, ConsumeFromWhere::FirstOffset);
        assert!(!consumer.unit_mode);
        let sub = &consumer.subscriptions[0];
        assert_eq!(sub.sub_version, 1_700_000_000_000);
        assert_eq!(sub.expression_type, ExpressionType::Tag);
        assert!(sub.tags_set.is_empty() && sub.code_set.is_empty() && !sub.class_filter_mode);
    }

    #[test]
    fn bad_enum_values_are_errors() {
        let text = r#"{"clientID":"c","consumerDataSet":[{"groupName":"CG","consumeType":9,"messageModel":1,"consumeFromWhere":0}]}"#;
        assert!(serde_json::from_str::<HeartbeatData>(text).is_err());
        let text = r#"{"clientID":"c","consumerDataSet":[{"groupName":"CG","consumeType":"NOPE","messageModel":1,"consumeFromWhere":0}]}"#;
        assert!(serde_json::from_str::<HeartbeatData>(text).is_err());
    }
}
