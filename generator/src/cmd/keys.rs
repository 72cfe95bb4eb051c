//! `generator keys`: create, import, list, revoke and rotate the credentials the edge checks,
//! and export them for `wrangler kv bulk put` and worker secrets (see [`crate::keystore`]).

use crate::args::OutputFormat;
use crate::keystore::{self, Keystore};
use anyhow::{Context, Result, bail};
use serde::Serialize;
use std::path::{Path, PathBuf};
use update_protocol::digest::to_hex;
use update_protocol::keys::{
    AccessSecret, KeyKind, KeyRecord, KeyStatus, SIGNING_GRACE_SECONDS, SigningSecret,
};
use update_protocol::manifest::AppManifest;
use update_protocol::names::{AppId, ChannelKey};
use update_protocol::time::Timestamp;

/// Arguments of `keys`.
#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    /// Release repository, to check app ids and channels against `apps/`.
    #[arg(long, default_value = ".", global = true)]
    pub root: PathBuf,
    /// Key store directory [default: ROOT/keys].
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// Result format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, global = true)]
    pub format: OutputFormat,
    /// The current time, for tests (RFC 3339).
    #[arg(long, hide = true, global = true)]
    pub now: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub action: Action,
}

/// What `keys` does.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Create a credential; its secret is printed once, on stdout.
    Create(CreateArgs),
    /// Store a credential issued elsewhere (e.g. by the server this one replaces).
    Import(CreateArgs),
    /// List credentials (never their secrets).
    List,
    /// Revoke a key, token or license by its handle (`k-…`), or remove an access key.
    Revoke {
        /// A handle from `keys list`, or a toolsetlink access key.
        handle: String,
    },
    /// Set a key's, token's or license's status: `suspended` refuses it until it is made
    /// `active` again (licenses then answer "not active"); `revoked` is for good.
    Status {
        /// A handle from `keys list`.
        handle: String,
        /// The new status.
        #[arg(value_enum)]
        status: StatusArg,
    },
    /// Replace a credential with a new one: a key, token or license by handle (the old one is
    /// revoked), an access key's secret, the download link key (`download-link-key`), or an
    /// app's signing secret with `--app` (the previous secret keeps signing for 24 hours).
    Rotate {
        /// A handle from `keys list`, a toolsetlink access key, or `download-link-key`.
        handle: Option<String>,
        /// The app whose signing secret to rotate.
        #[arg(long, conflicts_with = "handle")]
        app: Option<String>,
    },
    /// Write the deployable files (they are also rewritten after every change).
    Export {
        /// KV bulk file [default: DIR/export/kv-bulk.json].
        #[arg(long)]
        kv: Option<PathBuf>,
        /// dotenv file for `wrangler dev` [default: DIR/export/dev.vars].
        #[arg(long)]
        dev_vars: Option<PathBuf>,
        /// `wrangler secret bulk` file [default: DIR/export/secrets-bulk.json].
        #[arg(long)]
        secret_bulk: Option<PathBuf>,
    },
}

/// A status to set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    /// Usable.
    Active,
    /// Refused until made active again.
    Suspended,
    /// Refused for good.
    Revoked,
}

/// What kind of credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Protocol A project key (`X-API-Key`).
    ApiKey,
    /// Protocol A user token (`Authorization: Bearer hot_…`).
    HotToken,
    /// Protocol B user token (`token`); without `--app` it sees every app.
    ZealotToken,
    /// Protocol B channel key (`channel_key`), for one app and `--channel`.
    ChannelKey,
    /// Protocol C license key (`LIC-` + 32 uppercase hex).
    License,
    /// Protocol D access key and its secret key.
    AccessKey,
    /// Protocol C per-app HMAC signing secret.
    SigningSecret,
    /// Telemetry: the key of the machine-id hashes (one per deployment; rotating it restarts
    /// the counts of distinct machines).
    TelemetrySalt,
    /// Telemetry: a token that may read the stats (`Authorization: Bearer …`).
    AdminToken,
    /// The key of private apps' signed download links (one per deployment; rotating it
    /// voids the links handed out so far, and clients get new ones at their next check).
    DownloadLinkKey,
}

/// Arguments of `create` and `import`.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// What to create.
    #[arg(value_enum)]
    pub kind: Kind,
    /// App it grants (repeat for several).
    #[arg(long = "app")]
    pub apps: Vec<String>,
    /// Channel of a channel key.
    #[arg(long)]
    pub channel: Option<String>,
    /// Expiry: RFC 3339 (`2027-01-01T00:00:00Z`) or a number of days (`365d`).
    #[arg(long)]
    pub expires: Option<String>,
    /// Who or what holds it.
    #[arg(long)]
    pub label: Option<String>,
    /// The secret value (required by `import`; `create` generates one).
    #[arg(long)]
    pub secret: Option<String>,
    /// A toolsetlink access key id (generated when omitted).
    #[arg(long)]
    pub access_key: Option<String>,
}

/// What `create`, `import` and `rotate` print.
#[derive(Debug, Serialize)]
struct Created {
    id: String,
    kind: &'static str,
    apps: Vec<AppId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<ChannelKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_key: Option<String>,
    secret: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

impl KeysArgs {
    /// Runs the command.
    ///
    /// # Errors
    /// Fails on bad arguments, unknown apps and I/O errors.
    pub fn run(self) -> Result<()> {
        let dir = self.dir.clone().unwrap_or_else(|| self.root.join("keys"));
        let now = match &self.now {
            Some(s) => Timestamp::parse_rfc3339(s).context("--now")?,
            None => now()?,
        };
        let mut store = Keystore::load(&dir)?;
        match &self.action {
            Action::Create(a) => self.create(&mut store, a, false, now),
            Action::Import(a) => self.create(&mut store, a, true, now),
            Action::List => self.list(&store),
            Action::Revoke { handle } => revoke(&mut store, handle),
            Action::Status { handle, status } => set_status(&mut store, handle, *status),
            Action::Rotate { handle, app } => self.rotate(&mut store, handle, app, now),
            Action::Export {
                kv,
                dev_vars,
                secret_bulk,
            } => {
                let out = dir.join(keystore::EXPORT_DIR);
                let pick = |p: &Option<PathBuf>, name: &str| p.clone().unwrap_or(out.join(name));
                store.export(
                    &pick(kv, keystore::KV_BULK_FILE),
                    &pick(dev_vars, keystore::DEV_VARS_FILE),
                    &pick(secret_bulk, keystore::SECRET_BULK_FILE),
                )
            }
        }
    }

    fn create(
        &self,
        store: &mut Keystore,
        a: &CreateArgs,
        import: bool,
        now: Timestamp,
    ) -> Result<()> {
        if import && a.secret.is_none() {
            bail!("`keys import` needs --secret <VALUE>: the credential to store");
        }
        if let Some(s) = &a.secret {
            keystore::check_secret_value(s).context("--secret")?;
        }
        let apps = self.check_apps(a)?;
        let expires_at = a.expires.as_deref().map(|e| expiry(e, now)).transpose()?;
        let mut note = expires_at
            .filter(|e| *e <= now)
            .map(|e| format!("expires_at {} is already past", e.to_seconds_z()));
        let created = match a.kind {
            Kind::AccessKey => {
                let access_key = match &a.access_key {
                    Some(k) => {
                        keystore::check_secret_value(k).context("--access-key")?;
                        k.clone()
                    }
                    None => format!("AK{}", to_hex(&keystore::random_bytes::<10>()?)),
                };
                if store.secrets.toolsetlink.contains_key(&access_key) {
                    bail!("access key {access_key} exists; rotate or revoke it instead");
                }
                let secret = a.secret.clone().map_or_else(new_hex, Ok)?;
                store.secrets.toolsetlink.insert(
                    access_key.clone(),
                    AccessSecret {
                        secret: secret.clone(),
                        apps: apps.clone(),
                    },
                );
                Created {
                    id: access_key.clone(),
                    kind: "access-key",
                    apps,
                    channel: None,
                    access_key: Some(access_key),
                    secret,
                    note,
                }
            }
            Kind::DownloadLinkKey => {
                if store.secrets.download_link_key.is_some() {
                    bail!(
                        "the download link key exists; `keys rotate download-link-key` replaces it"
                    );
                }
                let secret = a.secret.clone().map_or_else(new_hex, Ok)?;
                store.secrets.download_link_key = Some(secret.clone());
                Created {
                    id: "download-link-key".to_owned(),
                    kind: "download-link-key",
                    apps: Vec::new(),
                    channel: None,
                    access_key: None,
                    secret,
                    note,
                }
            }
            Kind::TelemetrySalt | Kind::AdminToken => {
                let secret = a.secret.clone().map_or_else(new_hex, Ok)?;
                let kind = if a.kind == Kind::TelemetrySalt {
                    if store.secrets.telemetry_salt.is_some() {
                        bail!("the telemetry salt exists; replacing it would restart every count");
                    }
                    store.secrets.telemetry_salt = Some(secret.clone());
                    "telemetry-salt"
                } else {
                    store
                        .secrets
                        .admin_tokens
                        .push(update_protocol::keys::sha256_hex(&secret));
                    "admin-token"
                };
                Created {
                    id: kind.to_owned(),
                    kind,
                    apps: Vec::new(),
                    channel: None,
                    access_key: None,
                    secret,
                    note,
                }
            }
            Kind::SigningSecret => {
                let [app] = apps.as_slice() else {
                    bail!("a signing secret belongs to exactly one app: give one --app");
                };
                if store.secrets.signing.contains_key(app) {
                    bail!("{app} has a signing secret; `keys rotate --app {app}` replaces it");
                }
                let secret = a.secret.clone().map_or_else(new_hex, Ok)?;
                store.secrets.signing.insert(
                    app.clone(),
                    SigningSecret {
                        current: secret.clone(),
                        previous: None,
                        previous_expires_at: None,
                    },
                );
                Created {
                    id: format!("signing:{app}"),
                    kind: "signing-secret",
                    apps,
                    channel: None,
                    access_key: None,
                    secret,
                    note,
                }
            }
            kind => {
                let kind = key_kind(kind);
                if kind == KeyKind::ZealotToken && apps.is_empty() {
                    note.get_or_insert_with(|| "no --app: this token sees every app".into());
                }
                let secret = match &a.secret {
                    Some(s) => s.clone(),
                    None => new_secret(kind)?,
                };
                let record = KeyRecord {
                    id: KeyRecord::handle(&secret),
                    kind,
                    apps: apps.clone(),
                    channel: a.channel.as_deref().map(ChannelKey::new).transpose()?,
                    status: KeyStatus::Active,
                    expires_at,
                    created_at: now,
                    label: a.label.clone(),
                };
                let id = record.id.clone();
                let channel = record.channel.clone();
                store.insert(&secret, record)?;
                Created {
                    id,
                    kind: kind.as_str(),
                    apps,
                    channel,
                    access_key: None,
                    secret,
                    note,
                }
            }
        };
        store.save()?;
        self.print_created(&created, store.dir())
    }

    fn print_created(&self, c: &Created, dir: &Path) -> Result<()> {
        match self.format {
            OutputFormat::Json => println!("{}", serde_json::to_string_pretty(c)?),
            OutputFormat::Text => {
                let apps: Vec<_> = c.apps.iter().map(AppId::as_str).collect();
                let scope = if apps.is_empty() {
                    "every app".to_owned()
                } else {
                    apps.join(", ")
                };
                log::info!("{} {} for {scope}", c.kind, c.id);
                if let Some(n) = &c.note {
                    log::warn!("{n}");
                }
                log::info!(
                    "the secret below is shown once; deploy with the files in {}",
                    dir.join(keystore::EXPORT_DIR).display()
                );
                if let Some(k) = &c.access_key {
                    println!("access key: {k}");
                    println!("secret key: {}", c.secret);
                } else {
                    println!("{}", c.secret);
                }
            }
        }
        Ok(())
    }

    fn list(&self, store: &Keystore) -> Result<()> {
        #[derive(Serialize)]
        struct Listing<'a> {
            records: Vec<&'a KeyRecord>,
            access_keys: Vec<(&'a String, &'a Vec<AppId>)>,
            signing: Vec<(&'a AppId, Option<Timestamp>)>,
        }
        let mut records: Vec<_> = store.records.values().collect();
        records.sort_by(|a, b| (a.kind, a.created_at, &a.id).cmp(&(b.kind, b.created_at, &b.id)));
        let l = Listing {
            records,
            access_keys: store
                .secrets
                .toolsetlink
                .iter()
                .map(|(k, s)| (k, &s.apps))
                .collect(),
            signing: store
                .secrets
                .signing
                .iter()
                .map(|(a, s)| (a, s.previous_expires_at))
                .collect(),
        };
        if self.format == OutputFormat::Json {
            println!("{}", serde_json::to_string_pretty(&l)?);
            return Ok(());
        }
        for r in &l.records {
            let apps: Vec<_> = r.apps.iter().map(AppId::as_str).collect();
            println!(
                "{}\t{}\t{}{}\t{}\t{}\t{}",
                r.id,
                r.kind.as_str(),
                if apps.is_empty() {
                    "*".to_owned()
                } else {
                    apps.join(",")
                },
                r.channel
                    .as_ref()
                    .map(|c| format!("/{c}"))
                    .unwrap_or_default(),
                status_name(r.status),
                r.expires_at
                    .map(Timestamp::to_seconds_z)
                    .unwrap_or_else(|| "-".into()),
                r.label.as_deref().unwrap_or("")
            );
        }
        for (k, apps) in &l.access_keys {
            let apps: Vec<_> = apps.iter().map(AppId::as_str).collect();
            println!(
                "{k}\taccess-key\t{}",
                if apps.is_empty() {
                    "*".to_owned()
                } else {
                    apps.join(",")
                }
            );
        }
        for (app, grace) in &l.signing {
            let g = grace.map(|g| format!("previous secret signs until {}", g.to_seconds_z()));
            println!(
                "signing:{app}\tsigning-secret\t{app}\t{}",
                g.unwrap_or_default()
            );
        }
        Ok(())
    }

    fn rotate(
        &self,
        store: &mut Keystore,
        handle: &Option<String>,
        app: &Option<String>,
        now: Timestamp,
    ) -> Result<()> {
        let created = if let Some(app) = app {
            let app = AppId::new(app.as_str())?;
            let Some(s) = store.secrets.signing.get_mut(&app) else {
                bail!(
                    "{app} has no signing secret; create one with `keys create signing-secret --app {app}`"
                );
            };
            let new = new_hex()?;
            s.previous = Some(std::mem::replace(&mut s.current, new.clone()));
            s.previous_expires_at = Some(now.add_seconds(SIGNING_GRACE_SECONDS));
            Created {
                id: format!("signing:{app}"),
                kind: "signing-secret",
                apps: vec![app],
                channel: None,
                access_key: None,
                secret: new,
                note: Some("the previous secret also signs for 24 hours".into()),
            }
        } else if handle.as_deref() == Some("download-link-key") {
            if store.secrets.download_link_key.is_none() {
                bail!(
                    "there is no download link key; create one with `keys create download-link-key`"
                );
            }
            let new = new_hex()?;
            store.secrets.download_link_key = Some(new.clone());
            Created {
                id: "download-link-key".to_owned(),
                kind: "download-link-key",
                apps: Vec::new(),
                channel: None,
                access_key: None,
                secret: new,
                note: Some(
                    "links signed with the previous key stop working once this is deployed; \
                     clients get new ones at their next check"
                        .into(),
                ),
            }
        } else if let Some(h) = handle {
            if let Some(s) = store.secrets.toolsetlink.get_mut(h) {
                s.secret = new_hex()?;
                Created {
                    id: h.clone(),
                    kind: "access-key",
                    apps: s.apps.clone(),
                    channel: None,
                    access_key: Some(h.clone()),
                    secret: s.secret.clone(),
                    note: None,
                }
            } else {
                let Some(old) = store.find_mut(h) else {
                    bail!("no credential has the handle {h} (see `keys list`)");
                };
                old.status = KeyStatus::Revoked;
                let mut record = old.clone();
                let secret = new_secret(record.kind)?;
                record.id = KeyRecord::handle(&secret);
                record.status = KeyStatus::Active;
                record.created_at = now;
                let c = Created {
                    id: record.id.clone(),
                    kind: record.kind.as_str(),
                    apps: record.apps.clone(),
                    channel: record.channel.clone(),
                    access_key: None,
                    secret: secret.clone(),
                    note: Some(format!("{h} is revoked")),
                };
                store.insert(&secret, record)?;
                c
            }
        } else {
            bail!("give a handle (`keys list`) or --app <APP> for a signing secret");
        };
        store.save()?;
        self.print_created(&created, store.dir())
    }

    /// Checks `--app` and `--channel` against the repository's app manifests.
    fn check_apps(&self, a: &CreateArgs) -> Result<Vec<AppId>> {
        let needs_channel = a.kind == Kind::ChannelKey;
        if a.channel.is_some() && !needs_channel {
            bail!("--channel applies to channel keys only");
        }
        if matches!(
            a.kind,
            Kind::TelemetrySalt | Kind::AdminToken | Kind::DownloadLinkKey
        ) {
            if !a.apps.is_empty() || a.channel.is_some() {
                bail!(
                    "a {} belongs to the deployment: drop --app",
                    kind_name(a.kind)
                );
            }
            return Ok(Vec::new());
        }
        if a.apps.is_empty() && !matches!(a.kind, Kind::ZealotToken | Kind::AccessKey) {
            bail!("give the app it is for with --app <APP>");
        }
        if needs_channel && a.apps.len() != 1 {
            bail!("a channel key belongs to exactly one app: give one --app");
        }
        let mut apps = Vec::new();
        for id in &a.apps {
            let path = self.root.join("apps").join(format!("{id}.toml"));
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!("unknown app {id:?}: {} cannot be read (--root points at the release repository)", path.display())
            })?;
            let m: AppManifest = toml::from_str(&text).with_context(|| {
                format!(
                    "{}: invalid app manifest (run `generator validate`)",
                    path.display()
                )
            })?;
            let p = &m.protocols;
            let (has, table) = match a.kind {
                Kind::ApiKey | Kind::HotToken => (p.hot_update.is_some(), "hot_update"),
                Kind::ZealotToken | Kind::ChannelKey => (p.zealot.is_some(), "zealot"),
                Kind::License | Kind::SigningSecret => (p.license.is_some(), "license"),
                Kind::AccessKey => (p.toolsetlink.is_some(), "toolsetlink"),
                Kind::TelemetrySalt | Kind::AdminToken | Kind::DownloadLinkKey => (true, ""),
            };
            if !has {
                bail!(
                    "{}: app {id} has no [protocols.{table}] table, so a {} would never be checked; add the table first",
                    path.display(),
                    kind_name(a.kind)
                );
            }
            if let Some(ch) = &a.channel
                && !m.channels.iter().any(|c| c.key.as_str() == ch)
            {
                bail!(
                    "{}: app {id} has no channel {ch:?} (see its [[channels]])",
                    path.display()
                );
            }
            apps.push(m.id);
        }
        if needs_channel && a.channel.is_none() {
            bail!("give the channel with --channel <CHANNEL>");
        }
        Ok(apps)
    }
}

fn revoke(store: &mut Keystore, handle: &str) -> Result<()> {
    if store.secrets.toolsetlink.remove(handle).is_some() {
        log::info!("removed access key {handle}");
    } else if let Some(r) = store.find_mut(handle) {
        r.status = KeyStatus::Revoked;
        log::info!("revoked {} {handle}", r.kind.as_str());
    } else {
        bail!("no credential has the handle {handle} (see `keys list`)");
    }
    store.save()
}

fn set_status(store: &mut Keystore, handle: &str, status: StatusArg) -> Result<()> {
    let Some(r) = store.find_mut(handle) else {
        bail!("no key, token or license has the handle {handle} (see `keys list`)");
    };
    if r.status == KeyStatus::Revoked && status != StatusArg::Revoked {
        bail!("{handle} is revoked, which is for good; create or rotate a new one");
    }
    r.status = match status {
        StatusArg::Active => KeyStatus::Active,
        StatusArg::Suspended => KeyStatus::Suspended,
        StatusArg::Revoked => KeyStatus::Revoked,
    };
    log::info!(
        "{} {handle} is now {}",
        r.kind.as_str(),
        status_name(r.status)
    );
    store.save()
}

fn status_name(s: KeyStatus) -> &'static str {
    match s {
        KeyStatus::Active => "active",
        KeyStatus::Suspended => "suspended",
        KeyStatus::Revoked => "revoked",
    }
}

fn key_kind(k: Kind) -> KeyKind {
    match k {
        Kind::ApiKey => KeyKind::ApiKey,
        Kind::HotToken => KeyKind::HotToken,
        Kind::ZealotToken => KeyKind::ZealotToken,
        Kind::ChannelKey => KeyKind::ChannelKey,
        Kind::License
        | Kind::AccessKey
        | Kind::SigningSecret
        | Kind::TelemetrySalt
        | Kind::AdminToken
        | Kind::DownloadLinkKey => KeyKind::License,
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::AccessKey => "access-key",
        Kind::SigningSecret => "signing-secret",
        Kind::TelemetrySalt => "telemetry-salt",
        Kind::AdminToken => "admin-token",
        Kind::DownloadLinkKey => "download-link-key",
        k => key_kind(k).as_str(),
    }
}

/// 64 hex digits (32 random bytes), as hotUpdateManage and ZmoAuth generate secrets.
fn new_hex() -> Result<String> {
    Ok(to_hex(&keystore::random_bytes::<32>()?))
}

/// A new credential in the format the original server of its protocol uses.
fn new_secret(kind: KeyKind) -> Result<String> {
    Ok(match kind {
        KeyKind::ApiKey => new_hex()?,
        KeyKind::HotToken => format!("hot_{}", new_hex()?),
        KeyKind::ZealotToken | KeyKind::ChannelKey => to_hex(&keystore::random_bytes::<16>()?),
        KeyKind::License => format!(
            "LIC-{}",
            to_hex(&keystore::random_bytes::<16>()?).to_ascii_uppercase()
        ),
    })
}

fn expiry(s: &str, now: Timestamp) -> Result<Timestamp> {
    if let Some(days) = s.strip_suffix('d') {
        let d: i64 = days
            .parse()
            .with_context(|| format!("--expires {s:?}: expected a number of days like 365d"))?;
        return Ok(now.add_seconds(d.saturating_mul(86_400)));
    }
    Timestamp::parse_rfc3339(s).with_context(|| {
        format!("--expires {s:?}: expected RFC 3339 (2027-01-01T00:00:00Z) or days (365d)")
    })
}

fn now() -> Result<Timestamp> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    Timestamp::from_unix(i64::try_from(d.as_secs())?, 0).context("the system clock is out of range")
}
