//! HTTP in and out: a request parsed into `update_protocol::serve::Request` (its body read
//! within the route's cap), and a `serve::Reply` turned into a response, in one place for every
//! protocol.

use futures_util::StreamExt;
use serde::Serialize;
use update_protocol::routes::{Envelope, Miss, RouteId};
use update_protocol::serve::{self, Body, Content, Reply};
use update_protocol::time::Timestamp;
use worker::{Env, Headers, Request, Response, Result};

/// The request as the protocols' handlers see it: method, path, raw query, headers (lowercase,
/// as the runtime gives them), the body when the route reads one (within its cap), the origin,
/// and the time.
pub async fn parse(
    mut req: Request,
    method: &str,
    route: RouteId,
    now: Timestamp,
) -> Result<serve::Request> {
    let body = match serve::body_cap(route) {
        Some(cap) => match body(&mut req, cap).await? {
            Some(b) => Body::Read(b),
            None => Body::TooLarge,
        },
        None => Body::Read(Vec::new()),
    };
    let url = req.url()?;
    Ok(serve::Request {
        method: method.to_owned(),
        path: url.path().to_owned(),
        query: url.query().unwrap_or_default().to_owned(),
        headers: req
            .headers()
            .entries()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect(),
        body,
        origin: url.origin().ascii_serialization(),
        now,
    })
}

/// The response of a reply; its log line, if any, is written here (an error for a 5xx).
/// A site file (`Content::Asset`) is streamed from the assets binding; when it cannot be read,
/// the reply's fallback is answered instead.
pub async fn respond(env: &Env, reply: Reply) -> Result<Response> {
    if let Some(line) = &reply.log {
        if reply.status >= 500 {
            worker::console_error!("{line}");
        } else {
            worker::console_log!("{line}");
        }
    }
    let headers = Headers::new();
    for (name, value) in &reply.headers {
        headers.set(name, value)?;
    }
    let resp = match reply.content {
        Content::Empty => Response::empty()?,
        Content::Bytes { content_type, body } => {
            headers.set("content-type", content_type)?;
            Response::from_bytes(body)?
        }
        Content::Asset { path, fallback } => match crate::store::asset_response(env, &path)
            .await
            .and_then(|found| found.ok_or_else(|| worker::Error::RustError("not found".into())))
        {
            Ok(resp) => resp,
            Err(e) => {
                worker::console_error!("asset {path}: {e}");
                return Box::pin(respond(env, *fallback)).await;
            }
        },
    };
    Ok(resp.with_status(reply.status).with_headers(headers))
}

/// Reads the body, or `None` when it is larger than `cap` bytes: by its declared length
/// (refused before a byte is read), else by what arrives, counted chunk by chunk as it streams
/// in, so that a chunked body is never held beyond `cap` plus one chunk. Past the cap, the rest
/// is read and dropped, never kept, up to [`DRAIN_LIMIT`]: an answer sent before the request's
/// body is in breaks the connection under it (under `wrangler dev` the next requests got 503
/// "worker restarted mid-request"), so the body is consumed first. A body that cannot be read
/// counts as what arrived until then (the parsers then reject it).
pub async fn body(req: &mut Request, cap: usize) -> Result<Option<Vec<u8>>> {
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > cap as u64) {
        return Ok(None);
    }
    // No body at all (a POST without one): empty, as `bytes()` read it.
    if req.inner().body().is_none() {
        return Ok(Some(Vec::new()));
    }
    let mut stream = match req.stream() {
        Ok(s) => s,
        Err(_) => return Ok(Some(Vec::new())),
    };
    let mut bytes = Vec::new();
    let mut dropped: usize = 0;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { break };
        if dropped > 0 || !fits(bytes.len(), chunk.len(), cap) {
            if dropped == 0 {
                bytes = Vec::new();
            }
            dropped = dropped.saturating_add(chunk.len());
            if dropped > DRAIN_LIMIT {
                break;
            }
            continue;
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((dropped == 0).then_some(bytes))
}

/// How much of an oversized body is read (and dropped) before the answer: Cloudflare's own
/// request body limit on the Free and Pro plans, so that no request Cloudflare passes is
/// answered before its body is in.
pub const DRAIN_LIMIT: usize = 100 * 1024 * 1024;

/// Whether `have` bytes read so far and a next chunk of `more` stay within `cap`.
fn fits(have: usize, more: usize, cap: usize) -> bool {
    have.checked_add(more).is_some_and(|n| n <= cap)
}

/// A JSON answer with `status`.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

/// The answer to a request no route takes: 404 or 405 (with `Allow`) in `envelope`'s JSON
/// body, never an empty one. Zealot's carries its `Cache-Control`, as all its answers.
pub fn miss(req: &Request, miss: Miss, envelope: Envelope, allow: &str) -> Result<Response> {
    let trace = req
        .headers()
        .get("cf-ray")
        .ok()
        .flatten()
        .unwrap_or_default();
    miss_reply(&trace, miss, envelope, allow)
}

/// [`miss`] with the trace id already read.
pub fn miss_reply(trace: &str, miss: Miss, envelope: Envelope, allow: &str) -> Result<Response> {
    let resp = json(miss.status(), &envelope.body(miss, trace))?;
    if miss == Miss::MethodNotAllowed {
        resp.headers().set("allow", allow)?;
    }
    if envelope == Envelope::Zealot {
        resp.headers()
            .set("cache-control", update_protocol::zealot::CACHE_CONTROL)?;
    }
    Ok(resp)
}

/// `resp` with header `name` set to `value`, replacing any; a response whose headers are
/// immutable (one the assets binding answered) is answered with a mutable copy of them.
pub fn with_header(resp: Response, name: &str, value: &str) -> Result<Response> {
    if resp.headers().set(name, value).is_ok() {
        return Ok(resp);
    }
    let headers = resp.headers().clone();
    headers.set(name, value)?;
    Ok(resp.with_headers(headers))
}
