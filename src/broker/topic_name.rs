//! Topic-name rules (`TopicValidator`, 4.9): non-blank, only `[%|a-zA-Z0-9_-]`, at most 127
//! bytes, and not a name reserved for the broker's own use (clients may not send to system
//! topics nor create a topic named like the auto-create template).

use crate::store::topic_is_valid;

/// `TOPIC_MAX_LENGTH`.
pub const TOPIC_BYTES_MAX: usize = 127;
/// The auto-create template topic (`AUTO_CREATE_TOPIC_KEY_TOPIC`).
pub const TBW102: &str = "TBW102";

/// System topics producers may not send to (`TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET`).
pub const SYSTEM_TOPICS: &[&str] = &[
    "SCHEDULE_TOPIC_XXXX",
    "RMQ_SYS_TRANS_HALF_TOPIC",
    "RMQ_SYS_TRANS_OP_HALF_TOPIC",
    "TRANS_CHECK_MAX_TIME_TOPIC",
    "SELF_TEST_TOPIC",
    "OFFSET_MOVED_EVENT",
];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TopicNameError {
    #[error("The specified topic is blank.")]
    Blank,
    #[error("The specified topic[{topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$")]
    IllegalCharacters { topic: String },
    #[error("The specified topic is longer than topic max length {TOPIC_BYTES_MAX}.")]
    TooLong { len: usize },
    #[error("Sending message to topic[{topic}] is forbidden.")]
    Reserved { topic: String },
}

/// Checks a name a client wants to use (send or create).
pub fn validate(topic: &str) -> Result<(), TopicNameError> {
    if topic.trim().is_empty() {
        return Err(TopicNameError::Blank);
    }
    if topic.len() > TOPIC_BYTES_MAX {
        return Err(TopicNameError::TooLong { len: topic.len() });
    }
    if !topic_is_valid(topic) {
        let topic = topic.chars().take(TOPIC_BYTES_MAX).collect();
        return Err(TopicNameError::IllegalCharacters { topic });
    }
    Ok(())
}

/// Checks a name a producer sends to: also not a system topic.
pub fn validate_for_send(topic: &str) -> Result<(), TopicNameError> {
    validate(topic)?;
    if SYSTEM_TOPICS.contains(&topic) || topic == TBW102 {
        return Err(TopicNameError::Reserved {
            topic: topic.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(validate("Topic_A-1|%"), Ok(()));
        assert_eq!(validate(" "), Err(TopicNameError::Blank));
        assert!(matches!(
            validate("a b"),
            Err(TopicNameError::IllegalCharacters { .. })
        ));
        assert_eq!(validate(&"x".repeat(127)), Ok(()));
        assert_eq!(
            validate(&"x".repeat(128)),
            Err(TopicNameError::TooLong { len: 128 })
        );
        assert!(validate_for_send("SCHEDULE_TOPIC_XXXX").is_err());
        assert!(validate_for_send("TBW102").is_err());
    }
}
