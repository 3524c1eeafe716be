//! "Sometimes" probes: states a workload claims to exercise, marked by a run when it gets
//! there (`ScenarioResult::reached`). A sweep in which a declared probe was never reached
//! fails (exit 2): the scenario did not test what it says. Declared per workload, and only
//! when the options make the state possible (a probe of a restart is not declared when
//! restarts are off).
//!
//! Nodes mark probes the workload cannot see from outside with `rocketsim::probe!` (e.g. the
//! broker's `long_poll_woken_by_message`: a held pull released by a new message); the runner
//! adds the names a run emitted to its reached marks.

use super::{Scenario, Workload};

/// The probes `scenario` must reach in some seed of any sweep.
pub fn declared(scenario: &Scenario) -> Vec<&'static str> {
    let mut probes = Vec::new();
    match scenario.scenario.workload {
        Workload::RpcPingPong => {}
        Workload::NamesrvExpiry => probes.extend([
            "route_expired",
            "clock_stepped_backwards",
            "clock_stepped_forwards",
            "broker_rerouted_after_restart",
        ]),
        Workload::NamesrvFailover => {
            probes.push("client_failed_over");
            if scenario.namesrv_failover.clog_before_kill_one_in > 0 {
                probes.push("namesrv_killed_behind_clog");
            }
        }
        Workload::SteadyState => {
            let options = &scenario.steady_state;
            probes.extend(["sync_send_made", "long_poll_woken_by_message"]);
            if options.traffic.ordered_one_in > 0 {
                probes.push("ordered_send_made");
            }
            if options.power_loss_one_in > 0 {
                probes.extend(["broker_power_lost", "power_loss_hit_unsynced_tail"]);
            }
        }
        Workload::ConsumerCrash => {
            probes.extend(["consumer_killed_mid_stream", "rebalance_moved_queue"]);
            if scenario.consumer_crash.restart_one_in > 0 {
                probes.push("consumer_restarted");
            }
        }
        Workload::BrokerDeath => {
            let clog_one_in = scenario.broker_death.clog_one_in;
            if clog_one_in > 0 {
                probes.push("route_expired");
            }
            if clog_one_in != 1 {
                probes.push("route_dropped_on_close");
            }
        }
        Workload::Cluster => probes.extend(super::general::plan::declared(scenario)),
        Workload::NamesrvAllDown => probes.extend([
            "traffic_while_namesrvs_down",
            "routes_rebuilt_after_restart",
        ]),
    }
    probes
}
