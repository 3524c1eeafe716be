//! Where a producer may write a topic: the per-topic queue list and broker addresses, built
//! from GET_ROUTEINFO_BY_TOPIC answers (§2.5) as the Java client's
//! `topicRouteData2TopicPublishInfo` builds them.
//!
//! Owns: the last good publish info per topic with the monotonic instant it was fetched, the
//! broker name → master address table learnt from every route, and which name server is in
//! use. Does not own refresh timing: the producer's timer calls [`RouteCache::refresh_all`]
//! every `poll_name_server_interval` (30 s); a topic is fetched on its first send.
//!
//! Name servers: the one in use is asked first; on a failed call the next one in the list is
//! tried (and becomes the one in use), as the Java client rotates. A TOPIC_NOT_EXIST answer is
//! not a failure of the name server: the topic falls back to TBW102's route (§2.6) with
//! min(`default_topic_queue_nums`, TBW102's queues) queues per broker. A failed refresh keeps
//! the previous route (Java does the same: stale routes beat no routes).

use crate::env::{Env, Instant};
use crate::protocol::body::{perm, MessageQueue, TopicRouteData};
use crate::protocol::header::GetRouteInfoHeader;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::Client;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// The auto-create template topic.
pub const TBW102: &str = "TBW102";

/// The queues a producer may write for one topic, in Java's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicPublishInfo {
    /// Writable queues: brokers by name (Java sorts `QueueData` by broker name), then queue ids
    /// `0..writeQueueNums`; only brokers with write permission and a registered master.
    pub queues: Vec<MessageQueue>,
    /// Master address of every broker the queues name.
    pub broker_addrs: BTreeMap<String, SocketAddr>,
    /// Whether the queues come from the TBW102 fallback.
    pub from_default_topic: bool,
}

/// Builds the publish info of `topic` from `route`. With `queue_nums_max`, each broker's
/// queue count is capped (the TBW102 fallback). Addresses that do not parse are skipped with
/// their broker.
pub fn publish_info(
    topic: &str,
    route: &TopicRouteData,
    queue_nums_max: Option<i32>,
) -> TopicPublishInfo {
    let mut datas: Vec<_> = route.queue_datas.iter().collect();
    datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
    let mut info = TopicPublishInfo {
        from_default_topic: queue_nums_max.is_some(),
        ..TopicPublishInfo::default()
    };
    for data in datas {
        if data.perm & perm::WRITE == 0 {
            continue;
        }
        let master = route
            .broker_datas
            .iter()
            .find(|b| b.broker_name == data.broker_name)
            .and_then(|b| b.master_addr())
            .and_then(|a| a.parse::<SocketAddr>().ok());
        let Some(master) = master else { continue };
        let nums =
            queue_nums_max.map_or(data.write_queue_nums, |max| max.min(data.read_queue_nums));
        info.broker_addrs.insert(data.broker_name.clone(), master);
        info.queues
            .extend((0..nums.max(0)).map(|queue_id| MessageQueue {
                broker_name: data.broker_name.clone(),
                queue_id,
                topic: topic.to_string(),
            }));
    }
    info
}

/// Why no route could be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// Neither the topic nor TBW102 has a route with a writable queue.
    NoRoute,
    /// No name server answered.
    NameServersUnreachable,
}

struct Cached {
    info: TopicPublishInfo,
    fetched_at: Instant,
}

struct State {
    topics: BTreeMap<String, Cached>,
    brokers: BTreeMap<String, SocketAddr>,
    namesrv_index: usize,
}

/// The producer's route table.
pub struct RouteCache<E: Env> {
    env: E,
    client: Client<E>,
    namesrv_addrs: Vec<SocketAddr>,
    timeout: Duration,
    default_topic_queue_nums: i32,
    state: Mutex<State>,
}

impl<E: Env> RouteCache<E> {
    /// A cache asking `namesrv_addrs` (in order, rotating on failure) with `timeout` per call.
    pub fn new(
        env: E,
        client: Client<E>,
        namesrv_addrs: Vec<SocketAddr>,
        timeout: Duration,
        default_topic_queue_nums: i32,
    ) -> Self {
        RouteCache {
            env,
            client,
            namesrv_addrs,
            timeout,
            default_topic_queue_nums,
            state: Mutex::new(State {
                topics: BTreeMap::new(),
                brokers: BTreeMap::new(),
                namesrv_index: 0,
            }),
        }
    }

    /// The topic's publish info: cached, or fetched now if never fetched or empty.
    pub async fn get(&self, topic: &str) -> Result<TopicPublishInfo, RouteError> {
        let cached = self.cached(topic);
        match cached {
            Some(info) if !info.queues.is_empty() => Ok(info),
            _ => self.refresh(topic).await,
        }
    }

    /// The cached publish info of `topic`, if any.
    pub fn cached(&self, topic: &str) -> Option<TopicPublishInfo> {
        self.state.lock().topics.get(topic).map(|c| c.info.clone())
    }

    /// The master address of `broker`, as learnt from any route.
    pub fn broker_addr(&self, broker: &str) -> Option<SocketAddr> {
        self.state.lock().brokers.get(broker).copied()
    }

    /// The heartbeat's targets: the master address of every broker some cached route names,
    /// each address once.
    pub fn brokers(&self) -> Vec<SocketAddr> {
        let unique: std::collections::BTreeSet<SocketAddr> =
            self.state.lock().brokers.values().copied().collect();
        unique.into_iter().collect()
    }

    /// When `topic` was last fetched successfully.
    pub fn fetched_at(&self, topic: &str) -> Option<Instant> {
        self.state.lock().topics.get(topic).map(|c| c.fetched_at)
    }

    /// Fetches every known topic again; failures keep the old route.
    pub async fn refresh_all(&self) {
        let topics: Vec<String> = self.state.lock().topics.keys().cloned().collect();
        for topic in topics {
            let _ = self.refresh(&topic).await;
        }
    }

    /// Fetches `topic` now (TBW102 fallback when it has no route) and caches the answer.
    pub async fn refresh(&self, topic: &str) -> Result<TopicPublishInfo, RouteError> {
        let info = match self.fetch(topic).await? {
            Some(route) => publish_info(topic, &route, None),
            None => match self.fetch(TBW102).await? {
                Some(route) => publish_info(topic, &route, Some(self.default_topic_queue_nums)),
                None => TopicPublishInfo::default(),
            },
        };
        if info.queues.is_empty() {
            return Err(RouteError::NoRoute);
        }
        let mut state = self.state.lock();
        let fetched_at = self.env.now();
        state.topics.insert(
            topic.to_string(),
            Cached {
                info: info.clone(),
                fetched_at,
            },
        );
        // As Java's `cleanOfflineBroker`: a broker no cached route names any more is
        // forgotten (no more heartbeats to it).
        let brokers = (state.topics.values())
            .flat_map(|c| c.info.broker_addrs.iter().map(|(n, a)| (n.clone(), *a)))
            .collect();
        state.brokers = brokers;
        Ok(info)
    }

    /// The route of `topic` from the first name server that answers; None if it has none.
    async fn fetch(&self, topic: &str) -> Result<Option<TopicRouteData>, RouteError> {
        let count = self.namesrv_addrs.len();
        let first = self.state.lock().namesrv_index;
        for attempt in 0..count {
            let index = (first + attempt) % count;
            let request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC)
                .with_header(&GetRouteInfoHeader {
                    topic: topic.to_string(),
                    accept_standard_json_only: None,
                });
            let addr = self.namesrv_addrs[index];
            let Ok(response) = self.client.invoke(addr, request, self.timeout).await else {
                continue;
            };
            // An answer we cannot read counts as no answer: the next name server may do.
            let answer = match response.response_code() {
                Some(ResponseCode::SUCCESS) => match TopicRouteData::decode(&response.body) {
                    Ok(route) => Some(route),
                    Err(_) => continue,
                },
                Some(ResponseCode::TOPIC_NOT_EXIST) => None,
                _ => continue,
            };
            self.state.lock().namesrv_index = index;
            return Ok(answer);
        }
        Err(RouteError::NameServersUnreachable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::body::{BrokerData, QueueData};

    fn route(entries: &[(&str, i32, i32, Option<&str>)]) -> TopicRouteData {
        let mut route = TopicRouteData::default();
        for (name, perm, queues, addr) in entries {
            route.queue_datas.push(QueueData {
                broker_name: name.to_string(),
                perm: *perm,
                read_queue_nums: *queues,
                topic_sys_flag: 0,
                write_queue_nums: *queues,
            });
            let mut broker = BrokerData::new("C", *name);
            if let Some(addr) = addr {
                broker.broker_addrs.insert(0, addr.to_string());
            }
            route.broker_datas.push(broker);
        }
        route
    }

    fn names(info: &TopicPublishInfo) -> Vec<(String, i32)> {
        info.queues
            .iter()
            .map(|q| (q.broker_name.clone(), q.queue_id))
            .collect()
    }

    #[test]
    fn queues_sorted_by_broker_then_id_writable_with_master_only() {
        let r = route(&[
            ("b", 6, 2, Some("10.0.0.2:10911")),
            ("a", 6, 1, Some("10.0.0.1:10911")),
            ("c", 4, 3, Some("10.0.0.3:10911")),
            ("d", 6, 3, None),
        ]);
        let info = publish_info("T", &r, None);
        let expected = [("a", 0), ("b", 0), ("b", 1)].map(|(b, q)| (b.to_string(), q));
        assert_eq!(names(&info), expected);
        assert_eq!(info.broker_addrs.len(), 2);
        assert!(info.queues.iter().all(|q| q.topic == "T"));
        assert!(!info.from_default_topic);
    }

    #[test]
    fn default_topic_fallback_caps_queue_numbers() {
        let r = route(&[("a", 7, 8, Some("10.0.0.1:10911"))]);
        let info = publish_info("New", &r, Some(4));
        assert_eq!(info.queues.len(), 4);
        assert!(info.from_default_topic);
        assert_eq!(info.queues[3].topic, "New");
    }
}
