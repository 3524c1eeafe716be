//! Cutting the CommitLog back to an earlier record boundary, and the dispatch limit — the two
//! store operations the AutoSwitch protocol needs (§5.8).
//!
//! Truncation (a slave whose tail diverged from its new master's, or a new master dropping a
//! partially received record) is **durable before it returns**: the bytes past the cut are
//! zeroed and synced, later segment files deleted, so a crash right after cannot resurrect the
//! divergent tail (rocketmq#10666, where Java only reset in-memory positions). Everything
//! derived follows: consume queues drop entries pointing past the cut (zeroed too), the
//! writer's next queue offsets are rebuilt from the queues plus the records not yet dispatched,
//! the dispatcher's position moves back. Index entries are not rewritten: every query reads
//! its hits back and keeps only records below `max` that carry the key (`query_by_key`), so an
//! entry of the cut tail is never returned.
//!
//! Exclusion: while a truncation runs, appends are refused (`NotWritable`), and it holds the
//! dispatcher's and the flusher's gates, so no record of the tail is dispatched and no sync in
//! flight sets `flushed` past the cut. On an I/O error the log stays cut in memory but its
//! tail may not be zeroed; the error says so and the caller should stop using the store.
//!
//! The dispatch limit (the confirm offset): see `dispatch`. Lowering it below what was already
//! dispatched hides nothing retroactively; it stops further dispatching.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use super::check::Entry;
use super::commitlog::QueueKey;
use super::error::StoreError;
use super::message::is_queued;
use super::message_store::MessageStore;
use super::shared::Shared;
use crate::env::Env;

/// What one truncation changed, for its log line.
#[derive(Clone, Copy, Debug, Default)]
struct Cut {
    from: u64,
    zeroed: u64,
    queue_entries: u64,
}

impl<E: Env> MessageStore<E> {
    /// Cuts the CommitLog at `keep_until` (a record boundary in `[min, max]`), durably; returns
    /// the bytes dropped (received bytes past the cut, a partial record included). `reason`
    /// goes into the WARN log line.
    pub async fn truncate_to(&self, keep_until: u64, reason: &str) -> Result<u64, StoreError> {
        let s = &self.shared;
        if s.truncating.swap(true, Ordering::AcqRel) {
            return Err(StoreError::TruncateBusy);
        }
        let result = {
            let _dispatch = s.dispatch_gate.lock().await;
            let _flush = s.flush_gate.lock().await;
            cut(s, keep_until).await
        };
        s.truncating.store(false, Ordering::Release);
        s.dispatch_wake.notify_one();
        let cut = result?;
        let dropped = cut.from - keep_until;
        if dropped > 0 {
            tracing::warn!(target: "rocketsim::store", bytes_dropped = dropped, from = cut.from,
                to = keep_until, zeroed = cut.zeroed, queue_entries_dropped = cut.queue_entries,
                reason, "commitlog truncated");
        }
        Ok(dropped)
    }

    /// Limits dispatching to records ending at or before `limit` (`None`: no limit, the
    /// default). Raising it wakes the dispatcher at once.
    pub fn set_dispatch_limit(&self, limit: Option<u64>) {
        let s = &self.shared;
        let new = limit.unwrap_or(u64::MAX);
        let old = s.dispatch_limit.swap(new, Ordering::AcqRel);
        if new > old {
            s.dispatch_wake.notify_one();
        }
    }

    /// The dispatch limit in force.
    pub fn dispatch_limit(&self) -> Option<u64> {
        let limit = self.shared.dispatch_limit.load(Ordering::Acquire);
        (limit != u64::MAX).then_some(limit)
    }
}

async fn cut<E: Env>(s: &Shared<E>, keep_until: u64) -> Result<Cut, StoreError> {
    check_boundary(s, keep_until)?;
    let from = s.log.cut_to(keep_until);
    let reput = s.reput.load(Ordering::Acquire).min(keep_until);
    s.reput.store(reput, Ordering::Release);
    {
        let mut checkpoint = s.checkpoint.lock();
        checkpoint.physic_offset = checkpoint.physic_offset.min(keep_until);
        checkpoint.logics_offset = checkpoint.logics_offset.min(keep_until);
    }
    let zeroed = s
        .log
        .segments()
        .truncate(keep_until)
        .await
        .map_err(StoreError::io("truncate commitlog tail"))?;
    let mut queue_entries = 0;
    let mut offsets = BTreeMap::new();
    for queue in s.all_queues() {
        queue_entries += queue
            .truncate_past(keep_until)
            .await
            .map_err(StoreError::io("truncate consume queue"))?;
        let key = (queue.topic().to_string(), queue.queue_id());
        offsets.insert(key, queue.max_offset());
    }
    undispatched_offsets(s, reput, keep_until, &mut offsets)?;
    s.log.set_queue_offsets(offsets);
    s.dispatch_stalled.store(false, Ordering::Release);
    Ok(Cut {
        from,
        zeroed,
        queue_entries,
    })
}

/// `keep_until` is `min`, `max`, a segment start in between (records never span files), or
/// the start of a valid record or blank marker (a record names its own physical offset).
fn check_boundary<E: Env>(s: &Shared<E>, keep_until: u64) -> Result<(), StoreError> {
    let (min, max) = (s.log.min_offset(), s.log.max_offset());
    let refused = StoreError::NotABoundary {
        offset: keep_until,
        min,
        max,
    };
    if keep_until < min || keep_until > max {
        return Err(refused);
    }
    let segment_start = keep_until.is_multiple_of(s.log.segments().segment_bytes());
    if keep_until == max || keep_until == min || segment_start {
        return Ok(());
    }
    match s.log.entry_at(keep_until, max, true) {
        Ok((Entry::Message { record, .. }, _)) if record.physical_offset == keep_until => Ok(()),
        Ok((Entry::Blank { .. }, _)) => Ok(()),
        _ => Err(refused),
    }
}

/// Advances `offsets` over the queued records in `[from, to)`, which the dispatcher has not
/// reached (a dispatch limit or lag): the writer must continue after them.
fn undispatched_offsets<E: Env>(
    s: &Shared<E>,
    from: u64,
    to: u64,
    offsets: &mut BTreeMap<QueueKey, u64>,
) -> Result<(), StoreError> {
    let mut at = from;
    while at < to {
        let (entry, _) = s
            .log
            .entry_at(at, to, false)
            .map_err(StoreError::Redispatch)?;
        at += match entry {
            Entry::Blank { len } => len as u64,
            Entry::Message { record, len } => {
                if is_queued(record.sys_flag) {
                    let next = offsets.entry((record.topic, record.queue_id)).or_insert(0);
                    *next = (*next).max(record.queue_offset + 1);
                }
                len as u64
            }
        };
    }
    Ok(())
}
