//! A bounded table of sends waiting for an offset to be acknowledged, sans-IO: shared by the
//! classic ack table (any slave) and the sync-state set (every member).
//!
//! Invariants: a waiter is handed back exactly once — released when the acknowledged offset
//! reaches its target (oldest target first, then arrival order) or cancelled by its owner's
//! timeout; a full table refuses the wait.

use std::collections::BTreeMap;

/// Identifies a parked waiter: (target offset, arrival sequence).
pub type WaitKey = (u64, u64);

#[derive(Debug)]
pub struct Waiters<W> {
    parked: BTreeMap<WaitKey, W>,
    next_seq: u64,
    max: usize,
}

impl<W> Waiters<W> {
    pub fn new(max: usize) -> Self {
        Waiters {
            parked: BTreeMap::new(),
            next_seq: 0,
            max,
        }
    }

    /// Parks `waiter` until `target` is acknowledged; `Err(waiter)` when the table is full.
    pub fn park(&mut self, target: u64, waiter: W) -> Result<WaitKey, W> {
        if self.parked.len() >= self.max {
            return Err(waiter);
        }
        let key = (target, self.next_seq);
        self.next_seq += 1;
        self.parked.insert(key, waiter);
        Ok(key)
    }

    /// Forgets a waiter whose wait timed out.
    pub fn cancel(&mut self, key: WaitKey) -> Option<W> {
        self.parked.remove(&key)
    }

    /// The waiters whose target is at most `acked`, oldest target first.
    pub fn release_up_to(&mut self, acked: u64) -> Vec<W> {
        let later = match acked.checked_add(1) {
            Some(next) => self.parked.split_off(&(next, 0)),
            None => BTreeMap::new(),
        };
        std::mem::replace(&mut self.parked, later)
            .into_values()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.parked.len()
    }
}
