//! Request and response plumbing shared by the protocol handlers.

use futures_util::StreamExt;
use serde::Serialize;
use update_protocol::links::{Links, Protocol};
use update_protocol::routes::{Envelope, Miss};
use worker::{Env, Request, Response, Result};

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

/// A header's value, if present and readable.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The request's query parameters, decoded; the first value of a repeated name wins.
pub fn query(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The first value of query parameter `name`.
pub fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// The request's origin (`https://host[:port]`), for making site-relative URLs absolute.
pub fn origin(req: &Request) -> String {
    req.url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// The file links of an authenticated answer of `protocol` (see `update_protocol::links`):
/// the request's origin, and the deployment's `download_link_key` to sign private files
/// with. Without the key (or with an unreadable `EDGE_SECRETS`) a private file's answer
/// fails with the protocol's 500; the reason is logged here and where it fails.
pub fn links(req: &Request, env: &Env, protocol: Protocol) -> Links {
    let key = match crate::store::secrets(env) {
        Ok(s) => s.download_link_key.clone(),
        Err(e) => {
            worker::console_error!("download links: {e}");
            None
        }
    };
    Links::new(origin(req), protocol, key.as_deref(), crate::store::now())
}

/// Logs why an answer failed with 500 when it was for want of a signed download link.
pub fn log_no_link_key(what: &str) {
    worker::console_error!(
        "{what}: a private app's file needs a signed download link, but EDGE_SECRETS has no \
         download_link_key (run `generator keys create download-link-key` and deploy the secret)"
    );
}

/// A JSON answer with `status`.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response> {
    Ok(Response::from_json(body)?.with_status(status))
}

/// The answer to a request no route takes: 404 or 405 (with `Allow`) in `envelope`'s JSON
/// body, never an empty one. Zealot's carries its `Cache-Control`, as all its answers.
pub fn miss(req: &Request, miss: Miss, envelope: Envelope, allow: &str) -> Result<Response> {
    let trace = header(req, "cf-ray").unwrap_or_default();
    let resp = json(miss.status(), &envelope.body(miss, &trace))?;
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

/// A redirect to `url` (absolute, or site-relative made absolute against `origin`).
pub fn redirect(url: &str, origin: &str) -> Result<Response> {
    let target = update_protocol::index::absolute_url(url, origin);
    let resp = Response::empty()?.with_status(302);
    resp.headers().set("location", &target)?;
    Ok(resp)
}

/// Decodes `%XX` escapes (a path segment); invalid escapes and non-UTF-8 results are kept as
/// they are, so the lookup that follows simply finds nothing.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| char::from(c).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|c| hex(*c)),
            b.get(i + 2).and_then(|c| hex(*c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                // Two hex digits make at most 255.
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}
