//! The classic HA wire format (§5.2): plain TCP, no remoting framing.
//!
//! * slave → master: a bare big-endian `int64`, the slave's max physical offset;
//! * master → slave: `[int64 startPhyOffset][int32 bodySize][bodySize raw CommitLog bytes]`,
//!   `bodySize` 0 being a heartbeat.
//!
//! Check-then-parse decoders over a byte slice: `Incomplete` when more bytes are needed,
//! `Invalid` for values no peer may send (negative offsets or sizes, a body over the limit).
//! They never panic on arbitrary input (see the fuzz test in `tests/ha_bad_input.rs`).

use thiserror::Error;

/// A slave's report.
pub const REPORT_BYTES: usize = 8;
/// A transfer frame's header.
pub const TRANSFER_HEADER_BYTES: usize = 12;

/// Why bytes are not (yet) a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("incomplete frame")]
    Incomplete,
    #[error("{0}")]
    Invalid(#[from] Invalid),
}

/// A value no well-behaved peer sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum Invalid {
    #[error("negative offset {0}")]
    NegativeOffset(i64),
    #[error("negative body size {0}")]
    NegativeSize(i32),
    #[error("body of {size} bytes exceeds the limit {max}")]
    BodyTooLarge { size: u32, max: usize },
    /// AutoSwitch: a state other than HANDSHAKE (1) or TRANSFER (2).
    #[error("unknown state {0}")]
    UnknownState(i32),
    /// AutoSwitch: a handshake flag other than 0 or 1.
    #[error("flag {0} is neither 0 nor 1")]
    BadFlag(i16),
    /// AutoSwitch: a handshake reply body that is not whole 12-byte epoch entries.
    #[error("epoch body of {0} bytes is not whole 12-byte entries")]
    EpochBodyLength(u32),
    #[error("negative epoch {0}")]
    NegativeEpoch(i32),
    #[error("epoch starts at {epoch_start}, after the frame's offset {offset}")]
    EpochStartsAfterFrame { epoch_start: u64, offset: u64 },
}

/// The slave's report of its max offset.
pub fn encode_report(offset: u64) -> [u8; REPORT_BYTES] {
    offset.to_be_bytes()
}

/// The header of a transfer frame; `size` 0 is a heartbeat.
pub fn encode_transfer_header(start: u64, size: u32) -> [u8; TRANSFER_HEADER_BYTES] {
    let mut out = [0u8; TRANSFER_HEADER_BYTES];
    out[..8].copy_from_slice(&start.to_be_bytes());
    out[8..].copy_from_slice(&size.to_be_bytes());
    out
}

/// The reports in `buf`, as the master reads them: every complete 8-byte value, in order.
/// Returns the last one (Java keeps only the newest) and how many bytes they took; a trailing
/// partial value stays for the next read.
pub fn decode_reports(buf: &[u8]) -> Result<(Option<u64>, usize), Invalid> {
    let whole = buf.len() - buf.len() % REPORT_BYTES;
    let mut last = None;
    for chunk in buf[..whole].chunks_exact(REPORT_BYTES) {
        let mut value = [0u8; REPORT_BYTES];
        value.copy_from_slice(chunk);
        let value = i64::from_be_bytes(value);
        if value < 0 {
            return Err(Invalid::NegativeOffset(value));
        }
        last = Some(value as u64);
    }
    Ok((last, whole))
}

/// A decoded transfer frame's header; the body is the `size` bytes after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferHeader {
    pub start: u64,
    pub size: u32,
}

impl TransferHeader {
    /// Header plus body.
    pub fn frame_len(&self) -> usize {
        TRANSFER_HEADER_BYTES + self.size as usize
    }
}

/// The transfer frame at the start of `buf`, whole: `Incomplete` until header and body are
/// there; `Invalid` as soon as the header is.
pub fn decode_transfer(buf: &[u8], body_max: usize) -> Result<TransferHeader, FrameError> {
    if buf.len() < TRANSFER_HEADER_BYTES {
        return Err(FrameError::Incomplete);
    }
    let mut start = [0u8; 8];
    start.copy_from_slice(&buf[..8]);
    let start = i64::from_be_bytes(start);
    let mut size = [0u8; 4];
    size.copy_from_slice(&buf[8..12]);
    let size = i32::from_be_bytes(size);
    if start < 0 {
        return Err(Invalid::NegativeOffset(start).into());
    }
    if size < 0 {
        return Err(Invalid::NegativeSize(size).into());
    }
    let header = TransferHeader {
        start: start as u64,
        size: size as u32,
    };
    if size as usize > body_max {
        let size = header.size;
        return Err(Invalid::BodyTooLarge {
            size,
            max: body_max,
        }
        .into());
    }
    if buf.len() < header.frame_len() {
        return Err(FrameError::Incomplete);
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_a_bare_big_endian_int64() {
        assert_eq!(encode_report(0x0102), [0, 0, 0, 0, 0, 0, 1, 2]);
    }

    #[test]
    fn reports_keep_the_last_whole_value_and_leave_a_partial_one() {
        let mut buf = Vec::new();
        buf.extend_from_slice(&encode_report(5));
        buf.extend_from_slice(&encode_report(9));
        buf.extend_from_slice(&[0, 0, 0]);
        assert_eq!(decode_reports(&buf), Ok((Some(9), 16)));
        assert_eq!(decode_reports(&buf[..7]), Ok((None, 0)));
        assert_eq!(
            decode_reports(&(-1i64).to_be_bytes()),
            Err(Invalid::NegativeOffset(-1))
        );
    }

    #[test]
    fn transfer_frames_decode_whole_or_not_at_all() {
        let mut buf = encode_transfer_header(1024, 3).to_vec();
        assert_eq!(decode_transfer(&buf, 32), Err(FrameError::Incomplete));
        buf.extend_from_slice(b"abc");
        let header = decode_transfer(&buf, 32).unwrap();
        assert_eq!(
            (header.start, header.size, header.frame_len()),
            (1024, 3, 15)
        );
        assert_eq!(
            decode_transfer(&buf, 2),
            Err(FrameError::Invalid(Invalid::BodyTooLarge {
                size: 3,
                max: 2
            }))
        );
        let heartbeat = encode_transfer_header(7, 0);
        assert_eq!(decode_transfer(&heartbeat, 0).unwrap().size, 0);
        let mut negative = encode_transfer_header(0, 0);
        negative[8] = 0x80;
        assert!(matches!(
            decode_transfer(&negative, 32),
            Err(FrameError::Invalid(Invalid::NegativeSize(_)))
        ));
    }
}
