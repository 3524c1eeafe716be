//! The `Fs` seam on a `SimDisk`: namespace operations, small files replaced atomically,
//! segments opened by path.

use super::faults::DiskError;
use super::file::FileData;
use super::segment::SimSegment;
use super::SimDisk;
use rocketsim::env::Fs;
use std::future::Future;
use std::io;
use std::path::Path;

impl Fs for SimDisk {
    type Segment = SimSegment;

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        Ok(self.state.lock().create_dir_all(path)?)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        Ok(self.state.lock().list_dir(path)?)
    }

    fn exists(&self, path: &Path) -> bool {
        self.state.lock().exists(path)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        Ok(self.state.lock().remove_file(path)?)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        Ok(self.state.lock().remove_dir_all(path)?)
    }

    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        let state = self.state.lock();
        let not_found = || DiskError::NotFound {
            op: "read_file",
            path: path.display().to_string(),
        };
        let inode = state.file_inode(path).ok_or_else(not_found)?;
        let file = state.data(inode);
        let mut content = vec![0u8; file.len() as usize];
        file.read(0, &mut content);
        Ok(content)
    }

    fn write_file_atomic(
        &self,
        path: &Path,
        data: &[u8],
    ) -> impl Future<Output = io::Result<()>> + Send {
        let disk = self.clone();
        let path = path.to_path_buf();
        let data = data.to_vec();
        async move {
            let (latency_ms, generation) = {
                let mut state = disk.state.lock();
                state.check_new_file("write_file_atomic", &path, data.len() as u64)?;
                let probability = state.faults.write_eio_probability;
                state.draw_eio("write_file_atomic", probability)?;
                (state.draw_latency_ms(), state.generation)
            };
            // The temporary's fsync and the directory's: a power loss now keeps the old file.
            SimDisk::sleep_ms(latency_ms).await;
            let mut state = disk.state.lock();
            if state.generation != generation {
                return Err(DiskError::PowerLost {
                    op: "write_file_atomic",
                }
                .into());
            }
            state.link_new(&path, FileData::durable_from(&data));
            state.stats.bytes_written += data.len() as u64;
            Ok(())
        }
    }

    fn open_segment(&self, path: &Path, create_len: Option<u64>) -> io::Result<SimSegment> {
        let mut state = self.state.lock();
        let inode = {
            match (state.file_inode(path), create_len) {
                (Some(inode), _) => inode,
                (None, Some(len)) => {
                    state.check_new_file("open_segment", path, len)?;
                    state.link_new(path, FileData::zeroed(len))
                }
                (None, None) => {
                    let path = path.display().to_string();
                    return Err(DiskError::NotFound {
                        op: "open_segment",
                        path,
                    }
                    .into());
                }
            }
        };
        state.open_inode(inode);
        Ok(SimSegment::from_open(self, inode))
    }
}
