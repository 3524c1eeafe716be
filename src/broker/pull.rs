//! PULL_MESSAGE (11) (§2.2, §3.6, §6.4, §6.8): checks, the piggy-backed commit offset, the
//! read, and long polling.
//!
//! Status → code as Java 4.9's `PullMessageProcessor`: empty queue → PULL_NOT_FOUND at offset
//! 0 else PULL_OFFSET_MOVED; below min → PULL_OFFSET_MOVED (next = min); at max →
//! PULL_NOT_FOUND (then held); beyond max → PULL_OFFSET_MOVED (next = min when min is 0, else
//! max); scanned entries all filtered out or a record no longer readable →
//! PULL_RETRY_IMMEDIATELY with next past them. The body is the stored records verbatim,
//! bounded by maxMsgNums (capped) and a byte limit. suggestWhichBrokerId follows §5.5 (see
//! `suggest_broker`). No OFFSET_MOVED_EVENT is published. A slave never answers
//! PULL_OFFSET_MOVED (`moved_on_a_slave`).
//!
//! Long polling: a PULL_NOT_FOUND with the suspend flag parks in the hold table until a message
//! for the queue is dispatched, the 5 s check finds the queue grew, or the hold
//! (`suspendTimeoutMillis`, or `shortPollingTimeMills` with long polling off) ends; then the
//! pull is executed again and answered.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::sync::oneshot;

use super::error::{BrokerError, Denied};
use super::filter::tag_codes;
use super::state::State;
use crate::env::Env;
use crate::protocol::body::{perm, MASTER_ID};
use crate::protocol::header::{PullMessageHeader, PullMessageResponseHeader};
use crate::protocol::heartbeat::ExpressionType;
use crate::protocol::sysflag::PullSysFlag;
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;
use crate::store::metadata::SubscriptionGroupConfig;

/// A hold never lasts longer than this, whatever the client asks.
const HOLD_MAX: Duration = Duration::from_secs(300);

/// The result of one execution.
#[derive(Debug)]
struct Outcome {
    code: ResponseCode,
    next: u64,
    min: u64,
    max: u64,
    body: Bytes,
    /// Physical offset of the last consume-queue entry read (§5.5's `maxPhyOffsetPulling`).
    last_physical: Option<u64>,
    /// Suggest the master whatever §5.5 would say (a slave that cannot answer).
    to_master: bool,
}

pub(crate) async fn pull<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let header: PullMessageHeader = request.header()?;
    let flags = PullSysFlag::from_wire(header.sys_flag);
    let tags = check(&state, &header, flags)?;
    if flags.has_commit_offset() && state.takes_writes() {
        let h = &header;
        let offset = h.commit_offset;
        // Forward only: unlike Java, a stale piggy-backed offset handled after an explicit
        // commit cannot move the group back (requests are handled concurrently).
        let _ = (state.offsets.lock()).advance(&h.consumer_group, &h.topic, h.queue_id, offset);
    }
    let hold = match state.config.long_polling_enable {
        true => Duration::from_millis(header.suspend_timeout_ms.max(0) as u64).min(HOLD_MAX),
        false => state.config.short_polling_time,
    };
    let deadline = state.env.now() + hold;
    let offset = header.queue_offset.max(0) as u64;
    loop {
        let outcome = execute(&state, &header, tags.as_ref())?;
        let outcome = moved_on_a_slave(&state, outcome, offset);
        let may_hold = outcome.code == ResponseCode::PULL_NOT_FOUND
            && flags.has_suspend()
            && state.env.now() < deadline;
        if !may_hold || !park(&state, &header.topic, header.queue_id, offset, deadline).await {
            return Ok(respond(&state, &header.consumer_group, outcome));
        }
    }
}

/// Parks the pull; returns when released (true) or at once when the table is full (false).
async fn park<E: Env>(
    state: &State<E>,
    topic: &str,
    queue_id: i32,
    offset: u64,
    deadline: crate::env::Instant,
) -> bool {
    let (tx, rx) = oneshot::channel();
    if state
        .holds
        .lock()
        .on_hold(topic, queue_id, offset, deadline, tx)
        .is_err()
    {
        return false;
    }
    // A message dispatched between the read and the hold would otherwise wait for the tick.
    let max = state.store.queue_offsets(topic, queue_id).1;
    if max > offset {
        state.message_arrived(topic, queue_id, max);
    }
    // A dropped sender (the broker stopping) also ends the hold.
    let _ = rx.await;
    true
}

/// Topic, permissions, queue id and subscription; returns the tag filter.
fn check<E: Env>(
    state: &State<E>,
    header: &PullMessageHeader,
    flags: PullSysFlag,
) -> Result<Option<BTreeSet<i64>>, BrokerError> {
    if !state.broker_readable() {
        let broker = state.config.broker_addr().to_string();
        return Err(Denied::BrokerNotReadable { broker }.into());
    }
    if let Some(why) = state.reads_withheld() {
        return Err(BrokerError::ReplicaNotReady { why });
    }
    let topic = (state.topics.get(&header.topic)).ok_or_else(|| BrokerError::TopicNotExist {
        topic: header.topic.clone(),
    })?;
    if topic.perm & perm::READ == 0 {
        let topic = topic.topic_name;
        return Err(Denied::TopicNotReadable { topic }.into());
    }
    if header.queue_id < 0 || header.queue_id >= topic.read_queue_nums {
        return Err(BrokerError::QueueIdIllegal {
            topic: topic.topic_name,
            queue_id: header.queue_id,
            queues: topic.read_queue_nums,
        });
    }
    let (expression, kind) = match flags.has_subscription() {
        true => (
            header.subscription.clone().unwrap_or_default(),
            header.expression_type.clone(),
        ),
        false => registered_subscription(state, header)?,
    };
    if kind
        .as_deref()
        .is_some_and(|k| !k.eq_ignore_ascii_case("TAG"))
    {
        return Err(BrokerError::Sql92NotSupported);
    }
    tag_codes(&expression).ok_or(BrokerError::SubscriptionParse { expression })
}

/// Without the subscription flag, Java filters with what the group's heartbeat said, and only
/// when that is at least as new as the consumer's (`subVersion`).
fn registered_subscription<E: Env>(
    state: &State<E>,
    header: &PullMessageHeader,
) -> Result<(String, Option<String>), BrokerError> {
    let clients = state.clients.lock();
    let group = &header.consumer_group;
    let Some(info) = clients.consumer_group(group) else {
        let group = group.clone();
        return Err(BrokerError::SubscriptionGroupUnknown { group });
    };
    let Some(sub) = info.subscriptions.get(&header.topic) else {
        let (group, topic) = (group.clone(), header.topic.clone());
        return Err(BrokerError::SubscriptionNotExist { group, topic });
    };
    // The consumer rebuilt its subscription after its last heartbeat reached us: Java refuses
    // rather than filter with the old expression; the client heartbeats and pulls again.
    if sub.sub_version < header.sub_version {
        let (group, topic) = (group.clone(), header.topic.clone());
        return Err(BrokerError::SubscriptionNotLatest { group, topic });
    }
    let kind = match sub.expression_type {
        ExpressionType::Tag => None,
        other => Some(other.name().to_string()),
    };
    Ok((sub.sub_string.clone(), kind))
}

fn execute<E: Env>(
    state: &State<E>,
    header: &PullMessageHeader,
    tags: Option<&BTreeSet<i64>>,
) -> Result<Outcome, BrokerError> {
    let (min, max) = state.store.queue_offsets(&header.topic, header.queue_id);
    let offset = header.queue_offset;
    let status = |code, next| Outcome {
        code,
        next,
        min,
        max,
        body: Bytes::new(),
        last_physical: None,
        to_master: false,
    };
    if max == 0 {
        let code = match offset {
            0 => ResponseCode::PULL_NOT_FOUND,
            _ => ResponseCode::PULL_OFFSET_MOVED,
        };
        return Ok(status(code, 0));
    }
    if offset < min as i64 {
        return Ok(status(ResponseCode::PULL_OFFSET_MOVED, min));
    }
    let offset = offset as u64;
    if offset == max {
        return Ok(status(ResponseCode::PULL_NOT_FOUND, offset));
    }
    if offset > max {
        let next = if min == 0 { min } else { max };
        return Ok(status(ResponseCode::PULL_OFFSET_MOVED, next));
    }
    read(state, header, offset, tags, min, max)
}

fn read<E: Env>(
    state: &State<E>,
    header: &PullMessageHeader,
    offset: u64,
    tags: Option<&BTreeSet<i64>>,
    min: u64,
    max: u64,
) -> Result<Outcome, BrokerError> {
    let count = (header.max_msg_nums.max(1) as usize).min(state.config.pull_messages_max);
    let bytes_max = match header.max_msg_bytes {
        Some(b) if b > 0 => (b as usize).min(state.config.pull_bytes_max),
        _ => state.config.pull_bytes_max,
    };
    let scan = state.config.pull_scan_entries_max;
    let found =
        (state.store).read_queue(&header.topic, header.queue_id, offset, count, scan, tags)?;
    let mut body = BytesMut::new();
    let mut next = found.next_offset;
    let mut taken = 0;
    let mut last_physical = None;
    for (q, entry) in &found.entries {
        last_physical = Some(entry.physical_offset);
        if taken > 0 && body.len() + entry.size as usize > bytes_max {
            next = *q;
            break;
        }
        match state.store.read(entry.physical_offset) {
            Ok(record) => body.extend_from_slice(&record),
            // Removed by retention (or unreadable): skip what we have not taken yet.
            Err(_) if taken == 0 => {
                next = q + 1;
                break;
            }
            Err(_) => {
                next = *q;
                break;
            }
        }
        taken += 1;
    }
    state.get_total.fetch_add(taken, Ordering::Relaxed);
    let code = match taken {
        0 => ResponseCode::PULL_RETRY_IMMEDIATELY,
        _ => ResponseCode::SUCCESS,
    };
    Ok(Outcome {
        code,
        next,
        min,
        max,
        body: body.freeze(),
        last_physical,
        to_master: false,
    })
}

/// A slave does not move a consumer's offset (Java 4.9 without `offsetCheckInSlave`): an
/// offset outside its queue is one it has not replicated yet (or, below its start, one only
/// the master has). Beyond its end: PULL_NOT_FOUND, held like any pull at the end until the
/// replica gets there; below its start: PULL_RETRY_IMMEDIATELY, suggesting the master.
/// Unlike Java, `nextBeginOffset` stays at the requested offset: Java's (0 for a queue that
/// starts at 0) sends the consumer back to the start of the queue.
fn moved_on_a_slave<E: Env>(state: &State<E>, outcome: Outcome, requested: u64) -> Outcome {
    if outcome.code != ResponseCode::PULL_OFFSET_MOVED || state.takes_writes() {
        return outcome;
    }
    let code = match requested > outcome.max {
        true => ResponseCode::PULL_NOT_FOUND,
        false => ResponseCode::PULL_RETRY_IMMEDIATELY,
    };
    Outcome {
        code,
        next: requested,
        to_master: true,
        ..outcome
    }
}

fn respond<E: Env>(state: &State<E>, group: &str, outcome: Outcome) -> RemotingCommand {
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: match outcome.to_master {
            true => MASTER_ID,
            false => suggest_broker(state, group, outcome.last_physical),
        },
        next_begin_offset: outcome.next as i64,
        min_offset: outcome.min as i64,
        max_offset: outcome.max as i64,
    };
    RemotingCommand::response(outcome.code, None)
        .with_header(&header)
        .with_body(outcome.body)
}

/// §5.5: with `slaveReadEnable`, a pull whose last message lies further behind the log's end
/// than `accessMessageInMemoryMaxRatio` % of memory is sent to the group's
/// `whichBrokerWhenConsumeSlowly`, any other to its `brokerId`; without it, always the master.
/// (A slave serves pulls either way, as 4.9 does: its PULL_RETRY_IMMEDIATELY is overwritten.)
fn suggest_broker<E: Env>(state: &State<E>, group: &str, last_physical: Option<u64>) -> i64 {
    let c = &state.config;
    if !c.slave_read_enable {
        return MASTER_ID;
    }
    let memory = c.total_physical_memory_bytes / 100 * c.access_message_in_memory_max_ratio_pct;
    let far_behind = last_physical
        .is_some_and(|at| state.store.max_physical_offset().saturating_sub(at) > memory);
    let groups = state.groups.lock();
    let config = groups.subscription_group_table.get(group);
    match (far_behind, config) {
        (true, Some(g)) => g.which_broker_when_consume_slowly,
        (true, None) => SubscriptionGroupConfig::default().which_broker_when_consume_slowly,
        (false, Some(g)) => g.broker_id,
        (false, None) => MASTER_ID,
    }
}
