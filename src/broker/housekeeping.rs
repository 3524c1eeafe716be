//! The broker's background loops, each a small driver of one sans-IO core or one file:
//!
//! * hold check (every `hold_check_interval`, 5 s): releases held pulls that expired or whose
//!   queue grew without a notice;
//! * rate sampler (every second): the put and get counters, for `putTps`/`getTransferedTps`;
//! * client scan (every `client_scan_interval`, 10 s): drops silent clients (closing their
//!   connections and notifying their groups) and expired locks;
//! * offset persister (every `flushConsumerOffsetInterval`, 5 s): saves `consumerOffset.json`
//!   when it changed;
//!
//! The store owns the metadata files (`MessageStore::update_metadata` / `persist_metadata`,
//! and a last save at its shutdown); the broker's tables are the live copies and hand the
//! store a snapshot when they change.
//! * topic sync (on each topic change): saves `topics.json` and registers with every name
//!   server at once (forced), so routes follow new topics within a round trip;
//! * group sync (on each subscription-group change): saves `subscriptionGroup.json`.
//!
//! Loops run on fixed schedules from the monotonic clock. A failed save is logged and retried
//! on the next change or period; nothing here blocks a request.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::registration::Registrar;
use super::state::State;
use crate::env::Env;
use crate::store::metadata::{ConsumerOffsets, TopicConfig as StoredTopic, Topics};

pub(crate) async fn hold_check<E: Env>(state: Arc<State<E>>) {
    let env = state.env.clone();
    loop {
        env.sleep(state.config.hold_check_interval).await;
        let now = env.now();
        let store = &state.store;
        let released = state.holds.lock().on_tick(now, |topic, queue_id| {
            store.queue_offsets(topic, queue_id).1
        });
        for token in released {
            let _ = token.send(());
        }
    }
}

pub(crate) async fn sample_rates<E: Env>(state: Arc<State<E>>) {
    let env = state.env.clone();
    loop {
        let now_ms = env.now().since_origin().as_millis() as u64;
        let put = state.put_total.load(Ordering::Relaxed);
        let get = state.get_total.load(Ordering::Relaxed);
        state.put_rate.lock().sample(now_ms, put);
        state.get_rate.lock().sample(now_ms, get);
        env.sleep(Duration::from_secs(1)).await;
    }
}

pub(crate) async fn client_scan<E: Env>(state: Arc<State<E>>) {
    let env = state.env.clone();
    loop {
        env.sleep(state.config.client_scan_interval).await;
        let now = env.now();
        let (notify, expired) = state.clients.lock().on_tick(now);
        state.locks.lock().on_tick(now);
        if let Some(server) = state.server.get() {
            for conn in expired {
                if let Some(connection) = server.connection(conn) {
                    tracing::info!(target: "rocketsim::broker", %conn, "client channel expired");
                    connection.close();
                }
            }
        }
        state.notify_ids_changed(notify);
    }
}

pub(crate) async fn offset_persister<E: Env>(state: Arc<State<E>>) {
    loop {
        state
            .env
            .sleep(state.config.flush_consumer_offset_interval)
            .await;
        save_offsets(&state).await;
    }
}

/// Saves `consumerOffset.json` when the offsets changed.
async fn save_offsets<E: Env>(state: &State<E>) {
    let snapshot: Option<ConsumerOffsets> = {
        let mut offsets = state.offsets.lock();
        offsets.is_dirty().then(|| offsets.snapshot())
    };
    let Some(file) = snapshot else {
        return;
    };
    state.store.update_metadata(|m| m.consumer_offsets = file);
    persist(state, "consumer offsets").await;
}

pub(crate) async fn topic_sync<E: Env>(state: Arc<State<E>>, registrar: Arc<Registrar<E>>) {
    loop {
        state.topics_changed.notified().await;
        save_topics(&state).await;
        registrar.register_all(true).await;
    }
}

async fn save_topics<E: Env>(state: &State<E>) {
    stage_topics(state);
    persist(state, "topics").await;
}

/// Hands the topic table to the store (saved at its next persist).
pub(crate) fn stage_topics<E: Env>(state: &State<E>) {
    let snapshot = state.topics.snapshot();
    let file = Topics {
        data_version: crate::store::metadata::DataVersion {
            counter: snapshot.data_version.counter,
            timestamp: snapshot.data_version.timestamp,
        },
        topic_config_table: snapshot
            .topic_config_table
            .into_iter()
            .map(|(name, t)| {
                let stored = StoredTopic {
                    order: t.order,
                    perm: t.perm,
                    read_queue_nums: t.read_queue_nums,
                    topic_filter_type: t.topic_filter_type.name().to_string(),
                    topic_name: t.topic_name,
                    topic_sys_flag: t.topic_sys_flag,
                    write_queue_nums: t.write_queue_nums,
                };
                (name, stored)
            })
            .collect(),
    };
    state.store.update_metadata(|m| m.topics = file);
}

pub(crate) async fn group_sync<E: Env>(state: Arc<State<E>>) {
    loop {
        state.groups_changed.notified().await;
        save_groups(&state).await;
    }
}

async fn save_groups<E: Env>(state: &State<E>) {
    stage_groups(state);
    persist(state, "subscription groups").await;
}

/// Hands the subscription groups to the store (saved at its next persist).
pub(crate) fn stage_groups<E: Env>(state: &State<E>) {
    let file = state.groups.lock().clone();
    state
        .store
        .update_metadata(|m| m.subscription_groups = file);
}

/// Offsets as they are now, handed to the store (saved at its next persist).
pub(crate) fn stage_offsets<E: Env>(state: &State<E>) {
    let file = state.offsets.lock().snapshot();
    state.store.update_metadata(|m| m.consumer_offsets = file);
}

/// Saves the metadata files now; a failure is logged and retried at the next change or period.
async fn persist<E: Env>(state: &State<E>, what: &'static str) {
    if let Err(error) = state.store.persist_metadata().await {
        tracing::warn!(target: "rocketsim::broker", %error, what, "metadata not saved");
    }
}
