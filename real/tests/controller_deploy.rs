//! Controller mode as deployed (§5.8): `mqnamesrv` with the controller embedded
//! (`enableControllerInNamesrv`) and two `mqbroker` processes of one group in controller mode
//! (SYNC_MASTER, `allAckInSyncStateSet`). The first broker becomes master and is routed as id
//! 0; messages are acknowledged on both replicas. SIGKILL the master: the other replica becomes
//! master and is routed as id 0, producing works again, and every message acknowledged before
//! the kill is consumed from it. The killed broker restarts as a slave; `mqadmin electMaster`
//! hands the group back to it.

mod process;

use process::{free_port, ok, run, wait_listening, Server};
use std::fs;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

const NAMESRV: &str = env!("CARGO_BIN_EXE_mqnamesrv");
const BROKER: &str = env!("CARGO_BIN_EXE_mqbroker");
const ADMIN: &str = env!("CARGO_BIN_EXE_mqadmin");
const BENCH: &str = env!("CARGO_BIN_EXE_mqbench");

fn namesrv_conf(dir: &Path, port: u16, controller_port: u16) -> PathBuf {
    let path = dir.join("namesrv.conf");
    let text = format!(
        "listenPort={port}\nkvConfigPath={}\nenableControllerInNamesrv=true\n\
         controllerListenPort={controller_port}\ncontrollerStorePath={}\n",
        dir.join("kv.json").display(),
        dir.join("controller").display()
    );
    fs::write(&path, text).expect("write namesrv conf");
    path
}

/// Replica `id` of group `broker-a` on `port`.
fn replica_conf(dir: &Path, id: u8, port: u16, ns: &str, controller: &str) -> PathBuf {
    let path = dir.join(format!("broker-a-{id}.conf"));
    let store = dir.join(format!("broker-a-{id}-store"));
    let text = format!(
        "brokerName=broker-a\nbrokerId={id}\nbrokerRole=SYNC_MASTER\nlistenPort={port}\n\
         storePathRootDir={}\nbrokerIP1=127.0.0.1\nnamesrvAddr={ns}\n\
         enableControllerMode=true\ncontrollerAddr={controller}\nallAckInSyncStateSet=true\n\
         mappedFileSizeCommitLog=4194304\nmappedFileSizeConsumeQueue=6000\n\
         maxHashSlotNum=1000\nmaxIndexNum=4000\n",
        store.display()
    );
    fs::write(&path, text).expect("write broker conf");
    path
}

/// Retries `mqadmin args` until its stdout satisfies `done`, for up to `limit`.
fn until_for(limit: Duration, args: &[&str], done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let out = run(ADMIN, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && done(&stdout) {
            return stdout;
        }
        assert!(
            Instant::now() < deadline,
            "{args:?} never satisfied\nstdout: {stdout}"
        );
        sleep(Duration::from_millis(200));
    }
}

/// The address `clusterList` shows for id `id` of broker-a.
fn routed(out: &str, id: &str) -> Option<String> {
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() > 3 && w[1] == "broker-a" && w[2] == id)
        .map(|w| w[3].to_string())
}

fn produce(ns: &str) -> u64 {
    let out = ok(
        BENCH,
        &[
            "produce", "-n", ns, "-t", "Switch", "-c", "4", "-d", "2", "-s", "256", "--json",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_str(out.lines().last().expect("summary")).expect("json");
    assert_eq!(summary["errors"], 0, "{out}");
    summary["messages"].as_u64().expect("messages")
}

#[test]
fn the_group_survives_its_master_and_can_be_handed_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let (ns_port, ctl_port, a_port, b_port) = (free_port(), free_port(), free_port(), free_port());
    let ns = format!("127.0.0.1:{ns_port}");
    let ctl = format!("127.0.0.1:{ctl_port}");
    let (a_addr, b_addr) = (format!("127.0.0.1:{a_port}"), format!("127.0.0.1:{b_port}"));
    let namesrv = Server::start(
        "namesrv",
        NAMESRV,
        &namesrv_conf(dir, ns_port, ctl_port),
        dir,
    );
    wait_listening(ns_port, &[&namesrv]);
    wait_listening(ctl_port, &[&namesrv]);
    let a_conf = replica_conf(dir, 1, a_port, &ns, &ctl);
    let b_conf = replica_conf(dir, 2, b_port, &ns, &ctl);
    let a = Server::start("broker-a-1", BROKER, &a_conf, dir);
    wait_listening(a_port, &[&a]);
    let list = ["clusterList", "-n", ns.as_str()];
    let long = Duration::from_secs(40);
    until_for(long, &list, |out| routed(out, "0") == Some(a_addr.clone()));
    let b = Server::start("broker-a-2", BROKER, &b_conf, dir);
    wait_listening(b_port, &[&b]);
    until_for(long, &list, |out| routed(out, "2") == Some(b_addr.clone()));
    ok(
        ADMIN,
        &[
            "updateTopic",
            "-n",
            &ns,
            "-b",
            &a_addr,
            "-t",
            "Switch",
            "-r",
            "4",
            "-w",
            "4",
        ],
    );
    // The slave joins the sync-state set once caught up (checked every 5 s); until then
    // all-ack needs only the master. Let it join so that the kill loses nothing.
    sleep(Duration::from_secs(7));
    let before = produce(&ns);

    a.kill();
    let started = Instant::now();
    until_for(long, &list, |out| routed(out, "0") == Some(b_addr.clone()));
    let switched = started.elapsed();
    let after = produce(&ns);
    let out = ok(
        BENCH,
        &[
            "consume",
            "-n",
            &ns,
            "-t",
            "Switch",
            "-g",
            "after-switch",
            "--from",
            "first",
            "--expect",
            &(before + after).to_string(),
            "-d",
            "60",
            "--json",
        ],
    );
    let summary: serde_json::Value =
        serde_json::from_str(out.lines().last().expect("summary")).expect("json");
    let got = summary["messages"].as_u64().expect("messages");
    assert!(
        got >= before + after,
        "consumed {got} of {before} + {after} acknowledged"
    );
    eprintln!("switch seen by the name server {switched:?} after SIGKILL; {before} + {after} acked, {got} consumed");

    // The old master returns as a slave and catches up; the admin hands the group back.
    let a = Server::start("broker-a-1", BROKER, &a_conf, dir);
    wait_listening(a_port, &[&a]);
    until_for(long, &list, |out| routed(out, "1") == Some(a_addr.clone()));
    sleep(Duration::from_secs(7));
    let elect = [
        "electMaster",
        "-a",
        ctl.as_str(),
        "-b",
        "broker-a",
        "-i",
        "1",
    ];
    let answer = until_for(long, &elect, |out| {
        out.contains("masterBrokerId") && out.contains(": 1")
    });
    assert!(answer.contains(&a_addr), "{answer}");
    until_for(long, &list, |out| routed(out, "0") == Some(a_addr.clone()));
    produce(&ns);

    for server in [a, b, namesrv] {
        let name = server.name.clone();
        assert_eq!(server.terminate(), Some(0), "{name} exit");
    }
}
