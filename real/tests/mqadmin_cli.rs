//! `mqadmin` as a user runs it: `mqnamesrv` and `mqbroker` started as processes on free
//! loopback ports with configuration files written here, then the admin commands, their
//! output and exit codes checked; the servers stop on SIGTERM with exit 0.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// A server process, killed if the test ends before it stopped.
struct Server {
    name: &'static str,
    child: Child,
}

impl Server {
    fn start(name: &'static str, binary: &str, conf: &Path, dir: &Path) -> Server {
        let log = fs::File::create(dir.join(format!("{name}.log"))).expect("log file");
        let child = Command::new(binary)
            .arg("-c")
            .arg(conf)
            .env("HOME", dir)
            .env_remove("NAMESRV_ADDR")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Server { name, child }
    }

    /// SIGTERM, then the exit code (within 20 s).
    fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: `kill` has no memory-safety preconditions; the pid is our own child, not
        // yet waited for, so it names that process.
        let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(sent, 0, "SIGTERM to {}", self.name);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            sleep(Duration::from_millis(50));
        }
        panic!("{} did not stop within 20 s of SIGTERM", self.name);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> u16 {
    let socket = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind probe");
    socket.local_addr().expect("probe addr").port()
}

fn wait_listening(port: u16, dir: &Path) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        sleep(Duration::from_millis(50));
    }
    let logs: Vec<String> = ["namesrv", "broker"]
        .iter()
        .map(|n| fs::read_to_string(dir.join(format!("{n}.log"))).unwrap_or_default())
        .collect();
    panic!("nothing listens on {addr}; logs: {logs:#?}");
}

fn mqadmin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mqadmin"))
        .args(args)
        .env_remove("NAMESRV_ADDR")
        .output()
        .expect("run mqadmin")
}

/// Runs a command that must succeed; its stdout.
fn ok(args: &[&str]) -> String {
    let out = mqadmin(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    stdout
}

/// Retries a command until its stdout satisfies `done` (10 s at most).
fn until(args: &[&str], done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = mqadmin(args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && done(&stdout) {
            return stdout;
        }
        if Instant::now() > deadline {
            let stderr = String::from_utf8_lossy(&out.stderr);
            panic!("{args:?} never satisfied\nstdout: {stdout}\nstderr: {stderr}");
        }
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn mqadmin_against_mqnamesrv_and_mqbroker() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let (ns_port, broker_port) = (free_port(), free_port());
    let ns_conf = dir.join("namesrv.conf");
    let kv = dir.join("kvConfig.json");
    fs::write(
        &ns_conf,
        format!("listenPort={ns_port}\nkvConfigPath={}\n", kv.display()),
    )
    .expect("write namesrv.conf");
    let broker_conf = dir.join("broker.conf");
    let store = dir.join("store");
    fs::write(
        &broker_conf,
        format!(
            "brokerName=broker-a\nlistenPort={broker_port}\nstorePathRootDir={}\n\
             brokerIP1=127.0.0.1\nnamesrvAddr=127.0.0.1:{ns_port}\n\
             mappedFileSizeCommitLog=4194304\nmappedFileSizeConsumeQueue=6000\n\
             maxHashSlotNum=1000\nmaxIndexNum=4000\n",
            store.display()
        ),
    )
    .expect("write broker.conf");
    let namesrv = Server::start("namesrv", env!("CARGO_BIN_EXE_mqnamesrv"), &ns_conf, dir);
    wait_listening(ns_port, dir);
    let broker = Server::start("broker", env!("CARGO_BIN_EXE_mqbroker"), &broker_conf, dir);
    wait_listening(broker_port, dir);
    let ns = format!("127.0.0.1:{ns_port}");
    let ns = ns.as_str();

    // clusterList once the broker registered; NAMESRV_ADDR stands in for -n.
    let clusters = until(&["clusterList", "-n", ns], |out| out.contains("broker-a"));
    assert!(clusters.starts_with("#Cluster Name"), "{clusters}");
    assert!(
        clusters.contains("DefaultCluster") && clusters.contains("V4_9_8"),
        "{clusters}"
    );
    let from_env = Command::new(env!("CARGO_BIN_EXE_mqadmin"))
        .args(["clusterList", "--json"])
        .env("NAMESRV_ADDR", ns)
        .output()
        .expect("run mqadmin");
    let json = String::from_utf8_lossy(&from_env.stdout);
    assert!(from_env.status.success(), "{from_env:?}");
    assert!(
        json.starts_with('[') && json.contains("\"brokerName\": \"broker-a\""),
        "{json}"
    );

    let created = ok(&[
        "updateTopic",
        "-n",
        ns,
        "-c",
        "DefaultCluster",
        "-t",
        "CliTopic",
        "-r",
        "2",
        "-w",
        "2",
    ]);
    assert_eq!(
        created,
        format!("create topic CliTopic success: 127.0.0.1:{broker_port}\n")
    );
    until(&["topicList", "-n", ns], |out| {
        out.lines().any(|l| l == "CliTopic")
    });
    let route = ok(&["topicRoute", "-n", ns, "-t", "CliTopic"]);
    assert!(route.contains("\"brokerName\": \"broker-a\""), "{route}");
    assert!(route.contains("\"writeQueueNums\": 2"), "{route}");

    let sent = ok(&[
        "sendMessage",
        "-n",
        ns,
        "-t",
        "CliTopic",
        "-p",
        "hello-cli",
        "-k",
        "k1",
        "-c",
        "TagA",
    ]);
    let lines: Vec<&str> = sent.lines().collect();
    assert!(
        lines[0].starts_with("#Broker Name") && lines.len() == 2,
        "{sent}"
    );
    assert!(lines[1].contains("SendOk"), "{sent}");
    let offset_msg_id = lines[1]
        .split_whitespace()
        .last()
        .expect("OffsetMsgId")
        .to_string();
    assert_eq!(offset_msg_id.len(), 32, "{sent}");

    let status = until(&["topicStatus", "-n", ns, "-t", "CliTopic"], |out| {
        let maxes: Vec<i64> = (out.lines().skip(1))
            .map(|l| {
                l.split_whitespace()
                    .nth(3)
                    .expect("max")
                    .parse()
                    .expect("number")
            })
            .collect();
        maxes.len() == 2 && maxes.iter().sum::<i64>() == 1
    });
    assert!(
        status.starts_with("#Broker Name  #QID  #Min Offset  #Max Offset"),
        "{status}"
    );

    let consumed = ok(&["consumeMessage", "-n", ns, "-t", "CliTopic"]);
    assert_eq!(consumed.lines().count(), 2, "{consumed}");
    assert!(
        consumed.contains("hello-cli") && consumed.contains(&offset_msg_id),
        "{consumed}"
    );

    let message = ok(&["queryMsgById", "-n", ns, "-i", &offset_msg_id]);
    assert!(
        message.contains("Topic:            CliTopic\n"),
        "{message}"
    );
    assert!(message.contains("Tags:             [TagA]\n"), "{message}");
    assert!(
        message.ends_with("Message Body:     hello-cli\n"),
        "{message}"
    );

    // A failed operation exits 1, a bad command line 64, each with a reason on stderr.
    let missing = mqadmin(&["topicRoute", "-n", ns, "-t", "NoSuchTopic"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("NoSuchTopic does not exist"));
    assert_eq!(mqadmin(&["topicRoute", "-n", ns]).status.code(), Some(64));
    let no_ns = mqadmin(&["topicList"]);
    assert_eq!(no_ns.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&no_ns.stderr).contains("NAMESRV_ADDR"));
    assert_eq!(mqadmin(&["noSuchCommand"]).status.code(), Some(64));

    assert_eq!(broker.terminate(), Some(0), "broker exit");
    assert_eq!(namesrv.terminate(), Some(0), "name server exit");
}
