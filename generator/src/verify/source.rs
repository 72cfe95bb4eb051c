//! Where `verify` reads a copy of the site from: a directory (what `rsync` made) or an HTTP
//! base URL (a mirror as clients see it). Paths are site-relative with `/`, already checked to
//! be safe target paths or metadata names, so neither implementation can leave the copy.

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use update_protocol::digest::to_hex;

/// Read size for hashing: one buffer per file in flight.
const CHUNK: usize = 256 * 1024;

/// How long a file is, as far as reading it could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// Exactly this many bytes.
    Exact(u64),
    /// More than this many (reading stopped one byte past the expected length).
    MoreThan(u64),
}

/// The length of a file and, when it has the expected length, its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// Its length.
    pub length: Length,
    /// Lowercase hex sha256, computed only when the length is the expected one (a file of
    /// another length cannot match anyway, and is not read whole).
    pub sha256: Option<String>,
}

/// A copy of the site to verify.
pub trait Source: Sync {
    /// How to name the copy in the report (the directory or the URL).
    fn describe(&self) -> String;

    /// The whole file at `path`, `None` when absent; an error when it is longer than `limit`
    /// bytes (metadata is small: a huge file is an attack or a mistake, never read whole).
    ///
    /// # Errors
    /// When it exists but cannot be read, or is over `limit`.
    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>>;

    /// The length of the file at `path` and, when that is `expected`, its sha256, streamed;
    /// `None` when absent.
    ///
    /// # Errors
    /// When it exists but cannot be read.
    fn digest(&self, path: &str, expected: u64) -> Result<Option<FileDigest>>;

    /// Every file in the copy (site-relative, `/`-separated, sorted), or `None` when the copy
    /// cannot be listed (HTTP).
    ///
    /// # Errors
    /// When a directory cannot be read.
    fn list(&self) -> Result<Option<Vec<String>>>;
}

/// Streams `reader` into sha256, reading at most `expected + 1` bytes.
fn stream_digest(mut reader: impl Read, expected: u64) -> std::io::Result<FileDigest> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total: u64 = 0;
    let cap = expected.saturating_add(1);
    loop {
        let want = usize::try_from((cap - total).min(CHUNK as u64)).unwrap_or(CHUNK);
        if want == 0 {
            break;
        }
        let n = match reader.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok(if total > expected {
        FileDigest {
            length: Length::MoreThan(expected),
            sha256: None,
        }
    } else if total < expected {
        FileDigest {
            length: Length::Exact(total),
            sha256: None,
        }
    } else {
        FileDigest {
            length: Length::Exact(total),
            sha256: Some(to_hex(&hasher.finalize())),
        }
    })
}

/// Reads at most `limit` bytes, failing when there are more.
fn read_limited(reader: impl Read, limit: u64, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .with_context(|| format!("failed to read {what}"))?;
    if out.len() as u64 > limit {
        bail!("{what} is larger than {limit} bytes, the most this metadata may be");
    }
    Ok(out)
}

/// A directory on this machine.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    /// The copy in `root`.
    ///
    /// # Errors
    /// When `root` is not a directory.
    pub fn new(root: &Path) -> Result<DirSource> {
        let meta = std::fs::metadata(root)
            .with_context(|| format!("cannot read the copy {}", root.display()))?;
        if !meta.is_dir() {
            bail!(
                "{} is not a directory: give the directory a mirror made (rsync -a --delete SITE/ DIR/) or an http(s):// URL",
                root.display()
            );
        }
        Ok(DirSource {
            root: root.to_path_buf(),
        })
    }

    fn path(&self, rel: &str) -> PathBuf {
        rel.split('/')
            .fold(self.root.clone(), |p, segment| p.join(segment))
    }

    fn open(&self, rel: &str) -> Result<Option<(std::fs::File, u64)>> {
        let path = self.path(rel);
        match std::fs::File::open(&path) {
            Ok(f) => {
                let meta = f
                    .metadata()
                    .with_context(|| format!("cannot read {}", path.display()))?;
                if meta.is_dir() {
                    bail!("{} is a directory, not a file", path.display());
                }
                Ok(Some((f, meta.len())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
        }
    }
}

impl Source for DirSource {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let Some((f, _)) = self.open(path)? else {
            return Ok(None);
        };
        read_limited(f, limit, path).map(Some)
    }

    fn digest(&self, path: &str, expected: u64) -> Result<Option<FileDigest>> {
        let Some((f, len)) = self.open(path)? else {
            return Ok(None);
        };
        if len != expected {
            return Ok(Some(FileDigest {
                length: Length::Exact(len),
                sha256: None,
            }));
        }
        let d = stream_digest(std::io::BufReader::with_capacity(CHUNK, f), expected)
            .with_context(|| format!("failed to read {}", self.path(path).display()))?;
        Ok(Some(d))
    }

    fn list(&self) -> Result<Option<Vec<String>>> {
        let mut out = Vec::new();
        for entry in walkdir::WalkDir::new(&self.root).min_depth(1) {
            let entry = entry.with_context(|| format!("cannot list {}", self.root.display()))?;
            if entry.file_type().is_dir() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(&self.root)
                .unwrap_or(entry.path())
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push(rel);
        }
        out.sort();
        Ok(Some(out))
    }
}

/// A mirror over HTTP(S): `GET <base>/<path>`. A 404 or 403 is "absent" (static hosts such as
/// S3 answer 403 for a missing object; python-tuf treats both as "no newer root").
#[derive(Debug)]
pub struct HttpSource {
    base: String,
    agent: ureq::Agent,
}

impl HttpSource {
    /// The mirror at `base` (`http://` or `https://`).
    pub fn new(base: &str) -> HttpSource {
        HttpSource {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(15))
                .timeout_read(Duration::from_secs(60))
                .build(),
        }
    }

    fn get(&self, path: &str) -> Result<Option<ureq::Response>> {
        let url = format!("{}/{path}", self.base);
        match self.agent.get(&url).call() {
            Ok(r) => Ok(Some(r)),
            Err(ureq::Error::Status(404 | 403, _)) => Ok(None),
            Err(ureq::Error::Status(code, _)) => bail!("GET {url} answered HTTP {code}"),
            Err(e) => Err(e).with_context(|| format!("GET {url} failed")),
        }
    }
}

impl Source for HttpSource {
    fn describe(&self) -> String {
        self.base.clone()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let Some(resp) = self.get(path)? else {
            return Ok(None);
        };
        read_limited(resp.into_reader(), limit, path).map(Some)
    }

    fn digest(&self, path: &str, expected: u64) -> Result<Option<FileDigest>> {
        let Some(resp) = self.get(path)? else {
            return Ok(None);
        };
        let d = stream_digest(resp.into_reader(), expected)
            .with_context(|| format!("failed to read {}/{path}", self.base))?;
        Ok(Some(d))
    }

    fn list(&self) -> Result<Option<Vec<String>>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_digest_reports_short_exact_and_long() {
        let sha_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let exact = stream_digest(&b"abc"[..], 3).expect("read");
        assert_eq!(exact.length, Length::Exact(3));
        assert_eq!(exact.sha256.as_deref(), Some(sha_abc));
        let short = stream_digest(&b"ab"[..], 3).expect("read");
        assert_eq!(short.length, Length::Exact(2));
        assert_eq!(short.sha256, None);
        let long = stream_digest(&b"abcdef"[..], 3).expect("read");
        assert_eq!(long.length, Length::MoreThan(3));
        assert_eq!(long.sha256, None);
    }

    #[test]
    fn dir_source_reads_lists_and_limits() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("a/b")).expect("mkdir");
        std::fs::write(tmp.path().join("a/b/f.txt"), b"abc").expect("write");
        std::fs::write(tmp.path().join(".hidden"), b"x").expect("write");
        let s = DirSource::new(tmp.path()).expect("dir");
        assert_eq!(
            s.list().expect("list"),
            Some(vec![".hidden".to_owned(), "a/b/f.txt".to_owned()])
        );
        assert_eq!(s.read("a/b/f.txt", 3).expect("read"), Some(b"abc".to_vec()));
        let err = s
            .read("a/b/f.txt", 2)
            .expect_err("over the limit")
            .to_string();
        assert_eq!(
            err,
            "a/b/f.txt is larger than 2 bytes, the most this metadata may be"
        );
        assert_eq!(s.read("a/none", 2).expect("absent"), None);
        let d = s.digest("a/b/f.txt", 4).expect("digest").expect("present");
        assert_eq!((d.length, d.sha256), (Length::Exact(3), None));
        let err = DirSource::new(&tmp.path().join(".hidden"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.ends_with(".hidden is not a directory: give the directory a mirror made (rsync -a --delete SITE/ DIR/) or an http(s):// URL"), "{err}");
    }
}
