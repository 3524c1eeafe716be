use super::*;
use crate::admin::view::ProgressRow;

#[test]
fn tables_align_on_the_widest_cell_without_trailing_blanks() {
    let rows = vec![
        vec!["broker-a".to_string(), "0".into(), "12345".into()],
        vec!["b".to_string(), "10".into(), "7".into()],
    ];
    assert_eq!(
        table(&["Broker Name", "QID", "Max"], &rows),
        "#Broker Name  #QID  #Max\n\
         broker-a      0     12345\n\
         b             10    7\n"
    );
    assert_eq!(table(&["A", "B"], &[]), "#A  #B\n");
}

#[test]
fn topic_status_lists_each_queue() {
    let row = |queue_id, max_offset| TopicStatusRow {
        broker_name: "broker-a".into(),
        queue_id,
        min_offset: 0,
        max_offset,
        last_update_timestamp: 0,
    };
    assert_eq!(
        topic_status(&[row(0, 5), row(1, 3)]),
        "#Broker Name  #QID  #Min Offset  #Max Offset  #Last Updated\n\
         broker-a      0     0            5            0\n\
         broker-a      1     0            3            0\n"
    );
}

#[test]
fn consumer_progress_ends_with_the_totals() {
    let progress = ConsumerProgress {
        group: "G".into(),
        rows: vec![ProgressRow {
            topic: "T".into(),
            broker_name: "b".into(),
            queue_id: 0,
            broker_offset: 5,
            consumer_offset: 4,
            diff: 1,
        }],
        consume_tps: 0.0,
        diff_total: 1,
    };
    assert_eq!(
        consumer_progress(&progress),
        "#Topic  #Broker Name  #QID  #Broker Offset  #Consumer Offset  #Diff\n\
         T       b             0     5               4                 1\n\
         \n\
         Consume TPS: 0.00\n\
         Diff Total: 1\n"
    );
    let json = json(&progress);
    assert!(json.contains("\"diffTotal\": 1"), "{json}");
    assert!(json.contains("\"brokerOffset\": 5"), "{json}");
}

#[test]
fn cluster_list_shows_an_unreachable_broker_with_its_error() {
    let row = ClusterRow {
        cluster: "DefaultCluster".into(),
        broker_name: "broker-a".into(),
        broker_id: 0,
        addr: "10.0.0.2:10911".into(),
        version: String::new(),
        put_tps: String::new(),
        get_tps: String::new(),
        error: Some("down".into()),
    };
    assert_eq!(
        cluster_list(&[row]),
        "#Cluster Name   #Broker Name  #BID  #Addr           #Version  #InTPS(10s 60s 600s)  #OutTPS(10s 60s 600s)\n\
         DefaultCluster  broker-a      0     10.0.0.2:10911  (down)\n"
    );
}

#[test]
fn key_values_pad_the_keys() {
    let kv: BTreeMap<String, String> = [("a", "1"), ("putTps", "0.0 0.0 0.0")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(key_values(&kv), "a      : 1\nputTps : 0.0 0.0 0.0\n");
}

fn view(body: &str) -> MessageView {
    MessageView {
        offset_msg_id: "0A00000200002A9F0000000000000000".into(),
        uniq_key: Some("U".into()),
        topic: "T".into(),
        tags: Some("TagA".into()),
        keys: None,
        queue_id: 1,
        queue_offset: 2,
        commit_log_offset: 0,
        reconsume_times: 0,
        born_timestamp: 1,
        store_timestamp: 2,
        born_host: "10.0.0.3:1".into(),
        store_host: "10.0.0.2:10911".into(),
        sys_flag: 0,
        properties: [("TAGS".to_string(), "TagA".to_string())].into(),
        body: body.into(),
        body_bytes: body.len(),
    }
}

#[test]
fn a_message_is_key_value_lines_with_the_body_last() {
    let text = message(&view("hello"));
    assert!(
        text.starts_with("OffsetID:         0A00000200002A9F0000000000000000\n"),
        "{text}"
    );
    assert!(text.contains("Tags:             [TagA]\n"), "{text}");
    assert!(text.contains("Keys:             [null]\n"), "{text}");
    assert!(text.contains("Properties:       {TAGS=TagA}\n"), "{text}");
    assert!(text.ends_with("Message Body:     hello\n"), "{text}");
}

#[test]
fn message_tables_keep_bodies_on_one_line() {
    let long = "x".repeat(70);
    let text = messages(&[view("a\nb"), view(&long)]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].ends_with("a\\nb"), "{text}");
    assert!(
        lines[2].ends_with(&format!("{}...", "x".repeat(64))),
        "{text}"
    );
}

#[test]
fn small_outputs() {
    let topics: BTreeSet<String> = ["B".to_string(), "A".to_string()].into();
    assert_eq!(topic_list(&topics), "A\nB\n");
    let rows = [PermRow {
        namesrv: "127.0.0.1:9876".into(),
        topic_count: 3,
    }];
    assert_eq!(
        perm(&rows),
        "#Name Server    #Topic Count\n127.0.0.1:9876  3\n"
    );
    let done_rows = [Done {
        addr: "1.2.3.4:5".into(),
        what: "create topic T".into(),
    }];
    assert_eq!(done(&done_rows), "create topic T success: 1.2.3.4:5\n");
    let reset_rows = [ResetRow {
        broker_name: "b".into(),
        queue_id: 0,
        offset: 9,
    }];
    assert_eq!(
        reset(&reset_rows),
        "#Broker Name  #QID  #Offset\nb             0     9\n"
    );
    let route = TopicRouteData::default();
    let text = topic_route(&route);
    assert!(text.contains("\"brokerDatas\": []"), "{text}");
}
