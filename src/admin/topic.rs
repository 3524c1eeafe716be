//! Topic operations: `updateTopic`, `deleteTopic`, `topicList`, `topicRoute` (in `client`),
//! `topicStatus`.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use super::client::{bad_body, success, Admin};
use super::error::AdminError;
use super::view::{Done, Target, TopicSpec, TopicStatusRow};
use crate::env::Env;
use crate::protocol::body::{TopicList, TopicStatsTable};
use crate::protocol::header::{CreateTopicHeader, DeleteTopicHeader, TopicHeader};
use crate::protocol::{RemotingCommand, RequestCode};

impl<E: Env> Admin<E> {
    /// The addresses `target` names: every master of the cluster, or the one broker.
    pub(super) async fn target_addrs(
        &self,
        target: &Target,
    ) -> Result<Vec<SocketAddr>, AdminError> {
        match target {
            Target::Broker(addr) => Ok(vec![*addr]),
            Target::Cluster(cluster) => {
                let masters = self.cluster_masters(cluster).await?;
                Ok(masters.into_iter().map(|(_, addr)| addr).collect())
            }
        }
    }

    /// UPDATE_AND_CREATE_TOPIC on every broker `target` names; the brokers then register the
    /// topic with the name servers themselves. Returns the brokers updated.
    pub async fn create_topic(
        &self,
        target: &Target,
        spec: &TopicSpec,
    ) -> Result<Vec<Done>, AdminError> {
        let header = CreateTopicHeader {
            topic: spec.topic.clone(),
            default_topic: "TBW102".into(),
            read_queue_nums: spec.read_queue_nums,
            write_queue_nums: spec.write_queue_nums,
            perm: spec.perm,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: Some(0),
            order: spec.order,
        };
        let mut done = Vec::new();
        for addr in self.target_addrs(target).await? {
            let request = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC);
            self.call(addr, request.with_header(&header)).await?;
            done.push(Done {
                addr: addr.to_string(),
                what: format!("create topic {}", spec.topic),
            });
        }
        Ok(done)
    }

    /// DELETE_TOPIC_IN_BROKER on every master of `cluster`, then DELETE_TOPIC_IN_NAMESRV on
    /// every name server (Java's order: brokers first, so none re-registers the topic).
    pub async fn delete_topic(&self, cluster: &str, topic: &str) -> Result<Vec<Done>, AdminError> {
        let mut done = Vec::new();
        let header = TopicHeader {
            topic: topic.to_string(),
        };
        for (_, addr) in self.cluster_masters(cluster).await? {
            let request = RemotingCommand::request(RequestCode::DELETE_TOPIC_IN_BROKER);
            self.call(addr, request.with_header(&header)).await?;
            let what = format!("delete topic {topic} in broker");
            done.push(Done {
                addr: addr.to_string(),
                what,
            });
        }
        let header = DeleteTopicHeader {
            topic: topic.to_string(),
            cluster_name: None,
        };
        let request = RemotingCommand::request(RequestCode::DELETE_TOPIC_IN_NAMESRV);
        for (addr, _) in self
            .call_every_namesrv(request.with_header(&header))
            .await?
        {
            let what = format!("delete topic {topic} in name server");
            done.push(Done {
                addr: addr.to_string(),
                what,
            });
        }
        Ok(done)
    }

    /// Every topic the first answering name server knows.
    pub async fn topic_list(&self) -> Result<BTreeSet<String>, AdminError> {
        let request = RemotingCommand::request(RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
        let (addr, response) = self.call_namesrv(request).await?;
        let response = success(addr, response)?;
        let list =
            TopicList::decode(&response.body).map_err(|e| bad_body(addr, "topic list", e))?;
        Ok(list.topic_list)
    }

    /// GET_TOPIC_STATS_INFO from each master of the topic's route: per queue min and max.
    pub async fn topic_status(&self, topic: &str) -> Result<Vec<TopicStatusRow>, AdminError> {
        let (_, masters) = self.topic_masters(topic).await?;
        let header = TopicHeader {
            topic: topic.to_string(),
        };
        let mut rows = Vec::new();
        for (_, addr) in masters {
            let request = RemotingCommand::request(RequestCode::GET_TOPIC_STATS_INFO);
            let response = self.call(addr, request.with_header(&header)).await?;
            let table = TopicStatsTable::decode(&response.body)
                .map_err(|e| bad_body(addr, "topic stats", e))?;
            rows.extend(
                table
                    .offset_table
                    .into_iter()
                    .map(|(queue, o)| TopicStatusRow {
                        broker_name: queue.broker_name,
                        queue_id: queue.queue_id,
                        min_offset: o.min_offset,
                        max_offset: o.max_offset,
                        last_update_timestamp: o.last_update_timestamp,
                    }),
            );
        }
        rows.sort_by(|a, b| (&a.broker_name, a.queue_id).cmp(&(&b.broker_name, b.queue_id)));
        Ok(rows)
    }
}
