//! One slave connection on the master, sans-IO (§5.2 `HAConnection`): the slave's reports in,
//! what to stream next out.
//!
//! The link waits for the slave's first report, which says where its log ends: 0 (empty) makes
//! the master start at the beginning of its *last* CommitLog file, anything else is where the
//! transfer starts. Then it streams `[next, max)` in frames of at most `transfer_batch_bytes`
//! (never across a file: the driver reads within one segment) and sends a heartbeat frame
//! after `heartbeat_interval` without one. A link with no report for `housekeeping_interval`
//! is closed.
//!
//! Guard against rocketmq#3015 (anything can connect to the HA port and report a huge
//! offset, making a SYNC_MASTER acknowledge writes no slave has): classic Java trusts every
//! report. Here (1) a first report beyond the master's end closes the link (a real slave never
//! has bytes its master lacks, except after the master lost an unflushed tail — then the
//! operator must resolve it; the log line says so), and (2) an acknowledgement counts only up
//! to what this link was actually sent (or the position the slave started from). A peer that
//! receives the stream and reports it back is indistinguishable from a slave without a
//! handshake; that is the AutoSwitch protocol's job.

use std::time::Duration;

use super::config::HaConfig;
use crate::env::Instant;

/// What the driver should do next on a master link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MasterAction {
    /// Nothing to send before the next report or new data (or `transfer_poll`).
    Wait,
    /// Read up to `len_max` log bytes from `start` (within one segment) and send them.
    Transfer { start: u64, len_max: usize },
    /// Send a heartbeat frame (size 0) at `start`.
    Heartbeat { start: u64 },
    /// Close the link.
    Close(CloseReason),
}

/// Why a master closes a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CloseReason {
    #[error("no report from the slave for {silent_ms} ms")]
    Silent { silent_ms: u64 },
    #[error("the slave reports offset {reported} beyond the master's end {master_max}: it has bytes this master lacks (or is not a slave); resolve by hand")]
    AheadOfMaster { reported: u64, master_max: u64 },
    #[error("the slave reports offset {reported}, beyond the {sent} bytes this link sent it: not a slave")]
    BeyondSent { reported: u64, sent: u64 },
    #[error("the slave needs offset {next}, below the master's first kept offset {master_min}")]
    BehindRetention { next: u64, master_min: u64 },
}

/// The master's log ends, as the link sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogEnds {
    pub min: u64,
    pub max: u64,
    pub segment_bytes: u64,
}

/// The state of one master-side link.
#[derive(Clone, Debug)]
pub struct MasterLink {
    /// An empty slave starts at the master's first file (AutoSwitch without
    /// `syncFromLastFile`) rather than its last (classic).
    empty_from_first_file: bool,
    batch_bytes: usize,
    heartbeat: Duration,
    housekeeping: Duration,
    /// Next offset to send; `None` until the first report.
    next: Option<u64>,
    /// The highest acknowledgement this link may claim: where the slave started, then the
    /// end of what was sent.
    ack_ceiling: u64,
    acked: u64,
    last_report_at: Instant,
    last_sent_at: Instant,
}

impl MasterLink {
    pub fn new(config: &HaConfig, now: Instant) -> Self {
        MasterLink {
            empty_from_first_file: false,
            batch_bytes: config.transfer_batch_bytes.max(1),
            heartbeat: config.heartbeat_interval,
            housekeeping: config.housekeeping_interval,
            next: None,
            ack_ceiling: 0,
            acked: 0,
            last_report_at: now,
            last_sent_at: now,
        }
    }

    /// An empty slave starts at the master's first file instead of its last (an AutoSwitch
    /// slave that did not ask for `syncFromLastFile`).
    pub fn empty_from_first_file(mut self, yes: bool) -> Self {
        self.empty_from_first_file = yes;
        self
    }

    /// The slave reported `offset`. Returns the acknowledgement it makes (clamped to what the
    /// link sent), or why the link must close.
    pub fn on_report(
        &mut self,
        offset: u64,
        ends: LogEnds,
        now: Instant,
    ) -> Result<u64, CloseReason> {
        self.last_report_at = now;
        if self.next.is_none() {
            if offset > ends.max {
                let master_max = ends.max;
                return Err(CloseReason::AheadOfMaster {
                    reported: offset,
                    master_max,
                });
            }
            let start = match offset {
                0 if self.empty_from_first_file => ends.min,
                0 => ends.max - ends.max % ends.segment_bytes.max(1),
                _ => offset,
            };
            self.next = Some(start);
            self.ack_ceiling = offset;
        }
        if offset > self.ack_ceiling {
            let sent = self.ack_ceiling;
            return Err(CloseReason::BeyondSent {
                reported: offset,
                sent,
            });
        }
        self.acked = self.acked.max(offset);
        Ok(self.acked)
    }

    /// What to do now, given the log's ends.
    pub fn next_action(&self, now: Instant, ends: LogEnds) -> MasterAction {
        let silent = now - self.last_report_at;
        if silent > self.housekeeping {
            let silent_ms = silent.as_millis() as u64;
            return MasterAction::Close(CloseReason::Silent { silent_ms });
        }
        let Some(next) = self.next else {
            return MasterAction::Wait;
        };
        if next < ends.min {
            let master_min = ends.min;
            return MasterAction::Close(CloseReason::BehindRetention { next, master_min });
        }
        if next < ends.max {
            let len_max = self.batch_bytes;
            return MasterAction::Transfer {
                start: next,
                len_max,
            };
        }
        if now - self.last_sent_at >= self.heartbeat {
            return MasterAction::Heartbeat { start: next };
        }
        MasterAction::Wait
    }

    /// `len` bytes from `start` were sent (0 for a heartbeat).
    pub fn on_sent(&mut self, start: u64, len: usize, now: Instant) {
        let end = start + len as u64;
        self.next = Some(end);
        self.ack_ceiling = self.ack_ceiling.max(end);
        self.last_sent_at = now;
    }

    /// When the link next needs attention without any event: a heartbeat or the silence limit.
    pub fn next_deadline(&self) -> Instant {
        let silent = self.last_report_at + self.housekeeping + Duration::from_millis(1);
        match self.next {
            // Nothing is sent, not even heartbeats, before the first report.
            None => silent,
            Some(_) => (self.last_sent_at + self.heartbeat).min(silent),
        }
    }

    pub fn acked(&self) -> u64 {
        self.acked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_origin(Duration::from_millis(ms))
    }

    fn ends(min: u64, max: u64) -> LogEnds {
        LogEnds {
            min,
            max,
            segment_bytes: 1000,
        }
    }

    fn link() -> MasterLink {
        MasterLink::new(
            &HaConfig {
                transfer_batch_bytes: 100,
                ..HaConfig::default()
            },
            at(0),
        )
    }

    #[test]
    fn nothing_is_sent_before_the_first_report() {
        let l = link();
        assert_eq!(l.next_action(at(10), ends(0, 500)), MasterAction::Wait);
    }

    #[test]
    fn an_empty_slave_starts_at_the_masters_last_file() {
        let mut l = link();
        assert_eq!(l.on_report(0, ends(0, 2500), at(1)), Ok(0));
        assert_eq!(
            l.next_action(at(1), ends(0, 2500)),
            MasterAction::Transfer {
                start: 2000,
                len_max: 100
            }
        );
    }

    #[test]
    fn a_slave_with_data_continues_from_its_report_then_heartbeats_when_idle() {
        let mut l = link();
        assert_eq!(l.on_report(300, ends(0, 400), at(0)), Ok(300));
        assert_eq!(
            l.next_action(at(0), ends(0, 400)),
            MasterAction::Transfer {
                start: 300,
                len_max: 100
            }
        );
        l.on_sent(300, 100, at(1));
        assert_eq!(l.next_action(at(2), ends(0, 400)), MasterAction::Wait);
        assert_eq!(
            l.next_action(at(5001), ends(0, 400)),
            MasterAction::Heartbeat { start: 400 }
        );
    }

    #[test]
    fn before_the_first_report_only_the_silence_limit_is_a_deadline() {
        let mut l = link();
        assert_eq!(l.next_deadline(), at(20_001));
        l.on_report(0, ends(0, 0), at(100)).unwrap();
        assert_eq!(l.next_deadline(), at(5_000));
    }

    #[test]
    fn a_silent_slave_is_closed_after_housekeeping() {
        let mut l = link();
        l.on_report(0, ends(0, 0), at(0)).unwrap();
        assert!(matches!(
            l.next_action(at(20_001), ends(0, 0)),
            MasterAction::Close(CloseReason::Silent { .. })
        ));
    }

    #[test]
    fn impostor_reports_cannot_acknowledge_unsent_bytes() {
        let mut l = link();
        assert!(matches!(
            l.on_report(u64::MAX / 2, ends(0, 400), at(0)),
            Err(CloseReason::AheadOfMaster { .. })
        ));
        let mut l = link();
        assert_eq!(l.on_report(100, ends(0, 400), at(0)), Ok(100));
        l.on_sent(100, 100, at(2));
        assert_eq!(l.on_report(150, ends(0, 400), at(3)), Ok(150));
        assert_eq!(l.on_report(200, ends(0, 400), at(3)), Ok(200));
        assert_eq!(
            l.on_report(1 << 40, ends(0, 400), at(4)),
            Err(CloseReason::BeyondSent {
                reported: 1 << 40,
                sent: 200
            })
        );
    }

    #[test]
    fn a_slave_behind_retention_is_closed() {
        let mut l = link();
        l.on_report(100, ends(0, 400), at(0)).unwrap();
        assert!(matches!(
            l.next_action(at(1), ends(1000, 1400)),
            MasterAction::Close(CloseReason::BehindRetention {
                next: 100,
                master_min: 1000
            })
        ));
    }
}
