//! The deployment end to end, as `docs/deploy.md` describes it: `mqnamesrv` and two `mqbroker`
//! processes (one ASYNC_FLUSH, one SYNC_FLUSH) on loopback, `mqadmin updateTopic`, `mqbench
//! produce` and `mqbench consume` with their counts checked; SIGTERM stops every server with
//! exit 0 and no abort file left; then, after a restart, a SIGKILLed SYNC_FLUSH broker restarts,
//! recovers, and still serves every message it acknowledged.

mod process;

use process::{broker_conf, free_port, namesrv_conf, ok, until, wait_listening, Server};
use std::path::Path;

const NAMESRV: &str = env!("CARGO_BIN_EXE_mqnamesrv");
const BROKER: &str = env!("CARGO_BIN_EXE_mqbroker");
const ADMIN: &str = env!("CARGO_BIN_EXE_mqadmin");
const BENCH: &str = env!("CARGO_BIN_EXE_mqbench");

/// The JSON summary `mqbench --json` prints as its last line.
fn bench_summary(stdout: &str) -> serde_json::Value {
    let last = stdout.lines().last().expect("mqbench printed something");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line {last:?}: {e}"))
}

fn produce(ns: &str, topic: &str, concurrency: &str) -> u64 {
    let out = ok(
        BENCH,
        &[
            "produce",
            "-n",
            ns,
            "-t",
            topic,
            "-c",
            concurrency,
            "-d",
            "2",
            "-s",
            "512",
            "--json",
        ],
    );
    let summary = bench_summary(&out);
    assert_eq!(summary["errors"], 0, "{out}");
    let sent = summary["messages"].as_u64().expect("messages");
    assert!(sent > 100, "only {sent} sent: {out}");
    sent
}

fn consume(ns: &str, topic: &str, group: &str, expect: u64) -> u64 {
    let expect = expect.to_string();
    let out = ok(
        BENCH,
        &[
            "consume", "-n", ns, "-t", topic, "-g", group, "--from", "first", "--expect", &expect,
            "-d", "60", "--json",
        ],
    );
    bench_summary(&out)["messages"].as_u64().expect("messages")
}

fn no_abort_file(store: &Path) {
    assert!(
        store.join("lock").exists() || store.exists(),
        "store exists"
    );
    assert!(
        !store.join("abort").exists(),
        "abort file left in {}",
        store.display()
    );
}

#[test]
fn cluster_of_processes_sends_consumes_stops_and_recovers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let (ns_port, a_port, b_port) = (free_port(), free_port(), free_port());
    let ns = format!("127.0.0.1:{ns_port}");
    let ns_conf = namesrv_conf(dir, "namesrv", ns_port);
    let a_conf = broker_conf(dir, "broker-a", a_port, &ns, "");
    let b_conf = broker_conf(dir, "broker-b", b_port, &ns, "flushDiskType=SYNC_FLUSH\n");
    let namesrv = Server::start("namesrv", NAMESRV, &ns_conf, dir);
    wait_listening(ns_port, &[&namesrv]);
    let a = Server::start("broker-a", BROKER, &a_conf, dir);
    let b = Server::start("broker-b", BROKER, &b_conf, dir);
    wait_listening(a_port, &[&a]);
    wait_listening(b_port, &[&b]);

    // Both brokers registered; a topic on both.
    until(ADMIN, &["clusterList", "-n", &ns], |out| {
        out.contains("broker-a") && out.contains("broker-b")
    });
    ok(
        ADMIN,
        &[
            "updateTopic",
            "-n",
            &ns,
            "-c",
            "DefaultCluster",
            "-t",
            "Bench",
            "-r",
            "4",
            "-w",
            "4",
        ],
    );
    until(ADMIN, &["topicRoute", "-n", &ns, "-t", "Bench"], |out| {
        out.contains("broker-a") && out.contains("broker-b")
    });
    let sent = produce(&ns, "Bench", "8");
    let got = consume(&ns, "Bench", "e2e-group", sent);
    assert!(got >= sent, "consumed {got} of {sent}");
    let progress = ok(ADMIN, &["consumerProgress", "-n", &ns, "-g", "e2e-group"]);
    assert!(progress.contains("Diff Total: 0"), "{progress}");

    // A clean stop: exit 0, no abort file.
    for server in [a, b] {
        let name = server.name.clone();
        assert_eq!(server.terminate(), Some(0), "{name} exit");
    }
    no_abort_file(&dir.join("broker-a-store"));
    no_abort_file(&dir.join("broker-b-store"));

    // SYNC_FLUSH broker alone: what it acknowledged survives SIGKILL.
    let b = Server::start("broker-b", BROKER, &b_conf, dir);
    wait_listening(b_port, &[&b]);
    let b_addr = format!("127.0.0.1:{b_port}");
    ok(
        ADMIN,
        &[
            "updateTopic",
            "-n",
            &ns,
            "-b",
            &b_addr,
            "-t",
            "Durable",
            "-r",
            "4",
            "-w",
            "4",
        ],
    );
    until(ADMIN, &["topicRoute", "-n", &ns, "-t", "Durable"], |out| {
        out.contains("broker-b")
    });
    let acked = produce(&ns, "Durable", "16");
    b.kill();
    assert!(
        dir.join("broker-b-store").join("abort").exists(),
        "a crash leaves the abort file"
    );
    let b = Server::start("broker-b", BROKER, &b_conf, dir);
    wait_listening(b_port, &[&b]);
    until(ADMIN, &["topicRoute", "-n", &ns, "-t", "Durable"], |out| {
        out.contains("broker-b")
    });
    let status = ok(ADMIN, &["topicStatus", "-n", &ns, "-t", "Durable"]);
    let stored: u64 = status
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(3)?.parse::<u64>().ok())
        .sum();
    assert!(
        stored >= acked,
        "stored {stored} < acknowledged {acked}:\n{status}"
    );
    let got = consume(&ns, "Durable", "after-crash", acked);
    assert!(got >= acked, "consumed {got} of {acked} acknowledged");
    assert!(b.log().contains("store recovered"), "{}", b.log());

    assert_eq!(b.terminate(), Some(0), "broker-b exit");
    assert_eq!(namesrv.terminate(), Some(0), "name server exit");
}
