//! Role changes in controller mode (§5.8), the store-side steps the broker takes before it
//! starts a `Master` (after aborting its `Slave`, if any).
//!
//! Becoming master: cut the log to its last complete record (a partially received record of
//! the previous master must not stay in the middle of the new master's log), then append
//! `<newEpoch, maxPhyOffset>` to the epoch history. Becoming slave needs nothing here: the
//! `Slave`'s handshake truncates to the consistent point on every connection.

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
    if let Some(last) = epochs.last().filter(|l| l.epoch == epoch) {
        return Ok(last.start_offset.max(0) as u64);
    }
    epochs.append(epoch, max).await?;
    tracing::info!(target: "rocketsim::ha", epoch, start = max, "master epoch recorded");
    Ok(max)
}
