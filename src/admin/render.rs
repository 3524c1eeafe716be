//! Sans-IO renderers: operation results in, the text the tool prints out. Tables are aligned
//! like RocketMQ's (`#Broker Name  #QID  #Min Offset …`): a `#` before each heading, columns
//! padded to their widest cell, two spaces between, no trailing blanks. `json` renders any
//! result as one pretty-printed JSON document for `--json`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::view::{
    ClusterRow, ConsumerProgress, Done, MessageView, PermRow, ResetRow, SendView, TopicStatusRow,
};
use crate::protocol::body::TopicRouteData;

/// One JSON document (pretty-printed, ending in a newline).
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("views serialize");
    text.push('\n');
    text
}

/// An aligned table of `headings` over `rows`; every line ends in a newline.
pub fn table(headings: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headings.iter().map(|h| h.chars().count() + 1).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let heading_cells: Vec<String> = headings.iter().map(|h| format!("#{h}")).collect();
    let mut out = String::new();
    for cells in std::iter::once(&heading_cells).chain(rows) {
        let mut line = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn topic_list(topics: &BTreeSet<String>) -> String {
    topics.iter().map(|t| format!("{t}\n")).collect()
}

/// The route as the Java tool prints it: its JSON, pretty.
pub fn topic_route(route: &TopicRouteData) -> String {
    let style = crate::protocol::body::JsonStyle::Standard;
    let value: serde_json::Value =
        serde_json::from_str(&route.to_json(style)).expect("route JSON is JSON");
    json(&value)
}

pub fn topic_status(rows: &[TopicStatusRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.broker_name.clone(),
                r.queue_id.to_string(),
                r.min_offset.to_string(),
                r.max_offset.to_string(),
                r.last_update_timestamp.to_string(),
            ]
        })
        .collect();
    let headings = [
        "Broker Name",
        "QID",
        "Min Offset",
        "Max Offset",
        "Last Updated",
    ];
    table(&headings, &cells)
}

pub fn cluster_list(rows: &[ClusterRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let version = match &r.error {
                Some(error) => format!("({error})"),
                None => r.version.clone(),
            };
            vec![
                r.cluster.clone(),
                r.broker_name.clone(),
                r.broker_id.to_string(),
                r.addr.clone(),
                version,
                r.put_tps.clone(),
                r.get_tps.clone(),
            ]
        })
        .collect();
    let headings = [
        "Cluster Name",
        "Broker Name",
        "BID",
        "Addr",
        "Version",
        "InTPS(10s 60s 600s)",
        "OutTPS(10s 60s 600s)",
    ];
    table(&headings, &cells)
}

/// `key : value` lines, keys padded, in key order (as Java's `brokerStatus`).
pub fn key_values(kv: &BTreeMap<String, String>) -> String {
    let width = kv.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    kv.iter()
        .map(|(k, v)| format!("{k:<width$} : {v}\n"))
        .collect()
}

pub fn consumer_progress(progress: &ConsumerProgress) -> String {
    let cells: Vec<Vec<String>> = (progress.rows.iter())
        .map(|r| {
            vec![
                r.topic.clone(),
                r.broker_name.clone(),
                r.queue_id.to_string(),
                r.broker_offset.to_string(),
                r.consumer_offset.to_string(),
                r.diff.to_string(),
            ]
        })
        .collect();
    let headings = [
        "Topic",
        "Broker Name",
        "QID",
        "Broker Offset",
        "Consumer Offset",
        "Diff",
    ];
    let mut out = table(&headings, &cells);
    out.push('\n');
    out.push_str(&format!("Consume TPS: {:.2}\n", progress.consume_tps));
    out.push_str(&format!("Diff Total: {}\n", progress.diff_total));
    out
}

/// One message as `key: value` lines (Java's `queryMsgById` layout), body last.
pub fn message(view: &MessageView) -> String {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
    let props: Vec<String> = (view.properties.iter())
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let lines = [
        ("OffsetID", view.offset_msg_id.clone()),
        ("Topic", view.topic.clone()),
        ("Tags", format!("[{}]", or_none(&view.tags))),
        ("Keys", format!("[{}]", or_none(&view.keys))),
        ("Queue ID", view.queue_id.to_string()),
        ("Queue Offset", view.queue_offset.to_string()),
        ("CommitLog Offset", view.commit_log_offset.to_string()),
        ("Reconsume Times", view.reconsume_times.to_string()),
        ("Born Timestamp", view.born_timestamp.to_string()),
        ("Store Timestamp", view.store_timestamp.to_string()),
        ("Born Host", view.born_host.clone()),
        ("Store Host", view.store_host.clone()),
        ("System Flag", view.sys_flag.to_string()),
        ("Properties", format!("{{{}}}", props.join(", "))),
        ("Message Body", view.body.clone()),
    ];
    lines
        .iter()
        .map(|(k, v)| format!("{k:<18}{v}\n", k = format!("{k}:")))
        .collect()
}

/// Messages as a table: where each is, its id, tags, keys and body.
pub fn messages(views: &[MessageView]) -> String {
    let cells: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.store_host.clone(),
                v.queue_id.to_string(),
                v.queue_offset.to_string(),
                v.offset_msg_id.clone(),
                v.uniq_key.clone().unwrap_or_default(),
                v.tags.clone().unwrap_or_default(),
                v.keys.clone().unwrap_or_default(),
                one_line(&v.body),
            ]
        })
        .collect();
    let headings = [
        "Store Host",
        "QID",
        "Offset",
        "Offset Msg ID",
        "Msg ID",
        "Tags",
        "Keys",
        "Body",
    ];
    table(&headings, &cells)
}

/// A body on one table line: control characters escaped, long bodies cut at 64 chars.
fn one_line(body: &str) -> String {
    const CHARS_MAX: usize = 64;
    let mut out: String = body
        .chars()
        .take(CHARS_MAX)
        .flat_map(char::escape_default)
        .collect();
    if body.chars().count() > CHARS_MAX {
        out.push_str("...");
    }
    out
}

pub fn send(view: &SendView) -> String {
    let headings = [
        "Broker Name",
        "QID",
        "Queue Offset",
        "Send Status",
        "MsgId",
        "OffsetMsgId",
    ];
    let row = vec![
        view.broker_name.clone(),
        view.queue_id.to_string(),
        view.queue_offset.to_string(),
        view.status.clone(),
        view.msg_id.clone(),
        view.offset_msg_id.clone(),
    ];
    table(&headings, &[row])
}

pub fn reset(rows: &[ResetRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.broker_name.clone(),
                r.queue_id.to_string(),
                r.offset.to_string(),
            ]
        })
        .collect();
    table(&["Broker Name", "QID", "Offset"], &cells)
}

pub fn perm(rows: &[PermRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| vec![r.namesrv.clone(), r.topic_count.to_string()])
        .collect();
    table(&["Name Server", "Topic Count"], &cells)
}

pub fn done(rows: &[Done]) -> String {
    rows.iter()
        .map(|d| format!("{} success: {}\n", d.what, d.addr))
        .collect()
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
