//! Request codes (`RequestCode.java`, §1.5). 4.9 and 5.x agree on every value listed here;
//! codes that exist in only one line are marked.

use super::named_codes;

/// A request code. Open: any `i32` may arrive; the consts are the ones RocketMQ defines.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestCode(pub i32);

named_codes!(RequestCode {
    /// V1 header (long field names).
    SEND_MESSAGE = 10,
    PULL_MESSAGE = 11,
    QUERY_MESSAGE = 12,
    QUERY_BROKER_OFFSET = 13,
    QUERY_CONSUMER_OFFSET = 14,
    UPDATE_CONSUMER_OFFSET = 15,
    UPDATE_AND_CREATE_TOPIC = 17,
    GET_ALL_TOPIC_CONFIG = 21,
    GET_TOPIC_CONFIG_LIST = 22,
    GET_TOPIC_NAME_LIST = 23,
    UPDATE_BROKER_CONFIG = 25,
    GET_BROKER_CONFIG = 26,
    TRIGGER_DELETE_FILES = 27,
    GET_BROKER_RUNTIME_INFO = 28,
    SEARCH_OFFSET_BY_TIMESTAMP = 29,
    GET_MAX_OFFSET = 30,
    GET_MIN_OFFSET = 31,
    GET_EARLIEST_MSG_STORETIME = 32,
    VIEW_MESSAGE_BY_ID = 33,
    /// Body is `HeartbeatData` JSON; no custom header in 4.9.
    HEART_BEAT = 34,
    UNREGISTER_CLIENT = 35,
    CONSUMER_SEND_MSG_BACK = 36,
    END_TRANSACTION = 37,
    GET_CONSUMER_LIST_BY_GROUP = 38,
    /// Broker → producer.
    CHECK_TRANSACTION_STATE = 39,
    /// Broker → consumer, oneway.
    NOTIFY_CONSUMER_IDS_CHANGED = 40,
    LOCK_BATCH_MQ = 41,
    UNLOCK_BATCH_MQ = 42,
    GET_ALL_CONSUMER_OFFSET = 43,
    GET_ALL_DELAY_OFFSET = 45,
    CHECK_CLIENT_CONFIG = 46,
    /// 4.9 only (5.x uses AUTH_* 3001–3010).
    UPDATE_AND_CREATE_ACL_CONFIG = 50,
    DELETE_ACL_CONFIG = 51,
    GET_BROKER_CLUSTER_ACL_INFO = 52,
    UPDATE_GLOBAL_WHITE_ADDRS_CONFIG = 53,
    PUT_KV_CONFIG = 100,
    GET_KV_CONFIG = 101,
    DELETE_KV_CONFIG = 102,
    REGISTER_BROKER = 103,
    UNREGISTER_BROKER = 104,
    GET_ROUTEINFO_BY_TOPIC = 105,
    GET_BROKER_CLUSTER_INFO = 106,
    UPDATE_AND_CREATE_SUBSCRIPTIONGROUP = 200,
    GET_ALL_SUBSCRIPTIONGROUP_CONFIG = 201,
    GET_TOPIC_STATS_INFO = 202,
    GET_CONSUMER_CONNECTION_LIST = 203,
    GET_PRODUCER_CONNECTION_LIST = 204,
    WIPE_WRITE_PERM_OF_BROKER = 205,
    GET_ALL_TOPIC_LIST_FROM_NAMESERVER = 206,
    DELETE_SUBSCRIPTIONGROUP = 207,
    GET_CONSUME_STATS = 208,
    RESET_CONSUMER_OFFSET_IN_BROKER = 212,
    DELETE_TOPIC_IN_BROKER = 215,
    DELETE_TOPIC_IN_NAMESRV = 216,
    INVOKE_BROKER_TO_RESET_OFFSET = 222,
    GET_TOPICS_BY_CLUSTER = 224,
    GET_CONSUMER_RUNNING_INFO = 307,
    CONSUME_MESSAGE_DIRECTLY = 309,
    /// V2 header (single-letter field names); the Java client's default for single sends.
    SEND_MESSAGE_V2 = 310,
    /// V2 header, batch body.
    SEND_BATCH_MESSAGE = 320,
    QUERY_CONSUME_QUEUE = 321,
    QUERY_DATA_VERSION = 322,
    SEND_REPLY_MESSAGE = 324,
    SEND_REPLY_MESSAGE_V2 = 325,
    ADD_WRITE_PERM_OF_BROKER = 327,
    DELETE_EXPIRED_COMMITLOG = 329,
    /// 5.x.
    GET_TOPIC_CONFIG = 351,
    /// 5.x.
    LITE_PULL_MESSAGE = 361,
    /// 5.x.
    GET_BROKER_MEMBER_GROUP = 901,
    /// 5.x.
    BROKER_HEARTBEAT = 904,
    /// 5.x.
    NOTIFY_MIN_BROKER_ID_CHANGE = 905,
    /// 5.x.
    EXCHANGE_BROKER_HA_INFO = 906,
    /// 5.x.
    GET_BROKER_HA_STATUS = 907,
    /// 5.x controller.
    CONTROLLER_ALTER_SYNC_STATE_SET = 1001,
    /// 5.x controller.
    CONTROLLER_ELECT_MASTER = 1002,
    /// 5.x controller.
    CONTROLLER_REGISTER_BROKER = 1003,
    /// 5.x controller.
    CONTROLLER_GET_REPLICA_INFO = 1004,
    /// 5.x controller.
    CONTROLLER_GET_METADATA_INFO = 1005,
    /// 5.x controller.
    CONTROLLER_GET_SYNC_STATE_DATA = 1006,
    /// 5.x controller.
    GET_BROKER_EPOCH_CACHE = 1007,
    /// 5.x controller.
    NOTIFY_BROKER_ROLE_CHANGED = 1008,
    /// 5.x controller.
    CONTROLLER_GET_NEXT_BROKER_ID = 1012,
    /// 5.x controller.
    CONTROLLER_APPLY_BROKER_ID = 1013,
    /// 5.x POP; does not fit the binary header's int16 code.
    POP_MESSAGE = 200050,
    /// 5.x POP.
    ACK_MESSAGE = 200051,
    /// 5.x POP.
    PEEK_MESSAGE = 200052,
    /// 5.x POP.
    CHANGE_MESSAGE_INVISIBLETIME = 200053,
    /// 5.x POP.
    NOTIFICATION = 200054,
    /// 5.x POP.
    BATCH_ACK_MESSAGE = 200151,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_raw() {
        assert_eq!(RequestCode::SEND_MESSAGE_V2.raw(), 310);
        assert_eq!(RequestCode(310).name(), Some("SEND_MESSAGE_V2"));
        assert_eq!(RequestCode(9999).name(), None);
        assert_eq!(
            format!("{:?}", RequestCode::HEART_BEAT),
            "RequestCode(HEART_BEAT=34)"
        );
        assert_eq!(RequestCode(9999).to_string(), "9999");
    }
}
