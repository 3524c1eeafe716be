//! The store's `lock` file (§4.5): one store per root directory.
//!
//! RocketMQ takes an OS file lock (`FileChannel.tryLock`) that dies with its process. `env::Fs`
//! has no such primitive (this issue does not change the trait), so the lock is a lease: the
//! file holds an owner token and a beat counter that the owner rewrites every
//! `lock_refresh_interval_ms`.
//!
//! * Open: if `lock` exists, read it, wait `LEASE_BEATS` refresh intervals, read it again.
//!   Changed: a live store holds it → `StoreError::Locked`. Unchanged: its owner crashed (a
//!   crashed owner leaves `lock` behind, always together with `abort`, which a store writes
//!   before `lock` and removes after it), so the stale lock is logged and overwritten and the
//!   abort-path recovery runs. A crash therefore costs the next open one lease wait.
//! * Clean shutdown stops the refresher (waiting out a rewrite in progress, so it cannot
//!   recreate the file), flushes, and removes `lock`, then `abort`.
//!
//! Limits: a live owner that cannot rewrite the file for a whole lease (a paused process, a
//! disk stalled longer than the lease) looks crashed and is taken over — any lease has this
//! hole; closing it needs an `Fs` lock method (flock) that dies with the process.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::error::StoreError;
use crate::env::Env;

/// Refresh intervals a newcomer waits for a beat before calling a lock stale.
pub const LEASE_BEATS: u64 = 3;

/// The held lock of a running store.
#[derive(Debug)]
pub(crate) struct StoreLock {
    token: u64,
    beats: AtomicU64,
    /// Held across each rewrite and by shutdown, so no rewrite lands after the removal.
    io: tokio::sync::Mutex<bool>,
}

impl StoreLock {
    /// Takes the lock at `path` (see the module doc); `abnormal`: the `abort` file is present.
    /// Writes the `abort` file before the lock, so a present lock always comes with one.
    pub(crate) async fn acquire<E: Env>(
        env: &E,
        path: &Path,
        abort_path: &Path,
        abnormal: bool,
        refresh_ms: u64,
    ) -> Result<StoreLock, StoreError> {
        if env.exists(path) {
            let before = env.read_file(path).ok();
            let waited_ms = LEASE_BEATS * refresh_ms;
            env.sleep(Duration::from_millis(waited_ms)).await;
            let after = env.read_file(path).ok();
            if after.is_some() && after != before {
                return Err(StoreError::Locked { waited_ms });
            }
            tracing::warn!(path = %path.display(), abnormal, "stale lock of a crashed store; taking it over");
        }
        if !abnormal {
            env.write_file_atomic(abort_path, b"")
                .await
                .map_err(StoreError::io("create abort file"))?;
        }
        let lock = StoreLock {
            token: env.next_u64(),
            beats: AtomicU64::new(0),
            io: tokio::sync::Mutex::new(false),
        };
        lock.write(env, path)
            .await
            .map_err(StoreError::io("write lock file"))?;
        Ok(lock)
    }

    async fn write<E: Env>(&self, env: &E, path: &Path) -> std::io::Result<()> {
        let beat = self.beats.fetch_add(1, Ordering::AcqRel);
        let text = format!("{:016x} {beat}", self.token);
        env.write_file_atomic(path, text.as_bytes()).await
    }

    /// One refresh: rewrites the file unless released.
    pub(crate) async fn refresh<E: Env>(&self, env: &E, path: &Path) -> std::io::Result<()> {
        let released = self.io.lock().await;
        if *released {
            return Ok(());
        }
        self.write(env, path).await
    }

    /// Stops refreshing, after a rewrite in progress: call before aborting the refresher, so
    /// that an aborted rewrite (which the real build finishes on a blocking thread) cannot
    /// land after the file is removed.
    pub(crate) async fn stop_refresh(&self) {
        *self.io.lock().await = true;
    }
}
