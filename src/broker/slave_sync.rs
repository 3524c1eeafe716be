//! A slave copies its master's metadata (§5.4, Java's `SlaveSynchronize`): every 10 s, the
//! first time after 3 s, it asks the master (its remoting address, from the name servers'
//! answers) for GET_ALL_TOPIC_CONFIG (21), GET_ALL_CONSUMER_OFFSET (43), GET_ALL_DELAY_OFFSET
//! (45) and GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
//!
//! Semantics as 4.9: topics are replaced by the master's table (with its data version);
//! consumer offsets, delay offsets and groups are merged with the master's entries winning
//! (`putAll`). There is no reverse path: offsets committed to the slave while the master is
//! away are overwritten by the master's on its return (rocketmq#1094, #2513). A failed call
//! is logged and tried again next round; a body that does not parse changes nothing.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::registration::Registrar;
use super::state::State;
use crate::env::Env;
use crate::protocol::body::{fastjson, BodyError, TopicConfigSerializeWrapper};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::{Client, Dispatcher};
use crate::store::metadata::{ConsumerOffsets, DelayOffsets, SubscriptionGroups};

/// One call to the master may take this long.
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// The slave's sync loop.
pub(crate) async fn run<E: Env>(state: Arc<State<E>>, registrar: Arc<Registrar<E>>) {
    let client = Client::new(
        state.env.clone(),
        Dispatcher::new(),
        state.config.remoting.clone(),
    );
    state.env.sleep(state.config.slave_sync_first_delay).await;
    loop {
        let master = registrar
            .master()
            .and_then(|m| m.master_addr.parse::<SocketAddr>().ok())
            .filter(|&m| m != state.config.broker_addr());
        if let Some(master) = master {
            if let Err(error) = sync_all(&state, &client, master).await {
                tracing::warn!(target: "rocketsim::broker", %master, %error, "metadata sync from the master failed");
            }
        }
        state.env.sleep(state.config.slave_sync_interval).await;
    }
}

/// One round: topics, offsets, delay offsets, groups.
pub(crate) async fn sync_all<E: Env>(
    state: &State<E>,
    client: &Client<E>,
    master: SocketAddr,
) -> Result<(), SyncError> {
    let body = fetch(client, master, RequestCode::GET_ALL_TOPIC_CONFIG).await?;
    let topics: TopicConfigSerializeWrapper = fastjson::parse(&body, "topic config table")?;
    if state.topics.replace_all(topics) {
        state.topics_changed.notify_one();
    }
    let body = fetch(client, master, RequestCode::GET_ALL_CONSUMER_OFFSET).await?;
    let offsets: ConsumerOffsets = fastjson::parse(&body, "consumer offset table")?;
    state.offsets.lock().merge(offsets);
    let body = fetch(client, master, RequestCode::GET_ALL_DELAY_OFFSET).await?;
    let delay: DelayOffsets = fastjson::parse(&body, "delay offset table")?;
    state.store.update_metadata(|m| {
        m.delay_offsets.offset_table.extend(delay.offset_table);
    });
    let body = fetch(
        client,
        master,
        RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
    )
    .await?;
    let groups: SubscriptionGroups = fastjson::parse(&body, "subscription group table")?;
    {
        let mut mine = state.groups.lock();
        mine.data_version = groups.data_version;
        mine.subscription_group_table
            .extend(groups.subscription_group_table);
    }
    state.groups_changed.notify_one();
    Ok(())
}

async fn fetch<E: Env>(
    client: &Client<E>,
    master: SocketAddr,
    code: RequestCode,
) -> Result<bytes::Bytes, SyncError> {
    let request = RemotingCommand::request(code);
    let response = client
        .invoke(master, request, CALL_TIMEOUT)
        .await
        .map_err(|e| SyncError::Call {
            code,
            detail: e.to_string(),
        })?;
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => Ok(response.body),
        other => Err(SyncError::Refused {
            code,
            answer: other.map(|c| c.to_string()).unwrap_or_default(),
            remark: response.remark.unwrap_or_default(),
        }),
    }
}

/// Why a sync round stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SyncError {
    #[error("{code} failed: {detail}")]
    Call { code: RequestCode, detail: String },
    #[error("{code} answered {answer}: {remark}")]
    Refused {
        code: RequestCode,
        answer: String,
        remark: String,
    },
    #[error("{0}")]
    Body(#[from] BodyError),
}
