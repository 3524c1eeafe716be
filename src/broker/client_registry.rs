//! Producer and consumer groups as the broker knows them from heartbeats (§2.7), sans-IO.
//!
//! State: per group, its members (client id → connection and when last heard from); per
//! consumer group, the latest subscriptions and consumption settings. Events: a heartbeat, an
//! UNREGISTER_CLIENT, a connection closing, the 10 s housekeeping tick (members silent for
//! `channel_expiry`, 120 s, are dropped). Whenever the members of a consumer group change, the
//! result names every remaining member's connection so that the driver sends each of them
//! NOTIFY_CONSUMER_IDS_CHANGED (they rebalance at once instead of within 20 s).
//!
//! Limits: `groups_max` groups of each kind and `members_max` members per group; a heartbeat
//! over a limit is not registered (the caller answers it anyway; Java has no such limit).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::env::Instant;
use crate::protocol::heartbeat::{ConsumerData, HeartbeatData, SubscriptionData};
use crate::remoting::ConnId;

/// One client in a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub conn: ConnId,
    pub last_seen: Instant,
}

/// A consumer group: members and what they subscribe to (the last heartbeat wins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerGroup {
    pub members: BTreeMap<String, Member>,
    pub subscriptions: BTreeMap<String, SubscriptionData>,
    pub data: ConsumerData,
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyIdsChanged {
    pub group: String,
    pub conns: Vec<ConnId>,
}

#[derive(Clone, Copy, Debug)]
pub struct RegistryLimits {
    pub channel_expiry: Duration,
    pub groups_max: usize,
    pub members_max: usize,
}

impl Default for RegistryLimits {
    fn default() -> Self {
        RegistryLimits {
            channel_expiry: Duration::from_secs(120),
            groups_max: 10_000,
            members_max: 10_000,
        }
    }
}

#[derive(Debug)]
pub struct ClientRegistry {
    consumers: BTreeMap<String, ConsumerGroup>,
    producers: BTreeMap<String, BTreeMap<String, Member>>,
    limits: RegistryLimits,
}

impl ClientRegistry {
    pub fn new(limits: RegistryLimits) -> Self {
        ClientRegistry {
            consumers: BTreeMap::new(),
            producers: BTreeMap::new(),
            limits,
        }
    }

    pub fn consumer_group(&self, group: &str) -> Option<&ConsumerGroup> {
        self.consumers.get(group)
    }

    pub fn consumer_groups(&self) -> impl Iterator<Item = (&String, &ConsumerGroup)> {
        self.consumers.iter()
    }

    /// Client ids of a consumer group, sorted.
    pub fn consumer_ids(&self, group: &str) -> Vec<String> {
        self.consumers
            .get(group)
            .map(|g| g.members.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn producer_ids(&self, group: &str) -> Vec<String> {
        self.producers
            .get(group)
            .map(|g| g.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A heartbeat from `heartbeat.client_id` on `conn`.
    pub fn on_heartbeat(
        &mut self,
        heartbeat: &HeartbeatData,
        conn: ConnId,
        now: Instant,
    ) -> Vec<NotifyIdsChanged> {
        let member = Member {
            conn,
            last_seen: now,
        };
        let client = &heartbeat.client_id;
        for producer in &heartbeat.producers {
            let known = self.producers.contains_key(&producer.group_name);
            if !known && self.producers.len() >= self.limits.groups_max {
                continue;
            }
            let group = self
                .producers
                .entry(producer.group_name.clone())
                .or_default();
            if group.contains_key(client) || group.len() < self.limits.members_max {
                group.insert(client.clone(), member.clone());
            }
        }
        let mut notify = Vec::new();
        for data in &heartbeat.consumers {
            if self.join_consumer(data, client, &member) {
                notify.extend(self.notify(&data.group_name));
            }
        }
        notify
    }

    /// Returns whether the group's membership changed.
    fn join_consumer(&mut self, data: &ConsumerData, client: &str, member: &Member) -> bool {
        let known = self.consumers.contains_key(&data.group_name);
        if !known && self.consumers.len() >= self.limits.groups_max {
            return false;
        }
        let group = self
            .consumers
            .entry(data.group_name.clone())
            .or_insert_with(|| ConsumerGroup {
                members: BTreeMap::new(),
                subscriptions: BTreeMap::new(),
                data: data.clone(),
            });
        group.subscriptions = data
            .subscriptions
            .iter()
            .map(|s| (s.topic.clone(), s.clone()))
            .collect();
        group.data = data.clone();
        let previous = group.members.get(client).map(|m| m.conn);
        if previous.is_none() && group.members.len() >= self.limits.members_max {
            return false;
        }
        group.members.insert(client.to_string(), member.clone());
        previous != Some(member.conn)
    }

    /// UNREGISTER_CLIENT.
    pub fn on_unregister(
        &mut self,
        client_id: &str,
        producer_group: Option<&str>,
        consumer_group: Option<&str>,
    ) -> Vec<NotifyIdsChanged> {
        if let Some(group) = producer_group {
            remove_member(&mut self.producers, group, client_id);
        }
        let Some(group) = consumer_group else {
            return Vec::new();
        };
        let removed = self
            .consumers
            .get_mut(group)
            .is_some_and(|g| g.members.remove(client_id).is_some());
        self.after_removal(removed.then(|| group.to_string()).into_iter().collect())
    }

    /// A connection closed: every member on it leaves.
    pub fn on_connection_closed(&mut self, conn: ConnId) -> Vec<NotifyIdsChanged> {
        self.remove_where(|m| m.conn == conn)
    }

    /// Housekeeping: members silent for longer than the expiry leave. Returns the notifications
    /// and the connections of expired members (Java closes them).
    pub fn on_tick(&mut self, now: Instant) -> (Vec<NotifyIdsChanged>, Vec<ConnId>) {
        let expiry = self.limits.channel_expiry;
        let is_expired = |m: &Member| now.saturating_duration_since(m.last_seen) > expiry;
        let mut conns: Vec<ConnId> = self
            .consumers
            .values()
            .flat_map(|g| g.members.values())
            .chain(self.producers.values().flat_map(|g| g.values()))
            .filter(|m| is_expired(m))
            .map(|m| m.conn)
            .collect();
        conns.sort();
        conns.dedup();
        (self.remove_where(is_expired), conns)
    }

    fn remove_where(&mut self, gone: impl Fn(&Member) -> bool) -> Vec<NotifyIdsChanged> {
        for group in self.producers.values_mut() {
            group.retain(|_, m| !gone(m));
        }
        self.producers.retain(|_, g| !g.is_empty());
        let mut changed = Vec::new();
        for (name, group) in &mut self.consumers {
            let before = group.members.len();
            group.members.retain(|_, m| !gone(m));
            if group.members.len() != before {
                changed.push(name.clone());
            }
        }
        self.after_removal(changed)
    }

    /// Notifies the remaining members of each changed group; forgets groups left empty.
    fn after_removal(&mut self, changed: Vec<String>) -> Vec<NotifyIdsChanged> {
        let notify = changed.iter().flat_map(|g| self.notify(g)).collect();
        self.consumers.retain(|_, g| !g.members.is_empty());
        notify
    }

    fn notify(&self, group: &str) -> Option<NotifyIdsChanged> {
        let members = &self.consumers.get(group)?.members;
        let mut conns: Vec<ConnId> = members.values().map(|m| m.conn).collect();
        conns.sort();
        conns.dedup();
        (!conns.is_empty()).then(|| NotifyIdsChanged {
            group: group.to_string(),
            conns,
        })
    }
}

fn remove_member(groups: &mut BTreeMap<String, BTreeMap<String, Member>>, group: &str, id: &str) {
    if let Some(members) = groups.get_mut(group) {
        members.remove(id);
        if members.is_empty() {
            groups.remove(group);
        }
    }
}

#[cfg(test)]
#[path = "client_registry_tests.rs"]
mod tests;
