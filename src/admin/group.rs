//! Consumer-group operations: `updateSubGroup`, `consumerProgress`, `resetOffsetByTime`.
//!
//! `consumerProgress` asks GET_CONSUME_STATS of every master of every cluster: Java finds the
//! brokers through the group's retry topic (`%RETRY%group`), which this broker does not create
//! yet, so every master is asked and those that know nothing of the group answer an empty
//! table.
//!
//! `resetOffsetByTime` is the offline-group path of Java's `resetOffsetByTimeOld`: per queue
//! SEARCH_OFFSET_BY_TIMESTAMP, then UPDATE_CONSUMER_OFFSET to the master. There is no
//! INVOKE_BROKER_TO_RESET_OFFSET (the broker does not tell online consumers), so a consumer
//! that is running keeps its own position and overwrites the reset with its next commit: stop
//! the group's consumers first.

use super::client::{bad_body, header, with_json, Admin};
use super::error::AdminError;
use super::view::{ConsumerProgress, Done, ProgressRow, ResetRow, Target};
use crate::env::Env;
use crate::protocol::body::ConsumeStats;
use crate::protocol::header::{
    GetConsumeStatsHeader, OffsetResponseHeader, SearchOffsetHeader, UpdateConsumerOffsetHeader,
};
use crate::protocol::{RemotingCommand, RequestCode};
use crate::store::metadata::SubscriptionGroupConfig;

impl<E: Env> Admin<E> {
    /// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP on every broker `target` names.
    pub async fn update_sub_group(
        &self,
        target: &Target,
        config: &SubscriptionGroupConfig,
    ) -> Result<Vec<Done>, AdminError> {
        let json = serde_json::to_string(config).expect("a group config serializes");
        let mut done = Vec::new();
        for addr in self.target_addrs(target).await? {
            let request =
                RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP);
            self.call(addr, with_json(request, json.clone())).await?;
            done.push(Done {
                addr: addr.to_string(),
                what: format!("update subscription group {}", config.group_name),
            });
        }
        Ok(done)
    }

    /// Per queue the broker's max offset, the group's committed offset and the difference,
    /// over every master (see the module doc); only `topic` when given.
    pub async fn consumer_progress(
        &self,
        group: &str,
        topic: Option<&str>,
    ) -> Result<ConsumerProgress, AdminError> {
        let header = GetConsumeStatsHeader {
            consumer_group: group.to_string(),
            topic: topic.map(String::from),
        };
        let mut progress = ConsumerProgress {
            group: group.to_string(),
            ..ConsumerProgress::default()
        };
        for (_, addr) in self.all_masters().await? {
            let request = RemotingCommand::request(RequestCode::GET_CONSUME_STATS);
            let response = self.call(addr, request.with_header(&header)).await?;
            let stats = ConsumeStats::decode(&response.body)
                .map_err(|e| bad_body(addr, "consume stats", e))?;
            progress.consume_tps += stats.consume_tps;
            for (queue, offsets) in stats.offset_table {
                progress.rows.push(ProgressRow {
                    topic: queue.topic,
                    broker_name: queue.broker_name,
                    queue_id: queue.queue_id,
                    broker_offset: offsets.broker_offset,
                    consumer_offset: offsets.consumer_offset,
                    diff: offsets.broker_offset - offsets.consumer_offset,
                });
            }
        }
        progress.rows.sort_by(|a, b| {
            (&a.topic, &a.broker_name, a.queue_id).cmp(&(&b.topic, &b.broker_name, b.queue_id))
        });
        progress.diff_total = progress.rows.iter().map(|r| r.diff).sum();
        Ok(progress)
    }

    /// Moves `group`'s committed offset of every queue of `topic` to the first message stored
    /// at or after `timestamp_ms` (see the module doc for online consumers).
    pub async fn reset_offset_by_time(
        &self,
        group: &str,
        topic: &str,
        timestamp_ms: i64,
    ) -> Result<Vec<ResetRow>, AdminError> {
        let (route, masters) = self.topic_masters(topic).await?;
        let mut rows = Vec::new();
        for (name, addr) in masters {
            let queues = (route.queue_datas.iter())
                .find(|q| q.broker_name == name)
                .map_or(0, |q| q.read_queue_nums);
            for queue_id in 0..queues {
                let search = RemotingCommand::request(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP)
                    .with_header(&SearchOffsetHeader {
                        topic: topic.to_string(),
                        queue_id,
                        timestamp_ms,
                    });
                let found = self.call(addr, search).await?;
                let offset = header::<OffsetResponseHeader>(addr, &found, "offset")?.offset;
                let update = RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET)
                    .with_header(&UpdateConsumerOffsetHeader {
                        consumer_group: group.to_string(),
                        topic: topic.to_string(),
                        queue_id,
                        commit_offset: offset,
                    });
                self.call(addr, update).await?;
                let broker_name = name.clone();
                rows.push(ResetRow {
                    broker_name,
                    queue_id,
                    offset,
                });
            }
        }
        Ok(rows)
    }
}
