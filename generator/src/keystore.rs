//! The publisher's credential store: a directory (`keys/` by default) holding
//!
//! - `records.json`: every key, token and license as its sha256 and a [`KeyRecord`]. Nothing
//!   in it can be turned back into a credential.
//! - `secrets.json`: the [`EdgeSecrets`] that must stay recoverable to check a signature
//!   (toolsetlink secret keys, per-app HMAC signing secrets with their rotation state). It is
//!   written with mode 0600 and must never be committed or copied into the site.
//! - `export/`: what deploys them, rewritten after every change: `kv-bulk.json` for
//!   `wrangler kv bulk put` into the `KEYS` namespace, `dev.vars` for `wrangler dev`, and
//!   `secrets-bulk.json` for `wrangler secret bulk`.

use crate::atomic_file::{Mode::Private, Mode::Public, write};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use update_protocol::keys::{self, EdgeSecrets, KeyRecord, SECRETS_VAR};

/// File of hashed records.
pub const RECORDS_FILE: &str = "records.json";
/// File of recoverable secrets.
pub const SECRETS_FILE: &str = "secrets.json";
/// Directory of deployable exports.
pub const EXPORT_DIR: &str = "export";
/// KV bulk file inside [`EXPORT_DIR`].
pub const KV_BULK_FILE: &str = "kv-bulk.json";
/// dotenv file inside [`EXPORT_DIR`].
pub const DEV_VARS_FILE: &str = "dev.vars";
/// `wrangler secret bulk` file inside [`EXPORT_DIR`].
pub const SECRET_BULK_FILE: &str = "secrets-bulk.json";

/// `records.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct RecordsFile {
    schema_version: u32,
    /// sha256 hex of the credential → record.
    records: BTreeMap<String, KeyRecord>,
}

/// The store, loaded in memory.
#[derive(Debug)]
pub struct Keystore {
    dir: PathBuf,
    /// sha256 hex → record.
    pub records: BTreeMap<String, KeyRecord>,
    /// Recoverable secrets.
    pub secrets: EdgeSecrets,
}

/// One line of a `wrangler kv bulk put` file.
#[derive(Debug, Serialize, Deserialize)]
pub struct KvEntry {
    /// KV key.
    pub key: String,
    /// KV value (the record as JSON).
    pub value: String,
}

impl Keystore {
    /// Loads the store in `dir`; a missing directory or file is an empty store.
    ///
    /// # Errors
    /// Fails when a file exists but cannot be read or parsed.
    pub fn load(dir: &Path) -> Result<Keystore> {
        let records: RecordsFile = read_json(&dir.join(RECORDS_FILE))?.unwrap_or_default();
        let secrets: EdgeSecrets = read_json(&dir.join(SECRETS_FILE))?.unwrap_or_default();
        Ok(Keystore {
            dir: dir.to_path_buf(),
            records: records.records,
            secrets,
        })
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a credential's record, refusing a credential that is already stored.
    ///
    /// # Errors
    /// Fails when the same credential exists.
    pub fn insert(&mut self, secret: &str, record: KeyRecord) -> Result<()> {
        let hash = keys::sha256_hex(secret);
        if self.records.contains_key(&hash) {
            bail!("this credential is already stored (as {})", record.id);
        }
        // Zealot's `/api/apps` shows each channel's key, so the newest one of a channel is kept
        // recoverable in the worker secret (KV has its sha256 only).
        if record.kind == keys::KeyKind::ChannelKey
            && let ([app], Some(channel)) = (record.apps.as_slice(), &record.channel)
        {
            self.secrets
                .zealot_channel_keys
                .entry(app.clone())
                .or_default()
                .insert(channel.clone(), secret.to_owned());
        }
        self.records.insert(hash, record);
        Ok(())
    }

    /// The record with a public handle.
    pub fn find_mut(&mut self, handle: &str) -> Option<&mut KeyRecord> {
        self.records.values_mut().find(|r| r.id == handle)
    }

    /// Writes `records.json`, `secrets.json` and the exports, each atomically.
    ///
    /// # Errors
    /// Fails on I/O errors.
    pub fn save(&self) -> Result<()> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("failed to create {}", self.dir.display()))?;
        let records = RecordsFile {
            schema_version: 1,
            records: self.records.clone(),
        };
        write(&self.dir.join(RECORDS_FILE), &pretty(&records)?, Public)?;
        write(
            &self.dir.join(SECRETS_FILE),
            &pretty(&self.secrets)?,
            Private,
        )?;
        let export = self.dir.join(EXPORT_DIR);
        std::fs::create_dir_all(&export)
            .with_context(|| format!("failed to create {}", export.display()))?;
        self.export(
            &export.join(KV_BULK_FILE),
            &export.join(DEV_VARS_FILE),
            &export.join(SECRET_BULK_FILE),
        )
    }

    /// The KV bulk entries: `key:<sha256>` → record JSON, sorted.
    ///
    /// # Errors
    /// Fails only if a record cannot be serialized.
    pub fn kv_entries(&self) -> Result<Vec<KvEntry>> {
        self.records
            .iter()
            .map(|(hash, r)| {
                Ok(KvEntry {
                    key: format!("{}{hash}", keys::KV_PREFIX),
                    value: serde_json::to_string(r)?,
                })
            })
            .collect()
    }

    /// The [`SECRETS_VAR`] value: compact JSON.
    ///
    /// # Errors
    /// Fails only if the secrets cannot be serialized.
    pub fn secrets_json(&self) -> Result<String> {
        Ok(serde_json::to_string(&self.deployed_secrets())?)
    }

    /// The secrets as deployed: a channel key is shown by `/api/apps` only while its record is
    /// active (a suspended, revoked or replaced key drops out, and comes back when reactivated).
    fn deployed_secrets(&self) -> EdgeSecrets {
        let mut s = self.secrets.clone();
        for (app, channels) in &mut s.zealot_channel_keys {
            channels.retain(|channel, key| {
                self.records.get(&keys::sha256_hex(key)).is_some_and(|r| {
                    r.kind == keys::KeyKind::ChannelKey
                        && r.status == keys::KeyStatus::Active
                        && r.apps.as_slice() == std::slice::from_ref(app)
                        && r.channel.as_ref() == Some(channel)
                })
            });
        }
        s.zealot_channel_keys.retain(|_, c| !c.is_empty());
        s
    }

    /// Writes the three deployable files to the given paths.
    ///
    /// # Errors
    /// Fails on I/O errors.
    pub fn export(&self, kv: &Path, dev_vars: &Path, secret_bulk: &Path) -> Result<()> {
        write(kv, &pretty(&self.kv_entries()?)?, Public)?;
        let json = self.secrets_json()?;
        // dotenv single quotes take the value literally; `secret_value` keeps quotes out.
        let vars = format!(
            "# Written by `generator keys`: local secrets for `wrangler dev`. Never commit.\n\
             {SECRETS_VAR}='{json}'\n"
        );
        write(dev_vars, vars.as_bytes(), Private)?;
        let bulk = BTreeMap::from([(SECRETS_VAR, json)]);
        write(secret_bulk, &pretty(&bulk)?, Private)
    }
}

/// Checks an imported secret: printable ASCII without spaces or quotes, 1..=128 characters, so
/// that it survives headers, JSON and dotenv quoting unchanged.
///
/// # Errors
/// Says what is wrong with it.
pub fn check_secret_value(s: &str) -> Result<()> {
    if s.is_empty() || s.len() > 128 {
        bail!("must be 1 to 128 characters long (it is {})", s.len());
    }
    if let Some(c) = s
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '\'' | '"' | '`' | '\\'))
    {
        bail!("must be printable ASCII without spaces, quotes or backslashes (found {c:?})");
    }
    Ok(())
}

/// `n` random bytes from the operating system.
///
/// # Errors
/// Fails when the OS has no randomness to give.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
    Ok(buf)
}

fn pretty<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    let mut out = serde_json::to_vec_pretty(v)?;
    out.push(b'\n');
    Ok(out)
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .with_context(|| format!("{}: not a valid key store file", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("failed to read {}", path.display())),
    }
}
