//! The liveness phase's convergence test, asked once a second after everything was healed,
//! until everything holds or the bound (`liveness_s`) passes:
//! * **routes agree**: every name server answers the same route for each topic, naming every
//!   broker group;
//! * **delivered**: every acked message reached every group that should get it, except the
//!   losses the guarantee matrix excuses (`check::lost` finds no violating loss);
//! * **lag zero**: every clustering group's committed offset at the broker equals the queue's
//!   max offset. A committed offset past the end of a queue whose broker lost power under
//!   ASYNC_FLUSH is the matrix's reported effect (`offsets_ahead`), not a lag;
//! * **replication**: every replicated group has a master (routed as id 0), every replica
//!   runs, every slave's CommitLog ends where its master's does (`replicas.rs`).

use rocketsim::protocol::body::TopicRouteData;

use super::probe::{self, ProbedQueue};
use super::replicas;
use super::targets::Targets;
use crate::check::{self, Claim, Configuration, FaultKind};
use crate::scenario::messaging::stage::Stage;
use crate::scenario::namesrv_support::{ask_route_of, Answer};

/// What did not converge yet (empty: converged), and queues excused as `offsets_ahead`.
#[derive(Debug, Default)]
pub struct Pending {
    pub not_converged: Vec<String>,
    pub offsets_ahead: u64,
}

/// One convergence test.
pub async fn pending(
    stage: &Stage,
    targets: &[ProbedQueue],
    resolver: &Targets,
    config: &Configuration,
) -> Pending {
    let mut pending = Pending::default();
    pending.not_converged.extend(routes_disagree(stage).await);
    if let Some(what) = undelivered(stage, config) {
        pending.not_converged.push(what);
    }
    let excused_ahead = matches!(config.loss(Some(FaultKind::PowerLoss)), Claim::Reported(_));
    let power_lost = stage.ledger.lock().oracle.history().power_losses.clone();
    for lag in probe::lagging(&stage.cluster.admin_client, targets).await {
        let broker = &lag.target.queue.broker_name;
        if lag.ahead() && excused_ahead && power_lost.contains_key(broker) {
            pending.offsets_ahead += 1;
            continue;
        }
        pending
            .not_converged
            .push(format!("consumer lag: {}", lag.describe()));
    }
    let history = stage.ledger.lock().oracle.history().clone();
    let replication = replicas::pending(&stage.cluster, resolver, config, &history).await;
    pending.not_converged.extend(replication);
    pending
}

/// Topics whose routes differ between name servers or miss a broker group.
async fn routes_disagree(stage: &Stage) -> Vec<String> {
    let cluster = &stage.cluster;
    let mut problems = Vec::new();
    for (topic, _) in &cluster.topics {
        let mut seen: Vec<(usize, String)> = Vec::new();
        for (i, addr) in cluster.namesrv_addrs.iter().enumerate() {
            let answer = ask_route_of(
                &cluster.admin_client,
                *addr,
                topic,
                std::time::Duration::from_secs(3),
            )
            .await;
            let shown = match answer {
                Answer::Route(route) => normalized(&route),
                other => format!("{other:?}"),
            };
            seen.push((i + 1, shown));
        }
        let complete = seen.iter().all(|(_, route)| {
            cluster
                .broker_names
                .iter()
                .all(|b| route.contains(&format!("{b}:")))
        });
        let agree = seen.windows(2).all(|w| w[0].1 == w[1].1);
        if !agree || !complete {
            let views: Vec<String> = seen
                .iter()
                .map(|(i, r)| format!("namesrv-{i}: {r}"))
                .collect();
            problems.push(format!("routes of {topic}: {}", views.join("; ")));
        }
    }
    problems
}

/// A route as a canonical string: queue data and broker addresses, sorted by broker.
fn normalized(route: &TopicRouteData) -> String {
    let mut queues: Vec<String> = route
        .queue_datas
        .iter()
        .map(|q| {
            format!(
                "{}:r{}w{}p{}",
                q.broker_name, q.read_queue_nums, q.write_queue_nums, q.perm
            )
        })
        .collect();
    queues.sort();
    let mut brokers: Vec<String> = route
        .broker_datas
        .iter()
        .map(|b| format!("{}={:?}", b.broker_name, b.broker_addrs))
        .collect();
    brokers.sort();
    format!("[{}] [{}]", queues.join(" "), brokers.join(" "))
}

/// "n acked messages not yet delivered" when some group still misses a message the matrix
/// does not excuse.
fn undelivered(stage: &Stage, config: &Configuration) -> Option<String> {
    let groups = stage.oracle_groups();
    let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    let ledger = stage.ledger.lock();
    if ledger.oracle.all_delivered(&groups, &[]) {
        return None;
    }
    let lost = check::lost::check(ledger.oracle.history(), &groups, config, &[]);
    (lost.lost > 0).then(|| format!("{} acked deliveries still missing", lost.lost))
}
