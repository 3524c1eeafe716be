//! The CommitLog: every message of every topic, appended in one sequence of segment files in
//! RocketMQ's record format (§3.1), with the 8-byte blank marker closing a file that cannot
//! take the next append.
//!
//! Owns: the append path (one writer at a time, under a lock held only for encoding offsets
//! and copying bytes — never across an await), the per topic-queue next queue offset, and
//! reads by physical offset. Does not own: flushing (`flush`), consume queues (`dispatch`),
//! recovery (`recovery`), which set `max`/`flushed` through the methods here.
//!
//! Offsets, all absolute: `min ≤ flushed ≤ max`, where `max` is the end of the last appended
//! record (readers may read below it), `flushed` the end of what a sync has made durable,
//! `min` the start of the oldest segment still kept. A batch is written contiguously inside
//! one segment; a record never spans two segments. Every segment holds at least 8 free bytes
//! after its last record, so the blank marker always fits.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use parking_lot::Mutex;

use super::check::{check_entry, CheckError, Entry};
use super::error::{IllegalReason, PutError, ReadError, ReplicaError, ReplicaInvalid};
use super::message::{is_queued, PutMessage};
use super::segments::Segments;
use crate::env::Fs;
use crate::protocol::record::{
    patch_offsets, DecodeOptions, MessageRecord, BLANK_BYTES, BLANK_MAGIC, RECORD_BYTES_MIN,
};

/// What a replica append did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaAppended {
    /// End of the bytes received (what the slave reports to its master).
    pub replica_end: u64,
    /// End of the last complete entry: the log's new `max`, what readers may see.
    pub max: u64,
}

/// Where an append landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Physical offset of each record, in order.
    pub physical_offsets: Vec<u64>,
    /// Queue offset of the first record (consecutive for a batch); 0 for unqueued records.
    pub queue_offset: u64,
    /// Bytes of records written (blank marker not included).
    pub wrote_bytes: u64,
    /// End of the last record: what a SYNC_FLUSH put waits to be flushed.
    pub end_offset: u64,
    pub store_timestamp_ms: i64,
}

/// The key of a consume queue.
pub type QueueKey = (String, i32);

/// The mutable state of the writer.
struct Writer {
    /// Next queue offset of each topic-queue.
    queue_offsets: BTreeMap<QueueKey, u64>,
    buf: BytesMut,
    /// On a slave: the end of the bytes received from the master. `[max, replica_end)` holds
    /// the start of a record whose rest is still in flight (see `append_replica`).
    replica_end: u64,
}

/// The CommitLog over segment files of `F`.
pub struct CommitLog<F: Fs> {
    segments: Segments<F>,
    store_host: SocketAddr,
    body_bytes_max: usize,
    batch_messages_max: usize,
    min: AtomicU64,
    max: AtomicU64,
    flushed: AtomicU64,
    /// End of the last record and its store timestamp, updated together.
    last: Mutex<(u64, i64)>,
    writer: Mutex<Writer>,
}

impl<F: Fs> CommitLog<F> {
    /// A log over `segments`, empty until recovery sets its offsets.
    pub fn new(
        segments: Segments<F>,
        store_host: SocketAddr,
        body_bytes_max: usize,
        batch_messages_max: usize,
    ) -> Self {
        CommitLog {
            segments,
            store_host,
            body_bytes_max,
            batch_messages_max,
            min: AtomicU64::new(0),
            max: AtomicU64::new(0),
            flushed: AtomicU64::new(0),
            last: Mutex::new((0, 0)),
            writer: Mutex::new(Writer {
                queue_offsets: BTreeMap::new(),
                buf: BytesMut::new(),
                replica_end: 0,
            }),
        }
    }

    pub fn segments(&self) -> &Segments<F> {
        &self.segments
    }

    pub fn min_offset(&self) -> u64 {
        self.min.load(Ordering::Acquire)
    }

    pub fn max_offset(&self) -> u64 {
        self.max.load(Ordering::Acquire)
    }

    pub fn flushed_offset(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }

    /// Recovery's verdict: the log is `[min, max)`, durable up to `flushed`, and the queues
    /// continue at `queue_offsets`.
    pub fn set_recovered(&self, min: u64, max: u64, queue_offsets: BTreeMap<QueueKey, u64>) {
        assert!(min <= max, "recovered min {min} beyond max {max}");
        self.min.store(min, Ordering::Release);
        self.max.store(max, Ordering::Release);
        self.flushed.store(max, Ordering::Release);
        self.last.lock().0 = max;
        let mut writer = self.writer.lock();
        writer.queue_offsets = queue_offsets;
        writer.replica_end = max;
    }

    /// Cuts the log back to `keep_until` (a record boundary in `[min, max]`, checked by the
    /// caller, who also zeroes the bytes past it): `max`, the received end and `flushed` move
    /// back to it. Returns where the received bytes ended before.
    pub fn cut_to(&self, keep_until: u64) -> u64 {
        let mut writer = self.writer.lock();
        let before = writer.replica_end.max(self.max_offset());
        assert!(
            self.min_offset() <= keep_until && keep_until <= before,
            "cut at {keep_until} outside the log"
        );
        self.max.store(keep_until, Ordering::Release);
        self.flushed.fetch_min(keep_until, Ordering::AcqRel);
        self.last.lock().0 = keep_until;
        writer.replica_end = keep_until;
        before
    }

    /// Replaces the writer's next queue offsets (after a cut).
    pub fn set_queue_offsets(&self, queue_offsets: BTreeMap<QueueKey, u64>) {
        self.writer.lock().queue_offsets = queue_offsets;
    }

    /// End of the last appended record and its store timestamp.
    pub fn last_appended(&self) -> (u64, i64) {
        *self.last.lock()
    }

    /// Records that `[.., offset)` is durable. Never moves backwards, never passes `max`.
    pub fn set_flushed(&self, offset: u64) {
        let max = self.max_offset();
        assert!(offset <= max, "flushed {offset} beyond max {max}");
        self.flushed.fetch_max(offset, Ordering::AcqRel);
    }

    /// Moves the minimum after retention removed segments below `min`.
    pub fn set_min(&self, min: u64) {
        assert!(min <= self.max_offset(), "min beyond max");
        self.min.fetch_max(min, Ordering::AcqRel);
    }

    /// The next queue offset of each queue the writer knows.
    pub fn queue_offsets(&self) -> BTreeMap<QueueKey, u64> {
        self.writer.lock().queue_offsets.clone()
    }

    /// Appends `messages` (one, or a batch of one topic-queue) contiguously, stamped with
    /// `store_timestamp_ms`. Nothing is written on error.
    pub fn append(
        &self,
        messages: &[PutMessage],
        store_timestamp_ms: i64,
    ) -> Result<Appended, PutError> {
        self.validate(messages)?;
        let mut writer = self.writer.lock();
        let Writer {
            queue_offsets,
            buf,
            replica_end,
        } = &mut *writer;
        let first = &messages[0];
        let key = (first.topic.clone(), first.queue_id);
        let queue_offset = *queue_offsets.get(&key).unwrap_or(&0);
        buf.clear();
        let mut lens = Vec::with_capacity(messages.len());
        let mut next_queue_offset = queue_offset;
        for message in messages {
            let q = if message.is_queued() {
                next_queue_offset
            } else {
                0
            };
            next_queue_offset += u64::from(message.is_queued());
            let record = message.to_record(q, 0, store_timestamp_ms, self.store_host);
            let before = buf.len();
            record
                .encode_into(buf)
                .map_err(|e| PutError::MessageIllegal(IllegalReason::Unencodable(e)))?;
            lens.push(buf.len() - before);
        }
        let total = buf.len() as u64;
        let size = self.segments.segment_bytes();
        if total + BLANK_BYTES as u64 > size {
            return Err(PutError::MessageIllegal(IllegalReason::LargerThanSegment {
                len: buf.len(),
                segment_bytes: size,
            }));
        }
        let mut at = self.max_offset();
        let room = size - at % size;
        if total + BLANK_BYTES as u64 > room {
            self.write_blank(at, room)?;
            at += room;
            // Readers and the dispatcher may now step over the closed file.
            self.max.store(at, Ordering::Release);
        }
        let mut physical_offsets = Vec::with_capacity(lens.len());
        let (mut pos, mut q_next) = (0, queue_offset);
        for (message, len) in messages.iter().zip(&lens) {
            let q = if message.is_queued() { q_next } else { 0 };
            q_next += u64::from(message.is_queued());
            patch_offsets(&mut buf[pos..pos + len], q, at + pos as u64)
                .expect("the record was just encoded");
            physical_offsets.push(at + pos as u64);
            pos += len;
        }
        self.segments.write_at(at, buf)?;
        let end = at + total;
        if next_queue_offset != queue_offset {
            queue_offsets.insert(key, next_queue_offset);
        }
        *self.last.lock() = (end, store_timestamp_ms);
        *replica_end = end;
        self.max.store(end, Ordering::Release);
        Ok(Appended {
            physical_offsets,
            queue_offset: if first.is_queued() { queue_offset } else { 0 },
            wrote_bytes: total,
            end_offset: end,
            store_timestamp_ms,
        })
    }

    /// End of the bytes a slave received from its master (≥ `max`; see `append_replica`).
    pub fn replica_end(&self) -> u64 {
        self.writer.lock().replica_end
    }

    /// Appends bytes replicated from a master at the same physical offset (§5.2), so the
    /// slave's log is byte-identical. `start` must be where the received bytes end, or, on an
    /// empty log, the start of any segment (a master starts an empty slave at its last file).
    /// The bytes may end inside a record: `max` advances only over complete entries, each
    /// checked as recovery would (CRC included: this is input from the network). On any error
    /// nothing becomes visible and a partially received record is dropped, so the master
    /// resends it from `max` on the next connection.
    pub fn append_replica(&self, start: u64, data: &[u8]) -> Result<ReplicaAppended, ReplicaError> {
        let mut writer = self.writer.lock();
        let size = self.segments.segment_bytes();
        let max = self.max_offset();
        let empty = max == 0 && writer.replica_end == 0;
        if start != writer.replica_end && !(empty && start.is_multiple_of(size)) {
            let local = writer.replica_end;
            return Err(ReplicaError::OffsetMismatch {
                local,
                frame: start,
            });
        }
        if start % size + data.len() as u64 > size {
            let len = data.len();
            return Err(ReplicaError::CrossesSegment { start, len });
        }
        if empty && start != 0 {
            // An empty slave starts where the master's last file starts.
            self.min.store(start, Ordering::Release);
            self.max.store(start, Ordering::Release);
            self.flushed.store(start, Ordering::Release);
            *self.last.lock() = (start, 0);
            writer.replica_end = start;
        }
        let max = self.max_offset();
        self.segments.write_at(start, data)?;
        let end = start + data.len() as u64;
        match self.complete_entries(max, end, &mut writer.queue_offsets) {
            Ok((complete, timestamp_ms)) => {
                writer.replica_end = end;
                if complete > max {
                    *self.last.lock() = (complete, timestamp_ms);
                    self.max.store(complete, Ordering::Release);
                }
                Ok(ReplicaAppended {
                    replica_end: end,
                    max: complete,
                })
            }
            Err(error) => {
                writer.replica_end = self.max_offset();
                Err(error)
            }
        }
    }

    /// Walks the entries in `[from, end)` of received bytes; returns the end of the last
    /// complete one and its store timestamp. Advances the writer's queue offsets over them.
    fn complete_entries(
        &self,
        from: u64,
        end: u64,
        queue_offsets: &mut BTreeMap<QueueKey, u64>,
    ) -> Result<(u64, i64), ReplicaError> {
        let size = self.segments.segment_bytes();
        let opts = DecodeOptions {
            check_crc: true,
            body_bytes_max: self.body_bytes_max,
        };
        let (mut at, mut timestamp_ms) = (from, self.last_appended().1);
        let mut found = Vec::new();
        while end - at >= BLANK_BYTES as u64 {
            let seg_end = self.segments.start_of(at) + size;
            let mut head = [0u8; BLANK_BYTES];
            self.segments.read_at(at, &mut head)?;
            let declared = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
            let magic = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
            let invalid = |reason| ReplicaError::Invalid { offset: at, reason };
            if magic == BLANK_MAGIC {
                if declared != seg_end - at {
                    return Err(invalid(ReplicaInvalid::BlankLength { declared }));
                }
            } else if declared < RECORD_BYTES_MIN as u64
                || declared + BLANK_BYTES as u64 > seg_end - at
            {
                return Err(invalid(ReplicaInvalid::RecordLength { declared }));
            }
            if at + declared > end {
                break;
            }
            if magic != BLANK_MAGIC {
                let mut buf = vec![0u8; declared as usize];
                self.segments.read_at(at, &mut buf)?;
                match check_entry(&buf, at, &opts) {
                    Ok(Entry::Message { record, .. }) => {
                        timestamp_ms = record.store_timestamp_ms;
                        if is_queued(record.sys_flag) {
                            found.push(((record.topic, record.queue_id), record.queue_offset));
                        }
                    }
                    Ok(Entry::Blank { .. }) => {
                        return Err(invalid(ReplicaInvalid::RecordLength { declared }))
                    }
                    Err(error) => return Err(invalid(ReplicaInvalid::Record(error))),
                }
            }
            at += declared;
        }
        for (key, queue_offset) in found {
            let next = queue_offsets.entry(key).or_insert(0);
            *next = (*next).max(queue_offset + 1);
        }
        Ok((at, timestamp_ms))
    }

    /// Up to `len_max` bytes of the log from `from`, never past `max` nor the end of the
    /// segment holding `from` (what a master streams to a slave, §5.2).
    pub fn read_raw(&self, from: u64, len_max: usize) -> Result<Bytes, ReadError> {
        let (min, max) = (self.min_offset(), self.max_offset());
        if from < min || from > max {
            return Err(ReadError::OutOfRange {
                offset: from,
                min,
                max,
            });
        }
        let seg_end = self.segments.start_of(from) + self.segments.segment_bytes();
        let len = max.min(seg_end).min(from + len_max as u64) - from;
        let mut buf = vec![0u8; len as usize];
        if len > 0 {
            self.segments.read_at(from, &mut buf)?;
        }
        Ok(Bytes::from(buf))
    }

    fn validate(&self, messages: &[PutMessage]) -> Result<(), PutError> {
        let Some(first) = messages.first() else {
            return Err(PutError::MessageIllegal(IllegalReason::EmptyBatch));
        };
        if messages.len() > self.batch_messages_max {
            return Err(PutError::MessageIllegal(IllegalReason::BatchTooLarge {
                count: messages.len(),
                max: self.batch_messages_max,
            }));
        }
        for message in messages {
            message.validate(self.body_bytes_max)?;
            if message.topic != first.topic || message.queue_id != first.queue_id {
                return Err(PutError::MessageIllegal(IllegalReason::BatchMixed));
            }
        }
        Ok(())
    }

    fn write_blank(&self, at: u64, room: u64) -> Result<(), PutError> {
        let mut blank = [0u8; BLANK_BYTES];
        let mut b = &mut blank[..];
        b.put_u32(room as u32);
        b.put_u32(BLANK_MAGIC);
        self.segments.write_at(at, &blank)?;
        Ok(())
    }

    /// The verbatim bytes of the record at `offset`, after all checks (§3.6: pull responses
    /// carry them as they are).
    pub fn read(&self, offset: u64, check_crc: bool) -> Result<Bytes, ReadError> {
        self.read_checked(offset, check_crc).map(|(bytes, _)| bytes)
    }

    /// The record at `offset`: its bytes and its decoded form.
    pub fn read_checked(
        &self,
        offset: u64,
        check_crc: bool,
    ) -> Result<(Bytes, MessageRecord), ReadError> {
        let (min, max) = (self.min_offset(), self.max_offset());
        if offset < min || offset >= max {
            return Err(ReadError::OutOfRange { offset, min, max });
        }
        match self.entry_at(offset, max, check_crc)? {
            (Entry::Message { record, .. }, bytes) => Ok((bytes, record)),
            (Entry::Blank { .. }, _) => Err(ReadError::NotARecord { offset }),
        }
    }

    /// The checked entry at `offset`, reading no byte at or past `limit` (nor past the
    /// segment's end).
    pub fn entry_at(
        &self,
        offset: u64,
        limit: u64,
        check_crc: bool,
    ) -> Result<(Entry, Bytes), ReadError> {
        let size = self.segments.segment_bytes();
        let seg_end = self.segments.start_of(offset) + size;
        let avail = limit.min(seg_end).saturating_sub(offset);
        let opts = DecodeOptions {
            check_crc,
            body_bytes_max: self.body_bytes_max,
        };
        let corrupt = |error: CheckError| ReadError::Corrupt { offset, error };
        let mut head = [0u8; BLANK_BYTES];
        if avail < BLANK_BYTES as u64 {
            return Err(ReadError::NotARecord { offset });
        }
        self.segments.read_at(offset, &mut head)?;
        let declared = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as u64;
        let magic = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        if magic == BLANK_MAGIC {
            let entry = check_entry(&head, offset, &opts).map_err(corrupt)?;
            return Ok((entry, Bytes::new()));
        }
        if declared < RECORD_BYTES_MIN as u64 || declared > avail {
            return Err(ReadError::NotARecord { offset });
        }
        let mut buf = vec![0u8; declared as usize];
        self.segments.read_at(offset, &mut buf)?;
        let entry = check_entry(&buf, offset, &opts).map_err(corrupt)?;
        Ok((entry, Bytes::from(buf)))
    }
}
