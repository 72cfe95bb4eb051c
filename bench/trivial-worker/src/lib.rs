//! The baseline of `bench/edge-throughput.sh`: a workers-rs 0.8 worker built exactly like the
//! edge worker that answers every request with the same small JSON body. Its requests per
//! second are what workerd, the workers-rs glue and the request/response plumbing cost on their
//! own.
//!
//! It reads (and ignores) the request body, as every check handler of the edge worker does:
//! under Miniflare (4.20260426.0), a keep-alive connection whose request body the worker left
//! unread is reset when the client reuses it, which would make the baseline pay a new TCP
//! connection per request (plain `workerd serve` keeps such connections).
//!
//! A request with an `X-Nonce` header also does what protocol D's nonce check does
//! (`edge-worker/src/nonces.rs`) and nothing else: one claim in a Durable Object of the
//! `NONCE_SHARDS` namespace (its own SQLite-backed class `NonceShard`), the object named
//! `shard-<n>` for a hash of the nonce over 128 shards, fetched at
//! `/claim?key=..&ttl=900`, which runs the edge's one INSERT … ON CONFLICT … RETURNING statement.
//! A nonce already claimed is answered 401. That row of the benchmark is the floor of a signed
//! D request. (The edge's object also sets a sweep alarm once per object instance; this one
//! does not.) Without `X-Nonce` the object is not touched.

use worker::{
    Context, Date, DurableObject, Env, Request, Response, Result, SqlStorageValue, State, Url,
    durable_object, event,
};

/// About the size of a small update-check answer.
const BODY: &str = r#"{"code":200,"msg":"ok","data":{"update":false,"version":"1.0.0"}}"#;

/// As many shards as the edge (`update_protocol::toolsetlink::NONCE_SHARDS`).
const SHARDS: u32 = 128;

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let _ = req.bytes().await;
    if let Some(nonce) = req.headers().get("x-nonce")? {
        // FNV-1a: any cheap, stable hash spreads the nonces over the shards.
        let hash = nonce.bytes().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        });
        let stub = env
            .durable_object("NONCE_SHARDS")?
            .get_by_name(&format!("shard-{}", hash % SHARDS))?;
        let mut url = Url::parse("https://nonces.internal/claim")?;
        url.query_pairs_mut()
            .append_pair("key", &nonce)
            .append_pair("ttl", "900");
        let mut resp = stub.fetch_with_str(url.as_str()).await?;
        if resp.text().await? != "fresh" {
            return Response::error("nonce already used", 401);
        }
    }
    let resp = Response::ok(BODY)?;
    resp.headers().set("content-type", "application/json")?;
    Ok(resp)
}

/// The used nonces of one shard: the edge's `used (key, expires)` table and claim statement.
#[durable_object]
struct NonceShard {
    state: State,
}

impl DurableObject for NonceShard {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(
            "CREATE TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY, expires INTEGER NOT NULL)",
            None,
        ) {
            worker::console_error!("nonce shard: create table: {e}");
        }
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let (Some(key), Some(Ok(ttl))) = (param("key"), param("ttl").map(|t| t.parse::<i64>()))
        else {
            return Response::error("key and ttl are required", 400);
        };
        let now = Date::now().as_millis() as i64;
        let rows = self.state.storage().sql().exec(
            "INSERT INTO used (key, expires) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE used.expires <= ? \
             RETURNING key",
            vec![
                SqlStorageValue::from(key),
                SqlStorageValue::from(now.saturating_add(ttl.saturating_mul(1000))),
                SqlStorageValue::from(now),
            ],
        )?;
        Response::ok(if rows.count() == 1 { "fresh" } else { "used" })
    }
}

/// Bound as the edge's `ROLLOUT_CONTROL` is (`wrangler.toml`), so that both workers run with
/// the same bindings; the trivial worker never calls it.
#[durable_object]
struct RolloutControl {
    _state: State,
}

impl DurableObject for RolloutControl {
    fn new(state: State, _env: Env) -> Self {
        Self { _state: state }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::ok(r#"{"releases":{},"history":[]}"#)
    }
}
