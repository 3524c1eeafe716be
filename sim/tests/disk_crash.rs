//! SimDisk crash model: what survives a process kill, a power loss, a torn write, and the
//! opt-in faults (disk full, EIO, fsync latency).

use futures::executor::block_on;
use rocketsim::env::{Clock, Fs, Random, RandomExt, Segment};
use rocketsim_sim::{run, DiskFaults, SimConfig, SimDisk, PAGE_SIZE};
use std::io::ErrorKind;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

const SEGMENT: &str = "store/commitlog/00000000000000000000";
const PAGE: usize = PAGE_SIZE as usize;

fn disk_with_segment(seed: u64, len: u64) -> (SimDisk, rocketsim_sim::SimSegment) {
    let disk = SimDisk::new(seed);
    disk.create_dir_all(Path::new("store/commitlog")).unwrap();
    let segment = disk.open_segment(Path::new(SEGMENT), Some(len)).unwrap();
    (disk, segment)
}

fn read(segment: &impl Segment, offset: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    segment.read_at(offset, &mut buf).unwrap();
    buf
}

#[test]
fn unsynced_data_is_gone_after_power_loss() {
    let (disk, segment) = disk_with_segment(1, 1 << 20);
    segment.write_at(0, b"unsynced").unwrap();
    // The last write is synced, so nothing is in flight to be torn.
    segment.write_at(10 * PAGE_SIZE, b"synced").unwrap();
    block_on(segment.sync(10 * PAGE_SIZE..10 * PAGE_SIZE + 6)).unwrap();
    let report = disk.power_loss();
    assert_eq!(read(&segment, 0, 8), vec![0u8; 8]);
    assert_eq!(read(&segment, 10 * PAGE_SIZE, 6), b"synced");
    assert_eq!(report.pages_dropped, 1);
    assert_eq!(report.torn_sectors_kept + report.torn_sectors_dropped, 0);
}

#[test]
fn synced_data_survives_power_loss() {
    let (disk, segment) = disk_with_segment(2, 1 << 26);
    let record = vec![7u8; 3 * PAGE + 17];
    segment.write_at(12_345, &record).unwrap();
    block_on(segment.sync(12_345..12_345 + record.len() as u64)).unwrap();
    disk.power_loss();
    assert_eq!(read(&segment, 12_345, record.len()), record);
    assert_eq!(disk.stats().bytes_synced, 4 * PAGE_SIZE);
}

#[test]
fn unsynced_data_survives_a_process_kill() {
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    let outcome = run(SimConfig::new(3), |world| async move {
        let node = world.add_client_node("broker", ip);
        world
            .run_on(node, |env| async move {
                env.create_dir_all(Path::new("store/commitlog")).unwrap();
                let segment = env.open_segment(Path::new(SEGMENT), Some(1 << 20)).unwrap();
                segment.write_at(100, b"page cache").unwrap();
            })
            .await
            .unwrap();
        world.kill(node);
        world.restart(node);
        let content = world
            .run_on(node, |env| async move {
                assert_eq!(env.incarnation(), 2);
                let segment = env.open_segment(Path::new(SEGMENT), None).unwrap();
                read(&segment, 100, 10)
            })
            .await
            .unwrap();
        (content, world.disk(node).volatile_pages())
    });
    let (content, volatile) = outcome.output.unwrap();
    assert_eq!(content, b"page cache");
    assert_eq!(volatile, 1, "still unsynced: a kill does not sync");
}

/// Writes a synced page pattern, then 5 sectors and a bit of new data unsynced, cuts the
/// power, and returns how many leading sectors hold the new image (checking the rest is old).
fn tear_once(seed: u64) -> usize {
    let (disk, segment) = disk_with_segment(seed, 1 << 20);
    let old = vec![0xAAu8; 8 * PAGE];
    segment.write_at(0, &old).unwrap();
    block_on(segment.sync(0..old.len() as u64)).unwrap();
    let new = vec![0xBBu8; 5 * PAGE + 100];
    segment.write_at(0, &new).unwrap();
    let mut image = old.clone();
    image[..new.len()].copy_from_slice(&new);
    let report = disk.power_loss();
    let after = read(&segment, 0, old.len());
    let pages = |data: &[u8]| data.chunks(PAGE).map(<[u8]>::to_vec).collect::<Vec<_>>();
    let (after, image, old) = (pages(&after), pages(&image), pages(&old));
    let kept = after
        .iter()
        .zip(&image)
        .take_while(|(a, i)| a == i)
        .count()
        .min(6);
    assert_eq!(
        after[kept..],
        old[kept..],
        "seed {seed}: old data after the new prefix"
    );
    assert_eq!(report.torn_sectors_kept as usize, kept);
    assert_eq!(report.torn_sectors_kept + report.torn_sectors_dropped, 6);
    kept
}

#[test]
fn a_torn_write_is_a_sector_prefix_of_new_data_then_old_data() {
    let sectors: Vec<usize> = (0..200).map(tear_once).collect();
    assert!(sectors.contains(&0), "some seed keeps nothing");
    assert!(
        sectors.iter().any(|&k| k > 0 && k < 6),
        "some seed keeps a strict prefix"
    );
    assert!(sectors.contains(&6), "some seed keeps all");
    assert_eq!(
        sectors,
        (0..200).map(tear_once).collect::<Vec<_>>(),
        "same seed, same tear"
    );
}

#[test]
fn atomic_replace_is_old_or_new_after_power_loss() {
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    let path = Path::new("config/topics.json");
    let mut seen = (false, false);
    for seed in 0..60 {
        let outcome = run(SimConfig::new(seed), |world| async move {
            let node = world.add_client_node("broker", ip);
            let disk = world.disk(node);
            disk.create_dir_all(Path::new("config")).unwrap();
            disk.write_file_atomic(path, &[1u8; 6000]).await.unwrap();
            world.set_disk_faults(node, latency_ms(5, 40));
            let cut_ms = world.env(node).fork("cut").between(1, 45);
            let writer = world.run_on(node, move |env| async move {
                env.write_file_atomic(path, &[2u8; 9000]).await
            });
            let cut = async {
                world.sleep(Duration::from_millis(cut_ms)).await;
                world.power_loss(node);
            };
            let (written, ()) = futures::join!(writer, cut);
            (disk.read_file(path).unwrap(), matches!(written, Ok(Ok(()))))
        });
        let (content, acknowledged) = outcome.output.unwrap();
        match content.len() {
            6000 => assert!(content.iter().all(|&b| b == 1) && !acknowledged),
            9000 => assert!(content.iter().all(|&b| b == 2)),
            n => panic!("seed {seed}: mixed content of {n} bytes"),
        }
        seen = (
            seen.0 || content.len() == 6000,
            seen.1 || content.len() == 9000,
        );
    }
    assert_eq!(seen, (true, true), "both outcomes happen across seeds");
}

fn latency_ms(min: u64, max: u64) -> DiskFaults {
    DiskFaults {
        enabled: true,
        fsync_latency_ms: (min, max),
        ..DiskFaults::default()
    }
}

#[test]
fn a_full_disk_refuses_growth_and_changes_nothing() {
    let disk = SimDisk::new(4);
    disk.create_dir_all(Path::new("store")).unwrap();
    let faults = DiskFaults {
        enabled: true,
        capacity_bytes: Some(100_000),
        ..DiskFaults::default()
    };
    disk.set_faults(faults);
    let first = disk
        .open_segment(Path::new("store/a"), Some(64_000))
        .unwrap();
    let full = disk
        .open_segment(Path::new("store/b"), Some(64_000))
        .err()
        .unwrap();
    assert_eq!(full.kind(), ErrorKind::StorageFull);
    assert!(!disk.exists(Path::new("store/b")));
    block_on(disk.write_file_atomic(Path::new("store/meta"), &[1u8; 30_000])).unwrap();
    let error =
        block_on(disk.write_file_atomic(Path::new("store/meta"), &[2u8; 10_000])).unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::StorageFull,
        "old and new must fit side by side"
    );
    assert_eq!(
        disk.read_file(Path::new("store/meta")).unwrap(),
        vec![1u8; 30_000]
    );
    assert_eq!(
        first.set_len(80_000).unwrap_err().kind(),
        ErrorKind::StorageFull
    );
    assert_eq!(first.len(), 64_000);
    assert_eq!(disk.usage(), 94_000);
    first.write_at(63_000, &[9u8; 1000]).unwrap();
    assert_eq!(disk.stats().full_rejections, 3);
}

#[test]
fn injected_eio_fails_writes_and_syncs() {
    let (disk, segment) = disk_with_segment(5, 1 << 20);
    let eio = |write: f64, sync: f64| DiskFaults {
        enabled: true,
        write_eio_probability: write,
        sync_eio_probability: sync,
        ..DiskFaults::default()
    };
    disk.set_faults(eio(1.0, 0.0));
    assert_eq!(
        segment.write_at(0, b"lost").unwrap_err().kind(),
        ErrorKind::Other
    );
    assert_eq!(
        read(&segment, 0, 4),
        vec![0u8; 4],
        "a failed write writes nothing"
    );
    disk.set_faults(eio(0.0, 1.0));
    segment.write_at(0, b"kept").unwrap();
    assert!(block_on(segment.sync(0..4)).is_err());
    assert_eq!(
        disk.volatile_pages(),
        1,
        "a failed sync leaves the range volatile"
    );
    disk.set_faults(DiskFaults {
        enabled: false,
        ..eio(1.0, 1.0)
    });
    segment.write_at(0, b"fine").unwrap();
    block_on(segment.sync(0..4)).unwrap();
    assert_eq!(disk.stats().eio_injected, 2);
}

#[test]
fn fsync_latency_advances_virtual_time() {
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    let outcome = run(SimConfig::new(6), |world| async move {
        let node = world.add_client_node("broker", ip);
        world.set_disk_faults(node, latency_ms(50, 50));
        let env = world.env(node);
        env.create_dir_all(Path::new("store/commitlog")).unwrap();
        let segment = env.open_segment(Path::new(SEGMENT), Some(1 << 20)).unwrap();
        segment.write_at(0, b"x").unwrap();
        let before = env.now();
        segment.sync(0..1).await.unwrap();
        env.now() - before
    });
    let took = outcome.output.unwrap();
    assert!(
        took >= Duration::from_millis(50) && took < Duration::from_millis(51),
        "{took:?}"
    );
}

#[test]
fn power_loss_during_a_slow_sync_tears_its_range() {
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    let mut kept = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let outcome = run(SimConfig::new(seed), |world| async move {
            let node = world.add_client_node("broker", ip);
            world.set_disk_faults(node, latency_ms(100, 100));
            let env = world.env(node);
            env.create_dir_all(Path::new("store/commitlog")).unwrap();
            let segment = env.open_segment(Path::new(SEGMENT), Some(1 << 20)).unwrap();
            segment.write_at(0, &vec![3u8; 4 * PAGE]).unwrap();
            segment.write_at(20 * PAGE_SIZE, b"elsewhere").unwrap();
            let syncing = world.run_on(node, move |_| async move {
                segment.sync(0..4 * PAGE_SIZE).await
            });
            let cut = async {
                world.sleep(Duration::from_millis(50)).await;
                world.power_loss(node)
            };
            let (synced, report) = futures::join!(syncing, cut);
            assert!(synced.is_err(), "the node died mid-sync");
            report
        });
        let report = outcome.output.unwrap();
        assert_eq!(report.torn_sectors_kept + report.torn_sectors_dropped, 4);
        assert_eq!(report.pages_dropped, 5 - report.torn_sectors_kept);
        kept.insert(report.torn_sectors_kept);
    }
    assert!(kept.len() > 2, "tears vary across seeds: {kept:?}");
}

#[test]
fn directories_behave_like_a_file_system() {
    let disk = SimDisk::new(7);
    assert_eq!(
        disk.list_dir(Path::new("store")).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    disk.create_dir_all(Path::new("store/consumequeue/TopicB/0"))
        .unwrap();
    disk.create_dir_all(Path::new("store/consumequeue/TopicA"))
        .unwrap();
    let no_parent = disk.open_segment(Path::new("nowhere/x"), Some(10));
    assert_eq!(no_parent.err().unwrap().kind(), ErrorKind::NotFound);
    for name in ["00000000000000002000", "00000000000000001000"] {
        let path = Path::new("store/consumequeue/TopicB/0").join(name);
        disk.open_segment(&path, Some(10)).unwrap();
    }
    let queues = disk.list_dir(Path::new("store/consumequeue")).unwrap();
    assert_eq!(queues, vec!["TopicA", "TopicB"]);
    let files = disk
        .list_dir(Path::new("store/consumequeue/TopicB/0"))
        .unwrap();
    assert_eq!(files, vec!["00000000000000001000", "00000000000000002000"]);
    assert!(disk.exists(Path::new(
        "store/consumequeue/TopicB/0/00000000000000001000"
    )));
    disk.remove_dir_all(Path::new("store/consumequeue/TopicB"))
        .unwrap();
    assert!(!disk.exists(Path::new(
        "store/consumequeue/TopicB/0/00000000000000001000"
    )));
    assert_eq!(
        disk.list_dir(Path::new("store/consumequeue")).unwrap(),
        vec!["TopicA"]
    );
    assert_eq!(disk.usage(), 0);
    let gone = disk.remove_file(Path::new("store/none")).unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
}
