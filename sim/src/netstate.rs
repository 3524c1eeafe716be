//! What the world knows about its network beyond madsim: which IP is which node, which links
//! the world has clogged, and which ports listen.
//!
//! madsim answers a connect over a clogged (or lossy) link with an immediate
//! `ConnectionRefused`, which is not what TCP does: a SYN that gets no answer is retransmitted
//! (1 s, 2 s, 4 s, …) and the connect fails with a timeout after about two minutes. With this
//! table `SimEnv::connect` can tell "nobody listens" (refused, at once) from "the packets are
//! not getting through" (wait and retry).

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
        let inner = self.inner.lock();
        inner.clogged_links.contains(&(from, to))
            || inner.clogged_nodes.contains(&from)
            || inner.clogged_nodes.contains(&to)
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
