//! What the name-server scenarios share: their result type, seeded draws for the plan, and
//! nodes that run a name server, a registering broker, or a route-querying client.

use parking_lot::Mutex;
use rocketsim::broker::{BrokerIdentity, Registrar, RegistrationConfig, TopicConfigTable};
use rocketsim::env::{Clock, Net};
use rocketsim::namesrv::{Namesrv, NamesrvConfig};
use rocketsim::protocol::body::{TopicConfig, TopicRouteData};
use rocketsim::protocol::header::GetRouteInfoHeader;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::{NodeId, SimEnv, SimRandom, World};

/// The topic every scenario broker serves.
pub const TOPIC: &str = "TopicTest";
/// Where name servers listen.
pub const NAMESRV_PORT: u16 = 9876;

/// A scenario's verdict: violations of safety (checked while faults are on) and of liveness
/// (convergence once healed), and `key=value` figures for the final report line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioResult {
    pub violations_safety: Vec<String>,
    pub violations_liveness: Vec<String>,
    pub figures: Vec<(String, String)>,
    /// "Sometimes" probes this run reached (see `scenario::reached`).
    pub reached: std::collections::BTreeSet<String>,
}

impl ScenarioResult {
    pub fn figure(&mut self, key: &str, value: impl ToString) {
        self.figures.push((key.to_string(), value.to_string()));
    }

    /// Marks the "sometimes" probe `probe` as reached in this run.
    pub fn reached(&mut self, probe: &str) {
        self.reached.insert(probe.to_string());
    }

    /// A figure by key (the last one written).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.figures
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn passed(&self) -> bool {
        self.violations_safety.is_empty() && self.violations_liveness.is_empty()
    }
}

/// Seeded draws for the scenario's plan (a stream of its own, so the nodes' draws do not shift
/// the plan and vice versa).
pub struct Draw(SimRandom);

impl Draw {
    pub fn new(world: &World, salt: &str) -> Self {
        Draw(SimRandom::new(world.seed(), salt))
    }

    /// Draws from `random` (tests of plans, without a world).
    pub fn from_random(random: SimRandom) -> Self {
        Draw(random)
    }

    /// Uniform in `low..=high` (inclusive; `low` when the range is empty).
    pub fn between(&self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        let span = u128::from(high - low) + 1;
        low + ((u128::from(self.0.next_u64()) * span) >> 64) as u64
    }

    /// True once in `n` draws on average (`n` = 0: never).
    pub fn one_in(&self, n: u64) -> bool {
        n > 0 && self.between(1, n) == 1
    }
}

/// 10.0.0.`n`.
pub fn ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

/// The name server handle of a node's current process, for white-box reads by checkers.
pub type NamesrvSlot = Arc<Mutex<Option<Namesrv<SimEnv>>>>;

/// Adds a node whose process runs a name server with `config` on `ip:9876`.
pub fn add_namesrv(
    world: &World,
    name: &str,
    ip: IpAddr,
    config: NamesrvConfig,
) -> (NodeId, NamesrvSlot) {
    let slot: NamesrvSlot = Arc::default();
    let handle = slot.clone();
    let node = world.add_node(name, ip, move |env| {
        let (slot, config) = (handle.clone(), config.clone());
        async move {
            let listener = env
                .bind(SocketAddr::new(ip, NAMESRV_PORT))
                .await
                .expect("namesrv binds");
            let namesrv = Namesrv::start(env, listener, config)
                .await
                .expect("namesrv starts");
            *slot.lock() = Some(namesrv);
        }
    });
    (node, slot)
}

/// A broker master of group `name` that registers `TOPIC` with every name server in
/// `namesrvs` for as long as its process lives.
pub fn add_broker(
    world: &World,
    name: &str,
    ip: IpAddr,
    namesrvs: Vec<SocketAddr>,
    period: Duration,
    force: bool,
) -> NodeId {
    let identity = BrokerIdentity {
        cluster_name: "DefaultCluster".into(),
        broker_name: name.into(),
        broker_id: 0,
        broker_addr: SocketAddr::new(ip, 10911).to_string(),
        ha_server_addr: SocketAddr::new(ip, 10912).to_string(),
    };
    let config = RegistrationConfig {
        namesrv_addrs: namesrvs,
        period,
        force_register: force,
        ..RegistrationConfig::default()
    };
    world.add_node(name, ip, move |env| {
        let (identity, config) = (identity.clone(), config.clone());
        async move {
            let topics = Arc::new(TopicConfigTable::new(env.now_millis()));
            topics.put(TopicConfig::with_queues(TOPIC, 4, 4, 6), env.now_millis());
            let client = Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default());
            let registrar = Registrar::new(env, client, identity, config, topics);
            registrar.run(std::future::pending()).await;
        }
    })
}

/// A remoting client living on `node`.
pub fn client_on(world: &World, node: NodeId) -> Client<SimEnv> {
    Client::new(
        world.env(node),
        Dispatcher::new(),
        RemotingConfig::default(),
    )
}

/// How one route query ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Route(TopicRouteData),
    /// The name server answered, but not with a route.
    Refused(ResponseCode),
    /// No answer (refused connection, timeout, closed connection).
    Failed(String),
}

/// One GET_ROUTEINFO_BY_TOPIC to one name server.
pub async fn ask_route(client: &Client<SimEnv>, namesrv: SocketAddr, timeout: Duration) -> Answer {
    ask_route_of(client, namesrv, TOPIC, timeout).await
}

/// One GET_ROUTEINFO_BY_TOPIC for `topic` to one name server.
pub async fn ask_route_of(
    client: &Client<SimEnv>,
    namesrv: SocketAddr,
    topic: &str,
    timeout: Duration,
) -> Answer {
    let header = GetRouteInfoHeader {
        topic: topic.into(),
        accept_standard_json_only: None,
    };
    let request =
        RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header);
    match client.invoke(namesrv, request, timeout).await {
        Ok(response) => match response.response_code() {
            Some(ResponseCode::SUCCESS) => match TopicRouteData::decode(&response.body) {
                Ok(route) => Answer::Route(route),
                Err(error) => Answer::Failed(format!("bad route body: {error}")),
            },
            code => Answer::Refused(code.unwrap_or(ResponseCode::SYSTEM_ERROR)),
        },
        Err(error) => Answer::Failed(error.to_string()),
    }
}

/// Whether `answer` routes `TOPIC` to the group `broker`.
pub fn routes_to(answer: &Answer, broker: &str) -> bool {
    matches!(answer, Answer::Route(route) if route.broker_datas.iter().any(|b| b.broker_name == broker))
}
