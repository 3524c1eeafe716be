//! What the request handlers share: the environment, the configuration, the route table and
//! the KV store. Locks are never held across an await, except `kv_persist`, which exists to
//! order writes of the KV file.

use parking_lot::Mutex;

use super::config::NamesrvConfig;
use super::kv_config::KvConfig;
use super::table::RouteTable;

pub(crate) struct State<E> {
    pub env: E,
    pub config: NamesrvConfig,
    pub table: Mutex<RouteTable>,
    pub kv: Mutex<KvConfig>,
    /// Held while the KV file is written, so that writes land in order and each writes the
    /// latest content (the real `Fs` uses one temporary file per path).
    pub kv_persist: tokio::sync::Mutex<()>,
}
