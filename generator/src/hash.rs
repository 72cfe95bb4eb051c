//! Artifact hashing: sha256 and md5 in one streamed pass per file, files in parallel, with a
//! cache keyed by path, size and mtime so that an unchanged file is never read twice. A file
//! that the build cannot hard-link (another filesystem) is copied into the build directory by
//! the same pass, so each byte is read once.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use md5::Md5;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, UNIX_EPOCH};
use update_protocol::digest::{Md5Digest, Sha256Digest};

/// Read size: large enough to amortise syscalls, small enough to stay in L2 while both hashes
/// consume it.
const CHUNK: usize = 256 * 1024;
/// Below this many bytes to hash, no progress bar: the run is short anyway.
const PROGRESS_MIN_BYTES: u64 = 64 * 1024 * 1024;
/// Cache file format version.
const CACHE_VERSION: u32 = 1;

/// The digests of one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digests {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256.
    pub sha256: Sha256Digest,
    /// MD5.
    pub md5: Md5Digest,
}

/// A file to hash.
#[derive(Clone, Debug)]
pub struct Job {
    /// Cache key: the path relative to the repository root.
    pub key: String,
    /// Path on disk.
    pub path: PathBuf,
    /// Copy the bytes into the build directory while hashing (the build cannot link it).
    pub copy: bool,
}

/// The outcome for one file.
#[derive(Clone, Debug)]
pub struct Hashed {
    /// Its digests.
    pub digests: Digests,
    /// Where the build copy was written, when the file was read this run and a copy asked for.
    pub copy: Option<PathBuf>,
}

/// What a run hashed.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Stats {
    /// Files read and hashed.
    pub files_hashed: usize,
    /// Bytes read and hashed.
    pub bytes_hashed: u64,
    /// Files answered from the cache.
    pub files_cached: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct CacheEntry {
    size: u64,
    mtime_ns: u64,
    sha256: Sha256Digest,
    md5: Md5Digest,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: BTreeMap<String, CacheEntry>,
}

/// The hash cache, loaded from and saved to one JSON file.
#[derive(Debug)]
pub struct Cache {
    path: Option<PathBuf>,
    entries: BTreeMap<String, CacheEntry>,
}

impl Cache {
    /// Loads the cache at `path`; an unreadable or outdated cache is treated as empty (it is
    /// only a cache). `None` disables caching.
    pub fn load(path: Option<PathBuf>) -> Self {
        let entries = path
            .as_deref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
            .filter(|c| c.version == CACHE_VERSION)
            .map(|c| c.entries)
            .unwrap_or_default();
        Self { path, entries }
    }

    /// Saves the entries of this run's files (so deleted files drop out).
    ///
    /// # Errors
    /// Fails when the cache file cannot be written.
    pub fn save(&self, keep: &BTreeMap<String, (u64, u64, Digests)>) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = CacheFile {
            version: CACHE_VERSION,
            entries: keep
                .iter()
                .map(|(k, (size, mtime_ns, d))| {
                    (
                        k.clone(),
                        CacheEntry {
                            size: *size,
                            mtime_ns: *mtime_ns,
                            sha256: d.sha256,
                            md5: d.md5,
                        },
                    )
                })
                .collect(),
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create cache directory {}", dir.display()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("failed to create a temporary file in {}", dir.display()))?;
        serde_json::to_writer(&mut tmp, &file)?;
        tmp.persist(path)
            .with_context(|| format!("failed to write cache {}", path.display()))?;
        Ok(())
    }
}

/// The result of [`hash_all`].
#[derive(Debug, Default)]
pub struct Outcome {
    /// Per cache key.
    pub files: BTreeMap<String, Hashed>,
    /// Counts.
    pub stats: Stats,
    /// What the cache should hold after this run: key → (size, mtime, digests).
    pub keep: BTreeMap<String, (u64, u64, Digests)>,
}

/// Hashes every job (deduplicated by key), from the cache where size and mtime match. With
/// `copy_dir`, jobs marked `copy` that are read are also copied there (as `<n>.part`).
///
/// # Errors
/// Fails on the first file that cannot be read or copied, naming it.
pub fn hash_all(jobs: &[Job], cache: &Cache, copy_dir: Option<&Path>) -> Result<Outcome> {
    let mut unique: BTreeMap<&str, &Job> = BTreeMap::new();
    for j in jobs {
        unique.insert(&j.key, j);
    }
    let stats: Vec<(&str, &Job, u64, u64)> = unique
        .into_iter()
        .map(|(key, job)| {
            let path = &job.path;
            let meta = std::fs::metadata(path)
                .with_context(|| format!("failed to read {}", path.display()))?;
            let mtime_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .and_then(|d| u64::try_from(d.as_nanos()).ok())
                .unwrap_or(0);
            Ok((key, job, meta.len(), mtime_ns))
        })
        .collect::<Result<_>>()?;

    let mut out = Outcome::default();
    let mut todo = Vec::new();
    for (key, job, size, mtime_ns) in stats {
        match cache.entries.get(key) {
            Some(e) if e.size == size && e.mtime_ns == mtime_ns && mtime_ns != 0 => {
                let digests = Digests {
                    size,
                    sha256: e.sha256,
                    md5: e.md5,
                };
                out.files.insert(
                    key.to_owned(),
                    Hashed {
                        digests,
                        copy: None,
                    },
                );
                out.keep.insert(key.to_owned(), (size, mtime_ns, digests));
                out.stats.files_cached += 1;
            }
            _ => todo.push((key, job, size, mtime_ns)),
        }
    }

    let total: u64 = todo.iter().map(|t| t.2).sum();
    let bar = progress(total);
    let started = Instant::now();
    let hashed: Vec<(String, u64, Hashed)> = todo
        .par_iter()
        .enumerate()
        .map(|(n, (key, job, _, mtime_ns))| {
            let copy = copy_dir
                .filter(|_| job.copy)
                .map(|d| d.join(format!("{n}.part")));
            let digests = hash_file(&job.path, copy.as_deref(), &bar)?;
            Ok(((*key).to_owned(), *mtime_ns, Hashed { digests, copy }))
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    for (key, mtime_ns, h) in hashed {
        out.stats.files_hashed += 1;
        out.stats.bytes_hashed += h.digests.size;
        out.keep
            .insert(key.clone(), (h.digests.size, mtime_ns, h.digests));
        out.files.insert(key, h);
    }
    if out.stats.files_hashed > 0 {
        log::info!(
            "hashed {} files ({:.1} MiB) in {:.2?}; {} from cache",
            out.stats.files_hashed,
            out.stats.bytes_hashed as f64 / 1_048_576.0,
            started.elapsed(),
            out.stats.files_cached
        );
    }
    Ok(out)
}

fn progress(total: u64) -> ProgressBar {
    if total < PROGRESS_MIN_BYTES {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "hashing {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// Hashes one file in a single streamed pass, copying it to `copy` when given.
///
/// # Errors
/// Fails when the file cannot be read or the copy written.
pub fn hash_file(path: &Path, copy: Option<&Path>, bar: &ProgressBar) -> Result<Digests> {
    let mut file =
        File::open(path).with_context(|| format!("failed to open {}", path.display()))?;
    let mut out = match copy {
        Some(c) => {
            Some(File::create(c).with_context(|| format!("failed to create {}", c.display()))?)
        }
        None => None,
    };
    let mut sha = Sha256::new();
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("failed to read {}", path.display())),
        };
        let chunk = &buf[..n];
        sha.update(chunk);
        md5.update(chunk);
        if let Some(o) = out.as_mut() {
            o.write_all(chunk)
                .with_context(|| format!("failed to copy {}", path.display()))?;
        }
        size += n as u64;
        bar.inc(n as u64);
    }
    Ok(Digests {
        size,
        sha256: Sha256Digest::from_bytes(sha.finalize().into()),
        md5: Md5Digest::from_bytes(md5.finalize().into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_abc() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").expect("write");
        let d = hash_file(&p, None, &ProgressBar::hidden()).expect("hash");
        assert_eq!(d.size, 3);
        assert_eq!(
            d.sha256.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d.md5.to_hex(), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn cache_hit_skips_reading_and_change_misses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        std::fs::write(&p, b"one").expect("write");
        let jobs = vec![Job {
            key: "f".into(),
            path: p.clone(),
            copy: false,
        }];
        let cache_path = dir.path().join("cache.json");
        let first = hash_all(&jobs, &Cache::load(Some(cache_path.clone())), None).expect("hash");
        assert_eq!(first.stats.files_hashed, 1);
        Cache::load(Some(cache_path.clone()))
            .save(&first.keep)
            .expect("save");
        let second = hash_all(&jobs, &Cache::load(Some(cache_path.clone())), None).expect("hash");
        assert_eq!(
            (second.stats.files_hashed, second.stats.files_cached),
            (0, 1)
        );
        std::fs::write(&p, b"two!").expect("rewrite");
        let third = hash_all(&jobs, &Cache::load(Some(cache_path)), None).expect("hash");
        assert_eq!(third.stats.files_hashed, 1);
    }
}
