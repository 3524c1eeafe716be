//! `MappedSegment` through the `Fs` and `Segment` seams of `TokioEnv`.

use rocketsim::env::{Fs, Segment};
use rocketsim_real::{MappedSegment, TokioEnv};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

const MIB: u64 = 1024 * 1024;

fn segment_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("00000000000000000000")
}

#[test]
fn created_segment_has_its_length_and_reads_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let path = segment_path(&dir);
    let segment = TokioEnv::new().open_segment(&path, Some(MIB)).unwrap();
    assert_eq!(segment.len(), MIB);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), MIB);
    let mut buf = vec![0xFFu8; 4096];
    segment.read_at(MIB - 4096, &mut buf).unwrap();
    assert!(buf.iter().all(|&b| b == 0));
}

/// Blocks are reserved up front, so a full disk shows at creation, not as a SIGBUS later.
#[cfg(target_os = "linux")]
#[test]
fn created_segment_has_its_blocks_reserved() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = segment_path(&dir);
    let segment = MappedSegment::open(&path, Some(4 * MIB)).unwrap();
    let allocated = std::fs::metadata(&path).unwrap().blocks() * 512;
    assert!(allocated >= 4 * MIB, "only {allocated} bytes allocated");
    segment.set_len(8 * MIB).unwrap();
    let allocated = std::fs::metadata(&path).unwrap().blocks() * 512;
    assert!(
        allocated >= 8 * MIB,
        "only {allocated} bytes allocated after growing"
    );
}

#[test]
fn writes_read_back_at_aligned_and_unaligned_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let segment = MappedSegment::open(&segment_path(&dir), Some(MIB)).unwrap();
    let cases: [(u64, &[u8]); 4] = [
        (0, b"head"),
        (3, b"overlapping an unaligned start, spanning several words"),
        (4096 - 5, b"across a page boundary"),
        (MIB - 7, b"the end"),
    ];
    for (offset, data) in cases {
        segment.write_at(offset, data).unwrap();
        let mut back = vec![0u8; data.len()];
        segment.read_at(offset, &mut back).unwrap();
        assert_eq!(back, data, "at {offset}");
    }
    let mut head = [0u8; 3];
    segment.read_at(0, &mut head).unwrap();
    assert_eq!(&head, b"hea", "a later write leaves bytes before it alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synced_data_survives_drop_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = segment_path(&dir);
    let env = TokioEnv::new();
    let segment = env.open_segment(&path, Some(MIB)).unwrap();
    segment.write_at(5000, b"durable record").unwrap();
    segment.sync(5000..5014).await.unwrap();
    segment.write_at(900_000, b"page cache only").unwrap();
    segment.sync(0..0).await.unwrap();
    drop(segment);

    // Reopened without a length: it must exist, and keeps its own length.
    let reopened = env.open_segment(&path, None).unwrap();
    assert_eq!(reopened.len(), MIB);
    let mut back = [0u8; 14];
    reopened.read_at(5000, &mut back).unwrap();
    assert_eq!(&back, b"durable record");
    let mut back = [0u8; 15];
    reopened.read_at(900_000, &mut back).unwrap();
    assert_eq!(
        &back, b"page cache only",
        "unsynced writes survive a process restart"
    );

    // Opening with a length when the file exists keeps both its content and its length.
    let again = env.open_segment(&path, Some(2 * MIB)).unwrap();
    assert_eq!(again.len(), MIB);
}

#[test]
fn opening_a_missing_segment_without_a_length_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let error = MappedSegment::open(&segment_path(&dir), None).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_bounds_access_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let segment = MappedSegment::open(&segment_path(&dir), Some(4096)).unwrap();
    let kind = |result: io::Result<()>| result.unwrap_err().kind();
    assert_eq!(
        kind(segment.write_at(4090, b"too long")),
        io::ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(segment.write_at(u64::MAX, b"x")),
        io::ErrorKind::InvalidInput
    );
    let mut buf = [0u8; 8];
    assert_eq!(
        kind(segment.read_at(4090, &mut buf)),
        io::ErrorKind::UnexpectedEof
    );
    assert_eq!(
        kind(segment.read_at(u64::MAX - 2, &mut buf)),
        io::ErrorKind::UnexpectedEof
    );
    assert_eq!(
        kind(segment.sync(0..4097).await),
        io::ErrorKind::InvalidInput
    );
    // Exactly up to the end is fine, and so is an empty access at the end.
    segment.write_at(4088, b"last8byt").unwrap();
    segment.read_at(4096, &mut []).unwrap();
    segment.sync(4000..4096).await.unwrap();
}

#[test]
fn set_len_grows_with_zeros_and_shrinks() {
    let dir = tempfile::tempdir().unwrap();
    let path = segment_path(&dir);
    let segment = MappedSegment::open(&path, Some(4099)).unwrap();
    segment.write_at(4090, b"tail bytes").unwrap_err();
    segment.write_at(4091, b"tailbyte").unwrap();

    segment.set_len(3 * 4096).unwrap();
    assert_eq!(segment.len(), 3 * 4096);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 3 * 4096);
    let mut kept = [0u8; 8];
    segment.read_at(4091, &mut kept).unwrap();
    assert_eq!(&kept, b"tailbyte");
    let mut grown = vec![0xFFu8; 3 * 4096 - 4099];
    segment.read_at(4099, &mut grown).unwrap();
    assert!(grown.iter().all(|&b| b == 0), "grown bytes read as zero");

    segment.set_len(100).unwrap();
    assert_eq!(segment.len(), 100);
    let mut buf = [0u8; 8];
    assert_eq!(
        segment.read_at(96, &mut buf).unwrap_err().kind(),
        io::ErrorKind::UnexpectedEof
    );
    segment.set_len(0).unwrap();
    assert_eq!(segment.len(), 0);
    segment.read_at(0, &mut []).unwrap();
    segment.set_len(64).unwrap();
    segment.write_at(60, b"back").unwrap();
}

#[test]
fn one_writer_and_readers_of_other_ranges_run_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let segment = Arc::new(MappedSegment::open(&segment_path(&dir), Some(MIB)).unwrap());
    // The lower half is written first; readers check it while the writer fills the upper half.
    let record: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
    for offset in (0..MIB / 2 - 1000).step_by(1000) {
        segment.write_at(offset, &record).unwrap();
    }
    std::thread::scope(|scope| {
        let writer = Arc::clone(&segment);
        let record = &record;
        scope.spawn(move || {
            for offset in (MIB / 2..MIB - 1000).step_by(1000) {
                writer.write_at(offset, record).unwrap();
            }
        });
        for _ in 0..2 {
            let reader = Arc::clone(&segment);
            scope.spawn(move || {
                let mut back = vec![0u8; record.len()];
                for offset in (0..MIB / 2 - 1000).step_by(1000) {
                    reader.read_at(offset, &mut back).unwrap();
                    assert!(back == *record, "at {offset}");
                }
            });
        }
    });
}
