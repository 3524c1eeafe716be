//! Tag subscriptions (§6.8): parsing `*` / `TagA || TagB` into the heartbeat's
//! `SubscriptionData` (tag set and Java hash codes) and the client-side re-check of the exact
//! tag string that Java's `PullAPIWrapper.processPullResult` does after the broker's
//! hash-only filter. SQL92 is not supported by our broker and is refused here.

use super::super::request::java_string_hash;
use crate::protocol::heartbeat::{ExpressionType, SubscriptionData};
use crate::protocol::record::MessageRecord;

/// Longest expression accepted (Java has no limit; ours keeps headers small).
const EXPRESSION_BYTES_MAX: usize = 4096;

/// A parsed subscription of one topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub topic: String,
    /// `*` or the expression as given.
    pub expression: String,
    /// Empty for `*`: every message matches.
    pub tags: Vec<String>,
    /// When the subscription was made (ms), sent as `subVersion`.
    pub version: i64,
}

impl Subscription {
    /// Parses `expression` as Java's `FilterAPI.buildSubscriptionData` does: empty or `*`
    /// means all; otherwise tags split on `||` and trimmed, empty pieces skipped. None when no
    /// tag remains or the expression is too long.
    pub fn parse(topic: &str, expression: &str, version: i64) -> Option<Subscription> {
        let trimmed = expression.trim();
        if trimmed.len() > EXPRESSION_BYTES_MAX {
            return None;
        }
        if trimmed.is_empty() || trimmed == "*" {
            return Some(Subscription {
                topic: topic.to_string(),
                expression: "*".into(),
                tags: Vec::new(),
                version,
            });
        }
        let mut tags: Vec<String> = Vec::new();
        for tag in trimmed.split("||").map(str::trim).filter(|t| !t.is_empty()) {
            if !tags.iter().any(|t| t == tag) {
                tags.push(tag.to_string());
            }
        }
        if tags.is_empty() {
            return None;
        }
        Some(Subscription {
            topic: topic.to_string(),
            expression: trimmed.to_string(),
            tags,
            version,
        })
    }

    /// Whether a record passes the client-side check: every record for `*`, else only
    /// records whose TAGS is one of the tags (a record without tags does not match).
    pub fn matches(&self, record: &MessageRecord) -> bool {
        if self.tags.is_empty() {
            return true;
        }
        match record.properties.tags() {
            Some(tag) => self.tags.iter().any(|t| t == tag),
            None => false,
        }
    }

    /// The heartbeat form.
    pub fn to_data(&self) -> SubscriptionData {
        SubscriptionData {
            class_filter_mode: false,
            code_set: self.tags.iter().map(|t| java_string_hash(t)).collect(),
            expression_type: ExpressionType::Tag,
            filter_class_source: None,
            sub_string: self.expression.clone(),
            sub_version: self.version,
            tags_set: self.tags.clone(),
            topic: self.topic.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_and_empty_mean_all() {
        for e in ["*", "", "  * "] {
            let s = Subscription::parse("T", e, 1).unwrap();
            assert_eq!(s.expression, "*");
            assert!(s.tags.is_empty());
            assert!(s.to_data().code_set.is_empty());
        }
    }

    #[test]
    fn tags_split_trimmed_and_hashed() {
        let s = Subscription::parse("T", "TagA || TagB||TagA", 5).unwrap();
        assert_eq!(s.tags, vec!["TagA".to_string(), "TagB".to_string()]);
        let data = s.to_data();
        assert_eq!(
            data.code_set,
            vec![java_string_hash("TagA"), java_string_hash("TagB")]
        );
        assert_eq!(data.sub_version, 5);
        assert!(Subscription::parse("T", "||", 1).is_none());
    }
}
