//! `generator tuf`: create the TUF root and role keys, rotate a role's key through a new root
//! version, re-sign targets and snapshot before they expire, and show what expires when.
//! Runbook: `docs/tuf.md`.

use crate::args::OutputFormat;
use crate::keystore::{self, Keystore};
use crate::tuf::keyring::{KeyRing, KeyRole, write_key_file};
use crate::tuf::repo::{self, Stored, TufConfig, TufRepo};
use crate::tuf::sign::{Pending, SignCtx, settle};
use crate::tuf::signing_time;
use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use update_protocol::tuf::{
    self, ChainError, Ed25519Seed, MetaFile, Role, RoleType, Root, RootChain, SPEC_VERSION,
    TOP_LEVEL_ROLES,
};

/// Arguments of `tuf`.
#[derive(Debug, clap::Args)]
pub struct TufArgs {
    /// Release repository (its `tuf/` directory holds the TUF state).
    #[arg(long, default_value = ".", global = true)]
    pub root: PathBuf,
    /// Directory of the offline keys (`root.key`, `targets.key`, `snapshot.key`,
    /// `timestamp.key`); without it, `TUF_*_KEY` variables. `init` and `rotate` write new keys
    /// here.
    #[arg(long, env = "TUF_KEYS_DIR", global = true)]
    pub keys: Option<PathBuf>,
    /// Key store whose `EDGE_SECRETS` gets the timestamp key [default: ROOT/keys].
    #[arg(long, global = true)]
    pub keystore: Option<PathBuf>,
    /// Signing time (RFC 3339 or unix seconds) [default: $SOURCE_DATE_EPOCH, else the clock].
    #[arg(long, global = true)]
    pub now: Option<String>,
    /// Result format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    pub format: OutputFormat,
    /// What to do.
    #[command(subcommand)]
    pub action: TufAction,
}

/// What `tuf` does.
#[derive(Debug, clap::Subcommand)]
pub enum TufAction {
    /// Create the root, targets, snapshot and timestamp keys and `tuf/root/1.root.json`.
    Init {
        /// Number of root keys.
        #[arg(long, default_value_t = 1)]
        root_keys: u32,
        /// How many root keys must sign each root version.
        #[arg(long, default_value_t = 1)]
        root_threshold: u32,
        /// Keep the keys inside the repository (writes `keys_dir` to tuf/config.toml): for
        /// demos only.
        #[arg(long)]
        demo: bool,
    },
    /// Replace a role's key(s) by publishing root N+1, signed by the old and the new root keys.
    Rotate {
        /// The roles whose keys to replace (one new root version for all of them).
        #[arg(value_enum, required = true)]
        roles: Vec<KeyRole>,
    },
    /// Re-sign targets, every app role and snapshot (new versions and expiry), e.g. from a
    /// scheduled CI job; then build and deploy.
    Resign {
        /// Also publish a new root version (same keys, new expiry).
        #[arg(long)]
        include_root: bool,
    },
    /// Show the version and expiry of each role, warning inside the re-sign window.
    Status {
        /// Exit non-zero when a role is expired or inside the re-sign window.
        #[arg(long)]
        check: bool,
    },
}

impl TufArgs {
    /// Runs the command.
    ///
    /// # Errors
    /// Fails on missing keys, bad state and I/O errors.
    pub fn run(self) -> Result<()> {
        let now = signing_time(self.now.as_deref())?;
        match &self.action {
            TufAction::Init {
                root_keys,
                root_threshold,
                demo,
            } => self.init(now, *root_keys, *root_threshold, *demo),
            TufAction::Rotate { roles } => self.rotate(now, roles),
            TufAction::Resign { include_root } => self.resign(now, *include_root),
            TufAction::Status { check } => self.status(now, *check),
        }
    }

    fn open(&self) -> Result<TufRepo> {
        TufRepo::open(&self.root)?.with_context(|| {
            format!(
                "{} has no tuf/ directory\n  hint: run `generator tuf init --root {} --keys DIR`",
                self.root.display(),
                self.root.display()
            )
        })
    }

    fn ring(&self, repo: &TufRepo) -> Result<KeyRing> {
        KeyRing::load(self.keys.as_deref(), repo.keys_dir().as_deref())
    }

    fn keys_dir(&self, what: &str) -> Result<&Path> {
        self.keys.as_deref().with_context(|| {
            format!("{what} writes new keys: pass --keys DIR (kept offline, never in the site)")
        })
    }

    fn keystore(&self) -> PathBuf {
        self.keystore
            .clone()
            .unwrap_or_else(|| self.root.join("keys"))
    }

    fn init(&self, now: i64, root_keys: u32, threshold: u32, demo: bool) -> Result<()> {
        let dir = self.root.join(repo::TUF_DIR);
        if repo::root_file(&dir, 1).exists() {
            bail!(
                "{} exists: TUF is already set up (rotate keys with `generator tuf rotate`)",
                repo::root_file(&dir, 1).display()
            );
        }
        if root_keys == 0 || threshold == 0 || threshold > root_keys {
            bail!("--root-threshold must be between 1 and --root-keys ({root_keys})");
        }
        let keys_dir = self.keys_dir("init")?;
        let mut seeds: BTreeMap<KeyRole, Vec<Ed25519Seed>> = BTreeMap::new();
        for role in KeyRole::ALL {
            let n = if role == KeyRole::Root { root_keys } else { 1 };
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(Ed25519Seed::from_bytes(&keystore::random_bytes::<32>()?));
            }
            seeds.insert(role, v);
        }
        for role in KeyRole::ALL {
            if keys_dir.join(role.file()).exists() {
                bail!(
                    "{} exists: refusing to overwrite a key",
                    keys_dir.join(role.file()).display()
                );
            }
        }
        // Settings written beforehand (e.g. longer expiries) are kept.
        let mut config = repo::read_config(&dir)?;
        if demo {
            config.keys_dir = Some(relative_to(keys_dir, &dir)?);
        }
        let mut root = Root {
            type_: RoleType::Root,
            spec_version: SPEC_VERSION.to_owned(),
            version: 1,
            expires: tuf::format_expires(config.expires_at("root", now)),
            consistent_snapshot: true,
            keys: BTreeMap::new(),
            roles: BTreeMap::new(),
        };
        for role in KeyRole::ALL {
            let list = &seeds[&role];
            for s in list {
                root.keys.insert(s.keyid(), s.public_key());
            }
            root.roles.insert(
                role.name().to_owned(),
                Role {
                    keyids: list.iter().map(Ed25519Seed::keyid).collect(),
                    threshold: if role == KeyRole::Root {
                        u64::from(threshold)
                    } else {
                        1
                    },
                },
            );
        }
        let signers: Vec<&Ed25519Seed> = seeds[&KeyRole::Root].iter().collect();
        let stored = Stored::from_md(tuf::sign_metadata(serde_json::to_value(&root)?, &signers)?)?;
        for role in KeyRole::ALL {
            let list: Vec<&Ed25519Seed> = seeds[&role].iter().collect();
            write_key_file(keys_dir, role, &list, false)?;
        }
        repo::write(&repo::root_file(&dir, 1), &stored.bytes)?;
        repo::write(
            &dir.join(repo::CONFIG_FILE),
            config_text(&config)?.as_bytes(),
        )?;
        let ts = &seeds[&KeyRole::Timestamp][0];
        set_edge_timestamp_key(&self.keystore(), ts)?;
        self.report(json!({
            "ok": true,
            "root_version": 1,
            "keys_dir": keys_dir,
            "keyids": role_keyids(&root),
        }))?;
        log::info!(
            "-> TUF set up in {}: commit tuf/ (public); keep {} offline (CI secrets), never in git",
            dir.display(),
            keys_dir.display()
        );
        Ok(())
    }

    fn rotate(&self, now: i64, roles: &[KeyRole]) -> Result<()> {
        let mut repo = self.open()?;
        let keys_dir = self.keys_dir("rotate")?.to_owned();
        let ring = self.ring(&repo)?;
        let old_root = repo.root.clone();
        let old_signers = repo.signers(&ring, KeyRole::Root);
        if (old_signers.len() as u64) < old_root.role("root")?.threshold {
            return Err(ring.missing(
                KeyRole::Root,
                &format!("root version {}", old_root.version + 1),
                &old_root.role("root")?.keyids,
            ));
        }
        let mut root = old_root.clone();
        let mut fresh: BTreeMap<KeyRole, Vec<Ed25519Seed>> = BTreeMap::new();
        for &role in roles {
            let old_role = old_root.role(role.name())?;
            let count = old_role.keyids.len().max(1);
            let mut new = Vec::new();
            for _ in 0..count {
                new.push(Ed25519Seed::from_bytes(&keystore::random_bytes::<32>()?));
            }
            root.roles.insert(
                role.name().to_owned(),
                Role {
                    keyids: new.iter().map(Ed25519Seed::keyid).collect(),
                    threshold: old_role.threshold.min(count as u64),
                },
            );
            for s in &new {
                root.keys.insert(s.keyid(), s.public_key());
            }
            fresh.insert(role, new);
        }
        let in_use: Vec<String> = root.roles.values().flat_map(|r| r.keyids.clone()).collect();
        root.keys.retain(|id, _| in_use.contains(id));
        // Spec 5.3.4: a threshold of the old root keys and of the new ones.
        let mut signers: Vec<&Ed25519Seed> = old_signers;
        if let Some(new_root_keys) = fresh.get(&KeyRole::Root) {
            signers.extend(new_root_keys.iter());
        }
        let stored = new_root(&repo, root, &signers, now)?;
        for (role, new) in &fresh {
            // Keep the old key file until the operator destroys it; the new one takes its name.
            let file = keys_dir.join(role.file());
            if file.exists() {
                let retired =
                    keys_dir.join(format!("{}.retired-v{}", role.file(), old_root.version));
                std::fs::rename(&file, &retired)
                    .with_context(|| format!("failed to move {} aside", file.display()))?;
            }
            let list: Vec<&Ed25519Seed> = new.iter().collect();
            write_key_file(&keys_dir, *role, &list, true)?;
        }
        repo.add_root(stored)?;
        if let Some(ts) = fresh.get(&KeyRole::Timestamp).and_then(|v| v.first()) {
            set_edge_timestamp_key(&self.keystore(), ts)?;
        }
        let names: Vec<&str> = fresh.keys().map(|r| r.name()).collect();
        self.report(json!({
            "ok": true,
            "rotated": names,
            "root_version": repo.root.version,
            "keyids": role_keyids(&repo.root),
        }))?;
        log::info!(
            "-> new {} key(s) in {}; root version {}: commit tuf/, then build and deploy{}",
            names.join(", "),
            keys_dir.display(),
            repo.root.version,
            if fresh.contains_key(&KeyRole::Timestamp) {
                " together with the worker secret (`generator keys export`, `wrangler secret bulk`)"
            } else {
                ""
            }
        );
        Ok(())
    }

    fn resign(&self, now: i64, include_root: bool) -> Result<()> {
        let mut repo = self.open()?;
        let ring = self.ring(&repo)?;
        if include_root {
            let signers = repo.signers(&ring, KeyRole::Root);
            let root = repo.root.clone();
            let stored = new_root(&repo, root, &signers, now)?;
            repo.add_root(stored)?;
        }
        let ctx = SignCtx {
            now,
            config: &repo.config,
            ring: &ring,
            dry_run: false,
            force: true,
        };
        let Some(prev_snapshot) = repo.signed.get("snapshot") else {
            bail!(
                "nothing signed yet in {}: run `generator build` first",
                repo.dir.display()
            );
        };
        let targets_role = repo.role("targets")?;
        let mut signed: BTreeMap<String, Stored> = BTreeMap::new();
        for (name, prev) in repo.signed.iter().filter(|(n, _)| *n != "snapshot") {
            let s = settle(
                &ctx,
                Pending {
                    name,
                    key: KeyRole::Targets,
                    content: prev.content(),
                    prev: Some(prev),
                    keys: &repo.root.keys,
                    role: targets_role,
                },
            )?;
            signed.insert(name.clone(), s.stored);
        }
        let mut content = prev_snapshot.content();
        for (name, s) in &signed {
            content["meta"][format!("{name}.json")] =
                serde_json::to_value(MetaFile::of_bytes(s.version, &s.bytes))?;
        }
        let snap = settle(
            &ctx,
            Pending {
                name: "snapshot",
                key: KeyRole::Snapshot,
                content,
                prev: Some(prev_snapshot),
                keys: &repo.root.keys,
                role: repo.role("snapshot")?,
            },
        )?;
        signed.insert("snapshot".to_owned(), snap.stored);
        let state = repo::State {
            schema_version: 1,
            snapshot_signed_at: Some(now),
        };
        repo.save_signed(&signed, &state)?;
        let versions: BTreeMap<&str, u64> = signed
            .iter()
            .map(|(n, s)| (n.as_str(), s.version))
            .collect();
        self.report(json!({"ok": true, "versions": versions}))?;
        log::info!(
            "-> re-signed {} roles until {}: commit tuf/, then build and deploy",
            signed.len(),
            tuf::format_expires(repo.config.expires_at("snapshot", now))
        );
        Ok(())
    }

    fn status(&self, now: i64, check: bool) -> Result<()> {
        let repo = self.open()?;
        #[derive(Serialize)]
        struct Line {
            role: String,
            version: u64,
            expires: String,
            days_left: i64,
            due: bool,
        }
        let mut lines = Vec::new();
        let root = repo.roots.last().context("no root")?;
        let mut all: Vec<(&str, &Stored)> = vec![("root", root)];
        all.extend(repo.signed.iter().map(|(n, s)| (n.as_str(), s)));
        for (name, s) in all {
            lines.push(Line {
                role: name.to_owned(),
                version: s.version,
                expires: tuf::format_expires(s.expires),
                days_left: (s.expires - now).div_euclid(86_400),
                due: repo.config.due(s.expires, now),
            });
        }
        let due: Vec<&str> = lines
            .iter()
            .filter(|l| l.due)
            .map(|l| l.role.as_str())
            .collect();
        match self.format {
            OutputFormat::Json => self.report(json!({
                "ok": due.is_empty(),
                "roles": lines,
                "keyids": role_keyids(&repo.root),
                "resign_days": repo.config.resign_days,
            }))?,
            OutputFormat::Text => {
                for l in &lines {
                    println!(
                        "{:<20} v{:<6} expires {} ({} days){}",
                        l.role,
                        l.version,
                        l.expires,
                        l.days_left,
                        if l.due { "  RE-SIGN DUE" } else { "" }
                    );
                }
            }
        }
        if !due.is_empty() {
            log::warn!(
                "{} expire within {} days: run `generator tuf resign`{}",
                due.join(", "),
                repo.config.resign_days,
                if due.contains(&"root") {
                    " --include-root"
                } else {
                    ""
                }
            );
            if check {
                bail!("{} due for re-signing", due.join(", "));
            }
        }
        Ok(())
    }

    fn report(&self, v: Value) -> Result<()> {
        if self.format == OutputFormat::Json {
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Ok(())
    }
}

/// Signs root N+1 (`root` with version and expiry set here) with `signers`, and checks it
/// verifies under both the current root and itself (spec 5.3.4).
fn new_root(repo: &TufRepo, mut root: Root, signers: &[&Ed25519Seed], now: i64) -> Result<Stored> {
    root.version = repo.root.version + 1;
    root.expires = tuf::format_expires(repo.config.expires_at("root", now));
    let mut unique: Vec<&Ed25519Seed> = Vec::new();
    for s in signers {
        if !unique.iter().any(|u| u.keyid() == s.keyid()) {
            unique.push(s);
        }
    }
    let stored = Stored::from_md(tuf::sign_metadata(serde_json::to_value(&root)?, &unique)?)?;
    match RootChain::resume(repo.root.clone()).check_next(&stored.bytes) {
        Ok(_) => Ok(stored),
        Err(e @ ChainError::NotSignedByPrevious { .. }) => Err(anyhow::anyhow!(
            "the new root is not signed by a threshold of the current root keys ({e}): give \
             them with --keys DIR (root.key) or TUF_ROOT_KEY"
        )),
        Err(e) => Err(anyhow::anyhow!("the new root does not verify: {e}")),
    }
}

fn role_keyids(root: &Root) -> BTreeMap<&'static str, Vec<String>> {
    TOP_LEVEL_ROLES
        .iter()
        .map(|r| {
            (
                *r,
                root.roles
                    .get(*r)
                    .map(|x| x.keyids.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Puts the timestamp seed into the key store's `EDGE_SECRETS` (and its exports).
fn set_edge_timestamp_key(dir: &Path, seed: &Ed25519Seed) -> Result<()> {
    let mut store = Keystore::load(dir)?;
    store.secrets.tuf_timestamp_key = Some(seed.to_hex());
    store.save()?;
    log::info!(
        "-> the timestamp key is in {}/secrets.json (EDGE_SECRETS.tuf_timestamp_key); deploy it \
         with `wrangler secret bulk {}/export/secrets-bulk.json`",
        dir.display(),
        dir.display()
    );
    Ok(())
}

fn relative_to(path: &Path, base: &Path) -> Result<PathBuf> {
    let abs = |p: &Path| -> Result<PathBuf> {
        std::fs::create_dir_all(p)?;
        Ok(p.canonicalize()?)
    };
    let (p, b) = (abs(path)?, abs(base)?);
    let common = p
        .components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = PathBuf::new();
    for _ in b.components().skip(common) {
        out.push("..");
    }
    for c in p.components().skip(common) {
        out.push(c);
    }
    Ok(out)
}

fn config_text(c: &TufConfig) -> Result<String> {
    let mut text = String::from(
        "# TUF settings (docs/tuf.md). Expiry in days; timestamp window and TTL in seconds.\n",
    );
    if c.keys_dir.is_some() {
        text.push_str(
            "# DEMO ONLY: keys_dir keeps the private keys inside the repository. Never do this\n\
             # for a real repository: pass --tuf-keys or TUF_*_KEY from CI secrets instead.\n",
        );
    }
    text.push_str(&toml::to_string(c)?);
    Ok(text)
}
