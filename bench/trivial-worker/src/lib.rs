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
//! A request with an `X-Nonce` header also does what protocol D's nonce check does and nothing
//! else: a get of `nonce:<X-Nonce>` in the `NONCES` KV namespace and, when absent, a put with a
//! 900 s time to live. That row of the benchmark is the floor of a signed D request.

use worker::{Context, Env, Request, Response, Result, event};

/// About the size of a small update-check answer.
const BODY: &str = r#"{"code":200,"msg":"ok","data":{"update":false,"version":"1.0.0"}}"#;

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let _ = req.bytes().await;
    if let Some(nonce) = req.headers().get("x-nonce")? {
        let kv = env.kv("NONCES")?;
        let key = format!("nonce:{nonce}");
        if kv.get(&key).text().await?.is_none() {
            kv.put(&key, "1")?.expiration_ttl(900).execute().await?;
        }
    }
    let resp = Response::ok(BODY)?;
    resp.headers().set("content-type", "application/json")?;
    Ok(resp)
}
