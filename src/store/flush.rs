//! Flushing (§4.7): making the CommitLog durable, and the consume queues, index and checkpoint
//! after it.
//!
//! * ASYNC_FLUSH: every `flush_interval_ms`, sync `[flushed, max)` if at least
//!   `flush_least_pages` pages are dirty, and everything at least every
//!   `flush_thorough_interval_ms`. A put is acknowledged from the page cache.
//! * SYNC_FLUSH (group commit): a put enqueues a waiter for its end offset and wakes the
//!   service; the service waits at most `group_commit_wait_ms` for company, syncs once up to
//!   the current `max`, and completes every waiter at or below the new `flushed`. A put not
//!   completed within `sync_flush_timeout_ms` returns `FlushDiskTimeout`; its message is stored.
//! * Logics: every `logics_flush_interval_ms`, if some queue has `logics_flush_least_pages`
//!   dirty pages (or the thorough interval passed), sync every queue and index file, then
//!   write the checkpoint with the dispatcher position captured before the syncs.
//!
//! Only the flush task syncs the log, so `flushed` moves forward in one place.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::config::FlushMode;
use super::shared::Shared;
use crate::env::{Env, Instant};

/// Whether a periodic flush should run now: enough dirty pages, or the thorough interval
/// has passed with anything dirty. Pure, for the policy's unit tests.
pub fn should_flush(dirty_pages: u64, least_pages: u64, thorough_due: bool, dirty: bool) -> bool {
    dirty && (dirty_pages >= least_pages || thorough_due)
}

/// Pages touched by `[from, to)` that are not yet durable (4 KiB pages).
pub fn dirty_pages(from: u64, to: u64) -> u64 {
    if to <= from {
        0
    } else {
        (to.div_ceil(4096)).saturating_sub(from / 4096)
    }
}

/// Syncs the log up to its current `max`; returns the new flushed offset.
pub(crate) async fn flush_log<E: Env>(shared: &Shared<E>) -> std::io::Result<u64> {
    let _gate = shared.flush_gate.lock().await;
    let (end, timestamp_ms) = shared.log.last_appended();
    let from = shared.log.flushed_offset();
    if end > from {
        shared.log.segments().sync(from..end).await?;
        shared.log.set_flushed(end);
        let mut checkpoint = shared.checkpoint.lock();
        checkpoint.physic_timestamp_ms = checkpoint.physic_timestamp_ms.max(timestamp_ms);
        checkpoint.physic_offset = checkpoint.physic_offset.max(end);
    }
    Ok(shared.log.flushed_offset())
}

/// The CommitLog flush task, in the configured mode.
pub(crate) async fn run_log<E: Env>(shared: Arc<Shared<E>>) {
    match shared.config.flush_mode {
        FlushMode::Async => run_async(shared).await,
        FlushMode::Sync => run_group_commit(shared).await,
    }
}

async fn run_async<E: Env>(shared: Arc<Shared<E>>) {
    let interval = Duration::from_millis(shared.config.flush_interval_ms);
    let thorough = Duration::from_millis(shared.config.flush_thorough_interval_ms);
    let mut last_thorough: Instant = shared.env.now();
    while !shared.is_stopping() {
        shared.env.sleep(interval).await;
        let (flushed, max) = (shared.log.flushed_offset(), shared.log.max_offset());
        let now = shared.env.now();
        let thorough_due = now - last_thorough >= thorough;
        let pages = dirty_pages(flushed, max);
        if should_flush(
            pages,
            shared.config.flush_least_pages,
            thorough_due,
            max > flushed,
        ) {
            if thorough_due {
                last_thorough = now;
            }
            if let Err(error) = flush_log(&shared).await {
                tracing::error!(%error, "commitlog flush failed");
            }
        }
    }
}

async fn run_group_commit<E: Env>(shared: Arc<Shared<E>>) {
    let wait = Duration::from_millis(shared.config.group_commit_wait_ms.max(1));
    while !shared.is_stopping() {
        let _ = shared.env.timeout(wait, shared.flush_wake.notified()).await;
        if shared.waiters.lock().is_empty()
            && shared.log.flushed_offset() >= shared.log.max_offset()
        {
            continue;
        }
        match flush_log(&shared).await {
            Ok(flushed) => {
                complete_waiters(&shared, flushed);
                // What just became durable may now be dispatched (see `dispatch`).
                shared.dispatch_wake.notify_one();
            }
            Err(error) => tracing::error!(%error, "group commit sync failed"),
        }
    }
}

/// Completes every waiter whose target is durable.
pub(crate) fn complete_waiters<E: Env>(shared: &Shared<E>, flushed: u64) {
    let mut waiters = shared.waiters.lock();
    let pending = std::mem::take(&mut *waiters);
    for waiter in pending {
        if waiter.target <= flushed {
            let _ = waiter.done.send(());
        } else {
            waiters.push(waiter);
        }
    }
}

/// Syncs consume queues and index, then persists the checkpoint. `least_pages` 0 forces it.
pub(crate) async fn flush_logics<E: Env>(
    shared: &Shared<E>,
    least_pages: u64,
) -> std::io::Result<bool> {
    let reput = shared.reput.load(Ordering::Acquire);
    let queues = shared.all_queues();
    let due = queues.iter().any(|q| q.dirty_pages() >= least_pages.max(1))
        || (least_pages == 0 && queues.iter().any(|q| q.dirty_pages() > 0));
    let last_checkpoint = *shared.checkpoint.lock();
    if !due && last_checkpoint.logics_offset == reput && least_pages > 0 {
        return Ok(false);
    }
    for queue in &queues {
        queue.flush(0).await?;
    }
    shared.index.flush().await?;
    let now = shared.env.now_millis() as i64;
    let checkpoint = {
        let mut checkpoint = shared.checkpoint.lock();
        checkpoint.logics_offset = checkpoint.logics_offset.max(reput);
        checkpoint.logics_timestamp_ms = checkpoint.physic_timestamp_ms.min(now);
        checkpoint.index_timestamp_ms = checkpoint.logics_timestamp_ms;
        *checkpoint
    };
    checkpoint
        .store(&shared.env, &shared.config.checkpoint_path())
        .await?;
    Ok(true)
}

/// The logics flush task.
pub(crate) async fn run_logics<E: Env>(shared: Arc<Shared<E>>) {
    let interval = Duration::from_millis(shared.config.logics_flush_interval_ms);
    let thorough = Duration::from_millis(shared.config.logics_flush_thorough_interval_ms);
    let mut last_thorough = shared.env.now();
    while !shared.is_stopping() {
        shared.env.sleep(interval).await;
        let now = shared.env.now();
        let least = if now - last_thorough >= thorough {
            last_thorough = now;
            0
        } else {
            shared.config.logics_flush_least_pages
        };
        if let Err(error) = flush_logics(&shared, least).await {
            tracing::error!(%error, "consume queue flush failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn async_policy_waits_for_least_pages_or_thorough() {
        assert!(!should_flush(3, 4, false, true));
        assert!(should_flush(4, 4, false, true));
        assert!(should_flush(1, 4, true, true));
        assert!(!should_flush(0, 4, true, false));
    }

    #[test]
    fn dirty_pages_count_touched_pages() {
        assert_eq!(dirty_pages(0, 0), 0);
        assert_eq!(dirty_pages(0, 1), 1);
        assert_eq!(dirty_pages(4095, 4097), 2);
        assert_eq!(dirty_pages(8192, 8192 + 4 * 4096), 4);
    }
}
