//! The dispatcher (`ReputMessageService`): follows the CommitLog from `reput` to `max` and
//! writes each record's consume-queue entry and index entries. Runs as a background task,
//! woken by every append and every group commit (or after `dispatch_interval_ms`), and
//! synchronously in recovery.
//!
//! Visibility: under SYNC_FLUSH the background dispatcher stops at the *flushed* offset, so a
//! consumer never sees a record a power loss could still take away (Java 4.9 dispatches up to
//! the log's end in both modes: a message can be consumed, then vanish with the page cache,
//! and its queue offset be given to another message — the simulation's checkers caught that).
//! Under ASYNC_FLUSH that window is the mode's documented risk and dispatch follows `max`.
//!
//! Confirm offset (§5.8): with a dispatch limit set (`MessageStore::set_dispatch_limit`), only
//! records ending at or before it are dispatched, so consumers never see bytes a failover
//! could truncate. Checked once per round, not per record.
//!
//! Invariant: `min ≤ reput ≤ max` of the log, and every record below `reput` is in its queue
//! (if queued) and the index. A record the dispatcher cannot read stops it (logged, flagged in
//! `dispatch_stalled`): it never skips a record, which would leave a queue gap.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::check::Entry;
use super::config::FlushMode;
use super::consume_queue::{tags_code, CqEntry};
use super::error::ReadError;
use super::message::is_queued;
use super::shared::Shared;
use crate::env::Env;
use crate::protocol::record::MessageRecord;

/// Dispatches every record in `[reput, max)`. Returns how many records it dispatched.
pub(crate) fn dispatch_pending<E: Env>(
    shared: &Shared<E>,
    check_crc: bool,
) -> Result<u64, ReadError> {
    dispatch_up_to(shared, check_crc, u64::MAX)
}

/// Dispatches every record in `[reput, max)` that ends within the dispatch limit.
pub(crate) fn dispatch_limited<E: Env>(
    shared: &Shared<E>,
    check_crc: bool,
) -> Result<u64, ReadError> {
    let limit = shared.dispatch_limit.load(Ordering::Acquire);
    dispatch_up_to(shared, check_crc, limit)
}

/// Dispatches every record in `[reput, min(max, end))`.
fn dispatch_up_to<E: Env>(shared: &Shared<E>, check_crc: bool, end: u64) -> Result<u64, ReadError> {
    let mut count = 0;
    loop {
        let at = shared.reput.load(Ordering::Acquire);
        let max = shared.log.max_offset();
        if at >= max.min(end) {
            return Ok(count);
        }
        // Read against the log's end, then compare with `end`: a limit (a confirm offset)
        // may fall inside a record, which then waits, rather than looking torn.
        let (entry, _) = shared.log.entry_at(at, max, check_crc)?;
        let len = match &entry {
            Entry::Blank { len } | Entry::Message { len, .. } => *len as u64,
        };
        if at + len > end {
            return Ok(count);
        }
        if let Entry::Message { record, len } = entry {
            dispatch_record(shared, &record, len)?;
            count += 1;
        }
        let next = at + len;
        shared.reput.store(next, Ordering::Release);
    }
}

fn dispatch_record<E: Env>(
    shared: &Shared<E>,
    record: &MessageRecord,
    len: usize,
) -> Result<(), ReadError> {
    if is_queued(record.sys_flag) {
        let queue = shared.queue(&(record.topic.clone(), record.queue_id))?;
        let entry = CqEntry {
            physical_offset: record.physical_offset,
            size: len as u32,
            tags_code: tags_code(record.properties.tags()),
        };
        queue.put(record.queue_offset, entry)?;
        let listener = shared.arrival.lock().clone();
        if let Some(listener) = listener {
            listener(&record.topic, record.queue_id, record.queue_offset + 1);
        }
    }
    shared.index.put(record, shared.env.now_millis())?;
    Ok(())
}

/// The background loop.
pub(crate) async fn run<E: Env>(shared: std::sync::Arc<Shared<E>>) {
    let idle = Duration::from_millis(shared.config.dispatch_interval_ms.max(1));
    while !shared.is_stopping() {
        if !shared.dispatch_stalled.load(Ordering::Acquire) {
            let _gate = shared.dispatch_gate.lock().await;
            let end = match shared.config.flush_mode {
                FlushMode::Sync => shared.log.flushed_offset(),
                FlushMode::Async => u64::MAX,
            };
            let end = end.min(shared.dispatch_limit.load(Ordering::Acquire));
            if let Err(error) = dispatch_up_to(&shared, shared.config.check_crc_on_read, end) {
                let at = shared.reput.load(Ordering::Acquire);
                tracing::error!(at, %error, "dispatcher cannot read the log; stopped");
                shared.dispatch_stalled.store(true, Ordering::Release);
            }
        }
        let _ = shared
            .env
            .timeout(idle, shared.dispatch_wake.notified())
            .await;
    }
}
