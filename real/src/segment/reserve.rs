//! Growing a segment file with its blocks reserved (`fallocate`), so that running out of disk
//! is reported when a segment is created or grown, as `StorageFull`, instead of killing the
//! process with SIGBUS when a store through the mapping first touches an unbacked page.

use std::fs::File;
use std::io;

/// Extends `file` from `from` to `to` bytes, reserving the new blocks where the file system can.
pub(super) fn grow(file: &File, from: u64, to: u64) -> io::Result<()> {
    if to <= from {
        // Nothing to add (fallocate rejects an empty range).
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    match fallocate(file, from, to - from) {
        Ok(()) => return Ok(()),
        // Some file systems cannot reserve blocks; a sparse file is what RocketMQ runs on anyway.
        Err(error) if error.kind() == io::ErrorKind::Unsupported => {}
        Err(error) => return Err(error),
    }
    #[cfg(not(target_os = "linux"))]
    let _ = from;
    file.set_len(to)
}

/// `fallocate(fd, 0, offset, len)`: allocates the range and extends the file size to cover it.
#[cfg(target_os = "linux")]
fn fallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let too_big = || io::Error::new(io::ErrorKind::InvalidInput, "segment length exceeds off_t");
    let offset = libc::off_t::try_from(offset).map_err(|_| too_big())?;
    let len = libc::off_t::try_from(len).map_err(|_| too_big())?;
    loop {
        // SAFETY: fallocate takes plain integers; the descriptor belongs to `file`, which the
        // borrow keeps open for the duration of the call. No memory is passed to the kernel.
        let rc = unsafe { libc::fallocate(file.as_raw_fd(), 0, offset, len) };
        if rc == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}
