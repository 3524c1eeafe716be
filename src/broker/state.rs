//! What every handler shares: config, store, tables, the sans-IO cores behind locks, and the
//! wake-ups of the background tasks. Handlers lock a table only for a synchronous step, never
//! across an await.

use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;
use tokio::sync::{oneshot, Notify};

use super::client_registry::{ClientRegistry, NotifyIdsChanged};
use super::config::BrokerConfig;
use super::consumer_offsets::ConsumerOffsetTable;
use super::lock_table::LockTable;
use super::long_poll::PullHolds;
use super::rates::Rate;
use super::replicas::{ReplicaRole, ReplicaView};
use super::replication::Replication;
use super::send_queue::SendQueue;
use super::TopicConfigTable;
use crate::env::Env;
use crate::ha::Master;
use crate::protocol::body::perm;
use crate::protocol::header::ConsumerGroupHeader;
use crate::protocol::{RemotingCommand, RequestCode};
use crate::remoting::Server;
use crate::store::metadata::SubscriptionGroups;
use crate::store::MessageStore;

pub(crate) struct State<E: Env> {
    pub env: E,
    pub config: BrokerConfig,
    pub store: MessageStore<E>,
    pub topics: Arc<TopicConfigTable>,
    pub offsets: Mutex<ConsumerOffsetTable>,
    pub groups: Mutex<SubscriptionGroups>,
    pub clients: Mutex<ClientRegistry>,
    pub locks: Mutex<LockTable>,
    pub holds: Mutex<PullHolds<oneshot::Sender<()>>>,
    /// The broker's permission (`brokerPermission`), changeable at run time.
    pub perm: AtomicI32,
    pub send_queue: SendQueue,
    /// Set once the server runs: to reach clients on their own connections.
    pub server: OnceLock<Arc<Server>>,
    /// Topic configs changed: save `topics.json` and register with the name servers.
    pub topics_changed: Notify,
    /// Subscription groups changed: save `subscriptionGroup.json`.
    pub groups_changed: Notify,
    pub put_total: AtomicU64,
    pub get_total: AtomicU64,
    /// `put_total` and `get_total` sampled once a second.
    pub put_rate: Mutex<Rate>,
    pub get_rate: Mutex<Rate>,
    pub started_ms: u64,
    /// Replication: the HA listener's links, acknowledgements, epochs.
    pub replication: Replication<E>,
    /// The part this broker plays now (fixed by `brokerRole` unless in controller mode).
    pub role: Mutex<ReplicaView>,
    /// The HA address published to the name servers (`haServerAddr`).
    pub ha_addr: std::net::SocketAddr,
}

impl<E: Env> State<E> {
    pub fn role(&self) -> ReplicaView {
        self.role.lock().clone()
    }

    pub fn set_role(&self, view: ReplicaView) {
        *self.role.lock() = view;
    }

    /// The master side of this broker's current term as master, if it is master: a send
    /// waits for its replicas on this one even if the role changes meanwhile (a master side
    /// of a later term must not acknowledge what an earlier one stored).
    pub fn write_term(&self) -> Option<Arc<Master<E>>> {
        let role = self.role.lock();
        (role.role == ReplicaRole::Master).then(|| self.replication.master())
    }

    /// Whether sends are taken: a master's (a slave or a pending broker refuses them).
    pub fn takes_writes(&self) -> bool {
        self.role.lock().role == ReplicaRole::Master
    }

    /// Why pulls are refused now, if they are: a controller-mode replica serves reads as
    /// master, or as a slave once its link compared histories with the master (and cut any
    /// divergent tail); before that its log may hold messages the group will drop.
    pub fn reads_withheld(&self) -> Option<&'static str> {
        if !self.config.controller.enabled {
            return None;
        }
        match self.role.lock().role {
            ReplicaRole::Master => None,
            ReplicaRole::Slave if self.replication.slave_in_step() => None,
            ReplicaRole::Slave => Some("a slave not yet in step with its master"),
            ReplicaRole::Pending => Some("the replica's role is not known yet"),
        }
    }

    pub fn broker_writable(&self) -> bool {
        self.perm.load(Ordering::Acquire) & perm::WRITE != 0
    }

    pub fn broker_readable(&self) -> bool {
        self.perm.load(Ordering::Acquire) & perm::READ != 0
    }

    /// Sends NOTIFY_CONSUMER_IDS_CHANGED (oneway) to each connection named.
    pub fn notify_ids_changed(&self, notifications: Vec<NotifyIdsChanged>) {
        let Some(server) = self.server.get() else {
            return;
        };
        for notify in notifications {
            let header = ConsumerGroupHeader {
                consumer_group: notify.group.clone(),
            };
            for conn in notify.conns {
                let Some(connection) = server.connection(conn) else {
                    continue;
                };
                let request = RemotingCommand::request(RequestCode::NOTIFY_CONSUMER_IDS_CHANGED)
                    .with_header(&header);
                // Oneway and best effort, as in Java: a lost notice is made up for by the
                // client's periodic rebalance.
                drop(self.env.spawn("notify-ids-changed", async move {
                    let _ = connection.send_oneway(request).await;
                }));
            }
        }
    }

    /// Wakes held pulls of the queue (called from the store's dispatch path).
    pub fn message_arrived(&self, topic: &str, queue_id: i32, max_offset: u64) {
        let released = self
            .holds
            .lock()
            .on_message_arrived(topic, queue_id, max_offset);
        if !released.is_empty() {
            crate::probe!("long_poll_woken_by_message");
        }
        for token in released {
            let _ = token.send(());
        }
    }
}
