//! The epoch file, `epochFileCheckpoint` and its `.bak` (§5.8; RocketMQ's `CheckpointFile` with
//! `EpochFileCache.EpochEntrySerializer`): text, line 1 the entry count, line 2 a CRC32, then
//! one `epoch-startOffset` line per entry, oldest first.
//!
//! ```text
//! 2
//! 1369339530
//! 1-0
//! 2-4096
//! ```
//!
//! The CRC is Java's `UtilAll.crc32` — CRC-32 (IEEE) masked with `0x7FFFFFFF` — of the entry
//! lines, each followed by `\n`; a CRC of 0 means "not checked" (RocketMQ's
//! `NOT_CHECK_CRC_MAGIC_CODE`). Writing keeps the previous content as `.bak` (RocketMQ's
//! `MixAll.string2File`), both through `Fs::write_file_atomic`; reading falls back to `.bak`
//! when the main file is missing or damaged and reports which one it used, with the typed
//! reason the main file was refused. Unlike RocketMQ, an intact main file with zero entries is
//! an empty history (RocketMQ falls back to `.bak` then, and never writes an empty file).

use std::io;
use std::path::{Path, PathBuf};

use crate::env::Fs;

/// Most entries a file may hold (one per master change; far more than a group ever sees).
pub const EPOCH_ENTRIES_MAX: usize = 65_536;
/// Largest file read, in bytes.
pub const EPOCH_FILE_BYTES_MAX: usize = 4 << 20;

/// One line: the epoch and the CommitLog offset its first message was written at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

/// Why an epoch file was refused.
#[derive(Debug, thiserror::Error)]
pub enum EpochFileError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("epoch file of {len} bytes exceeds the limit {max}")]
    TooLarge { len: usize, max: usize },
    #[error("epoch file is not UTF-8")]
    Utf8,
    #[error("epoch file line {line}: {what} expected, found {found:?}")]
    BadLine {
        line: usize,
        what: &'static str,
        found: String,
    },
    #[error("epoch file says {expected} entries but holds {found}")]
    CountMismatch { expected: usize, found: usize },
    #[error("epoch file CRC mismatch: the file says {expected}, the entries give {actual}")]
    CrcMismatch { expected: u32, actual: u32 },
    #[error("epoch file holds {count} entries, more than {max}")]
    TooManyEntries { count: usize, max: usize },
    #[error("both epoch files are unusable; main: {main}; backup: {backup}")]
    BothBad {
        main: Box<EpochFileError>,
        backup: Box<EpochFileError>,
    },
}

/// Which file a read used.
#[derive(Debug)]
pub enum EpochSource {
    /// Neither file exists: a broker that never had an epoch.
    Absent,
    Main,
    /// The main file was missing or refused for `main_error`.
    Backup {
        main_error: EpochFileError,
    },
}

/// The CRC RocketMQ writes on line 2 for these entries.
pub fn entries_crc(entries: &[EpochEntry]) -> u32 {
    crc_of_lines(
        entries
            .iter()
            .map(|e| format!("{}-{}", e.epoch, e.start_offset)),
    )
}

fn crc_of_lines(lines: impl Iterator<Item = String>) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for line in lines {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize() & 0x7FFF_FFFF
}

/// The file's text for `entries`.
pub fn encode(entries: &[EpochEntry]) -> String {
    let mut out = format!("{}\n{}\n", entries.len(), entries_crc(entries));
    for e in entries {
        out.push_str(&format!("{}-{}\n", e.epoch, e.start_offset));
    }
    out
}

/// Parses a file's bytes. Lines may end in `\n` or `\r\n`; a trailing empty line is allowed.
pub fn decode(bytes: &[u8]) -> Result<Vec<EpochEntry>, EpochFileError> {
    if bytes.len() > EPOCH_FILE_BYTES_MAX {
        let (len, max) = (bytes.len(), EPOCH_FILE_BYTES_MAX);
        return Err(EpochFileError::TooLarge { len, max });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| EpochFileError::Utf8)?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let count: usize = parse_line(lines.next(), 1, "an entry count")?;
    if count > EPOCH_ENTRIES_MAX {
        let max = EPOCH_ENTRIES_MAX;
        return Err(EpochFileError::TooManyEntries { count, max });
    }
    // Java writes the masked CRC as an int; accept any int spelling.
    let crc_signed: i64 = parse_line(lines.next(), 2, "a CRC32")?;
    let mut entries = Vec::with_capacity(count);
    for (line, text) in lines {
        if text.is_empty() {
            continue;
        }
        if entries.len() == EPOCH_ENTRIES_MAX {
            let max = EPOCH_ENTRIES_MAX;
            return Err(EpochFileError::TooManyEntries {
                count: max + 1,
                max,
            });
        }
        entries.push(parse_entry(line, text)?);
    }
    if entries.len() != count {
        let found = entries.len();
        return Err(EpochFileError::CountMismatch {
            expected: count,
            found,
        });
    }
    let expected = crc_signed as u32;
    let actual = entries_crc(&entries);
    if expected != 0 && expected != actual {
        return Err(EpochFileError::CrcMismatch { expected, actual });
    }
    Ok(entries)
}

fn parse_line<T: std::str::FromStr>(
    line: Option<(usize, &str)>,
    number: usize,
    what: &'static str,
) -> Result<T, EpochFileError> {
    let text = line.map(|(_, t)| t).unwrap_or_default();
    text.trim().parse().map_err(|_| EpochFileError::BadLine {
        line: number,
        what,
        found: text.chars().take(64).collect(),
    })
}

fn parse_entry(line: usize, text: &str) -> Result<EpochEntry, EpochFileError> {
    let bad = || EpochFileError::BadLine {
        line,
        what: "epoch-startOffset",
        found: text.chars().take(64).collect(),
    };
    let (epoch, start) = text.trim().split_once('-').ok_or_else(bad)?;
    Ok(EpochEntry {
        epoch: epoch.parse().map_err(|_| bad())?,
        start_offset: start.parse().map_err(|_| bad())?,
    })
}

/// The backup path of `path` (`epochFileCheckpoint.bak`).
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".bak");
    PathBuf::from(name)
}

/// Reads the epoch file at `path`, falling back to its `.bak`.
pub fn read<F: Fs>(fs: &F, path: &Path) -> Result<(Vec<EpochEntry>, EpochSource), EpochFileError> {
    let main = read_one(fs, path);
    let main_error = match main {
        Ok(Some(entries)) => return Ok((entries, EpochSource::Main)),
        Ok(None) => None,
        Err(error) => Some(error),
    };
    let backup = read_one(fs, &backup_path(path));
    match (main_error, backup) {
        (None, Ok(None)) => Ok((Vec::new(), EpochSource::Absent)),
        (None, Ok(Some(entries))) => {
            let main_error = EpochFileError::Io {
                path: path.to_owned(),
                source: io::ErrorKind::NotFound.into(),
            };
            Ok((entries, EpochSource::Backup { main_error }))
        }
        (Some(main_error), Ok(Some(entries))) => Ok((entries, EpochSource::Backup { main_error })),
        (Some(main_error), Ok(None)) => Err(main_error),
        (None, Err(backup)) => Err(backup),
        (Some(main), Err(backup)) => Err(EpochFileError::BothBad {
            main: Box::new(main),
            backup: Box::new(backup),
        }),
    }
}

fn read_one<F: Fs>(fs: &F, path: &Path) -> Result<Option<Vec<EpochEntry>>, EpochFileError> {
    match fs.read_file(path) {
        Ok(bytes) => decode(&bytes).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(EpochFileError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes `entries` to `path`, first keeping the current content as `.bak`.
pub async fn write<F: Fs>(fs: &F, path: &Path, entries: &[EpochEntry]) -> io::Result<()> {
    match fs.read_file(path) {
        Ok(previous) => fs.write_file_atomic(&backup_path(path), &previous).await?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs.write_file_atomic(path, encode(entries).as_bytes()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<EpochEntry> {
        vec![
            EpochEntry {
                epoch: 1,
                start_offset: 0,
            },
            EpochEntry {
                epoch: 2,
                start_offset: 4096,
            },
        ]
    }

    #[test]
    fn golden_text_from_the_format() {
        // CRC-32 of "1-0\n2-4096\n", masked to 31 bits, as Java's UtilAll.crc32 gives it.
        let crc = crc32fast::hash(b"1-0\n2-4096\n") & 0x7FFF_FFFF;
        assert_eq!(encode(&entries()), format!("2\n{crc}\n1-0\n2-4096\n"));
        assert_eq!(
            decode(encode(&entries()).as_bytes()).expect("decodes"),
            entries()
        );
        assert_eq!(encode(&[]), "0\n0\n");
        assert_eq!(decode(b"0\n0\n").expect("empty"), vec![]);
    }

    #[test]
    fn crlf_and_unchecked_crc_are_accepted() {
        let text = "2\r\n0\r\n1-0\r\n2-4096\r\n";
        assert_eq!(decode(text.as_bytes()).expect("decodes"), entries());
    }

    #[test]
    fn bad_crc_is_a_typed_error() {
        let text = encode(&entries()).replace("2-4096", "2-4097");
        assert!(matches!(
            decode(text.as_bytes()),
            Err(EpochFileError::CrcMismatch { .. })
        ));
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        let cases: &[&[u8]] = &[
            b"",
            b"x\n0\n",
            b"1\n",
            b"1\n0\n",
            b"1\n0\n1-\n",
            b"1\n0\n-5\n",
            b"1\n0\n1x5\n",
            b"2\n0\n1-0\n",
            b"99999999999\n0\n",
            b"\xff\xfe",
            b"1\n0\n1-99999999999999999999\n",
        ];
        for case in cases {
            assert!(decode(case).is_err(), "{:?}", String::from_utf8_lossy(case));
        }
    }

    #[test]
    fn backup_path_appends_bak() {
        assert_eq!(
            backup_path(Path::new("/s/epochFileCheckpoint")),
            PathBuf::from("/s/epochFileCheckpoint.bak")
        );
    }
}
