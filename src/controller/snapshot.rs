//! The persisted form of the controller: every group, as one JSON document replaced
//! atomically (`Fs::write_file_atomic`) after each change and before the change is answered.
//!
//! Loading checks the invariants (master in the sync-state set, sync-state set ⊆ replicas,
//! epochs ≥ 0, limits), so a damaged or hand-edited file stops the controller at start instead
//! of handing out a broken group.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::ControllerLimits;
use super::group::BrokerGroup;

/// Format version written into the file.
pub const SNAPSHOT_VERSION: u32 = 1;

/// The whole persisted state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub groups: BTreeMap<String, BrokerGroup>,
}

/// Why a snapshot cannot be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a controller snapshot: {0}")]
    Json(String),
    #[error("unknown snapshot version {0}")]
    Version(u32),
    #[error("group {group}: {problem}")]
    Invalid {
        group: String,
        problem: &'static str,
    },
}

impl Snapshot {
    /// The snapshot of `groups`.
    pub fn of(groups: &BTreeMap<String, BrokerGroup>) -> Self {
        Snapshot {
            version: SNAPSHOT_VERSION,
            groups: groups.clone(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a snapshot always serializes")
    }

    /// Parses and checks a snapshot.
    pub fn decode(bytes: &[u8], limits: &ControllerLimits) -> Result<Self, SnapshotError> {
        let snapshot: Snapshot =
            serde_json::from_slice(bytes).map_err(|e| SnapshotError::Json(e.to_string()))?;
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version(snapshot.version));
        }
        if snapshot.groups.len() > limits.groups_max {
            let group = String::from("*");
            return Err(SnapshotError::Invalid {
                group,
                problem: "more groups than allowed",
            });
        }
        for (name, group) in &snapshot.groups {
            check_group(name, group, limits).map_err(|problem| SnapshotError::Invalid {
                group: name.clone(),
                problem,
            })?;
        }
        Ok(snapshot)
    }
}

fn check_group(
    name: &str,
    group: &BrokerGroup,
    limits: &ControllerLimits,
) -> Result<(), &'static str> {
    if group.broker_name != name {
        return Err("keyed under another name");
    }
    if group.replicas.len() > limits.replicas_per_group_max {
        return Err("more replicas than allowed");
    }
    if group.master_epoch < 0 || group.sync_state_set_epoch < 0 {
        return Err("negative epoch");
    }
    if !group
        .sync_state_set
        .iter()
        .all(|id| group.replicas.contains_key(id))
    {
        return Err("sync state set names an unknown replica");
    }
    if group
        .master
        .is_some_and(|m| !group.sync_state_set.contains(&m))
    {
        return Err("master outside the sync state set");
    }
    if group.replicas.keys().any(|id| *id >= group.next_broker_id) {
        return Err("next broker id not past every replica");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controller::group::Replica;

    fn group() -> BrokerGroup {
        let mut g = BrokerGroup::new("c", "g");
        for id in [1, 2] {
            let replica = Replica {
                address: format!("10.0.0.{id}:10911"),
                register_check_code: format!("10.0.0.{id}:10911;1"),
            };
            g.replicas.insert(id, replica);
        }
        g.next_broker_id = 3;
        g.install_master(2);
        g
    }

    #[test]
    fn round_trip() {
        let groups = BTreeMap::from([("g".to_string(), group())]);
        let bytes = Snapshot::of(&groups).encode();
        let back = Snapshot::decode(&bytes, &ControllerLimits::default()).expect("decodes");
        assert_eq!(back.groups, groups);
    }

    #[test]
    fn broken_invariants_are_refused() {
        let limits = ControllerLimits::default();
        let mut g = group();
        g.master = Some(1);
        let bytes = Snapshot::of(&BTreeMap::from([("g".to_string(), g)])).encode();
        assert!(matches!(
            Snapshot::decode(&bytes, &limits),
            Err(SnapshotError::Invalid {
                problem: "master outside the sync state set",
                ..
            })
        ));
        assert!(matches!(
            Snapshot::decode(b"{", &limits),
            Err(SnapshotError::Json(_))
        ));
        assert_eq!(
            Snapshot::decode(br#"{"version":9,"groups":{}}"#, &limits),
            Err(SnapshotError::Version(9))
        );
    }
}
