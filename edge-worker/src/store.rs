//! Everything the handlers read: the generator's edge data (`_edge/…`, through the assets
//! binding: the worker tree `site-edge/` is uploaded as the assets, the public `site/` has no
//! `_edge/`; docs/site-layout.md), credential records (KV `KEYS`), the recoverable secrets (worker secret
//! `EDGE_SECRETS`). The nonces are in Durable Objects (`crate::nonces`).
//!
//! Edge data and secrets belong to one deployment and never change under an isolate, so they
//! are cached for the isolate's life. Credential records are cached for [`RECORD_CACHE_MS`]:
//! a revocation reaches the edge within KV's own propagation delay (about 60 s) plus that.

use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use update_protocol::hot_update::Prepared;
use update_protocol::index::{EdgeApp, EdgeLookup, paths};
use update_protocol::keys::{self, EdgeSecrets, KeyRecord, SECRETS_VAR};
use update_protocol::names::AppId;
use update_protocol::serve::tuf::TufCache;
use update_protocol::serve::{self, StoreError, Stored};
use update_protocol::time::Timestamp;
use worker::{Env, Result};

/// How long a credential record (or its absence) is trusted without asking KV again.
pub const RECORD_CACHE_MS: i64 = 30_000;

/// Most records kept per isolate; the cache is emptied when it grows past this.
const RECORD_CACHE_MAX: usize = 10_000;

/// A cached record: when it was read (ms) and what KV held.
type CachedRecord = (i64, Option<Rc<KeyRecord>>);

thread_local! {
    static LOOKUP: RefCell<Option<Rc<EdgeLookup>>> = const { RefCell::new(None) };
    static APPS: RefCell<HashMap<AppId, Rc<EdgeApp>>> = RefCell::new(HashMap::new());
    static SECRETS: RefCell<Option<Rc<EdgeSecrets>>> = const { RefCell::new(None) };
    static RECORDS: RefCell<HashMap<String, CachedRecord>> = RefCell::new(HashMap::new());
    /// Each app's release order for protocol A, prepared once per isolate (the edge data, and
    /// so the order, never changes under it).
    static PREPARED: RefCell<HashMap<AppId, Rc<Prepared>>> = RefCell::new(HashMap::new());
    /// The TUF timestamp signer's checked state and last signed window.
    static TUF: Rc<TufCache> = Rc::new(TufCache::default());
    /// [`clock`]'s offset, read once per isolate (a change of vars starts new isolates).
    static CLOCK_OFFSET_MS: std::cell::OnceCell<i64> = const { std::cell::OnceCell::new() };
}

/// The variable that moves the protocols' clock by whole days: for the end-to-end tests'
/// simulated days under `wrangler dev` (`tests/tests/edge_ingest.rs`); a deployment never sets
/// it (`docs/telemetry.md`).
pub const CLOCK_OFFSET_VAR: &str = "EDGE_CLOCK_OFFSET_DAYS";

/// The time the protocols see: [`now`], moved by [`CLOCK_OFFSET_VAR`] days when it is set
/// (unset or unreadable: not moved).
pub fn clock(env: &Env) -> Timestamp {
    let offset = CLOCK_OFFSET_MS.with(|o| {
        *o.get_or_init(|| {
            env.var(CLOCK_OFFSET_VAR)
                .ok()
                .and_then(|v| v.to_string().trim().parse::<i64>().ok())
                .map_or(0, |days| days.saturating_mul(86_400_000))
        })
    });
    Timestamp::from_unix_millis(now().unix_millis().saturating_add(offset))
}

/// The current time from the runtime clock (`SystemTime` panics on wasm32).
pub fn now() -> Timestamp {
    // Milliseconds since 1970 fit an i64 for 292 million years; the cast cannot overflow.
    #[allow(clippy::cast_possible_truncation)]
    Timestamp::from_unix_millis(worker::Date::now().as_millis() as i64)
}

/// The bytes of one file of the deployed worker tree (the public files and `_edge/`, read
/// through the assets binding); `None` when it does not exist.
pub async fn asset(env: &Env, path: &str) -> Result<Option<Vec<u8>>> {
    match asset_response(env, path).await? {
        Some(mut resp) => Ok(Some(resp.bytes().await?)),
        None => Ok(None),
    }
}

/// The assets binding's answer for one file of the deployed site, to read or to stream: `None`
/// for a 404, an error for any status but 200.
pub async fn asset_response(env: &Env, path: &str) -> Result<Option<worker::Response>> {
    // The host is ignored by the assets binding; the path is what selects the file.
    let url = format!("https://assets.invalid/{path}");
    let resp = env.assets("ASSETS")?.fetch(url, None).await?;
    match resp.status_code() {
        200 => Ok(Some(resp)),
        404 => Ok(None),
        status => Err(worker::Error::RustError(format!(
            "edge data {path}: status {status}"
        ))),
    }
}

/// Fetches and parses one edge file; `None` when it does not exist.
async fn read<T: DeserializeOwned>(env: &Env, path: &str) -> Result<Option<T>> {
    let Some(bytes) = asset(env, path).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| worker::Error::RustError(format!("edge data {path}: {e}")))
}

/// The lookup tables from protocol identifiers to apps.
pub async fn lookup(env: &Env) -> Result<Rc<EdgeLookup>> {
    if let Some(l) = LOOKUP.with_borrow(Clone::clone) {
        return Ok(l);
    }
    let l: Rc<EdgeLookup> = Rc::new(read(env, paths::EDGE_LOOKUP).await?.unwrap_or_default());
    LOOKUP.set(Some(l.clone()));
    Ok(l)
}

/// One app's edge data.
pub async fn app(env: &Env, id: &AppId) -> Result<Option<Rc<EdgeApp>>> {
    if let Some(a) = APPS.with_borrow(|m| m.get(id).cloned()) {
        return Ok(Some(a));
    }
    let Some(a) = read::<EdgeApp>(env, &paths::edge_app(id)).await? else {
        return Ok(None);
    };
    let a = Rc::new(a);
    APPS.with_borrow_mut(|m| m.insert(id.clone(), a.clone()));
    Ok(Some(a))
}

/// The recoverable secrets; empty when the worker secret is not set.
///
/// # Errors
/// Fails when the secret is set but is not valid JSON (the message does not include it).
pub fn secrets(env: &Env) -> Result<Rc<EdgeSecrets>> {
    if let Some(s) = SECRETS.with_borrow(Clone::clone) {
        return Ok(s);
    }
    let s = match env.secret(SECRETS_VAR) {
        Ok(v) => serde_json::from_str(&v.to_string())
            .map_err(|e| worker::Error::RustError(format!("{SECRETS_VAR} is not valid: {e}")))?,
        Err(_) => EdgeSecrets::default(),
    };
    let s = Rc::new(s);
    SECRETS.set(Some(s.clone()));
    Ok(s)
}

/// The record of a presented credential (looked up by its sha256), `None` when unknown.
pub async fn record(env: &Env, secret: &str) -> Result<Option<Rc<KeyRecord>>> {
    let key = keys::kv_key(secret);
    let now = now().unix_millis();
    let cached = RECORDS.with_borrow(|m| m.get(&key).cloned());
    if let Some((at, r)) = cached
        && now - at < RECORD_CACHE_MS
    {
        return Ok(r);
    }
    let text = env.kv("KEYS")?.get(&key).text().await?;
    // A record that does not parse is treated as unknown: it grants nothing.
    let r = text
        .and_then(|t| serde_json::from_str::<KeyRecord>(&t).ok())
        .map(Rc::new);
    RECORDS.with_borrow_mut(|m| {
        if m.len() >= RECORD_CACHE_MAX {
            m.clear();
        }
        m.insert(key, (now, r.clone()));
    });
    Ok(r)
}

/// The stores of `update_protocol::serve` over this worker's bindings: edge data through the
/// assets binding, credential records in KV, the secrets from `EDGE_SECRETS`, nonces in
/// Durable Objects (`crate::nonces`) and telemetry in D1 (`crate::telemetry`).
pub struct Bindings<'e> {
    /// The worker's environment.
    pub env: &'e Env,
}

/// A binding's error as a store failure (the message names the binding's complaint, never a
/// secret).
pub fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

impl serve::EdgeData for Bindings<'_> {
    async fn lookup(&self) -> Stored<Rc<EdgeLookup>> {
        lookup(self.env).await.map_err(failed)
    }

    async fn app(&self, id: &AppId) -> Stored<Option<Rc<EdgeApp>>> {
        app(self.env, id).await.map_err(failed)
    }

    fn secrets(&self) -> Stored<Rc<EdgeSecrets>> {
        secrets(self.env).map_err(failed)
    }

    async fn site_file(&self, path: &str) -> Stored<Option<Vec<u8>>> {
        asset(self.env, path).await.map_err(failed)
    }

    fn tuf_cache(&self) -> Rc<TufCache> {
        TUF.with(Clone::clone)
    }

    fn hot_update_order(&self, app: &EdgeApp) -> Rc<Prepared> {
        PREPARED.with_borrow_mut(|m| {
            m.entry(app.app.id.clone())
                .or_insert_with(|| Rc::new(Prepared::new(app)))
                .clone()
        })
    }
}

impl serve::Credentials for Bindings<'_> {
    async fn record(&self, secret: &str) -> Stored<Option<Rc<KeyRecord>>> {
        record(self.env, secret).await.map_err(failed)
    }
}
