//! `mqadmin` as a user runs it: `mqnamesrv` and `mqbroker` started as processes on free
//! loopback ports with configuration files written here, then the admin commands, their
//! output and exit codes checked; the servers stop on SIGTERM with exit 0.

mod process;

use process::{broker_conf, free_port, namesrv_conf, wait_listening, Server};
use std::process::{Command, Output};

fn mqadmin(args: &[&str]) -> Output {
    process::run(env!("CARGO_BIN_EXE_mqadmin"), args)
}

fn ok(args: &[&str]) -> String {
    process::ok(env!("CARGO_BIN_EXE_mqadmin"), args)
}

fn until(args: &[&str], done: impl Fn(&str) -> bool) -> String {
    process::until(env!("CARGO_BIN_EXE_mqadmin"), args, done)
}

#[test]
fn mqadmin_against_mqnamesrv_and_mqbroker() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let (ns_port, broker_port) = (free_port(), free_port());
    let ns_conf = namesrv_conf(dir, "namesrv", ns_port);
    let namesrv_addr = format!("127.0.0.1:{ns_port}");
    let broker_conf = broker_conf(dir, "broker-a", broker_port, &namesrv_addr, "");
    let namesrv = Server::start("namesrv", env!("CARGO_BIN_EXE_mqnamesrv"), &ns_conf, dir);
    wait_listening(ns_port, &[&namesrv]);
    let broker = Server::start("broker", env!("CARGO_BIN_EXE_mqbroker"), &broker_conf, dir);
    wait_listening(broker_port, &[&namesrv, &broker]);
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
