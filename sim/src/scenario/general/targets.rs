//! Fault targets resolved when the fault is injected: `master:<group>` names whichever
//! replica of the group is master *now* — in controller mode the controller moves the role, so
//! a schedule cannot name the node in advance. The master is the replica whose address the
//! name servers route as `brokerId` 0 (the first name server that routes one decides); with
//! none routed (the group is between masters) the target stays unresolved and the injector
//! skips the step (it is recorded in the trace).
//!
//! Asking the name servers (not a broker handle) keeps this independent of how a broker
//! tracks its role: it is what a client, or an operator with `mqadmin`, would see.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rocketsim::remoting::Client;

use super::faults::{FaultAction, FaultStep};
use super::plan::MASTER_OF;
use crate::scenario::messaging::cluster::Cluster;
use crate::scenario::namesrv_support::{ask_route_of, Answer};
use crate::{SimEnv, World};

/// How long one route query may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(1);

/// Resolves `master:<group>` targets.
#[derive(Clone)]
pub struct Targets {
    world: World,
    client: Client<SimEnv>,
    namesrvs: Vec<SocketAddr>,
    topic: String,
    /// Group name → (broker address, node name) of each replica.
    groups: BTreeMap<String, Vec<(String, String)>>,
    /// Masters killed or powered off through a `master:<group>` target: (group, when).
    deaths: Arc<Mutex<Vec<(String, Duration)>>>,
}

impl Targets {
    pub fn new(cluster: &Cluster) -> Self {
        let groups = cluster
            .broker_names
            .iter()
            .zip(&cluster.replicas)
            .map(|(group, replicas)| {
                let nodes = replicas
                    .iter()
                    .map(|r| (r.addr.to_string(), r.name.clone()))
                    .collect();
                (group.clone(), nodes)
            })
            .collect();
        Targets {
            world: cluster.world.clone(),
            client: cluster.admin_client.clone(),
            namesrvs: cluster.namesrv_addrs.clone(),
            topic: cluster
                .topics
                .first()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            groups,
            deaths: Arc::default(),
        }
    }

    /// The masters killed or powered off through a `master:<group>` target, in order.
    pub fn master_deaths(&self) -> Vec<(String, Duration)> {
        self.deaths.lock().clone()
    }

    /// The node name of `group`'s current master, as the name servers route it.
    pub async fn master_of(&self, group: &str) -> Option<String> {
        let replicas = self.groups.get(group)?;
        for namesrv in &self.namesrvs {
            let Answer::Route(route) =
                ask_route_of(&self.client, *namesrv, &self.topic, ASK_TIMEOUT).await
            else {
                continue;
            };
            let master = route
                .broker_datas
                .iter()
                .filter(|b| b.broker_name == group)
                .find_map(|b| b.broker_addrs.get(&0).cloned());
            if let Some(addr) = master {
                return replica_named(replicas, &addr);
            }
        }
        None
    }

    /// The broker address of `group`'s current master, as the name servers route it.
    pub async fn master_addr_of(&self, group: &str) -> Option<SocketAddr> {
        let node = self.master_of(group).await?;
        let replicas = self.groups.get(group)?;
        let (addr, _) = replicas.iter().find(|(_, name)| *name == node)?;
        addr.parse().ok()
    }

    /// `step` with each `master:<group>` replaced by that master's node name.
    pub async fn resolve(&self, step: &FaultStep) -> FaultStep {
        let mut step = step.clone();
        let group = step.node.strip_prefix(MASTER_OF).map(str::to_string);
        step.node = self.resolve_name(&step.node).await;
        let dies = matches!(step.action, FaultAction::Kill | FaultAction::PowerLoss);
        if let (Some(group), true) = (group, dies) {
            if !step.node.starts_with(MASTER_OF) {
                self.deaths.lock().push((group, self.world.now()));
            }
        }
        if let Some(from) = step.from.take() {
            step.from = Some(self.resolve_name(&from).await);
        }
        if let Some(to) = step.to.take() {
            step.to = Some(self.resolve_name(&to).await);
        }
        for set in &mut step.sets {
            for name in set.iter_mut() {
                *name = self.resolve_name(name).await;
            }
        }
        step
    }

    async fn resolve_name(&self, name: &str) -> String {
        let Some(group) = name.strip_prefix(MASTER_OF) else {
            return name.to_string();
        };
        match self.master_of(group).await {
            Some(node) => {
                self.world
                    .record("target.resolved", format_args!("{name} = {node}"));
                node
            }
            None => {
                self.world.record(
                    "target.unresolved",
                    format_args!("{name}: no master routed"),
                );
                name.to_string()
            }
        }
    }
}

/// The node name of the replica at broker address `addr`.
fn replica_named(replicas: &[(String, String)], addr: &str) -> Option<String> {
    replicas
        .iter()
        .find(|(a, _)| a == addr)
        .map(|(_, name)| name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routed_master_address_names_its_replica() {
        let replicas = vec![
            ("10.0.0.11:10911".to_string(), "broker-a".to_string()),
            ("10.0.1.11:10911".to_string(), "broker-a-s1".to_string()),
        ];
        let found = replica_named(&replicas, "10.0.1.11:10911");
        assert_eq!(found.as_deref(), Some("broker-a-s1"));
        assert_eq!(replica_named(&replicas, "10.0.0.12:10911"), None);
    }
}
