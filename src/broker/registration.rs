//! Keeping every name server informed (§2.4): the broker registers its identity and topic
//! table with each name server in `namesrvAddr`, at start and then periodically, and
//! unregisters on a clean shutdown. A slave learns its master's address from the answers.
//!
//! Model: each round handles every name server independently and in parallel, each call under
//! its own timeout. A forced round registers everywhere. An unforced round first asks each
//! name server QUERY_DATA_VERSION and registers only with those that answer "changed" or do not
//! answer cleanly; an "unchanged" answer already refreshed our liveness there. (Java asks all
//! and then registers with all if any says changed; per name server is equivalent for every
//! name server and cheaper.) The period is clamped to 10–60 s as Java does, so a broker is
//! always heard from well within the 120 s expiry.
//!
//! Faults: a name server that is down or unreachable fails its call (timeout or refused); the
//! others are unaffected, and the next round tries again. Nothing here retries within a round.

use std::future::Future;
use std::net::{AddrParseError, SocketAddr};
use std::pin::pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::{join_all, select, Either};
use parking_lot::Mutex;

use super::TopicConfigTable;
use crate::env::Env;
use crate::protocol::body::{BodyError, KvTable, RegisterBrokerBody};
use crate::protocol::header::{QueryDataVersionHeader, QueryDataVersionResponseHeader};
use crate::protocol::header::{
    RegisterBrokerHeader, RegisterBrokerResponseHeader, UnregisterBrokerHeader,
};
use crate::protocol::{HeaderError, RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::{Client, RpcError};

/// Shortest registration period Java allows.
pub const PERIOD_MIN: Duration = Duration::from_secs(10);
/// Longest registration period Java allows.
pub const PERIOD_MAX: Duration = Duration::from_secs(60);

/// Who the broker is, as it tells the name servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerIdentity {
    pub cluster_name: String,
    pub broker_name: String,
    /// 0 = master.
    pub broker_id: i64,
    /// `brokerIP1:listenPort`: what clients connect to.
    pub broker_addr: String,
    /// `brokerIP2:haListenPort`: what slaves replicate from.
    pub ha_server_addr: String,
}

/// How and where to register.
#[derive(Clone, Debug)]
pub struct RegistrationConfig {
    pub namesrv_addrs: Vec<SocketAddr>,
    /// `registerNameServerPeriod` (30 s), clamped to 10–60 s when used.
    pub period: Duration,
    /// Delay from start to the first periodic round (Java: 10 s).
    pub first_round_delay: Duration,
    /// Timeout of one call (`registerBrokerTimeoutMills`, 6 s).
    pub call_timeout: Duration,
    /// `forceRegister` (Java's default: true): skip the data-version query.
    pub force_register: bool,
    /// `compressedRegister` (default false): send the zlib body.
    pub compressed: bool,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        RegistrationConfig {
            namesrv_addrs: Vec::new(),
            period: Duration::from_secs(30),
            first_round_delay: Duration::from_secs(10),
            call_timeout: Duration::from_secs(6),
            force_register: true,
            compressed: false,
        }
    }
}

impl RegistrationConfig {
    /// The period actually used.
    pub fn period_clamped(&self) -> Duration {
        self.period.clamp(PERIOD_MIN, PERIOD_MAX)
    }
}

/// Parses `namesrvAddr`: `host:port` entries separated by `;` (spaces and empty entries
/// ignored). Host names are not resolved here: addresses must be IP:port.
pub fn parse_namesrv_addrs(text: &str) -> Result<Vec<SocketAddr>, AddrParseError> {
    text.split(';')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(str::parse)
        .collect()
}

/// Why one call to one name server did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("{0}")]
    Rpc(#[from] RpcError),
    #[error("name server answered {code:?}: {}", remark.as_deref().unwrap_or(""))]
    Rejected {
        code: ResponseCode,
        remark: Option<String>,
    },
    #[error("bad response header: {0}")]
    Header(#[from] HeaderError),
    #[error("bad response body: {0}")]
    Body(#[from] BodyError),
}

/// Where a slave's master is, as a name server said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterInfo {
    pub master_addr: String,
    pub ha_server_addr: Option<String>,
}

/// What happened with one name server in a round.
#[derive(Debug)]
pub enum Outcome {
    /// Registered; for a slave, the master's address if the name server knows it; the
    /// ORDER_TOPIC_CONFIG namespace if the name server has one.
    Registered {
        master: Option<MasterInfo>,
        order_topic_config: Option<KvTable>,
    },
    /// The name server holds our current version; the query refreshed our liveness.
    Unchanged,
    Failed(RegisterError),
}

/// One name server's outcome.
#[derive(Debug)]
pub struct NamesrvAnswer {
    pub namesrv: SocketAddr,
    pub outcome: Outcome,
}

/// Registers a broker with its name servers. Cheap to share (`Arc`).
pub struct Registrar<E: Env> {
    env: E,
    client: Client<E>,
    identity: BrokerIdentity,
    config: RegistrationConfig,
    topics: Arc<TopicConfigTable>,
    master: Mutex<Option<MasterInfo>>,
    /// The id registered under, when it can change at run time (controller mode: 0 while
    /// master, the controller's id while slave); `UNREGISTERED` = not registering at all.
    broker_id: AtomicI64,
}

/// `Registrar::set_broker_id` value for "do not register" (a controller-mode broker whose
/// role is not known yet).
pub const UNREGISTERED: i64 = i64::MIN;

impl<E: Env> Registrar<E> {
    pub fn new(
        env: E,
        client: Client<E>,
        identity: BrokerIdentity,
        config: RegistrationConfig,
        topics: Arc<TopicConfigTable>,
    ) -> Self {
        Registrar {
            env,
            client,
            config,
            broker_id: AtomicI64::new(identity.broker_id),
            identity,
            topics,
            master: Mutex::new(None),
        }
    }

    /// The id registered under from the next round on (`UNREGISTERED`: skip rounds).
    pub fn set_broker_id(&self, broker_id: i64) {
        self.broker_id.store(broker_id, Ordering::Release);
    }

    /// The identity as registered now (its `broker_id` may have changed since start).
    fn identity(&self) -> Option<BrokerIdentity> {
        let broker_id = self.broker_id.load(Ordering::Acquire);
        (broker_id != UNREGISTERED).then(|| BrokerIdentity {
            broker_id,
            ..self.identity.clone()
        })
    }

    /// The master a name server last told us about (slaves only).
    pub fn master(&self) -> Option<MasterInfo> {
        self.master.lock().clone()
    }

    /// Registers at once (forced), then every period; unregisters everywhere when `shutdown`
    /// completes.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        let rounds = async {
            let mut next = self.env.now() + self.config.first_round_delay;
            self.register_all(true).await;
            loop {
                self.env.sleep(next - self.env.now()).await;
                self.register_all(self.config.force_register).await;
                next = next + self.config.period_clamped();
            }
        };
        if let Either::Right(_) = select(pin!(rounds), pin!(shutdown)).await {
            self.unregister_all().await;
        }
    }

    /// One round with every name server.
    pub async fn register_all(&self, force: bool) -> Vec<NamesrvAnswer> {
        let Some(identity) = self.identity() else {
            return Vec::new();
        };
        let identity = &identity;
        let snapshot = self.topics.snapshot();
        let body = RegisterBrokerBody {
            filter_server_list: Vec::new(),
            topic_config_serialize_wrapper: snapshot,
        };
        let body = Bytes::from(match self.config.compressed {
            true => body.encode_compressed(),
            false => body.encode_json(),
        });
        let version = body_version(&self.topics);
        let calls = self.config.namesrv_addrs.iter().map(|&namesrv| {
            let body = body.clone();
            let version = version.clone();
            async move {
                let outcome = self
                    .round_with(identity, namesrv, force, body, version)
                    .await;
                NamesrvAnswer { namesrv, outcome }
            }
        });
        let answers = join_all(calls).await;
        self.learn_master(&answers);
        for answer in &answers {
            if let Outcome::Failed(error) = &answer.outcome {
                tracing::warn!(
                    target: "rocketsim::broker", namesrv = %answer.namesrv, %error,
                    "registration failed"
                );
            }
        }
        answers
    }

    async fn round_with(
        &self,
        id: &BrokerIdentity,
        namesrv: SocketAddr,
        force: bool,
        body: Bytes,
        version: Bytes,
    ) -> Outcome {
        if !force {
            match self.query_version(id, namesrv, version).await {
                Ok(false) => return Outcome::Unchanged,
                Ok(true) => {}
                Err(error) => tracing::debug!(
                    target: "rocketsim::broker", %namesrv, %error,
                    "data version query failed, registering anyway"
                ),
            }
        }
        match self.register_one(id, namesrv, body).await {
            Ok(outcome) => outcome,
            Err(error) => Outcome::Failed(error),
        }
    }

    fn learn_master(&self, answers: &[NamesrvAnswer]) {
        let learned = answers.iter().find_map(|answer| match &answer.outcome {
            Outcome::Registered { master, .. } => master.clone(),
            _ => None,
        });
        if let Some(master) = learned {
            *self.master.lock() = Some(master);
        }
    }

    async fn call(
        &self,
        namesrv: SocketAddr,
        request: RemotingCommand,
    ) -> Result<RemotingCommand, RegisterError> {
        let response = match self
            .client
            .invoke(namesrv, request, self.config.call_timeout)
            .await
        {
            Ok(response) => response,
            Err(error) => {
                // A name server that does not answer within the timeout may be dead behind a
                // partition, its connection half-open: start afresh next round (Java's client
                // closes the channel on a timeout too, `clientCloseSocketIfTimeout`).
                if matches!(error, RpcError::Timeout { .. }) {
                    self.client.close(namesrv);
                }
                return Err(error.into());
            }
        };
        match response.response_code() {
            Some(ResponseCode::SUCCESS) => Ok(response),
            code => Err(RegisterError::Rejected {
                code: code.unwrap_or(ResponseCode::SYSTEM_ERROR),
                remark: response.remark,
            }),
        }
    }

    /// Whether `namesrv` holds a different version than ours.
    async fn query_version(
        &self,
        id: &BrokerIdentity,
        namesrv: SocketAddr,
        version: Bytes,
    ) -> Result<bool, RegisterError> {
        let header = QueryDataVersionHeader {
            broker_name: id.broker_name.clone(),
            broker_addr: id.broker_addr.clone(),
            cluster_name: id.cluster_name.clone(),
            broker_id: id.broker_id,
        };
        let request = RemotingCommand::request(RequestCode::QUERY_DATA_VERSION)
            .with_header(&header)
            .with_body(version);
        let response = self.call(namesrv, request).await?;
        let answer: QueryDataVersionResponseHeader = response.header()?;
        Ok(answer.changed)
    }

    async fn register_one(
        &self,
        id: &BrokerIdentity,
        namesrv: SocketAddr,
        body: Bytes,
    ) -> Result<Outcome, RegisterError> {
        let header = RegisterBrokerHeader {
            broker_name: id.broker_name.clone(),
            broker_addr: id.broker_addr.clone(),
            cluster_name: id.cluster_name.clone(),
            ha_server_addr: id.ha_server_addr.clone(),
            broker_id: id.broker_id,
            compressed: self.config.compressed,
            body_crc32: crc32fast::hash(&body),
            heartbeat_timeout_ms: None,
            enable_acting_master: None,
        };
        let request = RemotingCommand::request(RequestCode::REGISTER_BROKER)
            .with_header(&header)
            .with_body(body);
        let response = self.call(namesrv, request).await?;
        let answer: RegisterBrokerResponseHeader = response.header()?;
        let order_topic_config = match response.body.is_empty() {
            true => None,
            false => Some(KvTable::decode(&response.body)?),
        };
        let master = answer.master_addr.map(|master_addr| MasterInfo {
            master_addr,
            ha_server_addr: answer.ha_server_addr,
        });
        Ok(Outcome::Registered {
            master,
            order_topic_config,
        })
    }

    /// Tells every name server we are leaving (clean shutdown). Failures are logged only:
    /// a name server we cannot reach will expire us.
    pub async fn unregister_all(&self) -> Vec<(SocketAddr, Result<(), RegisterError>)> {
        let Some(id) = self.identity() else {
            return Vec::new();
        };
        let header = UnregisterBrokerHeader {
            broker_name: id.broker_name.clone(),
            broker_addr: id.broker_addr.clone(),
            cluster_name: id.cluster_name.clone(),
            broker_id: id.broker_id,
        };
        let calls = self.config.namesrv_addrs.iter().map(|&namesrv| {
            let request = RemotingCommand::request(RequestCode::UNREGISTER_BROKER).with_header(&header);
            async move {
                let result = self.call(namesrv, request).await.map(drop);
                if let Err(error) = &result {
                    tracing::warn!(target: "rocketsim::broker", %namesrv, %error, "unregister failed");
                }
                (namesrv, result)
            }
        });
        join_all(calls).await
    }
}

fn body_version(topics: &TopicConfigTable) -> Bytes {
    Bytes::from(topics.data_version().to_json())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namesrv_addr_list_and_period_clamp() {
        let addrs = parse_namesrv_addrs(" 10.0.0.1:9876;10.0.0.2:9876; ;").unwrap();
        assert_eq!(addrs.len(), 2);
        assert!(parse_namesrv_addrs("nameserver:9876").is_err());
        let config = |secs| RegistrationConfig {
            period: Duration::from_secs(secs),
            ..RegistrationConfig::default()
        };
        assert_eq!(config(1).period_clamped(), PERIOD_MIN);
        assert_eq!(config(30).period_clamped(), Duration::from_secs(30));
        assert_eq!(config(600).period_clamped(), PERIOD_MAX);
    }
}
