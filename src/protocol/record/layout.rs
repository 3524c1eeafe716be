//! Where each field of a CommitLog record sits (reference §3.1), and the size limits.
//!
//! Fields up to the born host are at fixed offsets. After it, positions shift by 12 bytes per
//! IPv6 host (a host is 4 or 16 address bytes plus an `int32` port), and the topic length
//! field is 1 byte (V1) or 2 (V2). [`Layout`] computes the shifted positions from the SYSFLAG
//! and the version, so the encoder, the decoder and the peek agree by construction.

use crate::protocol::properties::PROPERTIES_BYTES_MAX;
use crate::protocol::sysflag::SysFlag;

/// Magic of a V1 record: 1-byte topic length (all of 4.9).
pub const MAGIC_V1: u32 = 0xDAA3_20A7;
/// Magic of a V2 record: 2-byte topic length (5.1+, for topics longer than 127 bytes).
pub const MAGIC_V2: u32 = 0xDAA3_20AB;
/// Magic of the end-of-file blank marker.
pub const BLANK_MAGIC: u32 = 0xCBD4_3194;
/// Size of the blank marker (`int32` remaining + `int32` magic), also the least free space a
/// writer always leaves at the end of a file (`END_FILE_MIN_BLANK_LENGTH`).
pub const BLANK_BYTES: usize = 8;

pub const TOTAL_SIZE_AT: usize = 0;
pub const MAGIC_AT: usize = 4;
pub const BODY_CRC_AT: usize = 8;
pub const QUEUE_ID_AT: usize = 12;
pub const FLAG_AT: usize = 16;
pub const QUEUE_OFFSET_AT: usize = 20;
pub const PHYSICAL_OFFSET_AT: usize = 28;
pub const SYS_FLAG_AT: usize = 36;
pub const BORN_TIMESTAMP_AT: usize = 40;
pub const BORN_HOST_AT: usize = 48;
/// Store timestamp position when the born host is IPv4 (the common case the Java store reads
/// directly); in general use [`Layout::store_timestamp_at`].
pub const STORE_TIMESTAMP_AT_V4: usize = 56;

/// A host field: 4 address bytes + `int32` port.
pub const HOST_V4_BYTES: usize = 8;
/// A host field: 16 address bytes + `int32` port.
pub const HOST_V6_BYTES: usize = 20;

/// The smallest record: IPv4 hosts, V1, empty body, topic and properties.
pub const RECORD_BYTES_MIN: usize = 91;
/// The largest fixed part: IPv6 hosts and the V2 topic length.
pub const FIXED_BYTES_MAX: usize = RECORD_BYTES_MIN + 2 * (HOST_V6_BYTES - HOST_V4_BYTES) + 1;

/// Topics up to this length (bytes) are written as V1 (the topic length is a signed byte).
pub const TOPIC_V1_BYTES_MAX: usize = i8::MAX as usize;
/// The V2 topic length is a signed `int16`.
pub const TOPIC_V2_BYTES_MAX: usize = i16::MAX as usize;
/// Default body limit: the broker's `maxMessageSize` (4 MiB). A broker config, so decoding
/// takes it from [`super::DecodeOptions`]; encoding enforces only the structural limits.
pub const BODY_BYTES_MAX: usize = 4 * 1024 * 1024;

/// The record format version, told apart by the magic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageVersion {
    V1,
    V2,
}

impl MessageVersion {
    pub const fn magic(self) -> u32 {
        match self {
            Self::V1 => MAGIC_V1,
            Self::V2 => MAGIC_V2,
        }
    }

    pub const fn from_magic(magic: u32) -> Option<Self> {
        match magic {
            MAGIC_V1 => Some(Self::V1),
            MAGIC_V2 => Some(Self::V2),
            _ => None,
        }
    }

    /// Width of the topic length field.
    pub const fn topic_len_bytes(self) -> usize {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }

    /// The version a writer uses for `topic_len` bytes of topic: V2 only when V1 cannot hold
    /// it, as 5.x does with `autoMessageVersionOnTopicLen`, so 4.9 readers see V1 whenever
    /// they possibly can.
    pub const fn for_topic_len(topic_len: usize) -> Self {
        if topic_len > TOPIC_V1_BYTES_MAX {
            Self::V2
        } else {
            Self::V1
        }
    }
}

/// Positions of the fields that move with host families and version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    born_host_bytes: usize,
    store_host_bytes: usize,
    topic_len_bytes: usize,
}

impl Layout {
    pub const fn new(sys_flag: SysFlag, version: MessageVersion) -> Self {
        Self {
            born_host_bytes: host_bytes(sys_flag.born_host_v6()),
            store_host_bytes: host_bytes(sys_flag.store_host_v6()),
            topic_len_bytes: version.topic_len_bytes(),
        }
    }

    pub const fn born_host_bytes(&self) -> usize {
        self.born_host_bytes
    }

    pub const fn store_host_bytes(&self) -> usize {
        self.store_host_bytes
    }

    pub const fn store_timestamp_at(&self) -> usize {
        BORN_HOST_AT + self.born_host_bytes
    }

    pub const fn store_host_at(&self) -> usize {
        self.store_timestamp_at() + 8
    }

    pub const fn reconsume_times_at(&self) -> usize {
        self.store_host_at() + self.store_host_bytes
    }

    pub const fn prepared_transaction_offset_at(&self) -> usize {
        self.reconsume_times_at() + 4
    }

    pub const fn body_len_at(&self) -> usize {
        self.prepared_transaction_offset_at() + 8
    }

    /// Bytes of a record other than body, topic and properties.
    pub const fn fixed_bytes(&self) -> usize {
        self.body_len_at() + 4 + self.topic_len_bytes + 2
    }

    /// TOTALSIZE of a record with these variable parts.
    pub const fn total_bytes(&self, body: usize, topic: usize, properties: usize) -> usize {
        self.fixed_bytes() + body + topic + properties
    }
}

const fn host_bytes(v6: bool) -> usize {
    if v6 {
        HOST_V6_BYTES
    } else {
        HOST_V4_BYTES
    }
}

/// The largest TOTALSIZE a decoder accepts when bodies may be `body_bytes_max` long.
pub const fn record_bytes_max(body_bytes_max: usize) -> usize {
    FIXED_BYTES_MAX + body_bytes_max + TOPIC_V2_BYTES_MAX + PROPERTIES_BYTES_MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_v1_positions_match_the_reference_table() {
        let l = Layout::new(SysFlag::default(), MessageVersion::V1);
        assert_eq!(l.store_timestamp_at(), STORE_TIMESTAMP_AT_V4);
        assert_eq!(l.store_host_at(), 64);
        assert_eq!(l.reconsume_times_at(), 72);
        assert_eq!(l.prepared_transaction_offset_at(), 76);
        assert_eq!(l.body_len_at(), 84);
        assert_eq!(l.fixed_bytes(), RECORD_BYTES_MIN);
    }

    #[test]
    fn ipv6_v2_is_the_largest_fixed_part() {
        let flag = SysFlag::BORNHOST_V6 | SysFlag::STOREHOST_V6;
        let l = Layout::new(flag, MessageVersion::V2);
        assert_eq!(l.store_timestamp_at(), 68);
        assert_eq!(l.body_len_at(), 108);
        assert_eq!(l.fixed_bytes(), FIXED_BYTES_MAX);
    }
}
