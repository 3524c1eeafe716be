//! Role changes in controller mode (§5.8), the store-side steps the broker takes before it
//! starts a `Master` (after aborting its `Slave`, if any).
//!
//! Becoming master: cut the log to its last complete record (a partially received record of
//! the previous master must not stay in the middle of the new master's log), drop the epochs
//! that start past the log's end, then append `<newEpoch, maxPhyOffset>` to the epoch history.
//! Becoming slave needs nothing here: the `Slave`'s handshake truncates to the consistent point
//! on every connection.
//!
//! Epochs past the end: the epoch file is durable at every change, an ASYNC_FLUSH log is not,
//! so a power loss can take the log back below the start of an epoch this broker recorded (it
//! was master, or received that epoch's first frame, then lost the unflushed bytes). Such an
//! epoch holds nothing of this log; keeping it would make the new epoch's start go back and the
//! broker could never take the role (async-master-switch seeds 363 and 491). Java's
//! `changeToMaster` truncates the history after its cut the same way (`truncateSuffixByOffset`)
//! and, when the append still fails, goes on as master with a history that does not match its
//! log; here the history always matches. An epoch starting exactly at the end is kept: it is
//! empty, and starts never going back allows that.

use super::epochs::{Epochs, EpochsError};
use crate::env::Env;
use crate::store::{MessageStore, StoreError};

/// Why a broker could not take the master role.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("cutting the partial tail: {0}")]
    Truncate(#[from] StoreError),
    #[error("recording the new epoch: {0}")]
    Epochs(#[from] EpochsError),
}

/// Prepares the store and history of a broker that the controller made master in `epoch`.
/// Returns where the epoch starts. Idempotent for an epoch already recorded as the newest.
pub async fn prepare_master<E: Env>(
    store: &MessageStore<E>,
    epochs: &Epochs<E>,
    epoch: i32,
) -> Result<u64, RoleError> {
    let max = store.max_physical_offset();
    if store.replica_end() > max {
        store
            .truncate_to(max, "becoming master: partial record")
            .await?;
    }
    let end = i64::try_from(max).unwrap_or(i64::MAX);
    if let Some(last) = epochs.last().filter(|l| l.start_offset > end) {
        tracing::warn!(target: "rocketsim::ha", epoch = last.epoch, start = last.start_offset,
            end = max, "the log ends before its newest epoch starts: dropping the epochs past the end");
        epochs
            .truncate_suffix_from_offset(max.saturating_add(1))
            .await?;
    }
    if let Some(last) = epochs.last().filter(|l| l.epoch == epoch) {
        return Ok(last.start_offset.max(0) as u64);
    }
    epochs.append(epoch, max).await?;
    tracing::info!(target: "rocketsim::ha", epoch, start = max, "master epoch recorded");
    Ok(max)
}
