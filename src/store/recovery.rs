//! Recovery on start (§4.6): find where the CommitLog really ends, make everything else agree
//! with it, and rebuild what a crash may have lost.
//!
//! 1. Choose where to start validating. Normal (no abort file): the third-from-last file.
//!    Abnormal: the newest file whose first record was stored at or before the checkpoint's
//!    `min(physic, logics) − 3 s`. Either way no later than the file holding the checkpoint's
//!    `logics_offset`, so that every record re-dispatched below is validated first.
//! 2. Walk records from there, checking each (`check`: structure, CRC if
//!    `check_crc_on_recover`, physical offset, topic, canonical properties). A blank marker
//!    must close its file exactly. The first invalid or torn record is the end of the log.
//! 3. Truncate there: zero (and sync) the rest of that file, so stale bytes can never pass for
//!    records later, and remove every later file. Logged with byte counts.
//! 4. Each consume queue keeps its valid prefix and drops entries pointing past the end.
//! 5. Re-dispatch from `logics_offset` (clamped to the log) to the end, rebuilding lost consume
//!    queue and index entries (consume queue writes are idempotent), and take every queue's
//!    next offset from its consume queue.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::check::Entry;
use super::checkpoint::Checkpoint;
use super::dispatch::dispatch_pending;
use super::error::StoreError;
use super::shared::Shared;
use crate::env::Env;
use crate::protocol::record::DecodeOptions;

/// What recovery found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The abort file was present: the previous run did not shut down cleanly.
    pub abnormal: bool,
    /// Where validation started.
    pub validated_from: u64,
    /// The recovered end of the log.
    pub log_end: u64,
    /// Why the walk stopped before the end of the last file (None: a clean end — zeros).
    pub stopped_because: Option<String>,
    /// Non-zero bytes zeroed after the end in the CommitLog.
    pub log_bytes_zeroed: u64,
    /// Whole CommitLog files removed after the end.
    pub log_segments_removed: usize,
    /// Consume-queue entries dropped because they pointed past the end or were torn.
    pub queue_entries_dropped: u64,
    /// Records re-dispatched to consume queues and index.
    pub redispatched: u64,
}

pub(crate) async fn recover<E: Env>(
    shared: &Shared<E>,
    abnormal: bool,
) -> Result<RecoveryReport, StoreError> {
    let checkpoint = Checkpoint::load(&shared.env, &shared.config.checkpoint_path())
        .map_err(StoreError::io("read checkpoint"))?;
    *shared.checkpoint.lock() = checkpoint;
    let mut report = RecoveryReport {
        abnormal,
        ..RecoveryReport::default()
    };
    let segments = shared.log.segments();
    let starts = segments.starts();
    let min = starts.first().copied().unwrap_or(0);
    let from = validation_start(shared, &starts, &checkpoint, abnormal);
    report.validated_from = from;
    let (end, why) = walk(shared, from);
    report.log_end = end;
    report.stopped_because = why;
    let before = segments.count();
    report.log_bytes_zeroed = segments
        .truncate(end)
        .await
        .map_err(StoreError::io("truncate commitlog"))?;
    report.log_segments_removed = before - segments.count();
    shared.log.set_recovered(min.min(end), end, BTreeMap::new());
    open_queues(shared)?;
    for queue in shared.all_queues() {
        let torn = queue
            .recover()
            .await
            .map_err(StoreError::io("recover queue"))?;
        let dropped = queue
            .truncate_past(end)
            .await
            .map_err(StoreError::io("truncate queue"))?;
        if dropped > 0 || torn > 0 {
            tracing::warn!(
                topic = queue.topic(),
                queue = queue.queue_id(),
                dropped,
                torn_bytes = torn,
                "consume queue trimmed to the recovered log"
            );
        }
        report.queue_entries_dropped += dropped;
    }
    let reput = checkpoint.logics_offset.clamp(min.min(end), end);
    shared.reput.store(reput, Ordering::Release);
    report.redispatched = dispatch_pending(shared, shared.config.check_crc_on_recover)
        .map_err(StoreError::Redispatch)?;
    let offsets = shared
        .all_queues()
        .iter()
        .map(|q| ((q.topic().to_string(), q.queue_id()), q.max_offset()))
        .collect();
    shared.log.set_recovered(min.min(end), end, offsets);
    log_report(&report);
    Ok(report)
}

fn log_report(report: &RecoveryReport) {
    if report.log_bytes_zeroed > 0
        || report.log_segments_removed > 0
        || report.stopped_because.is_some()
    {
        tracing::warn!(
            abnormal = report.abnormal,
            log_end = report.log_end,
            zeroed_bytes = report.log_bytes_zeroed,
            removed_segments = report.log_segments_removed,
            why = report.stopped_because.as_deref().unwrap_or("zeros"),
            "commitlog truncated at the first invalid record"
        );
    }
    tracing::info!(?report, "store recovered");
}

/// The first offset to validate from (a file start).
fn validation_start<E: Env>(
    shared: &Shared<E>,
    starts: &[u64],
    checkpoint: &Checkpoint,
    abnormal: bool,
) -> u64 {
    let Some(&first) = starts.first() else {
        return 0;
    };
    let by_rule = if abnormal {
        let bound = checkpoint.min_timestamp_ms();
        starts
            .iter()
            .rev()
            .copied()
            .find(|&s| first_timestamp(shared, s).is_some_and(|t| t <= bound))
            .unwrap_or(first)
    } else {
        starts[starts.len().saturating_sub(3)]
    };
    let logics = shared
        .log
        .segments()
        .start_of(checkpoint.logics_offset.max(first));
    by_rule.min(logics)
}

fn first_timestamp<E: Env>(shared: &Shared<E>, start: u64) -> Option<i64> {
    let mut head = [0u8; 80];
    shared.log.segments().read_at(start, &mut head).ok()?;
    match crate::protocol::record::peek(&head, &DecodeOptions::default()).ok()? {
        crate::protocol::record::Peeked::Message(h) => Some(h.store_timestamp_ms),
        crate::protocol::record::Peeked::Blank { .. } => None,
    }
}

/// Walks checked records from `from`; returns the end and why it stopped there (if not at
/// zeros or the end of the last file).
fn walk<E: Env>(shared: &Shared<E>, from: u64) -> (u64, Option<String>) {
    let segments = shared.log.segments();
    let size = segments.segment_bytes();
    let Some(last) = segments.last_start() else {
        return (from, None);
    };
    let crc = shared.config.check_crc_on_recover;
    let mut at = from;
    loop {
        let seg_end = segments.start_of(at) + size;
        if segments.get(at).is_none() {
            return (at, None);
        }
        match shared.log.entry_at(at, seg_end, crc) {
            Ok((Entry::Message { len, .. }, _)) => at += len as u64,
            Ok((Entry::Blank { len }, _)) if at + len as u64 == seg_end => {
                if seg_end > last {
                    return (seg_end, None);
                }
                at = seg_end;
            }
            Ok((Entry::Blank { len }, _)) => {
                return (
                    at,
                    Some(format!(
                        "blank marker of {len} bytes does not close the file"
                    )),
                )
            }
            Err(error) => {
                let zeros = is_zero(shared, at, seg_end);
                return (at, (!zeros).then(|| error.to_string()));
            }
        }
    }
}

/// Whether the first bytes at `at` are zero (a clean end rather than corruption).
fn is_zero<E: Env>(shared: &Shared<E>, at: u64, seg_end: u64) -> bool {
    let len = (seg_end - at).min(8) as usize;
    let mut head = [0u8; 8];
    shared.log.segments().read_at(at, &mut head[..len]).is_ok()
        && head[..len].iter().all(|&b| b == 0)
}

/// Opens every consume queue found on disk.
fn open_queues<E: Env>(shared: &Shared<E>) -> Result<(), StoreError> {
    let root = shared.config.consume_queue_dir();
    shared
        .env
        .create_dir_all(&root)
        .map_err(StoreError::io("create consumequeue dir"))?;
    let topics = shared
        .env
        .list_dir(&root)
        .map_err(StoreError::io("list consumequeue"))?;
    for topic in topics {
        let ids = shared
            .env
            .list_dir(&root.join(&topic))
            .map_err(StoreError::io("list consumequeue topic"))?;
        for id in ids {
            let Ok(queue_id) = id.parse::<i32>() else {
                tracing::warn!(topic, id, "not a queue directory; ignored");
                continue;
            };
            shared
                .queue(&(topic.clone(), queue_id))
                .map_err(StoreError::io("open consume queue"))?;
        }
    }
    Ok(())
}
