//! Offsets for the engine: recording a finished batch's commit point, pushing the table to
//! the broker (clustering) or writing the local file (broadcasting), and loading that file.

use super::calls;
use super::config::MessageModel;
use super::engine::{Engine, Slot};
use super::offset_store::{local_file, OffsetTable};
use crate::env::Env;
use crate::protocol::body::MessageQueue;

impl<E: Env> Engine<E> {
    /// Records that a batch finished with `offset` as the queue's commit point (ignored for a
    /// dropped queue).
    pub fn commit(&self, queue: &MessageQueue, slot: &Slot, offset: Option<i64>) {
        let Some(offset) = offset else { return };
        if slot.pq.lock().is_dropped() {
            return;
        }
        self.offsets.lock().update(queue, offset, true);
    }

    /// Pushes the offsets of the assigned queues (clustering) or writes the file
    /// (broadcasting).
    pub async fn persist_all(&self) {
        let queues = self.assigned();
        self.persist(&queues).await;
    }

    pub(super) async fn persist(&self, queues: &[MessageQueue]) {
        match self.config.message_model {
            MessageModel::Broadcasting => self.write_local_offsets().await,
            MessageModel::Clustering => {
                for queue in queues {
                    let Some(offset) = self.offsets.lock().get(queue) else {
                        continue;
                    };
                    let Some(addr) = self.broker_addr(&queue.broker_name) else {
                        continue;
                    };
                    let (group, timeout) = (&self.config.group, self.call_timeout());
                    let client = &self.client;
                    let _ = calls::update_offset(client, addr, group, queue, offset, timeout).await;
                }
            }
        }
    }

    pub(super) fn local_path(&self) -> std::path::PathBuf {
        local_file(
            &self.config.offset_store_dir,
            &self.client_id,
            &self.config.group,
        )
    }

    pub(super) fn load_local_offsets(&self) {
        let Ok(bytes) = self.env.read_file(&self.local_path()) else {
            return;
        };
        if let Some(table) = OffsetTable::decode_file(&bytes) {
            *self.offsets.lock() = table;
        }
    }

    pub(super) async fn write_local_offsets(&self) {
        let path = self.local_path();
        let bytes = self.offsets.lock().encode_file();
        if let Some(dir) = path.parent() {
            let _ = self.env.create_dir_all(dir);
        }
        let _ = self.env.write_file_atomic(&path, &bytes).await;
    }

    /// Clustering forgets a dropped queue's offset (the broker has it; a later owner asks
    /// there); broadcasting keeps it, as Java's `LocalFileOffsetStore.removeOffset` does.
    pub(super) fn forget_offset(&self, queue: &MessageQueue) {
        if self.config.message_model == MessageModel::Clustering {
            self.offsets.lock().remove(queue);
        }
    }
}
