use super::group::{parse_when, When};
use super::*;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("mqadmin").chain(args.iter().copied()))
}

#[test]
fn update_topic_takes_rocketmq_short_options_and_defaults() {
    let cli = parse(&[
        "updateTopic",
        "-n",
        "127.0.0.1:9876",
        "-c",
        "DefaultCluster",
        "-t",
        "T",
    ])
    .expect("parses");
    assert_eq!(cli.namesrv_addr.as_deref(), Some("127.0.0.1:9876"));
    let Command::UpdateTopic(args) = cli.command else {
        panic!("{:?}", cli.command);
    };
    assert_eq!(args.cluster.as_deref(), Some("DefaultCluster"));
    assert_eq!(
        (args.read_queue_nums, args.write_queue_nums, args.perm),
        (8, 8, 6)
    );
    assert!(!args.order);

    let cli = parse(&[
        "updateTopic",
        "-b",
        "127.0.0.1:10911",
        "-t",
        "T",
        "-r",
        "2",
        "-w",
        "3",
        "-p",
        "4",
        "-o",
        "true",
    ])
    .expect("parses");
    let Command::UpdateTopic(args) = cli.command else {
        panic!("{:?}", cli.command);
    };
    assert_eq!(args.broker.as_deref(), Some("127.0.0.1:10911"));
    assert_eq!(
        (args.read_queue_nums, args.write_queue_nums, args.perm),
        (2, 3, 4)
    );
    assert!(args.order);
}

#[test]
fn update_topic_needs_exactly_one_of_cluster_and_broker() {
    assert!(parse(&["updateTopic", "-t", "T"]).is_err());
    assert!(parse(&["updateTopic", "-t", "T", "-c", "C", "-b", "1.2.3.4:5"]).is_err());
}

#[test]
fn global_options_go_before_or_after_the_command() {
    let cli = parse(&["--json", "-n", "a:1", "topicList"]).expect("parses");
    assert!(cli.json);
    assert!(matches!(cli.command, Command::TopicList));
    let cli = parse(&["clusterList", "--json"]).expect("parses");
    assert!(cli.json && cli.namesrv_addr.is_none());
}

#[test]
fn unknown_commands_and_missing_options_are_errors() {
    assert!(parse(&["nosuchCommand"]).is_err());
    assert!(parse(&["topicRoute"]).is_err());
    assert!(parse(&["queryMsgByOffset", "-t", "T", "-b", "b", "-i", "0"]).is_err());
    assert!(parse(&["sendMessage", "-t", "T", "-p", "x", "-b", "broker-a"]).is_err());
}

#[test]
fn message_commands() {
    let cli = parse(&[
        "sendMessage",
        "-t",
        "T",
        "-p",
        "hello",
        "-k",
        "k1 k2",
        "-c",
        "TagA",
    ])
    .expect("parses");
    let Command::SendMessage(args) = cli.command else {
        panic!("{:?}", cli.command);
    };
    assert_eq!(
        (args.keys.as_deref(), args.tags.as_deref()),
        (Some("k1 k2"), Some("TagA"))
    );
    let cli = parse(&[
        "consumeMessage",
        "-t",
        "T",
        "-b",
        "b",
        "-i",
        "1",
        "-o",
        "5",
        "-c",
        "2",
    ])
    .expect("parses");
    let Command::ConsumeMessage(args) = cli.command else {
        panic!("{:?}", cli.command);
    };
    assert_eq!(
        (
            args.broker_name.as_deref(),
            args.queue_id,
            args.offset,
            args.count
        ),
        (Some("b"), Some(1), Some(5), 2)
    );
}

#[test]
fn reset_time_is_now_or_milliseconds() {
    assert_eq!(parse_when("now"), Ok(When::Now));
    assert_eq!(parse_when("1700000000000"), Ok(When::Ms(1_700_000_000_000)));
    assert!(parse_when("yesterday").is_err());
    assert!(parse_when("-1").is_err());
    let cli = parse(&["resetOffsetByTime", "-g", "G", "-t", "T", "-s", "now"]).expect("parses");
    assert!(matches!(cli.command, Command::ResetOffsetByTime(_)));
    assert!(parse(&["resetOffsetByTime", "-g", "G", "-t", "T", "-s", "soon"]).is_err());
}

#[test]
fn name_server_lists_split_on_semicolons() {
    let addrs = parse_namesrv("127.0.0.1:9876; 127.0.0.1:9877;").expect("parses");
    assert_eq!(
        addrs,
        [
            "127.0.0.1:9876".parse().unwrap(),
            "127.0.0.1:9877".parse().unwrap()
        ]
    );
    assert!(matches!(
        parse_namesrv(" ; "),
        Err(UsageError::NoNameServer)
    ));
    assert!(matches!(
        parse_namesrv("127.0.0.1"),
        Err(UsageError::BadAddress { .. })
    ));
}

#[test]
fn elect_master_needs_the_controller_group_and_id_but_no_name_server() {
    let cli = parse(&[
        "electMaster",
        "-a",
        "127.0.0.1:9878",
        "-b",
        "broker-a",
        "-i",
        "2",
    ])
    .expect("parses");
    assert_eq!(cli.namesrv_addr, None);
    let Command::ElectMaster(args) = cli.command else {
        panic!("{:?}", cli.command);
    };
    assert_eq!(
        (args.controller.as_str(), args.cluster.as_str()),
        ("127.0.0.1:9878", "DefaultCluster")
    );
    assert_eq!((args.broker_name.as_str(), args.broker_id), ("broker-a", 2));
    assert!(
        parse(&["electMaster", "-b", "broker-a", "-i", "2"]).is_err(),
        "-a is required"
    );
    assert!(parse(&["electMaster", "-a", "127.0.0.1:9878", "-b", "broker-a"]).is_err());
}
