//! Slave acknowledgements on a master (§5.3), sans-IO: what each slave link has acknowledged,
//! the highest offset any slave has (`push2SlaveMaxOffset`), and the SYNC_MASTER sends
//! waiting for it.
//!
//! Invariants: `push_max` never decreases (Java keeps it across disconnections); a waiter is
//! released exactly once, when `push_max ≥ target`, or dropped by its owner's timeout. The
//! waiter table is bounded (`waiters_max`): a full table refuses the wait.

use std::collections::BTreeMap;

use super::waiters::{WaitKey, Waiters};

/// Identifies one slave connection on the master.
pub type LinkId = u64;

/// The ack state of one master.
#[derive(Debug)]
pub struct AckTable<W> {
    links: BTreeMap<LinkId, u64>,
    push_max: u64,
    waiters: Waiters<W>,
}

impl<W> AckTable<W> {
    pub fn new(waiters_max: usize) -> Self {
        AckTable {
            links: BTreeMap::new(),
            push_max: 0,
            waiters: Waiters::new(waiters_max),
        }
    }

    pub fn on_link_opened(&mut self, link: LinkId) {
        self.links.insert(link, 0);
    }

    pub fn on_link_closed(&mut self, link: LinkId) {
        self.links.remove(&link);
    }

    /// Slave links connected now.
    pub fn link_count(&self) -> usize {
        self.links.len()
    }

    /// The highest offset any slave acknowledged.
    pub fn push_max(&self) -> u64 {
        self.push_max
    }

    /// What `link` acknowledged last.
    pub fn acked(&self, link: LinkId) -> Option<u64> {
        self.links.get(&link).copied()
    }

    /// A slave acknowledged `offset`; returns the waiters it releases, oldest target first.
    pub fn on_ack(&mut self, link: LinkId, offset: u64) -> Vec<W> {
        if let Some(acked) = self.links.get_mut(&link) {
            *acked = (*acked).max(offset);
        }
        self.push_max = self.push_max.max(offset);
        self.waiters.release_up_to(self.push_max)
    }

    /// `isSlaveOK`: a slave is connected and the slaves are within `fallbehind_max` of `end`.
    pub fn slave_ok(&self, end: u64, fallbehind_max: u64) -> bool {
        !self.links.is_empty() && end.saturating_sub(self.push_max) < fallbehind_max
    }

    /// Waits for `target`: `Ok(None)` when already acknowledged, `Ok(Some(key))` when parked
    /// (`key` cancels), `Err(waiter)` when the table is full.
    pub fn wait(&mut self, target: u64, waiter: W) -> Result<Option<WaitKey>, W> {
        if self.push_max >= target {
            return Ok(None);
        }
        self.waiters.park(target, waiter).map(Some)
    }

    /// Forgets a waiter whose wait timed out.
    pub fn cancel(&mut self, key: WaitKey) -> Option<W> {
        self.waiters.cancel(key)
    }

    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_release_waiters_up_to_the_highest_offset_any_slave_has() {
        let mut t = AckTable::new(10);
        t.on_link_opened(1);
        t.on_link_opened(2);
        assert_eq!(t.wait(100, "a"), Ok(Some((100, 0))));
        assert_eq!(t.wait(200, "b"), Ok(Some((200, 1))));
        assert_eq!(t.wait(150, "c"), Ok(Some((150, 2))));
        assert_eq!(t.on_ack(1, 99), Vec::<&str>::new());
        assert_eq!(t.on_ack(2, 150), vec!["a", "c"]);
        assert_eq!(t.on_ack(1, 120), Vec::<&str>::new(), "push max never falls");
        assert_eq!(t.push_max(), 150);
        assert_eq!(t.wait(150, "d"), Ok(None));
        assert_eq!(t.cancel((200, 1)), Some("b"));
        assert_eq!(t.waiting(), 0);
    }

    #[test]
    fn slave_ok_needs_a_link_within_the_fallbehind_limit() {
        let mut t: AckTable<()> = AckTable::new(10);
        assert!(!t.slave_ok(10, 256));
        t.on_link_opened(7);
        assert!(t.slave_ok(255, 256));
        assert!(!t.slave_ok(256, 256));
        t.on_ack(7, 100);
        assert!(t.slave_ok(355, 256));
        t.on_link_closed(7);
        assert!(!t.slave_ok(101, 256));
    }

    #[test]
    fn a_full_table_refuses_the_wait() {
        let mut t = AckTable::new(1);
        assert!(t.wait(5, 1).is_ok());
        assert_eq!(t.wait(6, 2), Err(2));
    }
}
