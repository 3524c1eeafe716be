//! What the world knows about its network beyond madsim: which IP is which node, which links
//! the world has clogged, and which ports listen.
//!
//! madsim answers a connect over a clogged (or lossy) link with an immediate
//! `ConnectionRefused`, which is not what TCP does: a SYN that gets no answer is retransmitted
//! (1 s, 2 s, 4 s, …) and the connect fails with a timeout after about two minutes. With this
//! table `SimEnv::connect` can tell "nobody listens" (refused, at once) from "the packets are
//! not getting through" (wait and retry).
//!
//! It also remembers, for every process death, which nodes were cut off from the dying node
//! at that moment (a clog either way). A connection whose peer died while cut off must not
//! see the death (see `env::conn`).

use crate::world::NodeId;
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

#[derive(Default)]
struct Inner {
    nodes_by_ip: BTreeMap<IpAddr, NodeId>,
    clogged_links: BTreeSet<(NodeId, NodeId)>,
    clogged_nodes: BTreeSet<NodeId>,
    /// (node, port) → token of the listener that registered it.
    listeners: BTreeMap<(NodeId, u16), u64>,
    next_token: u64,
    /// Per node, one entry per process death: the nodes cut off from it when it died.
    deaths: BTreeMap<NodeId, Vec<BTreeSet<NodeId>>>,
}

impl Inner {
    fn clogged(&self, from: NodeId, to: NodeId) -> bool {
        self.clogged_links.contains(&(from, to))
            || self.clogged_nodes.contains(&from)
            || self.clogged_nodes.contains(&to)
    }
}

/// Shared between the world (which changes it) and every `SimEnv` (which consults it).
#[derive(Default)]
pub struct NetState {
    inner: Mutex<Inner>,
}

impl NetState {
    pub fn add_node(&self, ip: IpAddr, node: NodeId) {
        self.inner.lock().nodes_by_ip.insert(ip, node);
    }

    pub fn node_by_ip(&self, ip: IpAddr) -> Option<NodeId> {
        self.inner.lock().nodes_by_ip.get(&ip).copied()
    }

    /// Whether packets from `from` to `to` are held back.
    pub fn clogged(&self, from: NodeId, to: NodeId) -> bool {
        self.inner.lock().clogged(from, to)
    }

    /// Whether packets cannot get through in at least one direction between `a` and `b`.
    pub fn cut_off(&self, a: NodeId, b: NodeId) -> bool {
        let inner = self.inner.lock();
        inner.clogged(a, b) || inner.clogged(b, a)
    }

    /// Records that `node`'s process is dying now, and who is cut off from it.
    pub fn note_death(&self, node: NodeId) {
        let mut inner = self.inner.lock();
        let cut_off = inner
            .nodes_by_ip
            .values()
            .copied()
            .filter(|&other| {
                other != node && (inner.clogged(node, other) || inner.clogged(other, node))
            })
            .collect();
        inner.deaths.entry(node).or_default().push(cut_off);
    }

    /// How many times `node`'s process has died so far.
    pub fn deaths(&self, node: NodeId) -> usize {
        self.inner.lock().deaths.get(&node).map_or(0, Vec::len)
    }

    /// Whether the first death of `node` numbered `since` or later (the one that ended a
    /// connection opened when `since` deaths had happened) left `observer` cut off.
    pub fn died_out_of_sight(&self, node: NodeId, since: usize, observer: NodeId) -> bool {
        let inner = self.inner.lock();
        let death = inner.deaths.get(&node).and_then(|deaths| deaths.get(since));
        death.is_some_and(|cut_off| cut_off.contains(&observer))
    }

    pub fn set_link(&self, from: NodeId, to: NodeId, clogged: bool) {
        let mut inner = self.inner.lock();
        if clogged {
            inner.clogged_links.insert((from, to));
        } else {
            inner.clogged_links.remove(&(from, to));
        }
    }

    pub fn set_node(&self, node: NodeId, clogged: bool) {
        let mut inner = self.inner.lock();
        if clogged {
            inner.clogged_nodes.insert(node);
        } else {
            inner.clogged_nodes.remove(&node);
        }
    }

    /// Forgets every clog; returns what was clogged (links, nodes) so madsim can be told.
    pub fn heal(&self) -> (Vec<(NodeId, NodeId)>, Vec<NodeId>) {
        let mut inner = self.inner.lock();
        let links = std::mem::take(&mut inner.clogged_links)
            .into_iter()
            .collect();
        let nodes = std::mem::take(&mut inner.clogged_nodes)
            .into_iter()
            .collect();
        (links, nodes)
    }

    /// Records a listener; returns the token that unregisters it.
    pub fn register_listener(&self, node: NodeId, port: u16) -> u64 {
        let mut inner = self.inner.lock();
        inner.next_token += 1;
        let token = inner.next_token;
        inner.listeners.insert((node, port), token);
        token
    }

    /// Unregisters a listener, unless the port was taken over by a newer one (a restarted
    /// process may bind before the killed one's listener is dropped).
    pub fn unregister_listener(&self, node: NodeId, port: u16, token: u64) {
        let mut inner = self.inner.lock();
        if inner.listeners.get(&(node, port)) == Some(&token) {
            inner.listeners.remove(&(node, port));
        }
    }

    /// A killed process listens nowhere.
    pub fn forget_listeners(&self, node: NodeId) {
        self.inner
            .lock()
            .listeners
            .retain(|(owner, _), _| *owner != node);
    }

    pub fn listening(&self, node: NodeId, port: u16) -> bool {
        self.inner.lock().listeners.contains_key(&(node, port))
    }
}
