//! Faults the script injects: process and machine failures, network clogs and partitions,
//! network quality, clock steps and drift. Each is recorded in the trace.

use super::{NodeId, World};
use crate::disk::PowerLossReport;
use madsim::net::NetSim;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::time::Duration;

impl World {
    fn stop_process(&self, id: NodeId) {
        self.host(id).alive.store(false, Ordering::Relaxed);
        self.net().forget_listeners(id);
        // Before madsim drops the sockets: peers cut off from us must not see them close.
        self.net().note_death(id);
        self.inner.handle.kill(self.madsim_id(id));
    }

    /// Ends the run: seals the trace, then kills every node so that madsim drops their tasks
    /// (a task parked forever holds its own waker and would otherwise leak, run after run).
    pub(crate) fn teardown(&self) {
        self.inner.trace.seal();
        for id in self.nodes() {
            self.stop_process(id);
        }
    }

    /// Kills the node's process: its tasks stop, its connections close (peers read EOF — except
    /// peers cut off from it by a clog at this moment, whose reads hang as behind a real
    /// partition), its disk keeps everything, volatile data included (the page cache survives).
    pub fn kill(&self, id: NodeId) {
        self.record("node.kill", self.node_name(id));
        self.stop_process(id);
    }

    /// Starts a new process on the node (killing the running one first, if any).
    pub fn restart(&self, id: NodeId) {
        self.record("node.restart", self.node_name(id));
        if self.is_alive(id) {
            self.stop_process(id);
        }
        // madsim runs our boot closure from in here, which starts the next incarnation.
        self.inner.handle.restart(self.madsim_id(id));
    }

    /// Cuts the machine's power: kills the process and applies the disk's power-loss model
    /// (unsynced data dropped, the in-flight write torn). Call `restart` to boot it again.
    pub fn power_loss(&self, id: NodeId) -> PowerLossReport {
        if self.is_alive(id) {
            self.stop_process(id);
        }
        let report = self.disk(id).power_loss();
        let name = self.node_name(id);
        self.record("node.power_loss", format_args!("{name} {report:?}"));
        report
    }

    /// Freezes the node's tasks (a GC pause, SIGSTOP): its peers' connects still succeed,
    /// nothing it would send or answer happens until `resume`.
    pub fn pause(&self, id: NodeId) {
        self.record("node.pause", self.node_name(id));
        self.inner.handle.pause(self.madsim_id(id));
    }

    /// Lets a paused node run again.
    pub fn resume(&self, id: NodeId) {
        self.record("node.resume", self.node_name(id));
        self.inner.handle.resume(self.madsim_id(id));
    }

    fn set_link(&self, from: NodeId, to: NodeId, clogged: bool) {
        let (a, b) = (self.madsim_id(from), self.madsim_id(to));
        match clogged {
            true => NetSim::current().clog_link(a, b),
            false => NetSim::current().unclog_link(a, b),
        }
        self.net().set_link(from, to, clogged);
    }

    /// Holds back every packet from `from` to `to` (one way) until unclogged; nothing is lost.
    pub fn clog_link(&self, from: NodeId, to: NodeId) {
        let names = (self.node_name(from), self.node_name(to));
        self.record("net.clog_link", format_args!("{} -> {}", names.0, names.1));
        self.set_link(from, to, true);
    }

    /// Releases a one-way clog.
    pub fn unclog_link(&self, from: NodeId, to: NodeId) {
        let names = (self.node_name(from), self.node_name(to));
        self.record(
            "net.unclog_link",
            format_args!("{} -> {}", names.0, names.1),
        );
        self.set_link(from, to, false);
    }

    /// Holds back every packet to and from the node.
    pub fn clog_node(&self, id: NodeId) {
        self.record("net.clog_node", self.node_name(id));
        NetSim::current().clog_node(self.madsim_id(id));
        self.net().set_node(id, true);
    }

    /// Releases a node clog.
    pub fn unclog_node(&self, id: NodeId) {
        self.record("net.unclog_node", self.node_name(id));
        NetSim::current().unclog_node(self.madsim_id(id));
        self.net().set_node(id, false);
    }

    /// Clogs both ways between nodes of different groups; links within a group, and of
    /// nodes in no group, are untouched.
    pub fn partition(&self, groups: &[&[NodeId]]) {
        let names: Vec<Vec<String>> = groups
            .iter()
            .map(|group| group.iter().map(|&id| self.node_name(id)).collect())
            .collect();
        self.record("net.partition", format_args!("{names:?}"));
        for (i, left) in groups.iter().enumerate() {
            for right in &groups[i + 1..] {
                for (&a, &b) in left.iter().flat_map(|a| right.iter().map(move |b| (a, b))) {
                    self.set_link(a, b, true);
                    self.set_link(b, a, true);
                }
            }
        }
    }

    /// Removes every clog (links, nodes, partitions).
    pub fn heal(&self) {
        self.record("net.heal", "");
        let (links, nodes) = self.net().heal();
        let net = NetSim::current();
        for (from, to) in links {
            net.unclog_link(self.madsim_id(from), self.madsim_id(to));
        }
        for id in nodes {
            net.unclog_node(self.madsim_id(id));
        }
    }

    /// Each packet is lost with probability `rate`; TCP retransmits, so lost packets become
    /// delays (and connects retry their SYN).
    pub fn set_packet_loss(&self, rate: f64) {
        self.record("net.packet_loss", rate);
        let rate = rate.clamp(0.0, 1.0);
        NetSim::current().update_config(|config| config.packet_loss_rate = rate);
    }

    /// Each packet takes a latency drawn uniformly from `range`.
    pub fn set_latency(&self, range: Range<Duration>) {
        self.record("net.latency", format_args!("{range:?}"));
        // madsim draws from the range: an empty one would panic.
        let range = match range.is_empty() {
            true => range.start..range.start + Duration::from_nanos(1),
            false => range,
        };
        NetSim::current().update_config(|config| config.send_latency = range);
    }

    /// Steps the node's wall clock by `ms` (negative: backwards). Monotonic time is unaffected.
    pub fn clock_step(&self, id: NodeId, ms: i64) {
        self.record("clock.step", format_args!("{} {ms}ms", self.node_name(id)));
        self.clock(id).step(ms);
    }

    /// From now on the node's wall clock drifts by `ppm` parts per million (0 stops it).
    pub fn clock_skew(&self, id: NodeId, ppm: i64) {
        self.record(
            "clock.skew",
            format_args!("{} {ppm}ppm", self.node_name(id)),
        );
        self.clock(id).set_drift(ppm, self.now());
    }
}
