//! The `rpc-ping-pong` workload: clients call an echo server over the remoting layer while the
//! fault schedule kills, restarts and clogs nodes.
//!
//! Safety: every successful answer is the answer to *that* call (same sequence number, same
//! body bytes), and a code the server does not serve is always answered
//! REQUEST_CODE_NOT_SUPPORTED. Failed calls are expected while the server is down or cut off.
//! Liveness: once everything is healed, every client completes a call within the bound.

use super::file::{FaultStep, RpcOptions, Scenario};
use super::general::Injector;
use super::verdict::Verdict;
use crate::{NodeId, SimEnv, World};
use bytes::Bytes;
use parking_lot::Mutex;
use rocketsim::env::{Clock, Random, RandomExt};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig, RequestContext, Server};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Served by the echo server only: outside RocketMQ's table on purpose.
const PING: RequestCode = RequestCode(9001);
/// Never served: must be answered REQUEST_CODE_NOT_SUPPORTED.
const UNSERVED: RequestCode = RequestCode(9002);
const SERVER_PORT: u16 = 10911;

/// Shared between the client nodes and the script (one thread: the lock is uncontended).
#[derive(Default)]
struct Tally {
    verdict: Verdict,
    ok: u64,
    failed: u64,
    unsupported: u64,
    max_rtt: Duration,
    /// Per client: virtual time of its last successful call.
    last_ok: Vec<Option<Duration>>,
}

fn server_addr() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), SERVER_PORT)
}

/// Runs the workload and the fault schedule; returns what was found.
pub async fn run_ping_pong(world: World, scenario: Arc<Scenario>, progress: bool) -> Verdict {
    let clients = scenario.rpc.clients as usize;
    let tally = Arc::new(Mutex::new(Tally {
        last_ok: vec![None; clients],
        ..Tally::default()
    }));
    let mut nodes = vec![world.add_node("server", server_addr().ip(), serve)];
    for index in 0..clients {
        let (options, tally) = (scenario.rpc.clone(), tally.clone());
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 1, index as u8 + 1));
        let name = format!("client-{}", index + 1);
        nodes.push(world.add_node(&name, ip, move |env| {
            call_loop(env, options.clone(), tally.clone(), index)
        }));
    }
    let safety = Duration::from_secs(scenario.scenario.safety_s);
    apply_schedule(&world, &scenario.faults, safety, progress).await;
    heal(&world, &nodes);
    let healed_at = world.now();
    if progress {
        println!(
            "[{:>9.3}s] safety phase over: all healed, liveness phase",
            healed_at.as_secs_f64()
        );
    }
    let bound = Duration::from_secs(scenario.scenario.liveness_s);
    await_convergence(&world, &tally, healed_at, bound).await;
    let mut tally = tally.lock();
    let (ok, failed, unsupported, max_rtt) =
        (tally.ok, tally.failed, tally.unsupported, tally.max_rtt);
    let verdict = &mut tally.verdict;
    verdict.figure("calls_ok", ok);
    verdict.figure("calls_failed", failed);
    verdict.figure("calls_unsupported", unsupported);
    verdict.figure("max_rtt_ms", max_rtt.as_millis());
    std::mem::take(verdict)
}

async fn serve(env: SimEnv) {
    let dispatcher = Dispatcher::new().register(
        PING,
        |_ctx: RequestContext, request: RemotingCommand| async move {
            let seq = request.ext_fields.get("seq").unwrap_or("").to_string();
            RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None)
                .with_ext_field("seq", seq)
                .with_body(request.body.clone())
        },
    );
    let bind = SocketAddr::new(env.ip(), SERVER_PORT);
    let listener = match rocketsim::env::Net::bind(&env, bind).await {
        Ok(listener) => listener,
        Err(error) => panic!("echo server cannot bind {bind}: {error}"),
    };
    // The server runs on its own tasks; the node lives until it is killed.
    if let Err(error) = Server::start(&env, listener, dispatcher, RemotingConfig::default()) {
        panic!("echo server cannot start: {error}");
    }
}

async fn call_loop(env: SimEnv, options: RpcOptions, tally: Arc<Mutex<Tally>>, index: usize) {
    let client = Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default());
    let random = env.fork("workload");
    let timeout = Duration::from_millis(options.call_timeout_ms);
    for seq in 0u64.. {
        let pause = random.between(options.pause_ms[0], options.pause_ms[1]);
        env.sleep(Duration::from_millis(pause)).await;
        let started = env.now();
        if random.below(options.unsupported_one_in) == 0 {
            let outcome = client
                .invoke(server_addr(), RemotingCommand::request(UNSERVED), timeout)
                .await;
            let mut tally = tally.lock();
            match outcome {
                Ok(response)
                    if response.response_code()
                        == Some(ResponseCode::REQUEST_CODE_NOT_SUPPORTED) =>
                {
                    tally.unsupported += 1;
                }
                Ok(response) => tally.verdict.safety(format!(
                    "client-{} call {seq}: unserved code answered {:?}",
                    index + 1,
                    response.response_code()
                )),
                Err(_) => tally.failed += 1,
            }
            continue;
        }
        let mut body = vec![0u8; random.below(u64::from(options.body_bytes_max) + 1) as usize];
        random.fill(&mut body);
        let body = Bytes::from(body);
        let request = RemotingCommand::request(PING)
            .with_ext_field("seq", seq.to_string())
            .with_body(body.clone());
        let outcome = client.invoke(server_addr(), request, timeout).await;
        let rtt = env.now() - started;
        tracing::debug!(target: "rocketsim::workload", client = index + 1, seq, ok = outcome.is_ok(), "ping");
        let mut tally = tally.lock();
        match outcome {
            Ok(response) => {
                check_echo(&mut tally.verdict, index, seq, &body, &response);
                tally.ok += 1;
                tally.max_rtt = tally.max_rtt.max(rtt);
                tally.last_ok[index] = Some(env.now().since_origin());
            }
            Err(_) => tally.failed += 1,
        }
    }
}

fn check_echo(
    verdict: &mut Verdict,
    index: usize,
    seq: u64,
    body: &Bytes,
    response: &RemotingCommand,
) {
    let client = index + 1;
    if response.response_code() != Some(ResponseCode::SUCCESS) {
        verdict.safety(format!(
            "client-{client} call {seq}: answered {:?}",
            response.response_code()
        ));
    } else if response.ext_fields.get("seq") != Some(seq.to_string().as_str()) {
        verdict.safety(format!(
            "client-{client} call {seq}: got the answer to call {:?}",
            response.ext_fields.get("seq")
        ));
    } else if response.body != body {
        verdict.safety(format!("client-{client} call {seq}: echoed body differs"));
    }
}

async fn apply_schedule(world: &World, faults: &[FaultStep], safety: Duration, progress: bool) {
    let mut steps: Vec<&FaultStep> = faults.iter().collect();
    steps.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    let mut injector = Injector::new(world, BTreeMap::new(), None);
    for step in steps {
        let at = Duration::from_secs_f64(step.at_s);
        world.sleep(at.saturating_sub(world.now())).await;
        if progress {
            println!(
                "[{:>9.3}s] fault: {:?} {}",
                world.now().as_secs_f64(),
                step.action,
                step.node
            );
        }
        // The file names only this run's nodes and rpc actions (validated at load time).
        injector.apply(step);
    }
    world.sleep(safety.saturating_sub(world.now())).await;
}

fn heal(world: &World, nodes: &[NodeId]) {
    world.heal();
    for &node in nodes {
        if !world.is_alive(node) {
            world.restart(node);
        }
    }
}

async fn await_convergence(
    world: &World,
    tally: &Arc<Mutex<Tally>>,
    healed_at: Duration,
    bound: Duration,
) {
    loop {
        let lagging: Vec<usize> = {
            let tally = tally.lock();
            (0..tally.last_ok.len())
                .filter(|&i| tally.last_ok[i].is_none_or(|t| t <= healed_at))
                .collect()
        };
        if lagging.is_empty() {
            return;
        }
        if world.now() >= healed_at + bound {
            let names: Vec<String> = lagging
                .iter()
                .map(|i| format!("client-{}", i + 1))
                .collect();
            tally.lock().verdict.liveness(format!(
                "no successful call within {bound:?} after healing: {}",
                names.join(", ")
            ));
            return;
        }
        world.sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(seq: &str, body: &'static [u8]) -> RemotingCommand {
        RemotingCommand::response(ResponseCode::SUCCESS, None)
            .with_ext_field("seq", seq)
            .with_body(Bytes::from_static(body))
    }

    #[test]
    fn the_echo_check_accepts_the_right_answer() {
        let mut verdict = Verdict::default();
        check_echo(
            &mut verdict,
            0,
            7,
            &Bytes::from_static(b"abc"),
            &answer("7", b"abc"),
        );
        assert_eq!(verdict.safety_total, 0);
    }

    #[test]
    fn the_echo_check_catches_a_crossed_answer_a_changed_body_and_an_error() {
        let mut verdict = Verdict::default();
        let body = Bytes::from_static(b"abc");
        check_echo(&mut verdict, 0, 7, &body, &answer("6", b"abc"));
        check_echo(&mut verdict, 0, 7, &body, &answer("7", b"abd"));
        let error = RemotingCommand::response(ResponseCode::SYSTEM_ERROR, None);
        check_echo(&mut verdict, 0, 7, &body, &error);
        assert_eq!(verdict.safety_total, 3, "{:?}", verdict.safety);
    }
}
