//! Scenario `namesrv-expiry`: the 120 s route expiry, proven.
//!
//! A broker registers with one name server, periodically (period and forced/unforced drawn
//! from the seed). At a drawn moment the link between them is clogged both ways and the broker
//! is killed: no connection-closed event can reach the name server (see `env::conn`), so only
//! the expiry can remove it. A probe asks GET_ROUTEINFO_BY_TOPIC throughout, densely around
//! the bound, while a white-box read of the name server's table tracks the broker's last
//! registration `L`. Meanwhile the name server's wall clock is stepped by a drawn amount:
//! expiry must run on the monotonic clock and not care.
//!
//! Properties (RocketMQ: `BROKER_CHANNEL_EXPIRED_TIME` 120 s, scanned every 10 s):
//! * safety, not early: every probe answered before `L + 120 s` still routes to the broker;
//! * safety, not late: every probe sent at or after `L + 130 s` no longer does;
//! * liveness: after healing and restarting the broker, the route is back within one
//!   registration period, and stays for the rest of the run.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

use super::namesrv_support::{
    add_broker, add_namesrv, ask_route, client_on, ip, routes_to, Answer, Draw, NamesrvSlot,
    ScenarioResult, NAMESRV_PORT,
};
use crate::{NodeId, World};
use rocketsim::namesrv::NamesrvConfig;

const BROKER: &str = "broker-a";
use crate::check::route_expiry::{self, Probe, EXPIRY_MAX, EXPIRY_MIN};

/// The `[namesrv_expiry]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NamesrvExpiryOptions {
    /// Registration period, drawn from this range (s); the broker clamps it to 10–60 s.
    pub register_period_s: [u64; 2],
    /// Out of how many runs the broker registers forced (else it asks QUERY_DATA_VERSION).
    pub force_register_one_in: u64,
    /// The kill comes this long after the broker's first registration, drawn (s).
    pub kill_after_s: [u64; 2],
    /// Step of the name server's wall clock at a drawn moment before the bound (ms, drawn).
    pub clock_step_ms: [i64; 2],
    /// Probe interval near the bounds (ms).
    pub probe_dense_ms: u64,
    /// Probe interval elsewhere (ms).
    pub probe_sparse_ms: u64,
    /// How long the route must stay after the restart (s).
    pub watch_after_restart_s: u64,
    /// The name server under test: its broker expiry (s). 120 unless planting a bug.
    pub namesrv_expiry_s: u64,
    /// The name server under test: its scan interval (s). 10 unless planting a bug.
    pub namesrv_scan_s: u64,
}

impl Default for NamesrvExpiryOptions {
    fn default() -> Self {
        NamesrvExpiryOptions {
            register_period_s: [10, 60],
            force_register_one_in: 2,
            kill_after_s: [1, 120],
            clock_step_ms: [-3_600_000, 3_600_000],
            probe_dense_ms: 100,
            probe_sparse_ms: 2000,
            watch_after_restart_s: 60,
            namesrv_expiry_s: 120,
            namesrv_scan_s: 10,
        }
    }
}

struct Cast {
    world: World,
    namesrv: NodeId,
    ns_slot: NamesrvSlot,
    broker: NodeId,
    broker_addr: String,
    probe: rocketsim::remoting::Client<crate::SimEnv>,
    ns_addr: SocketAddr,
}

impl Cast {
    /// Reads the broker's last registration from the name server's table.
    fn sample(&self, last_reg: &mut Option<Duration>) {
        let seen = self.ns_slot.lock().as_ref().and_then(|ns| {
            ns.with_table(|t| {
                t.live(&self.broker_addr)
                    .map(|l| l.last_update.since_origin())
            })
        });
        if let Some(seen) = seen {
            *last_reg = Some(last_reg.map_or(seen, |l| l.max(seen)));
        }
    }

    /// Probes once; also samples the broker's last registration.
    async fn probe(&self, last_reg: &mut Option<Duration>) -> Probe {
        self.sample(last_reg);
        let sent = self.world.now();
        let answer = ask_route(&self.probe, self.ns_addr, Duration::from_secs(3)).await;
        Probe {
            sent,
            answered: self.world.now(),
            routed: routes_to(&answer, BROKER),
        }
    }
}

/// Runs the scenario on a fresh world.
pub async fn run(world: World, options: &NamesrvExpiryOptions) -> ScenarioResult {
    let draw = Draw::new(&world, "namesrv-expiry/plan");
    let mut result = ScenarioResult::default();
    let period = Duration::from_secs(
        draw.between(options.register_period_s[0], options.register_period_s[1]),
    );
    let force = draw.one_in(options.force_register_one_in);
    let config = NamesrvConfig {
        table: rocketsim::namesrv::table::TableConfig {
            broker_expiry: Duration::from_secs(options.namesrv_expiry_s),
            ..Default::default()
        },
        scan_interval: Duration::from_secs(options.namesrv_scan_s),
        ..NamesrvConfig::default()
    };
    let (namesrv, ns_slot) = add_namesrv(&world, "namesrv", ip(1), config);
    let ns_addr = SocketAddr::new(ip(1), NAMESRV_PORT);
    let broker = add_broker(&world, BROKER, ip(2), vec![ns_addr], period, force);
    let probe_node = world.add_client_node("probe", ip(3));
    let cast = Cast {
        probe: client_on(&world, probe_node),
        world: world.clone(),
        namesrv,
        ns_slot,
        broker,
        broker_addr: SocketAddr::new(ip(2), 10911).to_string(),
        ns_addr,
    };
    result.figure("period_s", period.as_secs());
    result.figure("forced", force);

    let mut last_reg = None;
    let Some(first) = wait_routed(&cast, &mut last_reg, Duration::from_secs(30), options).await
    else {
        result
            .violations_liveness
            .push("the broker was never routed within 30 s of start".into());
        return result;
    };
    let kill_at =
        first + Duration::from_secs(draw.between(options.kill_after_s[0], options.kill_after_s[1]));
    let mut probes = Vec::new();
    probe_until(&cast, &mut probes, &mut last_reg, kill_at, options).await;
    world.partition(&[&[cast.broker], &[cast.namesrv]]);
    world.kill(cast.broker);
    cast.sample(&mut last_reg);
    let Some(last) = last_reg else {
        result
            .violations_safety
            .push("no registration of the broker was ever seen".into());
        return result;
    };
    result.figure(
        "kill_after_last_registration_ms",
        (world.now() - last).as_millis(),
    );
    let landed_after_kill = world.now();
    let step_at = world.now() + Duration::from_millis(draw.between(0, 110_000));
    let step_ms = draw.between(
        0,
        (options.clock_step_ms[1] - options.clock_step_ms[0]) as u64,
    ) as i64
        + options.clock_step_ms[0];
    probe_until(&cast, &mut probes, &mut last_reg, step_at, options).await;
    world.clock_step(cast.namesrv, step_ms);
    result.figure("namesrv_clock_step_ms", step_ms);
    result.reached(match step_ms < 0 {
        true => "clock_stepped_backwards",
        false => "clock_stepped_forwards",
    });
    // `L` was sampled when the broker died. Should a registration already on the wire still
    // land afterwards, the bound counts from it: keep probing until `L + 160 s` for the
    // latest `L` (the figure `registration_landed_after_kill_ms` says when that happened).
    loop {
        let last = last_reg.unwrap_or(last);
        let give_up = last + EXPIRY_MAX + Duration::from_secs(30);
        if world.now() >= give_up {
            break;
        }
        probe_until(&cast, &mut probes, &mut last_reg, give_up, options).await;
    }
    let last = last_reg.unwrap_or(last);
    if last > landed_after_kill {
        result.figure(
            "registration_landed_after_kill_ms",
            (last - landed_after_kill).as_millis(),
        );
    }
    check_expiry(&probes, last, &mut result);
    restart(&cast, period, &mut last_reg, options, &mut result).await;
    result.figure("probes", probes.len());
    result
}

/// Probes until the broker is routed; when first seen, or `None` after `limit`.
async fn wait_routed(
    cast: &Cast,
    last_reg: &mut Option<Duration>,
    limit: Duration,
    options: &NamesrvExpiryOptions,
) -> Option<Duration> {
    let deadline = cast.world.now() + limit;
    while cast.world.now() < deadline {
        let probe = cast.probe(last_reg).await;
        if probe.routed {
            return Some(probe.sent);
        }
        cast.world
            .sleep(Duration::from_millis(options.probe_dense_ms))
            .await;
    }
    None
}

/// Probes until virtual time `until`: densely within 10 s of either bound, sparsely elsewhere.
async fn probe_until(
    cast: &Cast,
    probes: &mut Vec<Probe>,
    last_reg: &mut Option<Duration>,
    until: Duration,
    options: &NamesrvExpiryOptions,
) {
    while cast.world.now() < until {
        probes.push(cast.probe(last_reg).await);
        let near = last_reg.is_some_and(|last| {
            let now = cast.world.now();
            let from = last + EXPIRY_MIN - Duration::from_secs(10);
            now >= from && now <= last + EXPIRY_MAX + Duration::from_secs(10)
        });
        let pause = if near {
            options.probe_dense_ms
        } else {
            options.probe_sparse_ms
        };
        let pause = Duration::from_millis(pause).min(until.saturating_sub(cast.world.now()));
        cast.world.sleep(pause.max(Duration::from_millis(1))).await;
    }
}

/// The route-expiry checker's findings, and the figure of when the route went.
fn check_expiry(probes: &[Probe], last: Duration, result: &mut ScenarioResult) {
    let (findings, gone) = route_expiry::check(probes, last);
    result.violations_safety.extend(findings.kept);
    match gone {
        Some(after) => {
            result.figure("gone_after_ms", after.as_millis());
            result.reached("route_expired");
        }
        None => result
            .violations_liveness
            .push("the broker was never removed".into()),
    }
}

/// Heals, restarts the broker, and checks the route comes back within a period and stays.
async fn restart(
    cast: &Cast,
    period: Duration,
    last_reg: &mut Option<Duration>,
    options: &NamesrvExpiryOptions,
    result: &mut ScenarioResult,
) {
    let world = &cast.world;
    world.heal();
    world.restart(cast.broker);
    let restarted = world.now();
    let bound =
        period.clamp(Duration::from_secs(10), Duration::from_secs(60)) + Duration::from_secs(1);
    let Some(back) = wait_routed(cast, last_reg, bound, options).await else {
        result.violations_liveness.push(format!(
            "the restarted broker was not routed within {} ms",
            bound.as_millis()
        ));
        return;
    };
    result.figure("reappeared_after_ms", (back - restarted).as_millis());
    result.reached("broker_rerouted_after_restart");
    let until = world.now() + Duration::from_secs(options.watch_after_restart_s);
    while world.now() < until {
        let answer = ask_route(&cast.probe, cast.ns_addr, Duration::from_secs(3)).await;
        if !routes_to(&answer, BROKER) {
            let what = match answer {
                Answer::Refused(code) => format!("{code:?}"),
                Answer::Failed(why) => why,
                Answer::Route(_) => "a route without the broker".into(),
            };
            result.violations_liveness.push(format!(
                "the restarted broker dropped out of the route: {what}"
            ));
            return;
        }
        world
            .sleep(Duration::from_millis(options.probe_sparse_ms))
            .await;
    }
}
