//! Segment benchmark: what a CommitLog append costs through `MappedSegment`, against a plain
//! `write(2)` per record and against the simpler design we did not choose (`RwLock<MmapMut>`,
//! which makes every write exclusive), and what msync costs for a small and a large range.
//!
//! `cargo bench -p rocketsim-real --bench segment`. Environment: `SEGMENT_BENCH_MIB` (segment
//! size, default 1024), `SEGMENT_BENCH_DIR` (where the files go, default the temp directory).
//! All files live in one directory of the same file system; each write phase is followed by a
//! full sync, timed separately, so one phase's writeback does not land in the next one's time.

use memmap2::MmapMut;
use parking_lot::RwLock;
use rocketsim::env::Segment;
use rocketsim_real::MappedSegment;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const RECORD: usize = 1024;
const MIB: u64 = 1024 * 1024;

fn main() -> io::Result<()> {
    let size_mib: u64 = env_or("SEGMENT_BENCH_MIB", 1024);
    let root = std::env::var_os("SEGMENT_BENCH_DIR").map_or_else(std::env::temp_dir, Into::into);
    let dir = tempfile::tempdir_in(root)?;
    let size = size_mib * MIB;
    let record: Vec<u8> = (0..RECORD).map(|i| (i * 31 % 251) as u8).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()?;
    println!(
        "segment bench: {size_mib} MiB, {RECORD} B records, {} cpus, dir {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        dir.path().display()
    );

    let segment = MappedSegment::open(&dir.path().join("segment"), Some(size))?;
    let sync_segment = || runtime.block_on(segment.sync(0..size));
    phases("MappedSegment", &segment, sync_segment, &record, size)?;
    let locked = LockedMap::create(&dir.path().join("locked"), size)?;
    phases(
        "RwLock<MmapMut>",
        &locked,
        || locked.map.read().flush(),
        &record,
        size,
    )?;

    let mut file = File::create(dir.path().join("plain"))?;
    report("std::fs::File::write, 1 KiB each", size, || {
        (0..size / RECORD as u64).try_for_each(|_| file.write_all(&record))
    })?;
    report_sync("  fsync of the whole file", || file.sync_all())?;
    drop(file);

    // First into clean pages (both were just synced), then into the now dirty ones.
    for pages in ["clean", "dirty"] {
        contended(
            &format!("MappedSegment, {pages} pages"),
            &segment,
            &record,
            size,
        )?;
        contended(
            &format!("RwLock<MmapMut>, {pages} pages"),
            &locked,
            &record,
            size,
        )?;
    }
    msync_cost(&runtime, &segment, size)
}

/// Sequential 1 KiB writes into fresh pages (page faults), again into the same still-dirty
/// pages (the copy alone), two read passes, a full sync, then writes into the now clean pages
/// (the kernel write-protects pages it has written back, so each takes one minor fault again),
/// and a final sync.
fn phases(
    name: &str,
    target: &impl Target,
    sync: impl Fn() -> io::Result<()>,
    record: &[u8],
    size: u64,
) -> io::Result<()> {
    let write = || write_all(target, record, size);
    report(&format!("{name} write, fresh pages"), size, write)?;
    report(&format!("{name} write, dirty pages"), size, write)?;
    report(&format!("{name} read, pass 1"), size, || {
        read_all(target, size)
    })?;
    report(&format!("{name} read, pass 2"), size, || {
        read_all(target, size)
    })?;
    report_sync("  msync of everything", &sync)?;
    report(&format!("{name} write, clean pages"), size, write)?;
    report_sync("  msync of everything", &sync)
}

/// The two ways to write a mapped segment, behind one face for the loops below.
trait Target: Sync {
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;
}

impl Target for MappedSegment {
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        Segment::write_at(self, offset, data)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        Segment::read_at(self, offset, buf)
    }
}

/// The alternative design: plain slice copies, soundness from an exclusive lock per write.
struct LockedMap {
    map: RwLock<MmapMut>,
}

impl LockedMap {
    fn create(path: &Path, len: u64) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        file.set_len(len)?;
        // SAFETY: the file is this benchmark's private temporary; nothing else truncates or
        // writes it while it is mapped.
        let map = unsafe { MmapMut::map_mut(&file)? };
        Ok(LockedMap {
            map: RwLock::new(map),
        })
    }
}

impl Target for LockedMap {
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut map = self.map.write();
        let range = offset as usize..offset as usize + data.len();
        let dest = map.get_mut(range).ok_or(io::ErrorKind::InvalidInput)?;
        dest.copy_from_slice(data);
        Ok(())
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let map = self.map.read();
        let range = offset as usize..offset as usize + buf.len();
        buf.copy_from_slice(map.get(range).ok_or(io::ErrorKind::UnexpectedEof)?);
        Ok(())
    }
}

fn write_all(target: &impl Target, record: &[u8], size: u64) -> io::Result<()> {
    (0..size)
        .step_by(record.len())
        .try_for_each(|offset| target.write_at(offset, record))
}

fn read_all(target: &impl Target, size: u64) -> io::Result<()> {
    let mut buf = [0u8; RECORD];
    (0..size).step_by(RECORD).try_for_each(|offset| {
        target.read_at(offset, &mut buf)?;
        // Without this the copy into an unread buffer may be optimised away.
        std::hint::black_box(&buf);
        Ok(())
    })
}

/// One thread rewrites the upper half while another keeps reading the lower half: the
/// broker's shape (append at the tail, pulls behind it). Both rates are over the writer's run.
fn contended(name: &str, target: &impl Target, record: &[u8], size: u64) -> io::Result<()> {
    let half = size / 2;
    let stop = AtomicBool::new(false);
    let (write_time, read_bytes) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| read_until(target, half, &stop));
        let started = Instant::now();
        let written = (half..size)
            .step_by(RECORD)
            .try_for_each(|o| target.write_at(o, record));
        let write_time = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        let read_bytes = reader
            .join()
            .map_err(|_| io::Error::other("reader panicked"))?;
        written.and(read_bytes.map(|bytes| (write_time, bytes)))
    })?;
    println!(
        "{name:<40} writer {:>6.0} MiB/s, concurrent reader {:>6.0} MiB/s",
        mib_per_s(half, write_time),
        mib_per_s(read_bytes, write_time),
    );
    Ok(())
}

/// Reads `0..len` round and round in records until `stop`, looking at it every MiB.
fn read_until(target: &impl Target, len: u64, stop: &AtomicBool) -> io::Result<u64> {
    let (mut buf, mut bytes) = ([0u8; RECORD], 0u64);
    while !stop.load(Ordering::Relaxed) {
        let start = bytes % len;
        for offset in (start..start + MIB).step_by(RECORD) {
            target.read_at(offset, &mut buf)?;
            // Without this the copy into an unread buffer may be optimised away.
            std::hint::black_box(&buf);
        }
        bytes += MIB;
    }
    Ok(bytes)
}

/// Latency of `sync` for a freshly dirtied 4 KiB page and a freshly dirtied 1 MiB range.
fn msync_cost(
    runtime: &tokio::runtime::Runtime,
    segment: &MappedSegment,
    size: u64,
) -> io::Result<()> {
    for (range_len, rounds) in [(4096u64, 200u64), (MIB, 50)] {
        let data = vec![0xA5u8; range_len as usize];
        let mut times = Vec::new();
        for round in 0..rounds {
            let offset = (round * range_len * 3) % (size - range_len) / 4096 * 4096;
            Segment::write_at(segment, offset, &data)?;
            let started = Instant::now();
            runtime.block_on(segment.sync(offset..offset + range_len))?;
            times.push(started.elapsed());
        }
        times.sort();
        let mean = times.iter().sum::<Duration>() / rounds as u32;
        println!(
            "sync of a dirty {:>7} B range: median {:>9.3?}  p90 {:>9.3?}  mean {:>9.3?}  ({rounds} rounds)",
            range_len,
            times[times.len() / 2],
            times[times.len() * 9 / 10],
            mean
        );
    }
    Ok(())
}

fn report(name: &str, bytes: u64, run: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
    let started = Instant::now();
    run()?;
    let elapsed = started.elapsed();
    println!(
        "{name:<40} {:>8.0} MiB/s  ({elapsed:.3?})",
        mib_per_s(bytes, elapsed)
    );
    Ok(())
}

fn report_sync(name: &str, run: impl FnOnce() -> io::Result<()>) -> io::Result<()> {
    let started = Instant::now();
    run()?;
    println!("{name:<40} {:>14.3?}", started.elapsed());
    Ok(())
}

fn mib_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB as f64 / elapsed.as_secs_f64()
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
