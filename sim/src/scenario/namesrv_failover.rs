//! Scenario `namesrv-failover`: two name servers, one dies, clients keep getting routes.
//!
//! Two broker groups register with both name servers. Clients query the route of the topic
//! continuously, each as the Java client does: it sticks to one name server (picked at random)
//! and moves to the next only when a call fails (refused, closed, timed out) — a name server's
//! refusal (e.g. TOPIC_NOT_EXIST) is an answer, not a failover reason. At a drawn moment one
//! name server is killed, either plainly (its connections close) or behind a clog (calls to it
//! time out).
//!
//! Properties:
//! * safety: every client query succeeds and routes to both broker groups (name servers never
//!   talk to each other; each must hold the full route on its own);
//! * liveness: restarted, the dead name server serves the full route again within one
//!   registration period (routes are memory only: it learns them from the brokers).
//!
//! "Sometimes": the run reports how many failovers happened; a sweep must see some.

use parking_lot::Mutex;
use rocketsim::env::{RandomExt, Spawn};
use rocketsim::namesrv::NamesrvConfig;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::namesrv_support::{
    add_broker, add_namesrv, ask_route, client_on, ip, routes_to, Answer, Draw, ScenarioResult,
    NAMESRV_PORT,
};
use crate::{SimEnv, World};
use rocketsim::remoting::Client;

const BROKERS: [&str; 2] = ["broker-a", "broker-b"];

/// The `[namesrv_failover]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NamesrvFailoverOptions {
    /// Client nodes.
    pub clients: u8,
    /// Pause between one client's queries, drawn from this range (ms).
    pub query_pause_ms: [u64; 2],
    /// Timeout of one call to one name server (ms); the Java client's is 3000.
    pub call_timeout_ms: u64,
    /// When a name server is killed, drawn (s after the routes settled).
    pub kill_at_s: [u64; 2],
    /// Out of how many runs the victim is clogged before it is killed.
    pub clog_before_kill_one_in: u64,
    /// How long clients keep querying after the kill (s).
    pub after_kill_s: u64,
    /// Registration period, drawn from this range (s).
    pub register_period_s: [u64; 2],
}

impl Default for NamesrvFailoverOptions {
    fn default() -> Self {
        NamesrvFailoverOptions {
            clients: 3,
            query_pause_ms: [50, 1000],
            call_timeout_ms: 3000,
            kill_at_s: [1, 60],
            clog_before_kill_one_in: 2,
            after_kill_s: 60,
            register_period_s: [10, 60],
        }
    }
}

/// One logical route query of a client.
#[derive(Clone, Debug)]
struct Query {
    client: usize,
    started: Duration,
    took: Duration,
    failovers: u32,
    outcome: Result<(), String>,
}

/// A client's name-server list and the one it currently uses.
struct RouteClient {
    client: Client<SimEnv>,
    namesrvs: Vec<SocketAddr>,
    current: usize,
    timeout: Duration,
}

impl RouteClient {
    /// Asks the current name server, moving on after a failed call, at most once around.
    async fn query(&mut self) -> (Result<(), String>, u32) {
        let mut failovers = 0;
        let mut last_failure = String::new();
        for _ in 0..self.namesrvs.len() {
            let addr = self.namesrvs[self.current];
            match ask_route(&self.client, addr, self.timeout).await {
                Answer::Failed(why) => {
                    // As the Java client does on a failed call: drop the connection, move on.
                    self.client.close(addr);
                    last_failure = format!("{addr}: {why}");
                    self.current = (self.current + 1) % self.namesrvs.len();
                    failovers += 1;
                }
                answer => {
                    let missing: Vec<_> =
                        BROKERS.iter().filter(|b| !routes_to(&answer, b)).collect();
                    let outcome = match (&answer, missing.is_empty()) {
                        (Answer::Route(_), true) => Ok(()),
                        (Answer::Refused(code), _) => Err(format!("{addr} answered {code:?}")),
                        _ => Err(format!("{addr} routes to no {missing:?}")),
                    };
                    return (outcome, failovers);
                }
            }
        }
        (
            Err(format!("every name server failed; last: {last_failure}")),
            failovers,
        )
    }
}

/// Runs the scenario on a fresh world.
pub async fn run(world: World, options: &NamesrvFailoverOptions) -> ScenarioResult {
    let draw = Draw::new(&world, "namesrv-failover/plan");
    let mut result = ScenarioResult::default();
    let namesrvs: Vec<SocketAddr> = (1..=2)
        .map(|n| SocketAddr::new(ip(n), NAMESRV_PORT))
        .collect();
    let ns_nodes: Vec<_> = (1..=2)
        .map(|n| {
            add_namesrv(
                &world,
                &format!("namesrv-{n}"),
                ip(n),
                NamesrvConfig::default(),
            )
            .0
        })
        .collect();
    let period = Duration::from_secs(
        draw.between(options.register_period_s[0], options.register_period_s[1]),
    );
    let force = draw.one_in(2);
    for (i, name) in BROKERS.iter().enumerate() {
        add_broker(
            &world,
            name,
            ip(11 + i as u8),
            namesrvs.clone(),
            period,
            force,
        );
    }
    let settle = all_routed(&world, &namesrvs, Duration::from_secs(30)).await;
    if !settle {
        result
            .violations_liveness
            .push("routes did not settle on both name servers within 30 s".into());
        return result;
    }
    let log: Arc<Mutex<Vec<Query>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    for c in 0..options.clients {
        let node = world.add_client_node(&format!("client-{}", c + 1), ip(21 + c));
        spawn_client(
            &world,
            node,
            c as usize,
            &namesrvs,
            options,
            log.clone(),
            stop.clone(),
        );
    }
    world
        .sleep(Duration::from_secs(
            draw.between(options.kill_at_s[0], options.kill_at_s[1]),
        ))
        .await;
    let victim = draw.between(0, 1) as usize;
    let clogged = draw.one_in(options.clog_before_kill_one_in);
    if clogged {
        world.clog_node(ns_nodes[victim]);
    }
    world.kill(ns_nodes[victim]);
    world.sleep(Duration::from_secs(options.after_kill_s)).await;
    stop.store(true, Ordering::SeqCst);
    // Let queries in flight finish (at most two call timeouts).
    world
        .sleep(Duration::from_millis(2 * options.call_timeout_ms + 100))
        .await;
    judge(&log.lock(), &mut result);
    result.figure("victim", format!("namesrv-{}", victim + 1));
    result.figure("clogged", clogged);
    if clogged {
        result.reached("namesrv_killed_behind_clog");
    }
    result.figure("period_s", period.as_secs());
    world.heal();
    world.restart(ns_nodes[victim]);
    let restarted = world.now();
    let bound =
        period.clamp(Duration::from_secs(10), Duration::from_secs(60)) + Duration::from_secs(1);
    match all_routed(&world, &namesrvs[victim..=victim], bound).await {
        true => result.figure(
            "reconverged_after_ms",
            (world.now() - restarted).as_millis(),
        ),
        false => result.violations_liveness.push(format!(
            "restarted namesrv-{} did not route both groups within {} ms",
            victim + 1,
            bound.as_millis()
        )),
    }
    result
}

fn spawn_client(
    world: &World,
    node: crate::NodeId,
    index: usize,
    namesrvs: &[SocketAddr],
    options: &NamesrvFailoverOptions,
    log: Arc<Mutex<Vec<Query>>>,
    stop: Arc<AtomicBool>,
) {
    let env = world.env(node);
    let mut client = RouteClient {
        client: client_on(world, node),
        namesrvs: namesrvs.to_vec(),
        current: env.below(namesrvs.len() as u64) as usize,
        timeout: Duration::from_millis(options.call_timeout_ms),
    };
    let pause = options.query_pause_ms;
    let clock = world.clone();
    env.clone().spawn("route-client", async move {
        while !stop.load(Ordering::SeqCst) {
            let started = clock.now();
            let (outcome, failovers) = client.query().await;
            let took = clock.now() - started;
            log.lock().push(Query {
                client: index,
                started,
                took,
                failovers,
                outcome,
            });
            clock
                .sleep(Duration::from_millis(env.between(pause[0], pause[1])))
                .await;
        }
    });
}

/// Whether every name server in `namesrvs` routes both groups, polled until `limit`.
async fn all_routed(world: &World, namesrvs: &[SocketAddr], limit: Duration) -> bool {
    let asker = world.add_client_node(
        &format!("asker-{}", world.nodes().len()),
        ip(100 + world.nodes().len() as u8),
    );
    let client = client_on(world, asker);
    let deadline = world.now() + limit;
    while world.now() < deadline {
        let mut all = true;
        for &ns in namesrvs {
            let answer = ask_route(&client, ns, Duration::from_secs(3)).await;
            all &= BROKERS.iter().all(|b| routes_to(&answer, b));
        }
        if all {
            return true;
        }
        world.sleep(Duration::from_millis(100)).await;
    }
    false
}

fn judge(log: &[Query], result: &mut ScenarioResult) {
    for query in log.iter().filter(|q| q.outcome.is_err()).take(10) {
        let why = query.outcome.as_ref().err().cloned().unwrap_or_default();
        result.violations_safety.push(format!(
            "client-{} query at {} ms failed: {why}",
            query.client + 1,
            query.started.as_millis()
        ));
    }
    let failovers: u32 = log.iter().map(|q| q.failovers).sum();
    let slowest = log.iter().map(|q| q.took).max().unwrap_or_default();
    result.figure("queries", log.len());
    result.figure("failovers", failovers);
    if failovers > 0 {
        result.reached("client_failed_over");
    }
    result.figure("slowest_query_ms", slowest.as_millis());
}
