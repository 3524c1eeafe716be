//! The disk: directories, small files replaced atomically (metadata JSON, checkpoint), and
//! fixed-size segment files (CommitLog, ConsumeQueue, index) written and read at offsets.
//!
//! Durability model, shared by both implementations: a write is *volatile* until a `sync`
//! covering it completes. A process crash keeps volatile data (the OS page cache survives);
//! a power loss may drop it, and may tear the last in-flight write at 4 KiB sector granularity.
//! `write_file_atomic` is durable when it returns: the old or the new content, never a mix.

use std::future::Future;
use std::io;
use std::ops::Range;
use std::path::Path;

/// Directory and file operations.
pub trait Fs {
    /// An open segment file.
    type Segment: Segment;

    /// Creates `path` and any missing parents (the store root, `commitlog/`, `consumequeue/T/0`).
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;

    /// Names (not paths) of the entries directly in `path`, sorted: recovery walks segment files
    /// in name order, and the 20-digit offset names sort as numbers.
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>>;

    /// Whether anything exists at `path` (the abort file, the lock file).
    fn exists(&self, path: &Path) -> bool;

    /// Removes a file (an expired segment, the abort file on clean shutdown).
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Removes a directory and everything in it (a deleted topic's consume queues).
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;

    /// Reads a whole small file (metadata JSON, checkpoint). `NotFound` if absent.
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// Replaces the file at `path` with `data` durably and atomically: after any crash the
    /// file holds either the previous content or `data` (write to a temporary, sync, rename,
    /// sync the directory).
    fn write_file_atomic(
        &self,
        path: &Path,
        data: &[u8],
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Opens the segment file at `path`; when it does not exist and `create_len` is given,
    /// creates it zero-filled with that length. `NotFound` when absent and not created.
    fn open_segment(&self, path: &Path, create_len: Option<u64>) -> io::Result<Self::Segment>;
}

/// A fixed-size file addressed by offset. Shared between a writer and readers (`&self`);
/// callers guarantee that nobody reads a range while it is being written.
#[allow(
    clippy::len_without_is_empty,
    reason = "a segment's length is a file size; seam traits get no extra (default) methods"
)]
pub trait Segment: Send + Sync + 'static {
    /// Current length in bytes.
    fn len(&self) -> u64;

    /// Grows or shrinks the file to `len` bytes (new bytes read as zero). Used when a segment
    /// is created short or recovery trims a damaged file.
    fn set_len(&self, len: u64) -> io::Result<()>;

    /// Copies `data` into the file at `offset`. Volatile until a `sync` covers it.
    /// Fails with `InvalidInput` past the end, `StorageFull` when the disk is full.
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;

    /// Fills `buf` from the file at `offset`. Fails with `UnexpectedEof` past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// Makes the bytes in `range` durable (msync / fsync). The expensive call the flush
    /// policies batch; the real build runs it off the async threads.
    fn sync(&self, range: Range<u64>) -> impl Future<Output = io::Result<()>> + Send;
}
