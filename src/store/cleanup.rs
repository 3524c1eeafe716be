//! Retention (§4.8): delete the oldest CommitLog files, then consume-queue and index files
//! wholly below the new minimum.
//!
//! A file's age is the store timestamp of the first record of the *next* file (no record in
//! a file is newer than that), because `env::Fs` has no modification times; the file being
//! written is never deleted. Disk usage is the bytes of all segment files of the store over
//! `capacity_bytes` (the share of the disk the operator gives the store): the store cannot
//! ask the file system for free space through `env::Fs`, and in simulation this keeps the
//! ratio deterministic.
//!
//! A round deletes expired files when the hour is in `delete_when_hours`, when usage is over
//! `disk_max_used_ratio_pct`, or when forced (the admin command); above
//! `disk_clean_forcibly_ratio_pct` it deletes the oldest files even unexpired, until usage is
//! below it; above `disk_full_ratio_pct` it marks the disk full and puts are refused until a
//! later round measures usage below. At most `clean_segments_per_round_max` files per round.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::shared::Shared;
use super::time::hour_of;
use crate::env::Env;
use crate::protocol::record::{peek, DecodeOptions, Peeked};

/// What one cleanup round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CleanReport {
    pub used_pct: u64,
    pub log_segments_removed: usize,
    pub queue_segments_removed: usize,
    pub index_files_removed: usize,
    pub disk_full: bool,
}

/// Bytes of every segment file of the store.
pub(crate) fn usage_bytes<E: Env>(shared: &Shared<E>) -> u64 {
    let queues: u64 = shared
        .all_queues()
        .iter()
        .map(|q| q.segments().allocated_bytes())
        .sum();
    shared.log.segments().allocated_bytes() + queues + shared.index.allocated_bytes()
}

fn used_pct<E: Env>(shared: &Shared<E>) -> u64 {
    usage_bytes(shared).saturating_mul(100) / shared.config.capacity_bytes.max(1)
}

/// One round at wall time `now_ms`; `forced` as by the admin command.
pub(crate) fn clean_round<E: Env>(
    shared: &Shared<E>,
    now_ms: u64,
    forced: bool,
) -> std::io::Result<CleanReport> {
    let c = &shared.config;
    let mut report = CleanReport {
        used_pct: used_pct(shared),
        ..CleanReport::default()
    };
    let time_ok = c.delete_when_hours.contains(&hour_of(now_ms));
    let pressure = report.used_pct >= c.disk_max_used_ratio_pct;
    if time_ok || pressure || forced || report.used_pct >= c.disk_clean_forcibly_ratio_pct {
        report.log_segments_removed = delete_log_segments(shared, now_ms)?;
    }
    if report.log_segments_removed > 0 {
        let min = shared.log.min_offset();
        for queue in shared.all_queues() {
            report.queue_segments_removed += queue.delete_below(min)?;
        }
        report.index_files_removed = shared.index.delete_below(min)?;
    }
    report.used_pct = used_pct(shared);
    report.disk_full = report.used_pct >= c.disk_full_ratio_pct;
    shared.used_pct.store(report.used_pct, Ordering::Release);
    shared.disk_full.store(report.disk_full, Ordering::Release);
    if report.log_segments_removed > 0 || report.disk_full {
        tracing::info!(?report, "cleanup round");
    }
    Ok(report)
}

fn delete_log_segments<E: Env>(shared: &Shared<E>, now_ms: u64) -> std::io::Result<usize> {
    let c = &shared.config;
    let segments = shared.log.segments();
    let writing = segments.start_of(shared.log.max_offset().saturating_sub(1));
    let starts = segments.starts();
    let mut removed = 0;
    for pair in starts.windows(2) {
        // Never the file being written, nor one the dispatcher has not finished.
        let dispatched = shared.reput.load(Ordering::Acquire) >= pair[1];
        if pair[0] >= writing || !dispatched || removed >= c.clean_segments_per_round_max {
            break;
        }
        let newest_ms = first_timestamp(shared, pair[1]).unwrap_or(i64::MAX);
        let expired = (now_ms as i64).saturating_sub(newest_ms) >= c.file_reserved_time_ms as i64;
        let forcibly = used_pct(shared) >= c.disk_clean_forcibly_ratio_pct;
        if !expired && !forcibly {
            break;
        }
        // Readers check `min` first, so raise it before the file goes.
        shared.log.set_min(pair[1]);
        segments.remove(pair[0])?;
        tracing::info!(
            start = pair[0],
            expired,
            forcibly,
            "commitlog segment deleted"
        );
        removed += 1;
    }
    Ok(removed)
}

fn first_timestamp<E: Env>(shared: &Shared<E>, start: u64) -> Option<i64> {
    let mut head = [0u8; 80];
    shared.log.segments().read_at(start, &mut head).ok()?;
    match peek(&head, &DecodeOptions::default()).ok()? {
        Peeked::Message(h) => Some(h.store_timestamp_ms),
        Peeked::Blank { .. } => None,
    }
}

/// The cleanup task: every `clean_interval_ms`.
pub(crate) async fn run<E: Env>(shared: Arc<Shared<E>>) {
    let interval = Duration::from_millis(shared.config.clean_interval_ms);
    while !shared.is_stopping() {
        shared.env.sleep(interval).await;
        if let Err(error) = clean_round(&shared, shared.env.now_millis(), false) {
            tracing::error!(%error, "cleanup round failed");
        }
    }
}
