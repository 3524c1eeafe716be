//! `electMaster`: the admin-triggered switch (§5.8) — ask the controller to make a chosen
//! replica the master of its group (CONTROLLER_ELECT_MASTER 1002 with `designateElect`). The
//! controller accepts only a replica that is alive and in the sync-state set, so the handover
//! loses no acknowledged write under `allAckInSyncStateSet`; it bumps the epochs and tells
//! the replicas, the old master becomes a slave of the new one.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::client::{header, Admin};
use super::error::AdminError;
use crate::env::Env;
use crate::protocol::header::{ElectMasterHeader, MasterInfoHeader};
use crate::protocol::{RemotingCommand, RequestCode};

impl<E: Env> Admin<E> {
    /// Makes replica `broker_id` of `cluster`/`broker_name` the master; answers the
    /// controller's view after the election (master id, address, epochs).
    pub async fn elect_master(
        &self,
        controller: SocketAddr,
        cluster: &str,
        broker_name: &str,
        broker_id: i64,
    ) -> Result<BTreeMap<String, String>, AdminError> {
        let elect = ElectMasterHeader {
            cluster_name: cluster.to_string(),
            broker_name: broker_name.to_string(),
            broker_id,
            designate_elect: true,
            invoke_time: Some(self.env.now_millis() as i64),
        };
        let request =
            RemotingCommand::request(RequestCode::CONTROLLER_ELECT_MASTER).with_header(&elect);
        let response = self.call(controller, request).await?;
        let info: MasterInfoHeader = header(controller, &response, "ELECT_MASTER answer")?;
        let show = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        Ok(BTreeMap::from([
            ("brokerName".into(), broker_name.to_string()),
            (
                "masterBrokerId".into(),
                show(info.master_broker_id.map(|v| v.to_string())),
            ),
            ("masterAddress".into(), show(info.master_address)),
            (
                "masterEpoch".into(),
                show(info.master_epoch.map(|v| v.to_string())),
            ),
            (
                "syncStateSetEpoch".into(),
                show(info.sync_state_set_epoch.map(|v| v.to_string())),
            ),
        ]))
    }
}
