//! The offline TUF signing keys: Ed25519 seeds read from a key directory (`root.key`,
//! `targets.key`, `snapshot.key`, `timestamp.key`) or from environment variables
//! (`TUF_ROOT_KEY`, ...). A key file or variable holds one seed per line, as 64 hex characters
//! or as base64 of the 32 bytes; `#` starts a comment. Seeds never appear in messages.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use update_protocol::tuf::Ed25519Seed;

/// The four top-level roles' keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum KeyRole {
    /// Signs root (every version, by threshold of the old and the new keys).
    Root,
    /// Signs `targets.json` and every delegated app role.
    Targets,
    /// Signs `snapshot.json`.
    Snapshot,
    /// Signs `timestamp.json`, online, at the edge.
    Timestamp,
}

impl KeyRole {
    /// All four, in the order root, targets, snapshot, timestamp.
    pub const ALL: [KeyRole; 4] = [
        KeyRole::Root,
        KeyRole::Targets,
        KeyRole::Snapshot,
        KeyRole::Timestamp,
    ];

    /// The TUF role name.
    pub fn name(self) -> &'static str {
        match self {
            KeyRole::Root => "root",
            KeyRole::Targets => "targets",
            KeyRole::Snapshot => "snapshot",
            KeyRole::Timestamp => "timestamp",
        }
    }

    /// The key file name in a key directory.
    pub fn file(self) -> String {
        format!("{}.key", self.name())
    }

    /// The environment variable holding the seed(s).
    pub fn env(self) -> &'static str {
        match self {
            KeyRole::Root => "TUF_ROOT_KEY",
            KeyRole::Targets => "TUF_TARGETS_KEY",
            KeyRole::Snapshot => "TUF_SNAPSHOT_KEY",
            KeyRole::Timestamp => "TUF_TIMESTAMP_KEY",
        }
    }
}

/// Seeds found for one role, and where.
#[derive(Debug)]
pub struct Found {
    /// `--tuf-keys DIR/targets.key`, `$TUF_TARGETS_KEY`, ...
    pub source: String,
    /// The seeds.
    pub seeds: Vec<Ed25519Seed>,
}

/// The keys available to this run.
#[derive(Debug, Default)]
pub struct KeyRing {
    found: BTreeMap<KeyRole, Found>,
    /// Where keys were looked for, for error messages.
    pub searched: Vec<String>,
}

impl KeyRing {
    /// Loads every role's seeds from the first source that has them: `dir` (`--tuf-keys`),
    /// then the environment, then `fallback_dir` (the repository's demo `keys_dir`).
    ///
    /// # Errors
    /// Fails when a key file or variable exists but cannot be read or parsed.
    pub fn load(dir: Option<&Path>, fallback_dir: Option<&Path>) -> Result<KeyRing> {
        Self::load_with(dir, fallback_dir, |v| std::env::var(v).ok())
    }

    /// [`KeyRing::load`] with an explicit environment (tests).
    ///
    /// # Errors
    /// As [`KeyRing::load`].
    pub fn load_with(
        dir: Option<&Path>,
        fallback_dir: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<KeyRing> {
        let mut ring = KeyRing::default();
        if let Some(d) = dir {
            ring.searched.push(format!("--tuf-keys {}", d.display()));
        }
        ring.searched
            .push("TUF_*_KEY environment variables".to_owned());
        if let Some(d) = fallback_dir {
            ring.searched
                .push(format!("keys_dir {} of tuf/config.toml", d.display()));
        }
        for role in KeyRole::ALL {
            if let Some(f) = from_dir(dir, role, true)? {
                ring.found.insert(role, f);
                continue;
            }
            if let Some(v) = env(role.env()).filter(|v| !v.trim().is_empty()) {
                let source = format!("${}", role.env());
                let seeds = parse_seeds(&v).with_context(|| format!("{source}: bad key"))?;
                ring.found.insert(role, Found { source, seeds });
                continue;
            }
            // The demo keys come from git, where modes are not kept: no warning for them.
            if let Some(f) = from_dir(fallback_dir, role, false)? {
                ring.found.insert(role, f);
            }
        }
        Ok(ring)
    }

    /// The seeds of `role`, if any source had them.
    pub fn get(&self, role: KeyRole) -> Option<&Found> {
        self.found.get(&role)
    }

    /// The seeds of `role` whose keyid is in `keyids`, at most one per keyid.
    pub fn signers(&self, role: KeyRole, keyids: &[String]) -> Vec<&Ed25519Seed> {
        let mut out: Vec<&Ed25519Seed> = Vec::new();
        if let Some(f) = self.found.get(&role) {
            for s in &f.seeds {
                let id = s.keyid();
                if keyids.contains(&id) && !out.iter().any(|o| o.keyid() == id) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// Every seed of every role (for checks that none leaks).
    pub fn all_seeds(&self) -> impl Iterator<Item = &Ed25519Seed> {
        self.found.values().flat_map(|f| &f.seeds)
    }

    /// The error for a role that must sign but has no (matching) key: names the file, the
    /// variable and the fix.
    pub fn missing(&self, role: KeyRole, what: &str, keyids: &[String]) -> anyhow::Error {
        let r = role.name();
        match self.found.get(&role) {
            Some(f) => anyhow::anyhow!(
                "{what} must be signed, but the {r} key in {} is not one of root's {r} keys \
                 ({})\n  hint: use the current {r} key (after `generator tuf rotate {r}` the new \
                 one is in the key directory), or rotate root to this key",
                f.source,
                keyids.join(", ")
            ),
            None => anyhow::anyhow!(
                "{what} must be signed, but no {r} key was found (looked in: {})\n  hint: pass \
                 --tuf-keys DIR with {}, or set {} to the seed (64 hex characters); see \
                 docs/tuf.md",
                self.searched.join(", "),
                role.file(),
                role.env()
            ),
        }
    }
}

fn from_dir(dir: Option<&Path>, role: KeyRole, check_mode: bool) -> Result<Option<Found>> {
    let Some(dir) = dir else {
        return Ok(None);
    };
    let path = dir.join(role.file());
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map_or(0, |m| m.permissions().mode());
            if check_mode && mode & 0o077 != 0 {
                log::warn!(
                    "{} is readable by other users (mode {:o}): chmod 600 it",
                    path.display(),
                    mode & 0o777
                );
            }
            let seeds =
                parse_seeds(&text).with_context(|| format!("{}: bad key", path.display()))?;
            Ok(Some(Found {
                source: path.display().to_string(),
                seeds,
            }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to read {}", path.display())),
    }
}

/// Parses one seed per line (hex or base64), skipping blank lines and `#` comments.
///
/// # Errors
/// Names the line number, never its content.
pub fn parse_seeds(text: &str) -> Result<Vec<Ed25519Seed>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let seed = parse_seed(line).with_context(|| {
            format!(
                "line {}: not an Ed25519 seed (64 hex characters, or base64 of 32 bytes)",
                n + 1
            )
        })?;
        out.push(seed);
    }
    if out.is_empty() {
        bail!("no seed in it (64 hex characters, or base64 of 32 bytes)");
    }
    Ok(out)
}

fn parse_seed(s: &str) -> Result<Ed25519Seed> {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ed25519Seed::from_hex(s).map_err(|e| anyhow::anyhow!("{e}"));
    }
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| anyhow::anyhow!("neither hex nor base64"))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("not 32 bytes"))?;
    Ok(Ed25519Seed::from_bytes(&arr))
}

/// Writes seeds to `dir/<role>.key` with mode 0600 (the directory 0700), one hex seed a line,
/// after a comment naming the role and keyid.
///
/// # Errors
/// Fails on I/O errors or when the file exists and `replace` is false.
pub fn write_key_file(
    dir: &Path,
    role: KeyRole,
    seeds: &[&Ed25519Seed],
    replace: bool,
) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let path = dir.join(role.file());
    if path.exists() && !replace {
        bail!(
            "{} exists: refusing to overwrite a key (move it away first)",
            path.display()
        );
    }
    let mut text = format!(
        "# TUF {} key(s): Ed25519 seeds, one per line. Keep offline; never commit.\n",
        role.name()
    );
    for s in seeds {
        text.push_str(&format!("# keyid {}\n{}\n", s.keyid(), s.to_hex()));
    }
    crate::atomic_file::write(&path, text.as_bytes(), crate::atomic_file::Mode::Private)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_and_base64_with_comments() {
        let hex = "42".repeat(32);
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode([0x42u8; 32]);
        let seeds = parse_seeds(&format!("# comment\n{hex}\n\n{b64}  # same key\n")).expect("ok");
        assert_eq!(seeds.len(), 2);
        assert_eq!(seeds[0].keyid(), seeds[1].keyid());
    }

    #[test]
    fn bad_seed_errors_never_echo_it() {
        let secret = "ab".repeat(31);
        let err = parse_seeds(&secret).expect_err("short");
        assert!(!format!("{err:#}").contains(&secret), "{err:#}");
        let none = parse_seeds("# only a comment\n").expect_err("no seed");
        assert!(
            format!("{none:#}")
                .contains("no seed in it (64 hex characters, or base64 of 32 bytes)"),
            "{none:#}"
        );
    }

    #[test]
    fn dir_wins_over_env_and_env_over_fallback() {
        let a = tempfile::tempdir().expect("tmp");
        let b = tempfile::tempdir().expect("tmp");
        let s1 = Ed25519Seed::from_bytes(&[1; 32]);
        let s2 = Ed25519Seed::from_bytes(&[2; 32]);
        let s3 = Ed25519Seed::from_bytes(&[3; 32]);
        write_key_file(a.path(), KeyRole::Targets, &[&s1], false).expect("write");
        write_key_file(b.path(), KeyRole::Targets, &[&s3], false).expect("write");
        write_key_file(b.path(), KeyRole::Snapshot, &[&s3], false).expect("write");
        let env =
            |v: &str| (v == "TUF_TARGETS_KEY" || v == "TUF_SNAPSHOT_KEY").then(|| s2.to_hex());
        let ring = KeyRing::load_with(Some(a.path()), Some(b.path()), env).expect("load");
        let id = |r| ring.get(r).expect("found").seeds[0].keyid();
        assert_eq!(id(KeyRole::Targets), s1.keyid());
        assert_eq!(id(KeyRole::Snapshot), s2.keyid());
        assert!(ring.get(KeyRole::Root).is_none());
        let err = format!("{}", ring.missing(KeyRole::Root, "root", &[]));
        assert!(
            err.contains("TUF_ROOT_KEY") && err.contains("root.key"),
            "{err}"
        );
        // Written with mode 0600, and not overwritten by accident.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(a.path().join("targets.key"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let err = write_key_file(a.path(), KeyRole::Targets, &[&s2], false)
            .expect_err("an existing key file is kept")
            .to_string();
        assert!(
            err.ends_with("targets.key exists: refusing to overwrite a key (move it away first)"),
            "{err}"
        );
    }
}
