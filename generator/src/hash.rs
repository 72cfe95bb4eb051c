//! Artifact hashing: sha256 and md5 (and sha512 for the files an updater checks with it) in
//! one streamed pass per file, files in parallel, with a cache keyed by path, size and mtime so
//! that an unchanged file is never read twice. A file that the build cannot hard-link (another
//! filesystem) is copied into the build directory by the same pass, so each byte is read once.
//! The same pass makes the Sparkle and Tauri signatures the feeds need, cached per key and file
//! digest: planning reads no artifact.

use crate::feeds::keys::{FileSignature, SparkleKey, TauriKey, TauriPrehash};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use md5::Md5;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Instant, UNIX_EPOCH};
use update_protocol::digest::{Md5Digest, Sha256Digest, Sha512Digest};

/// Read size: large enough to amortise syscalls, small enough to stay in L2 while both hashes
/// consume it.
const CHUNK: usize = 256 * 1024;
/// Below this many bytes to hash, no progress bar: the run is short anyway.
const PROGRESS_MIN_BYTES: u64 = 64 * 1024 * 1024;
/// Cache file format version. 2 added `sha512`: a version 1 cache is dropped and its files
/// read again, not taken as files without a sha512.
const CACHE_VERSION: u32 = 2;

/// The digests of one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digests {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256.
    pub sha256: Sha256Digest,
    /// MD5.
    pub md5: Md5Digest,
    /// SHA-512, when the job asked for it ([`Wants::sha512`]).
    pub sha512: Option<Sha512Digest>,
}

/// What a job needs beyond sha256 and md5 (which every file gets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wants {
    /// SHA-512 (electron-updater checks files with it; a manifest may state it).
    pub sha512: bool,
    /// A Sparkle signature, made with [`Signers::sparkle`] when the build has the key.
    pub sparkle: bool,
    /// A Tauri file signature, made with [`Signers::tauri`] when the build has the key.
    pub tauri: bool,
}

impl Wants {
    /// Both: what either job needs (two releases may share one file).
    fn union(self, other: Wants) -> Wants {
        Wants {
            sha512: self.sha512 || other.sha512,
            sparkle: self.sparkle || other.sparkle,
            tauri: self.tauri || other.tauri,
        }
    }
}

/// The feed keys the hash pass signs with, while it reads each file once.
#[derive(Clone, Copy, Default)]
pub struct Signers<'a> {
    /// Sparkle's key.
    pub sparkle: Option<&'a SparkleKey>,
    /// Tauri's key.
    pub tauri: Option<&'a TauriKey>,
}

impl Signers<'_> {
    /// The cache keys of the signatures `wants` asks for that these keys can make, with the
    /// kind: a signature is cached per (kind, key, file sha256), so that a new key signs anew.
    fn wanted(&self, wants: Wants, sha256: &Sha256Digest) -> Vec<(SignatureKind, String)> {
        let mut out = Vec::new();
        if let Some(k) = self.sparkle.filter(|_| wants.sparkle) {
            let id = format!("sparkle {} {sha256}", k.fingerprint());
            out.push((SignatureKind::Sparkle, id));
        }
        if let Some(k) = self.tauri.filter(|_| wants.tauri) {
            let id = format!("tauri {} {sha256}", k.fingerprint());
            out.push((SignatureKind::Tauri, id));
        }
        out
    }
}

#[derive(Clone, Copy)]
enum SignatureKind {
    Sparkle,
    Tauri,
}

/// The signatures the hash pass made of one file (or took from the cache).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signatures {
    /// Sparkle's `sparkle:edSignature`.
    pub sparkle: Option<FileSignature>,
    /// Tauri's file signature (the trusted comment is signed when the feed is made).
    pub tauri: Option<FileSignature>,
}

impl Signatures {
    fn get_mut(&mut self, kind: SignatureKind) -> &mut Option<FileSignature> {
        match kind {
            SignatureKind::Sparkle => &mut self.sparkle,
            SignatureKind::Tauri => &mut self.tauri,
        }
    }
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
    /// What to compute beyond sha256 and md5.
    pub wants: Wants,
}

/// The outcome for one file.
#[derive(Clone, Debug)]
pub struct Hashed {
    /// Its digests.
    pub digests: Digests,
    /// Its signatures, as the job wanted and the keys allowed.
    pub signatures: Signatures,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sha512: Option<Sha512Digest>,
}

impl CacheEntry {
    /// Whether the entry answers for a file of this size and mtime that needs `wants`.
    fn answers(&self, size: u64, mtime_ns: u64, wants: Wants) -> bool {
        self.size == size
            && self.mtime_ns == mtime_ns
            && mtime_ns != 0
            && (!wants.sha512 || self.sha512.is_some())
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: BTreeMap<String, CacheEntry>,
    /// `<kind> <key fingerprint> <sha256>` → signature.
    #[serde(default)]
    signatures: BTreeMap<String, FileSignature>,
}

/// Signatures as the cache keys them, to keep.
type CachedSignatures = Vec<(String, FileSignature)>;

/// The hash cache, loaded from and saved to one JSON file.
#[derive(Debug)]
pub struct Cache {
    path: Option<PathBuf>,
    file: CacheFile,
}

/// What the cache holds after a run: this run's files and signatures only (so deleted files and
/// old keys drop out).
#[derive(Debug, Default)]
pub struct Keep {
    /// Key → (size, mtime, digests).
    pub files: BTreeMap<String, (u64, u64, Digests)>,
    /// Signatures, as [`CacheFile`] keys them.
    signatures: BTreeMap<String, FileSignature>,
}

impl Cache {
    /// Loads the cache at `path`; an unreadable or outdated cache is treated as empty (it is
    /// only a cache). `None` disables caching.
    pub fn load(path: Option<PathBuf>) -> Self {
        let file = path
            .as_deref()
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice::<CacheFile>(&b).ok())
            .filter(|c| c.version == CACHE_VERSION)
            .unwrap_or_default();
        Self { path, file }
    }

    /// Saves what this run kept.
    ///
    /// # Errors
    /// Fails when the cache file cannot be written.
    pub fn save(&self, keep: &Keep) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let file = CacheFile {
            version: CACHE_VERSION,
            entries: keep
                .files
                .iter()
                .map(|(k, (size, mtime_ns, d))| {
                    (
                        k.clone(),
                        CacheEntry {
                            size: *size,
                            mtime_ns: *mtime_ns,
                            sha256: d.sha256,
                            md5: d.md5,
                            sha512: d.sha512,
                        },
                    )
                })
                .collect(),
            signatures: keep.signatures.clone(),
        };
        let bytes = serde_json::to_vec(&file)?;
        crate::atomic_file::write(path, &bytes, crate::atomic_file::Mode::Public)
            .context("failed to write the hash cache")
    }

    /// The cached digests and signatures of a file of this size and mtime, when the cache has
    /// everything the job wants.
    fn lookup(
        &self,
        key: &str,
        size: u64,
        mtime_ns: u64,
        wants: Wants,
        signers: &Signers<'_>,
    ) -> Option<(Digests, Signatures, CachedSignatures)> {
        let e = self.file.entries.get(key)?;
        if !e.answers(size, mtime_ns, wants) {
            return None;
        }
        let mut signatures = Signatures::default();
        let mut kept = Vec::new();
        for (kind, id) in signers.wanted(wants, &e.sha256) {
            let sig = *self.file.signatures.get(&id)?;
            *signatures.get_mut(kind) = Some(sig);
            kept.push((id, sig));
        }
        let digests = Digests {
            size,
            sha256: e.sha256,
            md5: e.md5,
            sha512: e.sha512,
        };
        Some((digests, signatures, kept))
    }
}

/// The result of [`hash_all`].
#[derive(Debug, Default)]
pub struct Outcome {
    /// Per cache key.
    pub files: BTreeMap<String, Hashed>,
    /// Counts.
    pub stats: Stats,
    /// What the cache should hold after this run.
    pub keep: Keep,
}

/// Hashes every job (deduplicated by key), from the cache where size and mtime match and it
/// holds everything the job wants, signing with `signers` what the jobs ask. With `copy_dir`,
/// jobs marked `copy` that are read are also copied there (as `<n>.part`).
///
/// # Errors
/// Fails on the first file that cannot be read or copied, naming it.
pub fn hash_all(
    jobs: &[Job],
    cache: &Cache,
    signers: &Signers<'_>,
    copy_dir: Option<&Path>,
) -> Result<Outcome> {
    let mut unique: BTreeMap<&str, Job> = BTreeMap::new();
    for j in jobs {
        unique
            .entry(&j.key)
            .and_modify(|u| u.wants = u.wants.union(j.wants))
            .or_insert_with(|| j.clone());
    }
    let stats: Vec<(&str, Job, u64, u64)> = unique
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
        match cache.lookup(key, size, mtime_ns, job.wants, signers) {
            Some((digests, signatures, kept)) => {
                out.files.insert(
                    key.to_owned(),
                    Hashed {
                        digests,
                        signatures,
                        copy: None,
                    },
                );
                out.keep
                    .files
                    .insert(key.to_owned(), (size, mtime_ns, digests));
                out.keep.signatures.extend(kept);
                out.stats.files_cached += 1;
            }
            None => todo.push((key, job, size, mtime_ns)),
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
            let (digests, signatures) =
                hash_file_for(&job.path, copy.as_deref(), job.wants, signers, &bar)?;
            let h = Hashed {
                digests,
                signatures,
                copy,
            };
            Ok(((*key).to_owned(), *mtime_ns, h))
        })
        .collect::<Result<_>>()?;
    bar.finish_and_clear();
    for ((key, mtime_ns, mut h), (_, job, _, _)) in hashed.into_iter().zip(&todo) {
        out.stats.files_hashed += 1;
        out.stats.bytes_hashed += h.digests.size;
        for (kind, id) in signers.wanted(job.wants, &h.digests.sha256) {
            if let Some(sig) = *h.signatures.get_mut(kind) {
                out.keep.signatures.insert(id, sig);
            }
        }
        out.keep
            .files
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

/// Hashes one file (sha256 and md5) in a single streamed pass, copying it to `copy` when given.
///
/// # Errors
/// Fails when the file cannot be read or the copy written.
pub fn hash_file(path: &Path, copy: Option<&Path>, bar: &ProgressBar) -> Result<Digests> {
    let (digests, _) = hash_file_for(path, copy, Wants::default(), &Signers::default(), bar)?;
    Ok(digests)
}

/// [`hash_file`], computing what `wants` asks for (and `signers` can sign) in the same pass.
fn hash_file_for(
    path: &Path,
    copy: Option<&Path>,
    wants: Wants,
    signers: &Signers<'_>,
    bar: &ProgressBar,
) -> Result<(Digests, Signatures)> {
    let mut file =
        File::open(path).with_context(|| format!("failed to open {}", path.display()))?;
    let mut out = match copy {
        Some(c) => {
            Some(File::create(c).with_context(|| format!("failed to create {}", c.display()))?)
        }
        None => None,
    };
    let sparkle = signers.sparkle.filter(|_| wants.sparkle);
    let tauri = signers.tauri.filter(|_| wants.tauri);
    let mut sha = Sha256::new();
    let mut md5 = Md5::new();
    let mut sha512 = wants.sha512.then(Sha512::new);
    let mut prehash = tauri.map(|_| TauriPrehash::new());
    // Sparkle signs the archive's bytes themselves (Ed25519 reads its message twice), so the
    // one read keeps them for it: the macOS archives of apps with a Sparkle feed only.
    let mut whole = sparkle.map(|_| {
        let len = file.metadata().map_or(0, |m| m.len());
        Vec::with_capacity(usize::try_from(len).unwrap_or(0))
    });
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
        if let Some(h) = sha512.as_mut() {
            h.update(chunk);
        }
        if let Some(h) = prehash.as_mut() {
            h.update(chunk);
        }
        if let Some(w) = whole.as_mut() {
            w.extend_from_slice(chunk);
        }
        if let Some(o) = out.as_mut() {
            o.write_all(chunk)
                .with_context(|| format!("failed to copy {}", path.display()))?;
        }
        size += n as u64;
        bar.inc(n as u64);
    }
    let digests = Digests {
        size,
        sha256: Sha256Digest::from_bytes(sha.finalize().into()),
        md5: Md5Digest::from_bytes(md5.finalize().into()),
        sha512: sha512.map(|h| Sha512Digest::from_bytes(h.finalize().into())),
    };
    let signatures = Signatures {
        sparkle: sparkle.zip(whole).map(|(k, bytes)| k.sign_file(&bytes)),
        tauri: tauri.zip(prehash).map(|(k, h)| k.sign_prehash(h)),
    };
    Ok((digests, signatures))
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
        assert_eq!(d.sha512, None, "asked for none");
        let wants = Wants {
            sha512: true,
            ..Wants::default()
        };
        let (d, _) = hash_file_for(&p, None, wants, &Signers::default(), &ProgressBar::hidden())
            .expect("hash");
        // SHA-512("abc") from FIPS 180-2, appendix C.1.
        assert_eq!(
            d.sha512.map(|d| d.to_hex()).as_deref(),
            Some(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            )
        );
    }

    fn job(dir: &Path, wants: Wants) -> Vec<Job> {
        vec![Job {
            key: "f".into(),
            path: dir.join("f"),
            copy: false,
            wants,
        }]
    }

    /// Hashes the jobs with the cache at `cache` and saves it; returns (hashed, cached).
    fn run(jobs: &[Job], cache: &Path) -> (Outcome, (usize, usize)) {
        let cache = Cache::load(Some(cache.to_owned()));
        let out = hash_all(jobs, &cache, &Signers::default(), None).expect("hash");
        cache.save(&out.keep).expect("save");
        let counts = (out.stats.files_hashed, out.stats.files_cached);
        (out, counts)
    }

    #[test]
    fn a_cached_file_without_sha512_is_read_again_when_one_is_wanted() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("f"), b"abc").expect("write");
        let cache = dir.path().join("cache.json");
        let (_, counts) = run(&job(dir.path(), Wants::default()), &cache);
        assert_eq!(counts, (1, 0));
        let wants = Wants {
            sha512: true,
            ..Wants::default()
        };
        let (out, counts) = run(&job(dir.path(), wants), &cache);
        assert_eq!(counts, (1, 0), "the cached entry has no sha512");
        assert!(out.files["f"].digests.sha512.is_some());
        let (out, counts) = run(&job(dir.path(), wants), &cache);
        assert_eq!(counts, (0, 1), "now it has");
        assert!(out.files["f"].digests.sha512.is_some());
        // A job that does not want it keeps it cached (another release may want it).
        let (out, counts) = run(&job(dir.path(), Wants::default()), &cache);
        assert_eq!(counts, (0, 1));
        assert!(out.files["f"].digests.sha512.is_some());
    }

    #[test]
    fn a_cache_of_the_previous_format_is_read_again_not_misread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").expect("write");
        let cache = dir.path().join("cache.json");
        let (out, _) = run(&job(dir.path(), Wants::default()), &cache);
        // The same entry as version 1 wrote it: no sha512 field, version 1.
        let mut v1: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&cache).expect("read")).expect("json");
        v1["version"] = 1.into();
        assert!(v1["entries"]["f"].get("sha512").is_none());
        std::fs::write(&cache, v1.to_string()).expect("write");
        let (again, counts) = run(&job(dir.path(), Wants::default()), &cache);
        assert_eq!(counts, (1, 0), "a version 1 cache is not used");
        assert_eq!(again.files["f"].digests, out.files["f"].digests);
    }

    #[test]
    fn cache_hit_skips_reading_and_change_misses() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        std::fs::write(&p, b"one").expect("write");
        let jobs = job(dir.path(), Wants::default());
        let cache_path = dir.path().join("cache.json");
        let first = hash_all(
            &jobs,
            &Cache::load(Some(cache_path.clone())),
            &Signers::default(),
            None,
        )
        .expect("hash");
        assert_eq!(first.stats.files_hashed, 1);
        Cache::load(Some(cache_path.clone()))
            .save(&first.keep)
            .expect("save");
        let second = hash_all(
            &jobs,
            &Cache::load(Some(cache_path.clone())),
            &Signers::default(),
            None,
        )
        .expect("hash");
        assert_eq!(
            (second.stats.files_hashed, second.stats.files_cached),
            (0, 1)
        );
        std::fs::write(&p, b"two!").expect("rewrite");
        let third = hash_all(
            &jobs,
            &Cache::load(Some(cache_path)),
            &Signers::default(),
            None,
        )
        .expect("hash");
        assert_eq!(third.stats.files_hashed, 1);
    }

    #[test]
    fn signatures_are_cached_per_key_and_made_again_for_a_new_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("f"), b"archive").expect("write");
        let cache_path = dir.path().join("cache.json");
        let wants = Wants {
            sparkle: true,
            ..Wants::default()
        };
        let one = SparkleKey::parse("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=").expect("key");
        let two = SparkleKey::parse("CAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAg=").expect("key");
        let hash = |key: &SparkleKey| {
            let cache = Cache::load(Some(cache_path.clone()));
            let signers = Signers {
                sparkle: Some(key),
                tauri: None,
            };
            let out = hash_all(&job(dir.path(), wants), &cache, &signers, None).expect("hash");
            cache.save(&out.keep).expect("save");
            (out.stats.files_hashed, out.files["f"].signatures.sparkle)
        };
        let (read, sig) = hash(&one);
        assert_eq!((read, sig), (1, Some(one.sign_file(b"archive"))));
        assert_eq!(hash(&one), (0, sig), "cached: not read, not signed");
        let (read, sig2) = hash(&two);
        assert_eq!(
            (read, sig2),
            (1, Some(two.sign_file(b"archive"))),
            "a new key"
        );
        // Without a key nothing is signed and the cached digests suffice.
        let cache = Cache::load(Some(cache_path.clone()));
        let out =
            hash_all(&job(dir.path(), wants), &cache, &Signers::default(), None).expect("hash");
        assert_eq!(
            (out.stats.files_hashed, out.files["f"].signatures.sparkle),
            (0, None)
        );
    }
}
