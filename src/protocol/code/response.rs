//! Response codes (`RemotingSysResponseCode` 0–4 and `ResponseCode`, §1.6). Where 4.9 and 5.x
//! give one value two meanings (209–211), `name()` reports the 4.9 name — the line we are
//! compatible with — and the 5.x meanings are extra consts outside the name table.

use super::named_codes;

/// A response code. Open: any `i32` may arrive; the consts are the ones RocketMQ defines.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResponseCode(pub i32);

named_codes!(ResponseCode {
    SUCCESS = 0,
    SYSTEM_ERROR = 1,
    SYSTEM_BUSY = 2,
    REQUEST_CODE_NOT_SUPPORTED = 3,
    TRANSACTION_FAILED = 4,
    /// The message is stored on the master; flushing timed out (client: SendStatus).
    FLUSH_DISK_TIMEOUT = 10,
    /// The message is stored on the master; no slave to replicate to.
    SLAVE_NOT_AVAILABLE = 11,
    /// The message is stored on the master; the slave did not ack in time.
    FLUSH_SLAVE_TIMEOUT = 12,
    MESSAGE_ILLEGAL = 13,
    SERVICE_NOT_AVAILABLE = 14,
    VERSION_NOT_SUPPORTED = 15,
    NO_PERMISSION = 16,
    TOPIC_NOT_EXIST = 17,
    TOPIC_EXIST_ALREADY = 18,
    PULL_NOT_FOUND = 19,
    PULL_RETRY_IMMEDIATELY = 20,
    PULL_OFFSET_MOVED = 21,
    QUERY_NOT_FOUND = 22,
    SUBSCRIPTION_PARSE_FAILED = 23,
    SUBSCRIPTION_NOT_EXIST = 24,
    SUBSCRIPTION_NOT_LATEST = 25,
    SUBSCRIPTION_GROUP_NOT_EXIST = 26,
    FILTER_DATA_NOT_EXIST = 27,
    FILTER_DATA_NOT_LATEST = 28,
    /// 5.x.
    INVALID_PARAMETER = 29,
    TRANSACTION_SHOULD_COMMIT = 200,
    TRANSACTION_SHOULD_ROLLBACK = 201,
    /// Spelled as in RocketMQ.
    TRANSACTION_STATE_UNKNOW = 202,
    TRANSACTION_STATE_GROUP_WRONG = 203,
    NO_BUYER_ID = 204,
    NOT_IN_CURRENT_UNIT = 205,
    CONSUMER_NOT_ONLINE = 206,
    CONSUME_MSG_TIMEOUT = 207,
    NO_MESSAGE = 208,
    /// 4.9 meaning; 5.x: `POLLING_FULL`.
    UPDATE_AND_CREATE_ACL_CONFIG_FAILED = 209,
    /// 4.9 meaning; 5.x: `POLLING_TIMEOUT`.
    DELETE_ACL_CONFIG_FAILED = 210,
    /// 4.9 meaning; 5.x: `BROKER_NOT_EXIST`.
    UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED = 211,
    /// 5.x.
    BROKER_DISPATCH_NOT_COMPLETE = 212,
    /// 5.x.
    BROADCAST_CONSUMPTION = 213,
    FLOW_CONTROL = 215,
    /// 5.x.
    NOT_LEADER_FOR_QUEUE = 501,
    /// 5.x.
    ILLEGAL_OPERATION = 604,
    /// 5.x.
    GO_AWAY = 1500,
    /// 5.x controller.
    CONTROLLER_FENCED_MASTER_EPOCH = 2000,
    /// 5.x controller.
    CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH = 2001,
    /// 5.x controller: the request names a master that is not the group's master.
    CONTROLLER_INVALID_MASTER = 2002,
    /// 5.x controller: a sync-state set names a replica the group does not have.
    CONTROLLER_INVALID_REPLICAS = 2003,
    /// 5.x controller: the master is gone and no replica could be elected.
    CONTROLLER_MASTER_NOT_AVAILABLE = 2004,
    /// 5.x controller: a request without a required field (e.g. a heartbeat with no brokerId).
    CONTROLLER_INVALID_REQUEST = 2005,
    /// 5.x controller.
    CONTROLLER_BROKER_NOT_ALIVE = 2006,
    /// 5.x controller.
    CONTROLLER_NOT_LEADER = 2007,
    /// 5.x controller: the group is unknown to the controller.
    CONTROLLER_BROKER_METADATA_NOT_EXIST = 2008,
    /// 5.x controller.
    CONTROLLER_INVALID_CLEAN_BROKER_METADATA = 2009,
    /// 5.x controller: the broker (or its group) must apply for an id first.
    CONTROLLER_BROKER_NEED_TO_BE_REGISTERED = 2010,
    /// 5.x controller: an election found the old master still valid.
    CONTROLLER_MASTER_STILL_EXIST = 2011,
    /// 5.x controller.
    CONTROLLER_ELECT_MASTER_FAILED = 2012,
    /// 5.x controller.
    CONTROLLER_ALTER_SYNC_STATE_SET_FAILED = 2013,
    /// 5.x controller: the broker id is taken by another broker (or not the first of a group).
    CONTROLLER_BROKER_ID_INVALID = 2014,
    /// 5.x controller (JRaft only).
    CONTROLLER_JRAFT_INTERNAL_ERROR = 2015,
    /// 5.x controller.
    CONTROLLER_BROKER_LIVE_INFO_NOT_EXISTS = 2016,
});

impl ResponseCode {
    /// 5.x meaning of 209.
    pub const POLLING_FULL: ResponseCode = ResponseCode(209);
    /// 5.x meaning of 210.
    pub const POLLING_TIMEOUT: ResponseCode = ResponseCode(210);
    /// 5.x meaning of 211.
    pub const BROKER_NOT_EXIST: ResponseCode = ResponseCode(211);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_raw() {
        assert_eq!(ResponseCode::FLUSH_DISK_TIMEOUT.raw(), 10);
        assert_eq!(ResponseCode(3).name(), Some("REQUEST_CODE_NOT_SUPPORTED"));
        assert_eq!(
            ResponseCode::POLLING_FULL.name(),
            Some("UPDATE_AND_CREATE_ACL_CONFIG_FAILED")
        );
        assert_eq!(ResponseCode(-5).name(), None);
    }
}
