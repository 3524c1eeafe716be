//! The producer (§6.2): a Java-4.9-compatible `DefaultMQProducer` over the env seams.
//!
//! Owns: a connection pool, the route cache, the queue selector (round robin and the optional
//! latency fault strategy, `fault.rs`), the UNIQ_KEY generator, and two timer tasks (route
//! refresh and HEART_BEAT to every known broker, each every 30 s; the first heartbeat after
//! 1 s, as Java does). Unlike Java, a failed attempt also fetches its topic's route again at
//! once (at most every 2 s, repeated until every broker group it named is routed again), so
//! a controller-mode switch is followed at the first failure, not at the next 30 s poll.
//!
//! Delivery model, as Java's: a sync send is at-least-once across its attempts — an attempt
//! that timed out or whose connection closed may have been stored, and the retry stores the
//! message again (same UNIQ_KEY, so consumers can deduplicate). Up to
//! `1 + retry_times_when_send_failed` attempts, all within `send_timeout_ms`; a retry avoids
//! the broker of the previous attempt. Retried: call failures and the broker codes of
//! [`is_retryable`]; returned at once: every other broker refusal and the stored-but-not-OK
//! statuses (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE come back as a
//! `SendResult`). Oneway, ordered (`send_to_queue`, `send_ordered`) and batch-to-queue sends
//! make one attempt, as in Java; `send_batch` retries like `send`.
//!
//! Async: every send is already a future; "async send with callback" is `send` driven by a
//! task of the caller's choosing (no callback API, no hidden thread pool).
//!
//! Time: UNIQ_KEYs and born timestamps use the env's wall clock; timeouts and latencies the
//! env's monotonic clock. Randomness (counter starts, the pid and hash of the UNIQ_KEY) comes
//! from the env's seeded stream.

use super::fault::QueueSelector;
use super::message::{InvalidMessage, Message, ProducerConfig, SendError, SendResult};
use super::request::{
    batch_request, check_topic, is_retryable, maybe_compress, queue_index_by_hash, read_response,
    send_request, SendContext,
};
use super::route_cache::{RouteCache, RouteError, TopicPublishInfo, TBW102};
use crate::env::{Env, Instant, Spawn, Task};
use crate::protocol::body::MessageQueue;
use crate::protocol::header::UnregisterClientHeader;
use crate::protocol::heartbeat::{HeartbeatData, ProducerData};
use crate::protocol::message_id::{start_of_month_utc_ms, UniqKeyGenerator};
use crate::protocol::{RemotingCommand, RequestCode};
use crate::remoting::{Client, Dispatcher, RemotingConfig, RpcError};
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The group every Java client instance also registers its internal producer under.
const CLIENT_INNER_PRODUCER: &str = "CLIENT_INNER_PRODUCER";
/// Delay of the first heartbeat after start (Java: 1 s).
const FIRST_HEARTBEAT_MS: u64 = 1_000;
/// A failed attempt fetches the topic's route again at once (a master that died or became a
/// slave: the new master is routed as soon as it registers), at most this often per topic.
const REFRESH_AFTER_FAILURE_EVERY: Duration = Duration::from_secs(2);

/// A producer. Cheap to clone (a handle).
pub struct Producer<E: Env> {
    inner: Arc<Inner<E>>,
}

impl<E: Env> Clone for Producer<E> {
    fn clone(&self) -> Self {
        Producer {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<E: Env> {
    env: E,
    config: ProducerConfig,
    client: Client<E>,
    routes: RouteCache<E>,
    selector: Mutex<QueueSelector>,
    uniq: Mutex<UniqKeyGenerator>,
    running: AtomicBool,
    timers: Mutex<Vec<<E as Spawn>::Task>>,
    /// When a failed attempt last triggered a route refresh, per topic.
    refreshed_after_failure: Mutex<BTreeMap<String, Instant>>,
}

/// How an attempt's request is built for a chosen queue and born timestamp.
type Build<'a> =
    dyn Fn(&MessageQueue, i64) -> Result<RemotingCommand, InvalidMessage> + Send + Sync + 'a;

impl<E: Env> Producer<E> {
    /// A producer that is not started yet.
    pub fn new(env: E, config: ProducerConfig) -> Self {
        let random = env.fork(&format!("producer-{}", config.group));
        let timeout = Duration::from_millis(config.send_timeout_ms);
        let client = Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default());
        let routes = RouteCache::new(
            env.clone(),
            client.clone(),
            config.namesrv_addrs.clone(),
            timeout,
            config.default_topic_queue_nums,
        );
        let draw = random.next_u64();
        let selector = QueueSelector::new(config.send_latency_fault_enable, draw as u32);
        let uniq =
            UniqKeyGenerator::new(config.client_ip, (draw >> 32) as u16, (draw >> 48) as i32)
                .with_counter(random.next_u64() as u16);
        Producer {
            inner: Arc::new(Inner {
                env,
                config,
                client,
                routes,
                selector: Mutex::new(selector),
                uniq: Mutex::new(uniq),
                running: AtomicBool::new(false),
                timers: Mutex::new(Vec::new()),
                refreshed_after_failure: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// Starts the route refresh and heartbeat timers; sends are accepted from now on.
    pub fn start(&self) {
        if self.inner.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let routes = self.clone();
        let refresh = self.inner.env.spawn("producer-routes", async move {
            let period = Duration::from_millis(routes.inner.config.poll_name_server_interval_ms);
            loop {
                routes.inner.env.sleep(period).await;
                routes.inner.routes.refresh_all().await;
            }
        });
        let beats = self.clone();
        let heartbeat = self.inner.env.spawn("producer-heartbeat", async move {
            let period = Duration::from_millis(beats.inner.config.heartbeat_broker_interval_ms);
            beats
                .inner
                .env
                .sleep(Duration::from_millis(FIRST_HEARTBEAT_MS))
                .await;
            loop {
                beats.heartbeat().await;
                beats.inner.env.sleep(period).await;
            }
        });
        self.inner.timers.lock().extend([refresh, heartbeat]);
    }

    /// Stops the timers; later sends fail with `NotRunning`. As Java's, tells every known
    /// broker (UNREGISTER_CLIENT, best effort, one timeout each) that this producer left, then
    /// closes every connection — in a task of its own, so this returns at once.
    pub fn shutdown(&self) {
        if !self.inner.running.swap(false, Ordering::SeqCst) {
            return;
        }
        for task in self.inner.timers.lock().drain(..) {
            task.abort();
        }
        let this = self.clone();
        drop(self.inner.env.spawn("producer-unregister", async move {
            let inner = &this.inner;
            let header = UnregisterClientHeader {
                client_id: this.client_id(),
                producer_group: Some(inner.config.group.clone()),
                consumer_group: None,
            };
            let timeout = Duration::from_millis(inner.config.send_timeout_ms);
            for addr in inner.routes.brokers() {
                let request =
                    RemotingCommand::request(RequestCode::UNREGISTER_CLIENT).with_header(&header);
                let _ = inner.client.invoke(addr, request, timeout).await;
            }
            inner.client.close_all();
        }));
    }

    /// `ip@instanceName`, as the brokers know this client.
    pub fn client_id(&self) -> String {
        let config = &self.inner.config;
        format!("{}@{}", config.client_ip, config.instance_name)
    }

    /// Sends HEART_BEAT with this producer's group to every broker known from routes; a broker
    /// that does not answer is skipped until the next round.
    pub async fn heartbeat(&self) {
        let config = &self.inner.config;
        let data = HeartbeatData {
            client_id: self.client_id(),
            consumers: Vec::new(),
            producers: vec![
                ProducerData {
                    group_name: CLIENT_INNER_PRODUCER.into(),
                },
                ProducerData {
                    group_name: config.group.clone(),
                },
            ],
        };
        let body = Bytes::from(serde_json::to_vec(&data).expect("heartbeat JSON"));
        let timeout = Duration::from_millis(config.send_timeout_ms);
        for addr in self.inner.routes.brokers() {
            let request = RemotingCommand::request(RequestCode::HEART_BEAT).with_body(body.clone());
            let _ = self.inner.client.invoke(addr, request, timeout).await;
        }
    }

    /// Whether the latency fault strategy would choose `broker` now (always true when the
    /// strategy is off).
    pub fn broker_available(&self, broker: &str) -> bool {
        let now = self.inner.env.now().since_origin();
        self.inner.selector.lock().is_available(broker, now)
    }

    /// The topic's publish info, fetching it on first use.
    pub async fn route(&self, topic: &str) -> Result<TopicPublishInfo, SendError> {
        self.inner.routes.get(topic).await.map_err(|e| match e {
            RouteError::NoRoute => SendError::NoRoute {
                topic: topic.to_string(),
            },
            RouteError::NameServersUnreachable => SendError::NameServersUnreachable,
        })
    }

    /// Sends `message` and waits for the broker's answer, retrying on another broker.
    pub async fn send(&self, mut message: Message) -> Result<SendResult, SendError> {
        let msg_id = self.prepare(&mut message)?;
        let (body, sys_flag) =
            maybe_compress(&message.body, self.inner.config.compress_body_over_bytes);
        let topic = message.topic.clone();
        let build = move |queue: &MessageQueue, born: i64| {
            send_request(
                &self.context(born),
                queue,
                &message,
                body.clone(),
                sys_flag,
                false,
            )
        };
        self.send_with_retries(&topic, msg_id, &build).await
    }

    /// Sends `message` without waiting for an answer (one attempt).
    pub async fn send_oneway(&self, mut message: Message) -> Result<(), SendError> {
        self.prepare(&mut message)?;
        let info = self.route(&message.topic).await?;
        let now = self.inner.env.now().since_origin();
        let queue = self
            .inner
            .selector
            .lock()
            .select(&message.topic, &info.queues, None, now);
        let queue = queue.ok_or_else(|| SendError::NoRoute {
            topic: message.topic.clone(),
        })?;
        let addr = self.broker_addr(&queue.broker_name)?;
        let (body, sys_flag) =
            maybe_compress(&message.body, self.inner.config.compress_body_over_bytes);
        let born = self.inner.env.now_millis() as i64;
        let request = send_request(&self.context(born), &queue, &message, body, sys_flag, true)
            .map_err(|reason| SendError::Invalid { reason })?;
        self.inner.client.invoke_oneway(addr, request).await?;
        Ok(())
    }

    /// Sends `message` to `queue` (one attempt, no retry: the queue is the caller's choice).
    pub async fn send_to_queue(
        &self,
        mut message: Message,
        queue: &MessageQueue,
    ) -> Result<SendResult, SendError> {
        let msg_id = self.prepare(&mut message)?;
        let (body, sys_flag) =
            maybe_compress(&message.body, self.inner.config.compress_body_over_bytes);
        let queue = MessageQueue {
            topic: message.topic.clone(),
            ..queue.clone()
        };
        let born = self.inner.env.now_millis() as i64;
        let request = send_request(&self.context(born), &queue, &message, body, sys_flag, false)
            .map_err(|reason| SendError::Invalid { reason })?;
        self.attempt(&queue, request, msg_id).await.1
    }

    /// Ordered send: the queue is `|javaHash(sharding_key) % queues|` of the topic's queues
    /// (`SelectMessageQueueByHash`), so one key's messages share one queue.
    pub async fn send_ordered(
        &self,
        message: Message,
        sharding_key: &str,
    ) -> Result<SendResult, SendError> {
        let info = self.route(&message.topic).await?;
        let queue = info.queues[queue_index_by_hash(sharding_key, info.queues.len())].clone();
        self.send_to_queue(message, &queue).await
    }

    /// Sends `messages` (one topic, not compressed) as one SEND_BATCH_MESSAGE, retrying like
    /// `send`. The result's `msg_id` is the comma-joined UNIQ_KEYs.
    pub async fn send_batch(&self, mut messages: Vec<Message>) -> Result<SendResult, SendError> {
        let topic = match messages.first() {
            Some(first) if messages.iter().all(|m| m.topic == first.topic) => first.topic.clone(),
            _ => {
                return Err(SendError::Invalid {
                    reason: InvalidMessage::BadBatch,
                })
            }
        };
        let max = self.inner.config.max_message_size;
        let mut ids = Vec::with_capacity(messages.len());
        for message in &mut messages {
            ids.push(self.prepare(message)?);
        }
        let build = move |queue: &MessageQueue, born: i64| {
            batch_request(&self.context(born), queue, &messages, max)
        };
        self.send_with_retries(&topic, ids.join(","), &build).await
    }

    fn context(&self, born_timestamp_ms: i64) -> SendContext<'_> {
        SendContext {
            group: &self.inner.config.group,
            default_topic: TBW102,
            default_topic_queue_nums: self.inner.config.default_topic_queue_nums,
            born_timestamp_ms,
        }
    }

    /// Checks the message and gives it a UNIQ_KEY (unless it has one); returns the key.
    fn prepare(&self, message: &mut Message) -> Result<String, SendError> {
        if !self.inner.running.load(Ordering::SeqCst) {
            return Err(SendError::NotRunning);
        }
        let invalid = |reason| SendError::Invalid { reason };
        check_topic(&message.topic).map_err(invalid)?;
        if message.body.is_empty() {
            return Err(invalid(InvalidMessage::EmptyBody));
        }
        let max = self.inner.config.max_message_size;
        if message.body.len() > max {
            let bytes = message.body.len();
            return Err(invalid(InvalidMessage::TooLarge { bytes, max }));
        }
        if let Some(key) = message.properties.uniq_key() {
            return Ok(key.to_string());
        }
        let now_ms = self.inner.env.now_millis() as i64;
        let key = self
            .inner
            .uniq
            .lock()
            .next(now_ms, start_of_month_utc_ms(now_ms))
            .to_string();
        message
            .properties
            .insert("UNIQ_KEY", key.clone())
            .map_err(|e| invalid(e.into()))?;
        Ok(key)
    }

    fn broker_addr(&self, broker: &str) -> Result<std::net::SocketAddr, SendError> {
        self.inner
            .routes
            .broker_addr(broker)
            .ok_or_else(|| SendError::UnknownBroker {
                broker: broker.to_string(),
            })
    }

    /// Java's `sendDefaultImpl`: up to 1 + retries attempts within the timeout budget.
    async fn send_with_retries(
        &self,
        topic: &str,
        msg_id: String,
        build: &Build<'_>,
    ) -> Result<SendResult, SendError> {
        let env = &self.inner.env;
        let timeout = Duration::from_millis(self.inner.config.send_timeout_ms);
        let started = env.now();
        let info = self.route(topic).await?;
        let attempts = 1 + self.inner.config.retry_times_when_send_failed;
        let mut last_broker: Option<String> = None;
        let mut last_error = SendError::Timeout { timeout };
        for _ in 0..attempts {
            let elapsed = env.now() - started;
            let Some(remaining) = timeout.checked_sub(elapsed).filter(|r| !r.is_zero()) else {
                return Err(SendError::Timeout { timeout });
            };
            let now = env.now().since_origin();
            let queue =
                self.inner
                    .selector
                    .lock()
                    .select(topic, &info.queues, last_broker.as_deref(), now);
            let queue = queue.ok_or_else(|| SendError::NoRoute {
                topic: topic.to_string(),
            })?;
            last_broker = Some(queue.broker_name.clone());
            let request = build(&queue, env.now_millis() as i64)
                .map_err(|reason| SendError::Invalid { reason })?;
            let (retry, outcome) = self
                .attempt_within(&queue, request, msg_id.clone(), remaining)
                .await;
            match outcome {
                Err(e) if retry => last_error = e,
                done => return done,
            }
        }
        Err(match last_error {
            SendError::Rpc(RpcError::Timeout { .. }) => SendError::Timeout { timeout },
            other => other,
        })
    }

    async fn attempt(
        &self,
        queue: &MessageQueue,
        request: RemotingCommand,
        msg_id: String,
    ) -> (bool, Result<SendResult, SendError>) {
        let timeout = Duration::from_millis(self.inner.config.send_timeout_ms);
        self.attempt_within(queue, request, msg_id, timeout).await
    }

    /// One attempt; the bool says whether Java would try again. Feeds the fault strategy.
    async fn attempt_within(
        &self,
        queue: &MessageQueue,
        request: RemotingCommand,
        msg_id: String,
        timeout: Duration,
    ) -> (bool, Result<SendResult, SendError>) {
        let addr = match self.broker_addr(&queue.broker_name) {
            Ok(addr) => addr,
            Err(e) => return (true, Err(e)),
        };
        let env = &self.inner.env;
        let begin = env.now();
        let outcome = self.inner.client.invoke(addr, request, timeout).await;
        let end = env.now();
        let latency_ms = (end - begin).as_millis() as u64;
        let (failed, result) = match outcome {
            Err(e) => (true, Err(SendError::Rpc(e))),
            Ok(response) => match read_response(&response, queue, msg_id) {
                Err(SendError::Broker { code, remark }) => {
                    (is_retryable(code), Err(SendError::Broker { code, remark }))
                }
                other => (false, other),
            },
        };
        self.inner.selector.lock().on_attempt(
            &queue.broker_name,
            latency_ms,
            failed,
            end.since_origin(),
        );
        if failed {
            self.refresh_route_after_failure(&queue.topic);
        }
        (failed, result)
    }

    /// The route may be stale (its master died, or a controller made it a slave): fetch it
    /// again in the background rather than wait up to `poll_name_server_interval`. (Java's
    /// producer waits for its 30 s poll; this is the "on the first failure".)
    fn refresh_route_after_failure(&self, topic: &str) {
        let inner = &self.inner;
        let now = inner.env.now();
        {
            let mut last = inner.refreshed_after_failure.lock();
            if last
                .get(topic)
                .is_some_and(|&at| now - at < REFRESH_AFTER_FAILURE_EVERY)
            {
                return;
            }
            last.insert(topic.to_string(), now);
        }
        let (refresher, topic) = (inner.clone(), topic.to_string());
        drop(inner.env.spawn("producer-route-after-failure", async move {
            // A group between masters is missing from the route: look again until its new
            // master is routed, for at most one poll interval.
            let before = refresher.routes.cached(&topic).unwrap_or_default();
            let poll = Duration::from_millis(refresher.config.poll_name_server_interval_ms);
            let rounds = (poll.as_millis() / REFRESH_AFTER_FAILURE_EVERY.as_millis()).max(1);
            for _ in 0..rounds {
                let complete = match refresher.routes.refresh(&topic).await {
                    Ok(now) => {
                        (before.broker_addrs.keys()).all(|b| now.broker_addrs.contains_key(b))
                    }
                    Err(_) => false,
                };
                if complete {
                    return;
                }
                refresher.env.sleep(REFRESH_AFTER_FAILURE_EVERY).await;
            }
        }));
    }
}
