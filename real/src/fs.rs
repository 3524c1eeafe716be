//! Files and directories on the real file system.
//!
//! The directory operations are plain `std::fs` calls made on the calling thread: they are
//! cheap metadata operations on the store's own directories, and the seam makes them
//! synchronous. `write_file_atomic` is the exception, because it fsyncs twice: it runs on
//! tokio's blocking pool. Each call writes its own temporary `<path>.tmp.<n>`, so two tasks
//! may replace the same file at once (the last rename wins): a task aborted mid-write keeps
//! running on the blocking pool and must not collide with the next writer. A crash can leave
//! a stale temporary behind; it is never read.

use rocketsim::env::Fs;
use std::ffi::OsString;
use std::fs::File;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::env::TokioEnv;
use crate::segment::MappedSegment;
use crate::task::run_blocking;

impl Fs for TokioEnv {
    type Segment = MappedSegment;

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let name = entry?.file_name();
            names.push(name.into_string().map_err(not_utf8)?);
        }
        names.sort_unstable();
        Ok(names)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir_all(path)
    }

    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn write_file_atomic(
        &self,
        path: &Path,
        data: &[u8],
    ) -> impl Future<Output = io::Result<()>> + Send {
        // The blocking pool needs owned arguments; these files are small (metadata, checkpoint).
        let (path, data) = (path.to_path_buf(), data.to_vec());
        run_blocking(move || write_atomic_blocking(&path, &data))
    }

    fn open_segment(&self, path: &Path, create_len: Option<u64>) -> io::Result<MappedSegment> {
        MappedSegment::open(path, create_len)
    }
}

/// A name the store did not write: its names are ASCII (topics, offsets, `config`, `abort`).
fn not_utf8(name: OsString) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("directory entry {name:?} is not UTF-8"),
    )
}

/// Writes `<path>.tmp.<n>`, fsyncs it, renames it over `path`, fsyncs the directory: after a crash
/// at any point `path` holds the old content or the new, never a mix.
fn write_atomic_blocking(path: &Path, data: &[u8]) -> io::Result<()> {
    let tmp = tmp_path(path);
    let written = File::create(&tmp).and_then(|mut file| {
        file.write_all(data)?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        // Best effort: a stale temporary is harmless (the next write truncates it) but untidy.
        let _ = std::fs::remove_file(&tmp);
        return Err(error);
    }
    // The rename is durable only once the directory entry is.
    sync_parent_dir(path)
}

fn tmp_path(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".tmp.{n}"));
    PathBuf::from(name)
}

/// fsyncs the directory holding `path`, making a create or rename in it durable.
pub(crate) fn sync_parent_dir(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        // A bare file name lives in the current directory.
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}
