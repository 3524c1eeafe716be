//! `Admin`: the admin tool's client — a connection pool, the name-server list and one call
//! timeout — with the plumbing every operation shares: ask the name servers (first that
//! answers), ask a broker, turn a refusal into a typed error, find masters.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;

use super::error::AdminError;
use crate::env::Env;
use crate::protocol::body::{BodyError, ClusterInfo, TopicRouteData};
use crate::protocol::header::{CommandHeader, GetRouteInfoHeader};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::{Client, Dispatcher, RemotingConfig};

/// Settings of an admin client.
#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// Name servers, asked in order until one answers.
    pub namesrv_addrs: Vec<SocketAddr>,
    /// Timeout of each call (Java's tool: 3 s; 5 s leaves room for a busy broker).
    pub call_timeout: Duration,
    /// The address the producer of `send_message` puts into UNIQ_KEYs.
    pub client_ip: IpAddr,
}

impl AdminConfig {
    pub fn new(namesrv_addrs: Vec<SocketAddr>, client_ip: IpAddr) -> Self {
        AdminConfig {
            namesrv_addrs,
            call_timeout: Duration::from_secs(5),
            client_ip,
        }
    }
}

/// The admin client. Operations are in `topic`, `cluster`, `group` and `message`.
pub struct Admin<E: Env> {
    pub(super) env: E,
    pub(super) client: Client<E>,
    pub(super) config: AdminConfig,
}

impl<E: Env> Admin<E> {
    pub fn new(env: E, config: AdminConfig) -> Self {
        let client = Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default());
        Admin {
            env,
            client,
            config,
        }
    }

    /// Closes every connection.
    pub fn close(&self) {
        self.client.close_all();
    }

    /// Sends `request` to `addr`; any answer but SUCCESS is `Refused`.
    pub(super) async fn call(
        &self,
        addr: SocketAddr,
        request: RemotingCommand,
    ) -> Result<RemotingCommand, AdminError> {
        let response = self.call_any_code(addr, request).await?;
        success(addr, response)
    }

    /// Sends `request` to `addr` and returns whatever it answers.
    pub(super) async fn call_any_code(
        &self,
        addr: SocketAddr,
        request: RemotingCommand,
    ) -> Result<RemotingCommand, AdminError> {
        let timeout = self.config.call_timeout;
        (self.client.invoke(addr, request, timeout).await)
            .map_err(|source| AdminError::Rpc { addr, source })
    }

    /// Asks the name servers in order; the first answer counts (a refusal too). When none
    /// answers, the last call's failure.
    pub(super) async fn call_namesrv(
        &self,
        request: RemotingCommand,
    ) -> Result<(SocketAddr, RemotingCommand), AdminError> {
        let mut last = AdminError::NoNameServer;
        for &addr in &self.config.namesrv_addrs {
            match self.call_any_code(addr, request.clone()).await {
                Ok(response) => return Ok((addr, response)),
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    /// Sends `request` to every name server; each must succeed.
    pub(super) async fn call_every_namesrv(
        &self,
        request: RemotingCommand,
    ) -> Result<Vec<(SocketAddr, RemotingCommand)>, AdminError> {
        if self.config.namesrv_addrs.is_empty() {
            return Err(AdminError::NoNameServer);
        }
        let mut answers = Vec::with_capacity(self.config.namesrv_addrs.len());
        for &addr in &self.config.namesrv_addrs {
            answers.push((addr, self.call(addr, request.clone()).await?));
        }
        Ok(answers)
    }

    /// The cluster table of the first name server that answers.
    pub async fn cluster_info(&self) -> Result<ClusterInfo, AdminError> {
        let request = RemotingCommand::request(RequestCode::GET_BROKER_CLUSTER_INFO);
        let (addr, response) = self.call_namesrv(request).await?;
        let response = success(addr, response)?;
        ClusterInfo::decode(&response.body).map_err(|e| bad_body(addr, "cluster info", e))
    }

    /// The route of `topic`; `NoSuchTopic` when no name server has one.
    pub async fn topic_route(&self, topic: &str) -> Result<TopicRouteData, AdminError> {
        let header = GetRouteInfoHeader {
            topic: topic.to_string(),
            accept_standard_json_only: None,
        };
        let request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC);
        let (addr, response) = self.call_namesrv(request.with_header(&header)).await?;
        if response.response_code() == Some(ResponseCode::TOPIC_NOT_EXIST) {
            let topic = topic.to_string();
            return Err(AdminError::NoSuchTopic { topic });
        }
        let response = success(addr, response)?;
        TopicRouteData::decode(&response.body).map_err(|e| bad_body(addr, "route data", e))
    }

    /// The masters of `cluster`, by broker name.
    pub(super) async fn cluster_masters(
        &self,
        cluster: &str,
    ) -> Result<Vec<(String, SocketAddr)>, AdminError> {
        let info = self.cluster_info().await?;
        let Some(names) = info.cluster_addr_table.get(cluster) else {
            let cluster = cluster.to_string();
            return Err(AdminError::NoSuchCluster { cluster });
        };
        let mut masters = Vec::new();
        for name in names {
            let master = (info.broker_addr_table.get(name)).and_then(|b| b.master_addr());
            if let Some(addr) = master {
                masters.push((name.clone(), parse_addr(addr)?));
            }
        }
        Ok(masters)
    }

    /// Every master of every cluster, by broker name (sorted).
    pub(super) async fn all_masters(&self) -> Result<Vec<(String, SocketAddr)>, AdminError> {
        let info = self.cluster_info().await?;
        let mut masters = Vec::new();
        for (name, broker) in &info.broker_addr_table {
            if let Some(addr) = broker.master_addr() {
                masters.push((name.clone(), parse_addr(addr)?));
            }
        }
        Ok(masters)
    }

    /// The masters serving `topic`, by broker name (in route order).
    pub(super) async fn topic_masters(
        &self,
        topic: &str,
    ) -> Result<(TopicRouteData, Vec<(String, SocketAddr)>), AdminError> {
        let route = self.topic_route(topic).await?;
        let mut masters = Vec::new();
        for broker in &route.broker_datas {
            if let Some(addr) = broker.master_addr() {
                masters.push((broker.broker_name.clone(), parse_addr(addr)?));
            }
        }
        Ok((route, masters))
    }
}

/// The response if it is SUCCESS, else `Refused`.
pub(super) fn success(
    addr: SocketAddr,
    response: RemotingCommand,
) -> Result<RemotingCommand, AdminError> {
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => Ok(response),
        _ => Err(refused(addr, response)),
    }
}

/// The refusal a non-SUCCESS response means.
pub(super) fn refused(addr: SocketAddr, response: RemotingCommand) -> AdminError {
    AdminError::Refused {
        addr,
        code: response
            .response_code()
            .unwrap_or(ResponseCode::SYSTEM_ERROR),
        remark: response.remark,
    }
}

pub(super) fn bad_body(addr: SocketAddr, what: &'static str, error: BodyError) -> AdminError {
    AdminError::BadBody {
        addr,
        what,
        detail: error.to_string(),
    }
}

/// Reads a response header; a missing or bad field is `BadBody`.
pub(super) fn header<H: CommandHeader>(
    addr: SocketAddr,
    response: &RemotingCommand,
    what: &'static str,
) -> Result<H, AdminError> {
    response.header().map_err(|e| AdminError::BadBody {
        addr,
        what,
        detail: e.to_string(),
    })
}

/// A request with a JSON body.
pub(super) fn with_json(request: RemotingCommand, json: String) -> RemotingCommand {
    request.with_body(Bytes::from(json))
}

/// A broker address as the name server spells it (`ip:port`).
pub(super) fn parse_addr(text: &str) -> Result<SocketAddr, AdminError> {
    text.parse().map_err(|_| AdminError::NoSuchBroker {
        broker: text.to_string(),
    })
}
