//! The TUF state of a release repository, kept in git under `<root>/tuf/` (as tuf-on-ci keeps
//! its metadata in git): the settings, every root version (public, kept forever) and the last
//! signed targets, delegated and snapshot metadata, so that a build can reuse a signature when
//! nothing changed and bump the version when something did.
//!
//! ```text
//! tuf/config.toml              settings (optional)
//! tuf/root/<N>.root.json       every root version, signed by the root keys
//! tuf/signed/targets.json      last signed targets.json (canonical JSON envelope)
//! tuf/signed/snapshot.json     last signed snapshot.json
//! tuf/signed/<app>.json        last signed delegated role of each app (never deleted)
//! tuf/state.json               when the snapshot was last signed (for the edge)
//! ```

use super::keyring::{KeyRing, KeyRole};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use update_protocol::tuf::{self, Key, Metadata, Role, Root, RootChain};

/// The TUF directory inside the release repository.
pub const TUF_DIR: &str = "tuf";
/// Settings file inside [`TUF_DIR`].
pub const CONFIG_FILE: &str = "config.toml";
/// Root history directory inside [`TUF_DIR`].
pub const ROOT_DIR: &str = "root";
/// Last signed metadata directory inside [`TUF_DIR`].
pub const SIGNED_DIR: &str = "signed";
/// State file inside [`TUF_DIR`].
pub const STATE_FILE: &str = "state.json";

const DAY: i64 = 86_400;

/// `tuf/config.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TufConfig {
    /// Days until targets, delegated roles and snapshot expire after signing (bounds a freeze
    /// by someone holding the timestamp key).
    pub expires_days: u32,
    /// Days until a new root version expires.
    pub root_expires_days: u32,
    /// Re-sign window: `tuf status` warns, and a build that has the keys re-signs, when a role
    /// expires within this many days.
    pub resign_days: u32,
    /// Timestamp window in seconds (its version granularity and cache lifetime).
    pub timestamp_period: i64,
    /// Timestamp freshness after its window, in seconds.
    pub timestamp_ttl: i64,
    /// DEMO ONLY: a key directory inside the repository (relative to `tuf/`), used when neither
    /// `--tuf-keys` nor `TUF_*_KEY` give a key. Real repositories never set it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keys_dir: Option<PathBuf>,
}

impl Default for TufConfig {
    fn default() -> Self {
        TufConfig {
            expires_days: 90,
            root_expires_days: 365,
            resign_days: 30,
            timestamp_period: 60,
            timestamp_ttl: 3600,
            keys_dir: None,
        }
    }
}

impl TufConfig {
    /// Expiry of a role signed at `now`.
    pub fn expires_at(&self, role: &str, now: i64) -> i64 {
        let days = if role == "root" {
            self.root_expires_days
        } else {
            self.expires_days
        };
        now + i64::from(days) * DAY
    }

    /// Whether something expiring at `expires` is inside the re-sign window at `now`.
    pub fn due(&self, expires: i64, now: i64) -> bool {
        expires - now <= i64::from(self.resign_days) * DAY
    }
}

/// One signed metadata file: its exact bytes and parsed form.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The bytes served (canonical JSON of the envelope).
    pub bytes: Vec<u8>,
    /// The envelope.
    pub md: Metadata<Value>,
    /// `signed.version`.
    pub version: u64,
    /// `signed.expires` in unix seconds.
    pub expires: i64,
}

impl Stored {
    /// Parses served bytes; `what` names the file in errors.
    ///
    /// # Errors
    /// Fails when it is not metadata with a version and an expiry.
    pub fn parse(bytes: Vec<u8>, what: &str) -> Result<Stored> {
        let md = tuf::parse(&bytes).with_context(|| format!("{what}: not TUF metadata"))?;
        let version = md.signed["version"]
            .as_u64()
            .filter(|v| *v > 0)
            .with_context(|| format!("{what}: signed.version is not a positive integer"))?;
        let expires = md.signed["expires"]
            .as_str()
            .and_then(|e| tuf::parse_expires(e).ok())
            .with_context(|| format!("{what}: signed.expires is not YYYY-MM-DDTHH:MM:SSZ"))?;
        Ok(Stored {
            bytes,
            md,
            version,
            expires,
        })
    }

    /// Wraps a freshly signed envelope.
    ///
    /// # Errors
    /// Fails when the payload has no canonical form.
    pub fn from_md(md: Metadata<Value>) -> Result<Stored> {
        let bytes = tuf::to_bytes(&md)?;
        Stored::parse(bytes, "new metadata")
    }

    /// The signed payload without `version` and `expires`: what "unchanged" compares.
    pub fn content(&self) -> Value {
        strip(&self.md.signed)
    }
}

/// `signed` without `version` and `expires`.
pub fn strip(signed: &Value) -> Value {
    let mut v = signed.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("version");
        m.remove("expires");
    }
    v
}

/// `tuf/state.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Always 1.
    pub schema_version: u32,
    /// Unix seconds the current snapshot was signed at (`signed_at` of `_edge/tuf.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_signed_at: Option<i64>,
}

/// The TUF state of a release repository.
#[derive(Debug)]
pub struct TufRepo {
    /// `<root>/tuf`.
    pub dir: PathBuf,
    /// Settings.
    pub config: TufConfig,
    /// Root versions 1..=N, in order.
    pub roots: Vec<Stored>,
    /// The latest root, typed.
    pub root: Root,
    /// Role name → last signed (`targets`, `snapshot`, app roles).
    pub signed: BTreeMap<String, Stored>,
    /// `state.json`.
    pub state: State,
}

impl TufRepo {
    /// Opens `<root>/tuf`, or `None` when the repository has no TUF setup. Checks that the root
    /// history is complete (1..=N) and that each version is signed by a threshold of its own
    /// root keys and of the previous version's (spec 5.3.4).
    ///
    /// # Errors
    /// Names the file and what is wrong.
    pub fn open(repo_root: &Path) -> Result<Option<TufRepo>> {
        let dir = repo_root.join(TUF_DIR);
        if !dir.is_dir() {
            return Ok(None);
        }
        let config = read_config(&dir)?;
        let roots = read_roots(&dir)?;
        let Some(last) = roots.last() else {
            bail!(
                "{}: no root metadata (1.root.json)\n  hint: run `generator tuf init --root {}` \
                 or remove the tuf/ directory to build without TUF",
                dir.join(ROOT_DIR).display(),
                repo_root.display()
            );
        };
        let root: Root = tuf::typed(&last.md)
            .with_context(|| format!("{}: not a root", root_file(&dir, last.version).display()))?;
        let mut signed = BTreeMap::new();
        let sdir = dir.join(SIGNED_DIR);
        if sdir.is_dir() {
            for entry in std::fs::read_dir(&sdir)
                .with_context(|| format!("failed to read {}", sdir.display()))?
            {
                let path = entry?.path();
                let Some(name) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".json"))
                else {
                    continue;
                };
                let bytes = std::fs::read(&path)
                    .with_context(|| format!("failed to read {}", path.display()))?;
                signed.insert(
                    name.to_owned(),
                    Stored::parse(bytes, &path.display().to_string())?,
                );
            }
        }
        let state = match std::fs::read(dir.join(STATE_FILE)) {
            Ok(b) => serde_json::from_slice(&b)
                .with_context(|| format!("{}: not valid", dir.join(STATE_FILE).display()))?,
            Err(_) => State::default(),
        };
        Ok(Some(TufRepo {
            dir,
            config,
            roots,
            root,
            signed,
            state,
        }))
    }

    /// The demo key directory of `config.toml`, resolved against `tuf/`.
    pub fn keys_dir(&self) -> Option<PathBuf> {
        self.config.keys_dir.as_ref().map(|d| self.dir.join(d))
    }

    /// The latest root's version.
    pub fn root_version(&self) -> u64 {
        self.root.version
    }

    /// Keys and threshold of a top-level role in the latest root.
    ///
    /// # Errors
    /// When root lacks it.
    pub fn role(&self, name: &str) -> Result<&Role> {
        Ok(self.root.role(name)?)
    }

    /// The latest root's keys.
    pub fn keys(&self) -> &BTreeMap<String, Key> {
        &self.root.keys
    }

    /// Writes the signed metadata that changed and the state.
    ///
    /// # Errors
    /// Fails on I/O errors.
    pub fn save_signed(&self, signed: &BTreeMap<String, Stored>, state: &State) -> Result<()> {
        let sdir = self.dir.join(SIGNED_DIR);
        std::fs::create_dir_all(&sdir)
            .with_context(|| format!("failed to create {}", sdir.display()))?;
        for (name, s) in signed {
            if self
                .signed
                .get(name)
                .is_some_and(|old| old.bytes == s.bytes)
            {
                continue;
            }
            write(&sdir.join(format!("{name}.json")), &s.bytes)?;
        }
        if *state != self.state {
            let mut bytes = serde_json::to_vec_pretty(state)?;
            bytes.push(b'\n');
            write(&self.dir.join(STATE_FILE), &bytes)?;
        }
        Ok(())
    }

    /// Adds root version N+1 (already signed) to the history.
    ///
    /// # Errors
    /// Fails when the version is not exactly N+1, or on I/O errors.
    pub fn add_root(&mut self, stored: Stored) -> Result<()> {
        let want = self.root.version + 1;
        if stored.version != want {
            bail!("new root has version {}, expected {want}", stored.version);
        }
        write(&root_file(&self.dir, want), &stored.bytes)?;
        self.root = tuf::typed(&stored.md)?;
        self.roots.push(stored);
        Ok(())
    }

    /// Seeds of `role` that sign for the latest root.
    pub fn signers<'a>(
        &self,
        ring: &'a KeyRing,
        role: KeyRole,
    ) -> Vec<&'a update_protocol::tuf::Ed25519Seed> {
        self.root
            .roles
            .get(role.name())
            .map(|r| ring.signers(role, &r.keyids))
            .unwrap_or_default()
    }
}

/// `tuf/root/<n>.root.json`.
pub fn root_file(dir: &Path, n: u64) -> PathBuf {
    dir.join(ROOT_DIR).join(format!("{n}.root.json"))
}

/// Writes public metadata atomically (readable like any file in the repository).
///
/// # Errors
/// Fails on I/O errors.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::atomic_file::write(path, bytes, crate::atomic_file::Mode::Public)
}

/// Reads `dir/config.toml` (defaults when absent).
///
/// # Errors
/// Names the file and the fields when it is invalid.
pub fn read_config(dir: &Path) -> Result<TufConfig> {
    let path = dir.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TufConfig::default()),
        Err(e) => return Err(e).with_context(|| format!("failed to read {}", path.display())),
    };
    let c: TufConfig = toml::from_str(&text).with_context(|| {
        format!(
            "{}: invalid (fields: expires_days, root_expires_days, resign_days, \
             timestamp_period, timestamp_ttl, keys_dir)",
            path.display()
        )
    })?;
    if c.expires_days == 0 || c.root_expires_days == 0 {
        bail!(
            "{}: expires_days and root_expires_days must be at least 1",
            path.display()
        );
    }
    if c.timestamp_period < 1 || c.timestamp_ttl < 0 {
        bail!(
            "{}: timestamp_period must be at least 1 and timestamp_ttl not negative",
            path.display()
        );
    }
    Ok(c)
}

fn read_roots(dir: &Path) -> Result<Vec<Stored>> {
    let rdir = dir.join(ROOT_DIR);
    let mut found = BTreeMap::new();
    if rdir.is_dir() {
        for entry in std::fs::read_dir(&rdir)
            .with_context(|| format!("failed to read {}", rdir.display()))?
        {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some(n) = name
                .strip_suffix(".root.json")
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            found.insert(n, path);
        }
    }
    let mut roots: Vec<Stored> = Vec::new();
    let mut chain: Option<RootChain> = None;
    for (i, (n, path)) in found.into_iter().enumerate() {
        let what = path.display().to_string();
        if n != i as u64 + 1 {
            bail!(
                "{what}: the root history must be complete from 1.root.json; version {} is missing",
                i + 1
            );
        }
        let bytes = std::fs::read(&path).with_context(|| format!("failed to read {what}"))?;
        let s = Stored::parse(bytes, &what)?;
        if s.version != n {
            bail!("{what}: signed.version is {}, not {n}", s.version);
        }
        let checked = match chain.as_mut() {
            None => RootChain::trust(&s.bytes, Some(1)).map(|c| chain = Some(c)),
            Some(c) => c.update(&s.bytes).map(|_| ()),
        };
        checked.map_err(|e| anyhow::anyhow!("{what}: {e} (spec 5.3.4: a root is signed by a threshold of the previous root's keys and of its own)"))?;
        roots.push(s);
    }
    Ok(roots)
}
