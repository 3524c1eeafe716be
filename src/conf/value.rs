//! Value parsers shared by the key tables: Java's `Long.parseLong`/`Boolean.parseBoolean`
//! semantics, except that anything but `true`/`false` is refused rather than read as false.

use super::{Reason, Resolve};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub(crate) fn int(value: &str, min: i64, max: i64) -> Result<i64, Reason> {
    let n: i64 = value.trim().parse().map_err(|_| Reason::NotAnInteger)?;
    if !(min..=max).contains(&n) {
        return Err(Reason::OutOfRange { min, max });
    }
    Ok(n)
}

pub(crate) fn unsigned(value: &str, min: u64, max: u64) -> Result<u64, Reason> {
    int(value, min as i64, max.min(i64::MAX as u64) as i64).map(|n| n as u64)
}

pub(crate) fn millis(value: &str, min: u64, max: u64) -> Result<Duration, Reason> {
    unsigned(value, min, max).map(Duration::from_millis)
}

pub(crate) fn boolean(value: &str) -> Result<bool, Reason> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(Reason::NotABool),
    }
}

pub(crate) fn ip(value: &str) -> Result<IpAddr, Reason> {
    value.trim().parse().map_err(|_| Reason::NotAnIp)
}

pub(crate) fn text(value: &str) -> Result<String, Reason> {
    match value.trim() {
        "" => Err(Reason::Empty),
        v => Ok(v.to_string()),
    }
}

/// `host:port;host:port` — each entry resolved; the first address of each entry kept.
pub(crate) fn addresses(value: &str, resolve: Resolve<'_>) -> Result<Vec<SocketAddr>, Reason> {
    let mut out = Vec::new();
    for entry in value.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let resolved = resolve(entry).map_err(|detail| Reason::BadAddress {
            detail: format!("{entry}: {detail}"),
        })?;
        let first = resolved
            .into_iter()
            .next()
            .ok_or_else(|| Reason::BadAddress {
                detail: format!("{entry}: resolves to nothing"),
            })?;
        out.push(first);
    }
    if out.is_empty() {
        return Err(Reason::Empty);
    }
    Ok(out)
}
