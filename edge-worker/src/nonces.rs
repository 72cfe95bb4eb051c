//! Single-use nonces in Durable Objects (`NONCE_SHARDS`, class [`NonceShard`]): a nonce is
//! claimed in exactly one object, chosen by `toolsetlink::nonce_shard` from the hash of the
//! access key and the nonce, and an object handles one request at a time over its own SQLite
//! storage, so a claim is strictly single use worldwide (a replay at any location, or two
//! concurrent uses, find the row). The hash spreads one busy access key over every shard
//! (`docs/scale.md`). KV is not used for nonces: it has no compare-and-set and takes about 60 s
//! to reach other locations.

use crate::store::{Bindings, failed};
use update_protocol::serve::{self, Stored};
use update_protocol::toolsetlink::nonce_shard;
use worker::{
    DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State, Url,
    durable_object,
};

/// The binding of the nonce objects (`wrangler.toml`).
const BINDING: &str = "NONCE_SHARDS";

/// How often an object deletes its expired nonces while it holds any (ms).
const SWEEP_EVERY_MS: i64 = 60_000;

impl serve::Nonces for Bindings<'_> {
    async fn first_use(&self, key: &str, ttl_seconds: u64) -> Stored<bool> {
        let claim = async {
            let shard = nonce_shard(key);
            let stub = self
                .env
                .durable_object(BINDING)?
                .get_by_name(&format!("shard-{shard}"))?;
            let mut url = Url::parse("https://nonces.internal/claim")?;
            url.query_pairs_mut()
                .append_pair("key", key)
                .append_pair("ttl", &ttl_seconds.to_string());
            let mut resp = stub.fetch_with_str(url.as_str()).await?;
            let text = resp.text().await?;
            match (resp.status_code(), text.as_str()) {
                (200, "fresh") => Ok(true),
                (200, "used") => Ok(false),
                (status, body) => Err(worker::Error::RustError(format!(
                    "nonce shard {shard} answered {status}: {body}"
                ))),
            }
        };
        claim.await.map_err(failed)
    }
}

/// One shard of the used nonces: a table of (key, expiry) in the object's SQLite storage.
#[durable_object]
pub struct NonceShard {
    state: State,
    /// Whether the sweep alarm is known to be set (kept in memory: an object that was evicted
    /// sets it again at its next claim, which is harmless).
    sweeping: std::cell::Cell<bool>,
}

impl NonceShard {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// Claims `key` until `now + ttl_ms`; `false` when it is claimed and not yet expired.
    /// One statement: an expired row is taken over, a live one is left alone (no row returned).
    fn claim(&self, key: &str, now: i64, ttl_ms: i64) -> Result<bool> {
        let cursor = self.sql().exec(
            "INSERT INTO used (key, expires) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE used.expires <= ? \
             RETURNING key",
            vec![
                SqlStorageValue::from(key.to_owned()),
                SqlStorageValue::from(now.saturating_add(ttl_ms)),
                SqlStorageValue::from(now),
            ],
        )?;
        Ok(cursor.to_array::<serde_json::Value>()?.len() == 1)
    }
}

fn now_ms() -> i64 {
    crate::store::now().unix_millis()
}

impl DurableObject for NonceShard {
    fn new(state: State, _env: Env) -> Self {
        let shard = Self {
            state,
            sweeping: std::cell::Cell::new(false),
        };
        if let Err(e) = shard.sql().exec(
            "CREATE TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY, expires INTEGER NOT NULL)",
            None,
        ) {
            worker::console_error!("nonce shard: create table: {e}");
        }
        shard
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let (Some(key), Some(ttl)) = (param("key"), param("ttl")) else {
            return Response::error("key and ttl are required", 400);
        };
        let Ok(ttl) = ttl.parse::<i64>() else {
            return Response::error("ttl is not a number", 400);
        };
        let fresh = self.claim(&key, now_ms(), ttl.saturating_mul(1000))?;
        if !self.sweeping.get() {
            self.state.storage().set_alarm(SWEEP_EVERY_MS).await?;
            self.sweeping.set(true);
        }
        Response::ok(if fresh { "fresh" } else { "used" })
    }

    /// Deletes the expired nonces; sweeps again later while any remain.
    async fn alarm(&self) -> Result<Response> {
        self.sql().exec(
            "DELETE FROM used WHERE expires <= ?",
            vec![SqlStorageValue::from(now_ms())],
        )?;
        #[derive(serde::Deserialize)]
        struct Left {
            n: i64,
        }
        let left: Left = self
            .sql()
            .exec("SELECT COUNT(*) AS n FROM used", None)?
            .one()?;
        if left.n > 0 {
            self.state.storage().set_alarm(SWEEP_EVERY_MS).await?;
        } else {
            self.sweeping.set(false);
        }
        Response::ok("swept")
    }
}
