//! Cluster operations: `clusterList`, `brokerStatus`, `wipeWritePerm` / `addWritePerm`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::client::{bad_body, parse_addr, Admin};
use super::error::AdminError;
use super::view::{ClusterRow, PermRow};
use crate::env::Env;
use crate::protocol::body::KvTable;
use crate::protocol::header::{perm_count_field, BrokerNameHeader};
use crate::protocol::{RemotingCommand, RequestCode};

impl<E: Env> Admin<E> {
    /// GET_BROKER_RUNTIME_INFO: the broker's runtime key/values.
    pub async fn broker_status(
        &self,
        addr: SocketAddr,
    ) -> Result<BTreeMap<String, String>, AdminError> {
        let request = RemotingCommand::request(RequestCode::GET_BROKER_RUNTIME_INFO);
        let response = self.call(addr, request).await?;
        let table = KvTable::decode(&response.body).map_err(|e| bad_body(addr, "KV table", e))?;
        Ok(table.table)
    }

    /// Every broker of every cluster with its version and rates; a broker that does not
    /// answer is listed with the error instead of failing the whole list.
    pub async fn cluster_list(&self) -> Result<Vec<ClusterRow>, AdminError> {
        let info = self.cluster_info().await?;
        let mut rows = Vec::new();
        for (cluster, names) in &info.cluster_addr_table {
            for name in names {
                let Some(broker) = info.broker_addr_table.get(name) else {
                    continue;
                };
                for (&id, addr) in &broker.broker_addrs {
                    rows.push(self.cluster_row(cluster, name, id, addr).await);
                }
            }
        }
        Ok(rows)
    }

    async fn cluster_row(&self, cluster: &str, name: &str, id: i64, addr: &str) -> ClusterRow {
        let mut row = ClusterRow {
            cluster: cluster.to_string(),
            broker_name: name.to_string(),
            broker_id: id,
            addr: addr.to_string(),
            version: String::new(),
            put_tps: String::new(),
            get_tps: String::new(),
            error: None,
        };
        let status = match parse_addr(addr) {
            Ok(parsed) => self.broker_status(parsed).await,
            Err(error) => Err(error),
        };
        match status {
            Ok(kv) => {
                let get = |key: &str| kv.get(key).cloned().unwrap_or_default();
                row.version = get("brokerVersionDesc");
                row.put_tps = get("putTps");
                row.get_tps = get("getTransferedTps");
            }
            Err(error) => row.error = Some(error.to_string()),
        }
        row
    }

    /// WIPE_WRITE_PERM_OF_BROKER (`wipe`) or ADD_WRITE_PERM_OF_BROKER on every name server;
    /// each answers how many of the broker's topics it changed. A broker re-registering
    /// restores its own permissions on that name server, so this drains a broker only for as
    /// long as the broker's own config agrees (Java's behaviour too).
    pub async fn write_perm(
        &self,
        broker_name: &str,
        wipe: bool,
    ) -> Result<Vec<PermRow>, AdminError> {
        let code = match wipe {
            true => RequestCode::WIPE_WRITE_PERM_OF_BROKER,
            false => RequestCode::ADD_WRITE_PERM_OF_BROKER,
        };
        let request = RemotingCommand::request(code).with_header(&BrokerNameHeader {
            broker_name: broker_name.to_string(),
        });
        let mut rows = Vec::new();
        for (addr, response) in self.call_every_namesrv(request).await? {
            let field = perm_count_field(wipe);
            let count = response.ext_fields.get(field).and_then(|v| v.parse().ok());
            let Some(topic_count) = count else {
                let detail = format!("{:?}", response.ext_fields.get(field));
                return Err(AdminError::BadBody {
                    addr,
                    what: field,
                    detail,
                });
            };
            rows.push(PermRow {
                namesrv: addr.to_string(),
                topic_count,
            });
        }
        Ok(rows)
    }
}
