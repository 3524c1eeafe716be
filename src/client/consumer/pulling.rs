//! The pull loop of one assigned queue (Java's `DefaultMQPushConsumerImpl.pullMessage` and
//! `PullCallback`), over the engine.
//!
//! Each turn: stop if the queue was dropped; wait 50 ms (no pull) while the process queue is
//! at a threshold or the sink is full; (orderly) wait 3 s while the queue is not locked; pull
//! with long polling and the commit offset piggy-backed (clustering); then FOUND → put the
//! messages in the process queue and hand them to the sink; nothing new / nothing matched →
//! pull again from `next` (and, with nothing held, move the commit point there, Java's
//! `correctTagsOffset`); every answer's suggestWhichBrokerId picks the broker of the next pull
//! (§5.5, see `Engine::pull_addr`); OFFSET_MOVED → drop the queue, commit `next`, persist it, forget the
//! queue (the next rebalance takes it up again from `next`); errors → wait 3 s.

use super::config::MessageModel;
use super::engine::{Engine, Slot};
use super::pull::{pull_request, read_pull_response, suggested_broker, PullOutcome, PullParams};
use crate::env::Env;
use crate::protocol::body::MessageQueue;
use std::sync::Arc;
use std::time::Duration;

impl<E: Env> Engine<E> {
    pub(crate) async fn pull_loop(self: Arc<Self>, queue: MessageQueue, slot: Arc<Slot>) {
        let config = &self.config;
        let flow_delay = Duration::from_millis(config.pull_time_delay_when_flow_control_ms);
        let error_delay = Duration::from_millis(config.pull_time_delay_when_exception_ms);
        let suspended_timeout = Duration::from_millis(config.consumer_timeout_when_suspend_ms);
        loop {
            if !self.is_running() {
                return;
            }
            let (offset, blocked, locked) = {
                let pq = slot.pq.lock();
                if pq.is_dropped() {
                    return;
                }
                let blocked = pq.flow_blocked(
                    config.pull_threshold_for_queue,
                    config.pull_threshold_size_for_queue_bytes,
                );
                (pq.next_pull_offset(), blocked, pq.stats().locked)
            };
            if blocked || !self.sink_accepting() {
                self.env.sleep(flow_delay).await;
                continue;
            }
            if self.is_orderly() && !locked {
                self.env.sleep(error_delay).await;
                continue;
            }
            let (Some(subscription), Some((addr, from_slave))) =
                (self.pull_subscription(&queue.topic), self.pull_addr(&queue))
            else {
                self.env.sleep(error_delay).await;
                continue;
            };
            // A slave does not take piggy-backed commits (Java clears the flag).
            let commit_offset = match config.message_model {
                MessageModel::Clustering if !from_slave => {
                    self.offsets.lock().get(&queue).filter(|o| *o > 0)
                }
                _ => None,
            };
            let request = pull_request(&PullParams {
                group: &config.group,
                queue: &queue,
                offset,
                batch: config.pull_batch_size,
                commit_offset,
                subscription: &subscription,
                suspend_ms: config.broker_suspend_max_ms,
                lite: self.is_lite(),
            });
            let answer = self.client.invoke(addr, request, suspended_timeout).await;
            if let Some(id) = answer.as_ref().ok().and_then(suggested_broker) {
                self.remember_suggestion(&queue, id);
            }
            let outcome = match answer {
                Ok(response) => read_pull_response(
                    &response,
                    &queue,
                    &subscription,
                    config.inflated_body_bytes_max,
                ),
                Err(_) => PullOutcome::Error,
            };
            match outcome {
                PullOutcome::Found { messages, next } => {
                    let added = {
                        let mut pq = slot.pq.lock();
                        if pq.is_dropped() {
                            return;
                        }
                        if pq.next_pull_offset() != offset {
                            // Sought meanwhile: this answer is for the old position.
                            continue;
                        }
                        pq.set_next_pull_offset(next);
                        pq.put(messages)
                    };
                    if added.is_empty() {
                        self.correct_offset(&queue, &slot, next);
                    } else {
                        self.deliver(&queue, &slot, added);
                    }
                }
                PullOutcome::Nothing { next } => {
                    {
                        let mut pq = slot.pq.lock();
                        if pq.is_dropped() {
                            return;
                        }
                        if pq.next_pull_offset() != offset {
                            continue;
                        }
                        pq.set_next_pull_offset(next);
                    }
                    self.correct_offset(&queue, &slot, next);
                }
                PullOutcome::OffsetMoved { next } => {
                    let dropped = {
                        let mut pq = slot.pq.lock();
                        let was = pq.is_dropped();
                        pq.mark_dropped();
                        was
                    };
                    if dropped {
                        return;
                    }
                    slot.wake.notify_waiters();
                    self.offsets.lock().update(&queue, next, false);
                    self.forget_moved(&queue).await;
                    return;
                }
                PullOutcome::Error => self.env.sleep(error_delay).await,
            }
        }
    }

    /// With nothing held, everything before `next` is consumed: move the commit point there.
    fn correct_offset(&self, queue: &MessageQueue, slot: &Slot, next: i64) {
        if self.is_lite() && !self.config.auto_commit {
            return;
        }
        let empty = slot.pq.lock().count() == 0;
        if empty {
            self.commit(queue, slot, Some(next));
        }
    }
}
