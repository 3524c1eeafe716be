//! The guarantee matrix as data: for a scenario's configuration (flush mode, the faults it
//! injects), whether a finding is a violation or a measured figure. DESIGN.md, "Guarantee
//! matrix": SYNC_FLUSH loses no acknowledged message on power loss; ASYNC_FLUSH loses none on
//! a process kill (the page cache survives) and may lose the unflushed tail on power loss
//! (measured, not a failure). A broker whose disk never comes back takes its unconsumed
//! messages with it (measured).
//!
//! Replication rows. *Classic* groups (4.x: a fixed master and slaves, no switch): the
//! master's log is the truth, so an acked message's fate is its master's disk — the flush rows
//! above decide, whatever the role; consumers read from a slave while the master is down, and
//! when it returns its log wins. Classic HA never truncates, so after a master *power loss* a
//! slave may hold the master's lost unflushed tail (rocketmq#1440, #373): the replica-prefix
//! check reports it (`replicas_diverged`) instead of failing. In *controller* mode (5.x):
//! SYNC_MASTER with all-ack in the sync-state set loses nothing across a master switch;
//! ASYNC_MASTER (or SYNC_MASTER without all-ack) may lose the replication lag (reported,
//! `lost_replication_lag`); replicas are truncated to agree, so a divergence that survives
//! the liveness phase is a violation. Any SYNC_MASTER acknowledges only what a slave has
//! (`acked_without_replica`, always checked).

use std::collections::BTreeSet;

use rocketsim::store::FlushMode;

/// A kind of fault that can explain why an acknowledged message is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    /// A broker's process was killed and restarted (its disk kept everything, volatile pages
    /// included).
    ProcessKill,
    /// A broker's machine lost power (unsynced pages gone) and came back.
    PowerLoss,
    /// A broker died for good: its disk never comes back.
    BrokerGoneForGood,
    /// Acked after a power loss of its broker, at an offset the queue had handed out before
    /// the loss: consumers had committed past it, so they skip it.
    OffsetReusedAfterPowerLoss,
    /// A master crashed and a slave took over (controller mode).
    MasterSwitch,
    /// Not a loss: a slave's CommitLog is not a byte prefix of its master's after the
    /// master lost power (classic HA never truncates).
    ReplicaDivergedAfterPowerLoss,
}

/// How a finding is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Must never happen: a safety (or, for losses, liveness) violation.
    Violation,
    /// Allowed; counted under this figure.
    Reported(&'static str),
}

/// Replication mode of a row, or of a run (the mode of its groups that have slaves; groups
/// without slaves are single masters, judged by the `Any` rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replication {
    /// Any: the row is about one broker's own disk (as a run: no group has slaves).
    Any,
    /// Classic SYNC_MASTER with slaves, no controller (no automatic switch).
    ClassicSyncMaster,
    /// Classic ASYNC_MASTER with slaves, no controller.
    ClassicAsyncMaster,
    /// SYNC_MASTER with the controller and all-ack in the sync-state set.
    SyncMaster,
    /// ASYNC_MASTER with the controller (or SYNC_MASTER without all-ack).
    AsyncMaster,
}

/// One row: under `flush` (any when `None`) and `replication`, a loss explained by `fault`.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub flush: Option<FlushMode>,
    pub replication: Replication,
    pub fault: FaultKind,
    pub loss: Claim,
    pub guarantee: &'static str,
}

/// The matrix. The first matching row decides; a loss no row excuses is a violation.
pub const MATRIX: &[Row] = &[
    Row {
        flush: Some(FlushMode::Sync),
        replication: Replication::Any,
        fault: FaultKind::PowerLoss,
        loss: Claim::Violation,
        guarantee: "SYNC_FLUSH loses no acknowledged message on power loss",
    },
    Row {
        flush: Some(FlushMode::Async),
        replication: Replication::Any,
        fault: FaultKind::PowerLoss,
        loss: Claim::Reported("lost_unflushed"),
        guarantee: "ASYNC_FLUSH may lose the unflushed tail on power loss",
    },
    Row {
        flush: Some(FlushMode::Sync),
        replication: Replication::Any,
        fault: FaultKind::OffsetReusedAfterPowerLoss,
        loss: Claim::Violation,
        guarantee: "SYNC_FLUSH never hands out an offset a consumer has seen again",
    },
    Row {
        flush: Some(FlushMode::Async),
        replication: Replication::Any,
        fault: FaultKind::OffsetReusedAfterPowerLoss,
        loss: Claim::Reported("lost_behind_reused_offsets"),
        guarantee: "ASYNC_FLUSH power loss: a queue restarting below consumers' committed offsets hands those offsets out again, and consumers skip them",
    },
    Row {
        flush: None,
        replication: Replication::Any,
        fault: FaultKind::ProcessKill,
        loss: Claim::Violation,
        guarantee: "a process kill loses nothing acknowledged (the page cache survives)",
    },
    Row {
        flush: None,
        replication: Replication::Any,
        fault: FaultKind::BrokerGoneForGood,
        loss: Claim::Reported("lost_with_broker"),
        guarantee: "a broker whose disk never returns takes its unconsumed messages along",
    },
    Row {
        flush: None,
        replication: Replication::SyncMaster,
        fault: FaultKind::MasterSwitch,
        loss: Claim::Violation,
        guarantee: "SYNC_MASTER + controller, all-ack: nothing lost across a master switch",
    },
    Row {
        flush: None,
        replication: Replication::AsyncMaster,
        fault: FaultKind::MasterSwitch,
        loss: Claim::Reported("lost_replication_lag"),
        guarantee: "ASYNC_MASTER may lose the replication lag on a switch",
    },
    Row {
        flush: None,
        replication: Replication::ClassicSyncMaster,
        fault: FaultKind::ReplicaDivergedAfterPowerLoss,
        loss: Claim::Reported("replicas_diverged"),
        guarantee: "classic HA never truncates: after a master power loss a slave may keep the master's lost unflushed tail",
    },
    Row {
        flush: None,
        replication: Replication::ClassicAsyncMaster,
        fault: FaultKind::ReplicaDivergedAfterPowerLoss,
        loss: Claim::Reported("replicas_diverged"),
        guarantee: "classic HA never truncates: after a master power loss a slave may keep the master's lost unflushed tail",
    },
];

/// A scenario's configuration, as far as the matrix cares.
#[derive(Clone, Debug)]
pub struct Configuration {
    pub flush: FlushMode,
    pub replication: Replication,
    /// The fault kinds the scenario injects (in some runs).
    pub faults: BTreeSet<FaultKind>,
}

impl Configuration {
    /// Single masters with `flush`, injecting `faults`.
    pub fn new(flush: FlushMode, faults: &[FaultKind]) -> Self {
        Configuration {
            flush,
            replication: Replication::Any,
            faults: faults.iter().copied().collect(),
        }
    }

    /// How the loss of an acknowledged message is judged when `fault` explains it (`None`:
    /// nothing happened to its broker — always a violation).
    pub fn loss(&self, fault: Option<FaultKind>) -> Claim {
        let Some(fault) = fault else {
            return Claim::Violation;
        };
        MATRIX
            .iter()
            .find(|row| {
                row.fault == fault
                    && row.flush.is_none_or(|f| f == self.flush)
                    && (row.replication == Replication::Any || row.replication == self.replication)
            })
            .map_or(Claim::Violation, |row| row.loss)
    }

    /// The loss figures this configuration reports (`replicas_diverged` is not a loss: the
    /// replica-prefix check writes it) (its faults that some row excuses), in
    /// matrix order: they appear on the final line even when zero.
    pub fn reported_figures(&self) -> Vec<&'static str> {
        let mut figures = Vec::new();
        let mut faults: Vec<FaultKind> = self.faults.iter().copied().collect();
        if self.faults.contains(&FaultKind::PowerLoss) {
            faults.push(FaultKind::OffsetReusedAfterPowerLoss);
        }
        for fault in faults {
            if let Claim::Reported(name) = self.loss(Some(fault)) {
                if !figures.contains(&name) {
                    figures.push(name);
                }
            }
        }
        figures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_flush_power_loss_is_a_violation() {
        let config = Configuration::new(FlushMode::Sync, &[FaultKind::PowerLoss]);
        assert_eq!(config.loss(Some(FaultKind::PowerLoss)), Claim::Violation);
        assert!(config.reported_figures().is_empty());
    }

    #[test]
    fn async_flush_power_loss_is_reported_as_the_unflushed_tail() {
        let config = Configuration::new(FlushMode::Async, &[FaultKind::PowerLoss]);
        let claim = config.loss(Some(FaultKind::PowerLoss));
        assert_eq!(claim, Claim::Reported("lost_unflushed"));
        assert_eq!(
            config.reported_figures(),
            ["lost_unflushed", "lost_behind_reused_offsets"]
        );
        let claim = config.loss(Some(FaultKind::OffsetReusedAfterPowerLoss));
        assert_eq!(claim, Claim::Reported("lost_behind_reused_offsets"));
        let sync = Configuration::new(FlushMode::Sync, &[FaultKind::PowerLoss]);
        let claim = sync.loss(Some(FaultKind::OffsetReusedAfterPowerLoss));
        assert_eq!(claim, Claim::Violation);
    }

    #[test]
    fn a_kill_or_no_fault_never_excuses_a_loss() {
        for flush in [FlushMode::Async, FlushMode::Sync] {
            let config = Configuration::new(flush, &[FaultKind::ProcessKill]);
            assert_eq!(config.loss(Some(FaultKind::ProcessKill)), Claim::Violation);
            assert_eq!(config.loss(None), Claim::Violation);
        }
    }

    #[test]
    fn a_broker_gone_for_good_is_reported() {
        let config = Configuration::new(FlushMode::Async, &[FaultKind::BrokerGoneForGood]);
        let claim = config.loss(Some(FaultKind::BrokerGoneForGood));
        assert_eq!(claim, Claim::Reported("lost_with_broker"));
        assert_eq!(config.reported_figures(), ["lost_with_broker"]);
    }

    #[test]
    fn classic_divergence_after_power_loss_is_reported_but_not_under_the_controller() {
        let mut config = Configuration::new(FlushMode::Sync, &[FaultKind::PowerLoss]);
        config.replication = Replication::ClassicSyncMaster;
        let diverged = Some(FaultKind::ReplicaDivergedAfterPowerLoss);
        assert_eq!(config.loss(diverged), Claim::Reported("replicas_diverged"));
        assert!(
            config.reported_figures().is_empty(),
            "not a loss: the replica check writes its own figure"
        );
        config.replication = Replication::SyncMaster;
        assert_eq!(config.loss(diverged), Claim::Violation);
        config.replication = Replication::Any;
        assert_eq!(config.loss(diverged), Claim::Violation);
    }

    #[test]
    fn replication_rows_apply_to_their_mode_only() {
        let mut config = Configuration::new(FlushMode::Async, &[FaultKind::MasterSwitch]);
        assert_eq!(config.loss(Some(FaultKind::MasterSwitch)), Claim::Violation);
        config.replication = Replication::AsyncMaster;
        let claim = config.loss(Some(FaultKind::MasterSwitch));
        assert_eq!(claim, Claim::Reported("lost_replication_lag"));
        config.replication = Replication::SyncMaster;
        assert_eq!(config.loss(Some(FaultKind::MasterSwitch)), Claim::Violation);
    }
}
