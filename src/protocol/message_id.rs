//! Message ids (reference §3.5): the broker's offset msgId and the producer's UNIQ_KEY.
//!
//! * [`OffsetMsgId`]: store host address + port (`int32`) + physical offset (`int64`), as
//!   UPPERCASE hex: 32 chars for an IPv4 host, 56 for IPv6. Clients decode it and send
//!   VIEW_MESSAGE_BY_ID straight to that address, so it must name a reachable broker.
//! * [`UniqKey`]: client IP (4 or 16 bytes) + pid (`int16`) + class-loader hash (`int32`) +
//!   milliseconds since the start of the month (`int32`) + counter (`int16`), as UPPERCASE hex:
//!   32 chars (IPv4) or 56 (IPv6). [`UniqKeyGenerator`] makes them; it reads no clock — the
//!   caller passes the wall-clock time and the start of the month, so simulation controls both.
//!
//! Parsing accepts either case of hex digits (Java upper-cases before parsing) and exactly the
//! two lengths; anything else is a typed error, never a panic.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use thiserror::Error;

/// Why a string is not a message id.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MessageIdError {
    #[error("message id of {len} chars; expected 32 (IPv4) or 56 (IPv6)")]
    BadLength { len: usize },
    #[error("non-hex character at {at}")]
    BadHexDigit { at: usize },
    #[error("port {port} outside 0..=65535")]
    PortOutOfRange { port: i32 },
}

/// Hex chars of an id over an IPv4 address.
pub const MSG_ID_V4_CHARS: usize = 32;
/// Hex chars of an id over an IPv6 address.
pub const MSG_ID_V6_CHARS: usize = 56;

/// The broker-side id of a stored message: where it is (broker address, CommitLog offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OffsetMsgId {
    pub store_host: SocketAddr,
    pub physical_offset: u64,
}

impl OffsetMsgId {
    /// Parses the hex form back into address and offset.
    pub fn parse(s: &str) -> Result<Self, MessageIdError> {
        let mut bytes = [0u8; 28];
        let (ip, rest) = decode_ip_prefix(s, &mut bytes, 12)?;
        let port = i32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let port = u16::try_from(port).map_err(|_| MessageIdError::PortOutOfRange { port })?;
        let mut offset = [0u8; 8];
        offset.copy_from_slice(&rest[4..12]);
        Ok(Self {
            store_host: SocketAddr::new(ip, port),
            physical_offset: u64::from_be_bytes(offset),
        })
    }
}

impl fmt::Display for OffsetMsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(28);
        push_ip(&mut bytes, self.store_host.ip());
        bytes.extend_from_slice(&i32::from(self.store_host.port()).to_be_bytes());
        bytes.extend_from_slice(&self.physical_offset.to_be_bytes());
        f.write_str(&hex_upper(&bytes))
    }
}

impl FromStr for OffsetMsgId {
    type Err = MessageIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The fields of a producer's UNIQ_KEY.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UniqKey {
    pub client_ip: IpAddr,
    /// The producer's pid, truncated to 16 bits as Java does.
    pub pid: u16,
    pub classloader_hash: i32,
    /// The low 32 bits of (creation time − start of month) in ms. Java writes them as an
    /// `int`, which goes negative after 24.8 days; read unsigned they are exact for any month.
    pub month_offset_ms: u32,
    pub counter: u16,
}

impl UniqKey {
    pub fn parse(s: &str) -> Result<Self, MessageIdError> {
        let mut bytes = [0u8; 28];
        let (client_ip, rest) = decode_ip_prefix(s, &mut bytes, 12)?;
        Ok(Self {
            client_ip,
            pid: u16::from_be_bytes([rest[0], rest[1]]),
            classloader_hash: i32::from_be_bytes([rest[2], rest[3], rest[4], rest[5]]),
            month_offset_ms: u32::from_be_bytes([rest[6], rest[7], rest[8], rest[9]]),
            counter: u16::from_be_bytes([rest[10], rest[11]]),
        })
    }

    /// The creation time, given the start of the month it was created in.
    pub fn timestamp_ms(&self, month_start_ms: i64) -> i64 {
        month_start_ms + i64::from(self.month_offset_ms)
    }
}

impl fmt::Display for UniqKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = Vec::with_capacity(28);
        push_ip(&mut bytes, self.client_ip);
        bytes.extend_from_slice(&self.pid.to_be_bytes());
        bytes.extend_from_slice(&self.classloader_hash.to_be_bytes());
        bytes.extend_from_slice(&self.month_offset_ms.to_be_bytes());
        bytes.extend_from_slice(&self.counter.to_be_bytes());
        f.write_str(&hex_upper(&bytes))
    }
}

impl FromStr for UniqKey {
    type Err = MessageIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Makes UNIQ_KEYs for one producer process. Deterministic: the same inputs and call
/// sequence give the same keys. The counter wraps at 65536, as Java's `short` cast does.
#[derive(Clone, Debug)]
pub struct UniqKeyGenerator {
    client_ip: IpAddr,
    pid: u16,
    classloader_hash: i32,
    counter: u16,
}

impl UniqKeyGenerator {
    pub fn new(client_ip: IpAddr, pid: u16, classloader_hash: i32) -> Self {
        Self {
            client_ip,
            pid,
            classloader_hash,
            counter: 0,
        }
    }

    /// Starts the counter at `counter` instead of 0 (e.g. from the seeded random stream, so
    /// that restarted producers do not repeat keys within the same millisecond).
    #[must_use]
    pub fn with_counter(mut self, counter: u16) -> Self {
        self.counter = counter;
        self
    }

    /// The next key, created at wall-clock `now_ms` in the month starting at `month_start_ms`
    /// (see [`start_of_month_utc_ms`]).
    pub fn next(&mut self, now_ms: i64, month_start_ms: i64) -> UniqKey {
        let key = UniqKey {
            client_ip: self.client_ip,
            pid: self.pid,
            classloader_hash: self.classloader_hash,
            // Truncation to the low 32 bits is the format (Java's `(int)` cast).
            month_offset_ms: now_ms.wrapping_sub(month_start_ms) as u32,
            counter: self.counter,
        };
        self.counter = self.counter.wrapping_add(1);
        key
    }
}

/// Milliseconds of 00:00 UTC on the first day of the month containing `now_ms`. Java uses
/// the JVM's default time zone; any fixed choice works for parsing as long as producer and
/// reader agree, and UTC keeps simulation independent of the host.
pub fn start_of_month_utc_ms(now_ms: i64) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    let days = now_ms.div_euclid(DAY_MS);
    (days - (day_of_month(days) - 1)) * DAY_MS
}

/// Day of the month (1..=31) of `days` since 1970-01-01, by the proleptic Gregorian calendar
/// (eras of 400 years starting on March 1st, so the leap day is the last day of a year).
fn day_of_month(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    day_of_year - (153 * month_from_march + 2) / 5 + 1
}

fn push_ip(bytes: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => bytes.extend_from_slice(&v4.octets()),
        IpAddr::V6(v6) => bytes.extend_from_slice(&v6.octets()),
    }
}

/// Decodes an id of an IP followed by `tail` bytes into `buf`; returns the IP and the tail.
fn decode_ip_prefix<'b>(
    s: &str,
    buf: &'b mut [u8; 28],
    tail: usize,
) -> Result<(IpAddr, &'b [u8]), MessageIdError> {
    let ip_len = match s.len() {
        MSG_ID_V4_CHARS => 4,
        MSG_ID_V6_CHARS => 16,
        len => return Err(MessageIdError::BadLength { len }),
    };
    let bytes = &mut buf[..ip_len + tail];
    decode_hex(s, bytes)?;
    let ip = if ip_len == 4 {
        IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
    } else {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&bytes[..16]);
        IpAddr::V6(Ipv6Addr::from(octets))
    };
    Ok((ip, &buf[ip_len..ip_len + tail]))
}

fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
    out
}

/// Fills `out` from `s`, which the caller checked is exactly `2 * out.len()` bytes.
fn decode_hex(s: &str, out: &mut [u8]) -> Result<(), MessageIdError> {
    let digits = s.as_bytes();
    for (i, byte) in out.iter_mut().enumerate() {
        let hi = nibble(digits, 2 * i)?;
        let lo = nibble(digits, 2 * i + 1)?;
        *byte = (hi << 4) | lo;
    }
    Ok(())
}

fn nibble(digits: &[u8], at: usize) -> Result<u8, MessageIdError> {
    let bad = MessageIdError::BadHexDigit { at };
    let c = *digits.get(at).ok_or(bad.clone())?;
    char::from(c).to_digit(16).map(|d| d as u8).ok_or(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_of_month_handles_leap_years_and_negative_times() {
        // 2024-02-29T13:00:00Z → 2024-02-01T00:00:00Z.
        assert_eq!(start_of_month_utc_ms(1_709_211_600_000), 1_706_745_600_000);
        // 2023-12-31T23:59:59.999Z → 2023-12-01.
        assert_eq!(start_of_month_utc_ms(1_704_067_199_999), 1_701_388_800_000);
        // 1969-12-15 → 1969-12-01, before the epoch.
        assert_eq!(start_of_month_utc_ms(-17 * 86_400_000), -31 * 86_400_000);
        assert_eq!(start_of_month_utc_ms(0), 0);
    }

    #[test]
    fn counter_wraps_and_offset_truncates() {
        let mut g =
            UniqKeyGenerator::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1, 2).with_counter(u16::MAX);
        let a = g.next(30 * 86_400_000, 0);
        let b = g.next(30 * 86_400_000, 0);
        assert_eq!((a.counter, b.counter), (u16::MAX, 0));
        // 30 days exceed i32::MAX ms; the unsigned reading is still exact.
        assert_eq!(a.timestamp_ms(0), 30 * 86_400_000);
    }

    #[test]
    fn parse_rejects_bad_lengths_and_digits_without_panicking() {
        assert_eq!(
            OffsetMsgId::parse(""),
            Err(MessageIdError::BadLength { len: 0 })
        );
        let bad = "G".repeat(32);
        assert_eq!(
            OffsetMsgId::parse(&bad),
            Err(MessageIdError::BadHexDigit { at: 0 })
        );
        // 32 bytes, but a multi-byte char: still no panic.
        let s = format!("é{}", "0".repeat(30));
        assert!(UniqKey::parse(&s).is_err());
        let port = "7F00000100010000".to_string() + &"0".repeat(16);
        assert_eq!(
            OffsetMsgId::parse(&port),
            Err(MessageIdError::PortOutOfRange { port: 0x10000 })
        );
    }
}
