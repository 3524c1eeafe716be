//! Typed flag words: the message SYSFLAG of a CommitLog record (reference §3.3) and the pull
//! request `sysFlag` (§2.2).
//!
//! Both are `int32` on the wire. The types keep the raw bits verbatim, including bits we do not
//! interpret (5.x `NEED_UNWRAP`, `INNER_BATCH`, the compression type in bits 8–10, anything
//! newer), so a record read from a 5.x broker and written back is byte-identical. Only the
//! accessors below give meaning to bits.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// The SYSFLAG word of a message record.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SysFlag(u32);

/// The transaction type carried in SYSFLAG bits 2–3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionType {
    /// An ordinary message (0x0).
    NotType,
    /// A half message of a transaction, invisible to consumers (0x4).
    Prepared,
    /// The commit record of a transaction (0x8).
    Commit,
    /// The rollback record of a transaction (0xC).
    Rollback,
}

/// The raw-bits accessors both flag words share: unknown bits are kept, never dropped.
macro_rules! flag_word {
    ($name:ident) => {
        impl $name {
            /// The flag word exactly as it appears on the wire.
            pub const fn from_bits(bits: u32) -> Self {
                Self(bits)
            }

            /// The raw bits, unknown ones included.
            pub const fn bits(self) -> u32 {
                self.0
            }

            /// The bits reinterpreted as the wire's signed `int32`.
            pub const fn from_wire(value: i32) -> Self {
                Self(value as u32)
            }

            /// The bits as the wire's signed `int32`.
            pub const fn to_wire(self) -> i32 {
                self.0 as i32
            }

            /// True if every bit of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Returns `self` with the bits of `other` set (`on`) or cleared.
            #[must_use]
            pub const fn with(self, other: Self, on: bool) -> Self {
                if on {
                    Self(self.0 | other.0)
                } else {
                    Self(self.0 & !other.0)
                }
            }
        }
    };
}

flag_word!(SysFlag);
flag_word!(PullSysFlag);

impl SysFlag {
    /// The body is compressed (zlib in 4.9; the codec in bits 8–10 on 5.x).
    pub const COMPRESSED: Self = Self(0x1);
    /// The TAGS property holds several tags.
    pub const MULTI_TAGS: Self = Self(0x2);
    /// Bits 2–3: the transaction type, see [`TransactionType`].
    pub const TRANSACTION_MASK: Self = Self(0xC);
    /// The born host is an IPv6 address (16-byte host field instead of 4).
    pub const BORNHOST_V6: Self = Self(0x10);
    /// The store host is an IPv6 address (16-byte host field instead of 4).
    pub const STOREHOST_V6: Self = Self(0x20);
    /// 5.x: the body wraps an inner message. Preserved, not interpreted.
    pub const NEED_UNWRAP: Self = Self(0x40);
    /// 5.x: the record is an inner batch. Preserved, not interpreted.
    pub const INNER_BATCH: Self = Self(0x80);
    /// 5.x: bits 8–10, the compression codec. Preserved, not interpreted.
    pub const COMPRESSION_TYPE_MASK: Self = Self(0x700);

    pub const fn is_compressed(self) -> bool {
        self.contains(Self::COMPRESSED)
    }

    pub const fn born_host_v6(self) -> bool {
        self.contains(Self::BORNHOST_V6)
    }

    pub const fn store_host_v6(self) -> bool {
        self.contains(Self::STOREHOST_V6)
    }

    /// The transaction type of bits 2–3.
    pub const fn transaction_type(self) -> TransactionType {
        match self.0 & Self::TRANSACTION_MASK.0 {
            0x0 => TransactionType::NotType,
            0x4 => TransactionType::Prepared,
            0x8 => TransactionType::Commit,
            _ => TransactionType::Rollback,
        }
    }

    /// Returns `self` with bits 2–3 replaced by `kind`, every other bit untouched.
    #[must_use]
    pub const fn with_transaction_type(self, kind: TransactionType) -> Self {
        let bits = match kind {
            TransactionType::NotType => 0x0,
            TransactionType::Prepared => 0x4,
            TransactionType::Commit => 0x8,
            TransactionType::Rollback => 0xC,
        };
        Self((self.0 & !Self::TRANSACTION_MASK.0) | bits)
    }
}

impl BitOr for SysFlag {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for SysFlag {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for SysFlag {
    // Hex, because the meaning is in the bits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SysFlag({:#x})", self.0)
    }
}

/// The `sysFlag` of a PULL_MESSAGE request header.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PullSysFlag(u32);

impl PullSysFlag {
    /// The request carries the consumer's committed offset (`commitOffset`). Cleared by the
    /// client when pulling from a slave, which must not move offsets.
    pub const COMMIT_OFFSET: Self = Self(0x1);
    /// The broker may hold the request (long polling) when no message is available.
    pub const SUSPEND: Self = Self(0x2);
    /// The request carries a subscription expression.
    pub const SUBSCRIPTION: Self = Self(0x4);
    /// Class filter mode (deprecated filter server).
    pub const CLASS_FILTER: Self = Self(0x8);
    /// The request comes from a lite pull consumer.
    pub const LITE_PULL: Self = Self(0x10);

    /// The flag word a consumer builds for a pull, as the Java client's `buildSysFlag` does.
    pub const fn build(
        commit_offset: bool,
        suspend: bool,
        subscription: bool,
        class_filter: bool,
    ) -> Self {
        Self::from_bits(0)
            .with(Self::COMMIT_OFFSET, commit_offset)
            .with(Self::SUSPEND, suspend)
            .with(Self::SUBSCRIPTION, subscription)
            .with(Self::CLASS_FILTER, class_filter)
    }

    pub const fn has_commit_offset(self) -> bool {
        self.contains(Self::COMMIT_OFFSET)
    }

    pub const fn has_suspend(self) -> bool {
        self.contains(Self::SUSPEND)
    }

    pub const fn has_subscription(self) -> bool {
        self.contains(Self::SUBSCRIPTION)
    }

    pub const fn has_class_filter(self) -> bool {
        self.contains(Self::CLASS_FILTER)
    }

    pub const fn is_lite_pull(self) -> bool {
        self.contains(Self::LITE_PULL)
    }
}

impl BitOr for PullSysFlag {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl fmt::Debug for PullSysFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PullSysFlag({:#x})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_type_replaces_only_bits_2_and_3() {
        let flag = SysFlag::from_bits(0x7F3).with_transaction_type(TransactionType::Prepared);
        assert_eq!(flag.bits(), 0x7F7);
        assert_eq!(flag.transaction_type(), TransactionType::Prepared);
        let flag = flag.with_transaction_type(TransactionType::NotType);
        assert_eq!(flag.bits(), 0x7F3);
        assert_eq!(
            SysFlag::from_bits(0xC).transaction_type(),
            TransactionType::Rollback
        );
        assert_eq!(
            SysFlag::from_bits(0x8).transaction_type(),
            TransactionType::Commit
        );
    }

    #[test]
    fn unknown_bits_survive_the_wire() {
        let flag = SysFlag::from_wire(-1);
        assert_eq!(flag.bits(), u32::MAX);
        assert_eq!(flag.to_wire(), -1);
        assert!(flag.born_host_v6() && flag.store_host_v6() && flag.is_compressed());
    }

    #[test]
    fn host_bits_toggle() {
        let flag = (SysFlag::COMPRESSED | SysFlag::BORNHOST_V6).with(SysFlag::STOREHOST_V6, true);
        assert_eq!(flag.bits(), 0x31);
        assert_eq!(flag.with(SysFlag::BORNHOST_V6, false).bits(), 0x21);
    }

    #[test]
    fn pull_flag_bits_match_the_reference() {
        assert_eq!(PullSysFlag::build(true, true, true, false).bits(), 0x7);
        assert_eq!(PullSysFlag::build(false, true, false, true).bits(), 0xA);
        let lite = PullSysFlag::from_wire(0x10);
        assert!(lite.is_lite_pull() && !lite.has_suspend());
        let slave = PullSysFlag::from_bits(0x7).with(PullSysFlag::COMMIT_OFFSET, false);
        assert!(!slave.has_commit_offset() && slave.has_subscription());
    }
}
