//! The slave's side of a link, sans-IO (§5.2 `HAClient`): when to report, whether a frame
//! continues the local log, when the master has gone silent.
//!
//! The slave reports its log end on connecting, after every append that moved it, and at
//! least every `heartbeat_interval`. A frame must start where the local log ends (unless the
//! log is empty: the master starts an empty slave at its last file); anything else closes the
//! link — classic HA has no truncation. Nothing read for `housekeeping_interval` (the master
//! heartbeats every 5 s) closes it too (5.x's check; 4.9 checks its own last report).

use std::time::Duration;

use super::config::HaConfig;
use crate::env::Instant;

/// Why a slave closes its link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SlaveClose {
    #[error("frame starts at {frame}, the local log ends at {local}")]
    OffsetMismatch { local: u64, frame: u64 },
    #[error("nothing from the master for {silent_ms} ms")]
    Silent { silent_ms: u64 },
}

/// What a well-placed frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameVerdict {
    /// Append the body at the frame's start.
    Append,
    /// A heartbeat: nothing to append.
    Heartbeat,
}

/// The state of the slave's link.
#[derive(Clone, Debug)]
pub struct SlaveLink {
    heartbeat: Duration,
    housekeeping: Duration,
    /// The last offset reported; `None` before the first report.
    reported: Option<u64>,
    last_report_at: Instant,
    last_read_at: Instant,
}

impl SlaveLink {
    pub fn new(config: &HaConfig, now: Instant) -> Self {
        SlaveLink {
            heartbeat: config.heartbeat_interval,
            housekeeping: config.housekeeping_interval,
            reported: None,
            last_report_at: now,
            last_read_at: now,
        }
    }

    /// Judges a frame starting at `start` with `size` body bytes against the local end.
    pub fn on_frame(
        &mut self,
        start: u64,
        size: u32,
        local_end: u64,
        now: Instant,
    ) -> Result<FrameVerdict, SlaveClose> {
        self.last_read_at = now;
        if local_end != 0 && start != local_end {
            return Err(SlaveClose::OffsetMismatch {
                local: local_end,
                frame: start,
            });
        }
        Ok(match size {
            0 => FrameVerdict::Heartbeat,
            _ => FrameVerdict::Append,
        })
    }

    /// The offset to report now, if any: first thing, when the log grew, or when due.
    pub fn report_due(&self, now: Instant, local_end: u64) -> Option<u64> {
        let due = match self.reported {
            None => true,
            Some(reported) => local_end > reported || now - self.last_report_at >= self.heartbeat,
        };
        due.then_some(local_end)
    }

    pub fn on_reported(&mut self, offset: u64, now: Instant) {
        self.reported = Some(offset);
        self.last_report_at = now;
    }

    /// Whether the master has been silent too long.
    pub fn check_silence(&self, now: Instant) -> Result<(), SlaveClose> {
        let silent = now - self.last_read_at;
        match silent > self.housekeeping {
            true => Err(SlaveClose::Silent {
                silent_ms: silent.as_millis() as u64,
            }),
            false => Ok(()),
        }
    }

    /// When the link next needs attention without input: the next heartbeat report or the
    /// silence limit.
    pub fn next_deadline(&self) -> Instant {
        let report = self.last_report_at + self.heartbeat;
        let silent = self.last_read_at + self.housekeeping + Duration::from_millis(1);
        report.min(silent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_origin(Duration::from_millis(ms))
    }

    #[test]
    fn reports_first_on_growth_and_every_heartbeat() {
        let mut l = SlaveLink::new(&HaConfig::default(), at(0));
        assert_eq!(l.report_due(at(0), 0), Some(0));
        l.on_reported(0, at(0));
        assert_eq!(l.report_due(at(10), 0), None);
        assert_eq!(l.report_due(at(10), 50), Some(50));
        l.on_reported(50, at(10));
        assert_eq!(l.report_due(at(5009), 50), None);
        assert_eq!(l.report_due(at(5010), 50), Some(50));
    }

    #[test]
    fn a_frame_must_continue_the_local_log_unless_it_is_empty() {
        let mut l = SlaveLink::new(&HaConfig::default(), at(0));
        assert_eq!(l.on_frame(4096, 10, 0, at(1)), Ok(FrameVerdict::Append));
        assert_eq!(l.on_frame(100, 0, 100, at(1)), Ok(FrameVerdict::Heartbeat));
        assert_eq!(
            l.on_frame(90, 10, 100, at(1)),
            Err(SlaveClose::OffsetMismatch {
                local: 100,
                frame: 90
            })
        );
    }

    #[test]
    fn a_silent_master_closes_the_link() {
        let mut l = SlaveLink::new(&HaConfig::default(), at(0));
        l.on_frame(0, 0, 0, at(1000)).unwrap();
        assert!(l.check_silence(at(21_000)).is_ok());
        assert!(matches!(
            l.check_silence(at(21_001)),
            Err(SlaveClose::Silent { .. })
        ));
    }
}
