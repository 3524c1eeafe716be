//! Request handlers: decode, call the state machine (through the server's `mutate`, which
//! persists before answering), encode. Every error goes out through
//! `ControllerError::response`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::error::ControllerError;
use super::group::GroupView;
use super::liveness::BrokerStats;
use super::machine::{ElectRequest, Election, Heartbeat};
use super::server::Shared;
use crate::env::Env;
use crate::protocol::body::controller::{
    decode_broker_names, ElectMasterResponseBody, SyncStateSetBody,
};
use crate::protocol::header::{
    AlterSyncStateSetHeader, AlterSyncStateSetResponseHeader, ApplyBrokerIdHeader,
    ApplyBrokerIdResponseHeader, BrokerGroupHeader, BrokerHeartbeatHeader,
    ControllerMetadataHeader, ElectMasterHeader, GetNextBrokerIdResponseHeader,
    GetReplicaInfoHeader, MasterInfoHeader, RegisterToControllerHeader,
    RegisterToControllerResponseHeader,
};
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;

type Reply = Result<RemotingCommand, ControllerError>;

fn ok() -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS, None)
}

/// The master part of a view, as the response headers carry it.
fn master_header(view: &GroupView, with_set_epoch: bool) -> MasterInfoHeader {
    MasterInfoHeader {
        master_broker_id: view.master.as_ref().map(|(id, _)| *id),
        master_address: view.master.as_ref().map(|(_, addr)| addr.clone()),
        master_epoch: Some(view.master_epoch),
        sync_state_set_epoch: with_set_epoch.then_some(view.sync_state_set_epoch),
    }
}

fn set_body(view: &GroupView) -> Bytes {
    Bytes::from(view.sync_state_set_body().encode())
}

/// CONTROLLER_GET_NEXT_BROKER_ID (1012).
pub async fn next_broker_id<E: Env>(
    s: Arc<Shared<E>>,
    _: RequestContext,
    req: RemotingCommand,
) -> Reply {
    let header = req.header::<BrokerGroupHeader>()?;
    let next = s.state.lock().await.next_broker_id(&header.broker_name);
    Ok(ok().with_header(&GetNextBrokerIdResponseHeader {
        cluster_name: header.cluster_name,
        broker_name: header.broker_name,
        next_broker_id: next,
    }))
}

/// CONTROLLER_APPLY_BROKER_ID (1013).
pub async fn apply_broker_id<E: Env>(
    s: Arc<Shared<E>>,
    _: RequestContext,
    req: RemotingCommand,
) -> Reply {
    let h = req.header::<ApplyBrokerIdHeader>()?;
    s.mutate(|state, _| {
        state.apply_broker_id(
            &h.cluster_name,
            &h.broker_name,
            h.applied_broker_id,
            &h.register_check_code,
        )
    })
    .await?;
    Ok(ok().with_header(&ApplyBrokerIdResponseHeader {
        cluster_name: h.cluster_name,
        broker_name: h.broker_name,
    }))
}

/// CONTROLLER_REGISTER_BROKER (1003): the master only if it is alive, the sync-state set always.
pub async fn register<E: Env>(s: Arc<Shared<E>>, _: RequestContext, req: RemotingCommand) -> Reply {
    let h = req.header::<RegisterToControllerHeader>()?;
    let (view, master_alive) = s
        .mutate(|state, now| state.register(&h.broker_name, h.broker_id, &h.broker_address, now))
        .await?;
    let master = match master_alive {
        true => master_header(&view, true),
        false => MasterInfoHeader::default(),
    };
    let header = RegisterToControllerResponseHeader {
        cluster_name: h.cluster_name,
        broker_name: h.broker_name,
        master,
    };
    Ok(ok().with_header(&header).with_body(set_body(&view)))
}

/// BROKER_HEARTBEAT (904). Liveness only: nothing to persist.
pub async fn heartbeat<E: Env>(
    s: Arc<Shared<E>>,
    ctx: RequestContext,
    req: RemotingCommand,
) -> Reply {
    let h = req.header::<BrokerHeartbeatHeader>()?;
    let broker_id = h.broker_id.ok_or(ControllerError::InvalidRequest {
        what: "heartbeat with empty brokerId",
    })?;
    let defaults = BrokerStats::default();
    let beat = Heartbeat {
        cluster_name: h.cluster_name,
        broker_name: h.broker_name,
        broker_addr: h.broker_addr,
        broker_id,
        timeout: h
            .heartbeat_timeout_mills
            .filter(|ms| *ms > 0)
            .map(|ms| Duration::from_millis(ms as u64)),
        stats: BrokerStats {
            epoch: h.epoch.unwrap_or(defaults.epoch),
            max_offset: h.max_offset.unwrap_or(defaults.max_offset),
            confirm_offset: h.confirm_offset.unwrap_or(defaults.confirm_offset),
            election_priority: h.election_priority.unwrap_or(defaults.election_priority),
        },
        conn: Some(ctx.info().id),
    };
    let now = s.env.now();
    s.state.lock().await.heartbeat(beat, now)?;
    Ok(ok().with_remark("Heart beat success"))
}

/// CONTROLLER_ELECT_MASTER (1002). A new master is pushed to the group's brokers.
pub async fn elect<E: Env>(s: Arc<Shared<E>>, _: RequestContext, req: RemotingCommand) -> Reply {
    let h = req.header::<ElectMasterHeader>()?;
    let request = ElectRequest {
        cluster_name: h.cluster_name,
        broker_name: h.broker_name,
        broker_id: (h.broker_id >= 0).then_some(h.broker_id),
        designate: h.designate_elect,
    };
    let election = s.mutate(|state, now| state.elect(&request, now)).await?;
    match election {
        Election::Elected(change) => {
            let body = ElectMasterResponseBody {
                broker_member_group: Some(change.view.member_group()),
                sync_state_set: change.view.sync_state_set.clone(),
            };
            let response = ok()
                .with_header(&master_header(&change.view, true))
                .with_body(Bytes::from(body.encode()));
            s.notify(&change).await;
            Ok(response)
        }
        Election::Kept(view) => {
            let body = ElectMasterResponseBody {
                broker_member_group: None,
                sync_state_set: view.sync_state_set.clone(),
            };
            let remark = format!(
                "The old master {:?} is still alive, not need to elect new master for broker {}",
                view.master.as_ref().map(|(id, _)| *id),
                view.broker_name
            );
            Ok(
                RemotingCommand::response(
                    ResponseCode::CONTROLLER_MASTER_STILL_EXIST,
                    Some(remark),
                )
                .with_header(&master_header(&view, true))
                .with_body(Bytes::from(body.encode())),
            )
        }
    }
}

/// CONTROLLER_ALTER_SYNC_STATE_SET (1001).
pub async fn alter_sync_state_set<E: Env>(
    s: Arc<Shared<E>>,
    _: RequestContext,
    req: RemotingCommand,
) -> Reply {
    let h = req.header::<AlterSyncStateSetHeader>()?;
    if req.body.is_empty() {
        return Err(ControllerError::InvalidRequest {
            what: "sync state set body missing",
        });
    }
    let body = SyncStateSetBody::decode(&req.body)?;
    let view = s
        .mutate(|state, now| {
            state.alter_sync_state_set(
                &h.broker_name,
                h.master_broker_id,
                h.master_epoch,
                &body.sync_state_set,
                body.sync_state_set_epoch,
                now,
            )
        })
        .await?;
    let header = AlterSyncStateSetResponseHeader {
        new_sync_state_set_epoch: view.sync_state_set_epoch,
    };
    Ok(ok().with_header(&header).with_body(set_body(&view)))
}

/// CONTROLLER_GET_REPLICA_INFO (1004).
pub async fn replica_info<E: Env>(
    s: Arc<Shared<E>>,
    _: RequestContext,
    req: RemotingCommand,
) -> Reply {
    let h = req.header::<GetReplicaInfoHeader>()?;
    let view = s.state.lock().await.replica_info(&h.broker_name)?;
    Ok(ok()
        .with_header(&master_header(&view, false))
        .with_body(set_body(&view)))
}

/// CONTROLLER_GET_SYNC_STATE_DATA (1006): body = JSON list of broker names.
pub async fn sync_state_data<E: Env>(
    s: Arc<Shared<E>>,
    _: RequestContext,
    req: RemotingCommand,
) -> Reply {
    if req.body.is_empty() {
        return Err(ControllerError::InvalidRequest {
            what: "broker name list missing",
        });
    }
    let names = decode_broker_names(&req.body)?;
    let now = s.env.now();
    let info = s.state.lock().await.sync_state_data(&names, now)?;
    Ok(ok().with_body(Bytes::from(info.encode())))
}

/// CONTROLLER_GET_METADATA_INFO (1005): this single node leads; its address is the one the
/// caller reached it on.
pub async fn metadata<E: Env>(_: Arc<Shared<E>>, ctx: RequestContext, _: RemotingCommand) -> Reply {
    let addr = ctx.info().local.to_string();
    Ok(ok().with_header(&ControllerMetadataHeader {
        group: None,
        controller_leader_id: Some("0".into()),
        controller_leader_address: Some(addr.clone()),
        is_leader: true,
        peers: Some(format!("0:{addr};")),
    }))
}
