//! A bounds-checked big-endian cursor over one record's bytes.
//!
//! The slice it is given ends at the record's declared TOTALSIZE, so a field that would read
//! past it is an `Overrun` of the declared size (corruption), never an out-of-bounds panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::error::{invalid, Field, InvalidReason, RecordError};

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8], at: usize) -> Self {
        Self { buf, at }
    }

    /// The offset of the next unread byte.
    pub(crate) fn at(&self) -> usize {
        self.at
    }

    /// The next `n` bytes as one `field`.
    pub(crate) fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8], RecordError> {
        let start = self.at;
        let end = start.saturating_add(n);
        let Some(bytes) = self.buf.get(start..end) else {
            let declared = self.buf.len();
            return Err(invalid(
                start,
                field,
                InvalidReason::Overrun { end, declared },
            ));
        };
        self.at = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self, field: Field) -> Result<[u8; N], RecordError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: Field) -> Result<u8, RecordError> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn i16(&mut self, field: Field) -> Result<i16, RecordError> {
        self.array(field).map(i16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self, field: Field) -> Result<u32, RecordError> {
        self.array(field).map(u32::from_be_bytes)
    }

    pub(crate) fn i32(&mut self, field: Field) -> Result<i32, RecordError> {
        self.array(field).map(i32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self, field: Field) -> Result<u64, RecordError> {
        self.array(field).map(u64::from_be_bytes)
    }

    pub(crate) fn i64(&mut self, field: Field) -> Result<i64, RecordError> {
        self.array(field).map(i64::from_be_bytes)
    }

    /// A host field: 4 or 16 address bytes, then the port as an `int32`.
    pub(crate) fn host(&mut self, v6: bool, field: Field) -> Result<SocketAddr, RecordError> {
        let start = self.at;
        let ip = if v6 {
            IpAddr::V6(Ipv6Addr::from(self.array::<16>(field)?))
        } else {
            IpAddr::V4(Ipv4Addr::from(self.array::<4>(field)?))
        };
        let port = self.i32(field)?;
        let port = u16::try_from(port)
            .map_err(|_| invalid(start, field, InvalidReason::PortOutOfRange { port }))?;
        Ok(SocketAddr::new(ip, port))
    }
}
