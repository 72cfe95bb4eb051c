//! The protocols' request handling, whole: each protocol's `handle` takes the parsed HTTP
//! request (with "now"), reads what it needs through the small store traits below, and returns
//! the protocol's answer or error as a [`Reply`]. The worker only parses HTTP into a
//! [`Request`], implements the traits over its bindings (KV, the assets binding, D1, its
//! secrets), and turns a [`Reply`] into a response in one place. So the order of every check,
//! which the seed protocols fix, lives here once, and tests run it natively against
//! in-memory stores, failing ones included.
//!
//! The traits use `async fn`: the worker is single-threaded (wasm32), so no `Send` bound is
//! wanted, and no trait object is made of them (handlers are generic).

pub mod download;
pub mod hot_update;
pub mod license;
pub mod limits;
pub mod rollout;
pub mod telemetry;
pub mod tinyaii;
pub mod toolsetlink;
pub mod tuf;
pub mod zealot;

use crate::hot_update::Prepared;
use crate::index::{EdgeApp, EdgeLookup};
use crate::keys::{EdgeSecrets, KeyRecord};
use crate::links::{Links, Protocol};
use crate::names::AppId;
use crate::routes::{Route, RouteId};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// A failure of a store (KV, the assets binding, D1, an unreadable secret): the protocol answers
/// its internal-error envelope, and the message goes to the log only (it may name internals,
/// never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a store call returns.
pub type Stored<T> = Result<T, StoreError>;

/// The generator's edge data and the deployment's secrets. Both belong to one deployment and
/// never change under a running worker, so an implementation may cache them for its life.
#[allow(async_fn_in_trait)] // single-threaded: no `Send` bound is wanted (module doc)
pub trait EdgeData {
    /// The lookup tables from protocol identifiers to apps.
    async fn lookup(&self) -> Stored<Rc<EdgeLookup>>;
    /// One app's edge data; `None` when it does not exist.
    async fn app(&self, id: &AppId) -> Stored<Option<Rc<EdgeApp>>>;
    /// The recoverable secrets (empty when none are deployed).
    fn secrets(&self) -> Stored<Rc<EdgeSecrets>>;
    /// A file of the deployed site (`path` without a leading `/`); `None` when it does not
    /// exist.
    async fn site_file(&self, path: &str) -> Stored<Option<Vec<u8>>>;
    /// What the TUF timestamp signer keeps between requests: an implementation that lives as
    /// long as a deployment keeps one; this default keeps nothing (each request checks the
    /// metadata and signs again).
    fn tuf_cache(&self) -> Rc<tuf::TufCache> {
        Rc::new(tuf::TufCache::default())
    }
    /// Protocol A's release order of `app`: an implementation that keeps apps for its life
    /// keeps this with them.
    fn hot_update_order(&self, app: &EdgeApp) -> Rc<Prepared> {
        Rc::new(Prepared::new(app))
    }
}

/// Credential records (API keys, tokens, licenses, channel keys), by the secret presented.
#[allow(async_fn_in_trait)] // single-threaded (module doc)
pub trait Credentials {
    /// The record of a presented secret (looked up by its sha256); `None` when unknown.
    async fn record(&self, secret: &str) -> Stored<Option<Rc<KeyRecord>>>;
}

/// Single-use tokens with a time to live (the nonces of signed requests).
#[allow(async_fn_in_trait)] // single-threaded (module doc)
pub trait Nonces {
    /// Records `key` for `ttl_seconds`; `false` when it was already recorded.
    async fn first_use(&self, key: &str, ttl_seconds: u64) -> Stored<bool>;
}

/// One count of a toolsetlink event (`update_events`: per app, UTC day, event, version code and
/// event code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    /// The app id.
    pub app: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    /// The event type.
    pub event: String,
    /// The client's version code.
    pub version_code: i64,
    /// The event's code (an upgrade answer's `code`, a report's `eventData.code`).
    pub code: i64,
}

/// A heartbeat's row (`machine_days`: one per app, machine and UTC day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineDay {
    /// The app id.
    pub app: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    /// The salted hash of the machine id.
    pub machine: String,
    /// The version the machine runs.
    pub version: String,
    /// Its platform.
    pub platform: String,
}

/// An error report's rows (`error_groups` counted, `error_reports` kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRow {
    /// The app id.
    pub app: String,
    /// The group: error type and top of stack, hashed.
    pub fingerprint: String,
    /// The error type.
    pub error_type: String,
    /// The message.
    pub message: String,
    /// The stack.
    pub stack: String,
    /// The top of the stack (the group's label).
    pub stack_top: String,
    /// The salted hash of the machine id.
    pub machine: String,
    /// The version that reported.
    pub version: String,
    /// The OS description.
    pub os_info: String,
    /// When (ms since 1970).
    pub at: i64,
}

/// The telemetry database.
#[allow(async_fn_in_trait)] // single-threaded (module doc)
pub trait Telemetry {
    /// Counts one event.
    async fn count_event(&self, row: &EventRow) -> Stored<()>;
    /// The counts of `app`'s `events` on each day before `before_day`.
    async fn event_counts(
        &self,
        app: &str,
        before_day: i64,
        events: &[&str],
    ) -> Stored<Vec<crate::toolsetlink::statistics::EventCount>>;
    /// Records a heartbeat (a repeat on the same day writes only when version or platform
    /// changed).
    async fn heartbeat(&self, row: &MachineDay) -> Stored<()>;
    /// Records an error report; the report's id.
    async fn error_report(&self, row: &ErrorRow) -> Stored<i64>;
    /// One app's telemetry for the stats route, with `today` as the last day counted.
    async fn app_stats(&self, app: &str, today: i64) -> Stored<telemetry::AppStats>;
}

/// Every store a handler may read, as one bound.
/// The rollout control of each app (`crate::rollout_control`): kept where every location
/// sees a change at once.
#[allow(async_fn_in_trait)] // single-threaded (module doc)
pub trait Rollouts {
    /// `app`'s control (empty when nothing was ever done); an implementation may answer from a
    /// cache a few seconds old.
    async fn controls(&self, app: &AppId) -> Stored<Rc<crate::rollout_control::Controls>>;
    /// Takes `action` on `app`'s release `version` (known to exist) at `at` (Unix ms) as one
    /// atomic change, done by `by`; answers the app's control after it, or why it was refused.
    async fn act(
        &self,
        app: &AppId,
        version: &str,
        action: &crate::rollout_control::Action,
        by: &str,
        at: i64,
    ) -> Stored<Result<crate::rollout_control::Controls, crate::rollout_control::Refused>>;
}

/// Every store a handler may use.
pub trait Stores:
    EdgeData + Credentials + Nonces + Telemetry + limits::RateLimits + Rollouts
{
}
impl<T: EdgeData + Credentials + Nonces + Telemetry + limits::RateLimits + Rollouts> Stores for T {}

/// `id`'s edge data as the protocols offer it: with its rollout control applied
/// (`rollout_control::Controls::apply`), so a paused or halted release is offered by none.
///
/// # Errors
/// When the edge data or the rollout control cannot be read.
pub async fn offered_app<S: Stores>(s: &S, id: &AppId) -> Stored<Option<Rc<EdgeApp>>> {
    let Some(app) = s.app(id).await? else {
        return Ok(None);
    };
    let controls = s.controls(id).await?;
    Ok(Some(controls.apply(&app).map_or(app, Rc::new)))
}

/// The admin routes' token check: `None` when `req` carries the admin token, else the answer
/// (401, or 500 when the secrets cannot be read).
pub fn admin_refusal<S: EdgeData>(req: &Request, s: &S, what: &str) -> Option<Reply> {
    let token = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "));
    match s.secrets() {
        Ok(secrets) if token.is_some_and(|t| secrets.is_admin(t.trim())) => None,
        Ok(_) => Some(Reply::json(
            401,
            &serde_json::json!({"error": "admin token required"}),
        )),
        Err(e) => Some(
            Reply::json(500, &serde_json::json!({"error": "internal error"}))
                .logged(format!("{what}: {e}")),
        ),
    }
}

/// The body as the worker read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// All of it (empty when there was none).
    Read(Vec<u8>),
    /// Larger than the route's cap ([`body_cap`]); not kept.
    TooLarge,
}

/// The HTTP request as the handlers see it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method as sent (`GET`, `POST`, …).
    pub method: String,
    /// The raw path (percent-escapes kept).
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    /// The headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body, for a route with a [`body_cap`]; else empty.
    pub body: Body,
    /// `https://host[:port]` of the request, for absolute URLs.
    pub origin: String,
    /// The time of the request.
    pub now: Timestamp,
}

impl Request {
    /// A header's value (the first, by lowercase name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The query's pairs, decoded (`+` as space).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_pairs(&self.query)
    }

    /// The path and `?query` as a client signs it.
    pub fn request_uri(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    /// The trace id echoed in error envelopes: Cloudflare's ray id when there is one.
    pub fn trace(&self) -> &str {
        self.header("cf-ray").unwrap_or_default()
    }

    /// The file links of an authenticated answer of `protocol`: the request's origin, and the
    /// deployment's `download_link_key` to sign private files with.
    pub fn links(&self, secrets: &EdgeSecrets, protocol: Protocol) -> Links {
        Links::new(
            self.origin.clone(),
            protocol,
            secrets.download_link_key.as_deref(),
            self.now,
        )
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded; invalid escapes kept as they are.
pub fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let plus = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (plus(k), plus(v))
        })
        .collect()
}

/// The first value of `name` in decoded query pairs.
pub fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Decodes `%XX` escapes (a path segment); invalid escapes and non-UTF-8 results are kept as
/// they are, so the lookup that follows simply finds nothing.
pub fn percent_decode(s: &str) -> String {
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(s).collect();
    String::from_utf8(decoded).unwrap_or_else(|_| s.to_owned())
}

/// What a reply carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// No body.
    Empty,
    /// A body of this type.
    Bytes {
        /// The `Content-Type`.
        content_type: &'static str,
        /// The bytes.
        body: Vec<u8>,
    },
    /// A file of the deployed site (`path` without a leading `/`), streamed as it is; when it
    /// cannot be read, `fallback` is answered instead (the protocol's internal error).
    Asset {
        /// The site path.
        path: String,
        /// The answer when the file cannot be read.
        fallback: Box<Reply>,
    },
}

/// A protocol's answer, ready to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// Headers, lowercase names, beyond `Content-Type`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub content: Content,
    /// Why the answer is an internal error, for the log (never sent, never a secret).
    pub log: Option<String>,
}

/// The `Content-Type` of JSON answers.
pub const JSON: &str = "application/json";

/// The `Content-Type` of plain-text answers.
pub const TEXT: &str = "text/plain; charset=utf-8";

impl Reply {
    /// A JSON answer.
    pub fn json<T: Serialize + ?Sized>(status: u16, body: &T) -> Reply {
        match serde_json::to_vec(body) {
            Ok(body) => Reply::bytes(status, JSON, body),
            // The wire types serialize infallibly (no maps with non-string keys).
            Err(e) => Reply::bytes(500, JSON, br#"{"error":"internal error"}"#.to_vec())
                .logged(format!("serializing an answer: {e}")),
        }
    }

    /// A body of `content_type`.
    pub fn bytes(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            content: Content::Bytes { content_type, body },
            log: None,
        }
    }

    /// No body.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            content: Content::Empty,
            log: None,
        }
    }

    /// A 302 to `url` (absolute, or site-relative made absolute against `origin`).
    pub fn redirect(url: &str, origin: &str) -> Reply {
        Reply::empty(302).with("location", crate::index::absolute_url(url, origin))
    }

    /// A site file (`path` without a leading `/`) streamed as an attachment named `name` of
    /// `size` bytes, never stored by a shared cache; `fallback` when it cannot be read.
    pub fn attachment(path: &str, name: &str, size: u64, fallback: Reply) -> Reply {
        Reply {
            status: 200,
            headers: vec![
                ("content-type", "application/octet-stream".to_owned()),
                ("content-length", size.to_string()),
                (
                    "content-disposition",
                    format!(
                        "attachment; filename*=UTF-8''{}",
                        crate::index::percent_encode(name)
                    ),
                ),
                ("cache-control", crate::routes::PRIVATE_NO_STORE.to_owned()),
            ],
            content: Content::Asset {
                path: path.to_owned(),
                fallback: Box::new(fallback),
            },
            log: None,
        }
    }

    /// With header `name` set to `value` (replacing any).
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// With a line for the log.
    #[must_use]
    pub fn logged(mut self, why: impl Into<String>) -> Reply {
        self.log = Some(why.into());
        self
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body, when it is bytes.
    pub fn body(&self) -> &[u8] {
        match &self.content {
            Content::Bytes { body, .. } => body,
            _ => &[],
        }
    }
}

/// The log line of an answer that failed for want of a download-link key.
pub const NO_LINK_KEY: &str = "a private app's file needs a signed download link, but \
     EDGE_SECRETS has no download_link_key (run `generator keys create download-link-key` and \
     deploy the secret)";

/// The most body bytes a route reads; `None` for a route that reads no body.
pub fn body_cap(route: RouteId) -> Option<usize> {
    use RouteId as Id;
    Some(match route {
        Id::HotCheck | Id::HotLatest => crate::hot_update::MAX_BODY_BYTES,
        Id::LicenseCheck => crate::license::MAX_BODY_BYTES,
        Id::ToolsetlinkUpgrade
        | Id::ToolsetlinkVersion
        | Id::ToolsetlinkStatistics
        | Id::ToolsetlinkReport => crate::toolsetlink::MAX_BODY_BYTES,
        Id::TinyaiiVersionCheck => crate::tinyaii::MAX_BODY_BYTES,
        Id::TinyaiiHeartbeat => crate::telemetry::MAX_HEARTBEAT_BYTES,
        Id::TinyaiiErrorReport => crate::telemetry::MAX_REPORT_BYTES,
        Id::AdminRolloutSet => rollout::MAX_BODY_BYTES,
        _ => return None,
    })
}

/// Answers `route` (with its `:param` values, raw) for `req`, after its rate limits
/// ([`limits::check`]); `None` only for a toolsetlink path of the table that names no endpoint
/// (a unit test of the table keeps that from happening).
pub async fn handle<S: Stores>(
    route: &Route,
    params: &[&str],
    req: &Request,
    s: &S,
) -> Option<Reply> {
    use crate::hot_update::Route as A;
    use crate::toolsetlink::Endpoint;
    use crate::toolsetlink::updater::Route as U;
    use RouteId as Id;
    use zealot::Route as B;
    if let Some(refused) = limits::check(route, req, s).await {
        return Some(refused);
    }
    let p = |i: usize| params.get(i).copied().unwrap_or_default();
    let path = req.path.as_str();
    Some(match route.id {
        Id::HotCheck => hot_update::check(req, s, A::Check).await,
        Id::HotCheckGet => hot_update::check(req, s, A::CheckGet).await,
        Id::HotLatest => hot_update::check(req, s, A::Latest).await,
        Id::HotDownload => hot_update::download(req, s, p(0)).await,
        Id::ZealotApps => zealot::handle(req, s, B::Apps).await,
        Id::ZealotApp => zealot::handle(req, s, B::App(p(0))).await,
        Id::ZealotVersions => zealot::handle(req, s, B::Versions).await,
        Id::ZealotLatest => zealot::handle(req, s, B::Latest).await,
        Id::ZealotVersionExist => zealot::handle(req, s, B::VersionExist).await,
        Id::ZealotInstall => zealot::handle(req, s, B::Install(p(0), p(1))).await,
        Id::LicenseCheck => license::check(req, s, p(0)).await,
        Id::LicensePackage => license::package(req, s, p(0), p(1)).await,
        Id::LicenseDownload => license::download(req, s, p(0), p(1)).await,
        // The table names each endpoint's path; the endpoint comes from it (a unit test of the
        // table checks that every path names one).
        Id::ToolsetlinkUpgrade => match Endpoint::from_upgrade_path(path) {
            Some(e) => toolsetlink::upgrade(req, s, e).await,
            None => return None,
        },
        Id::ToolsetlinkVersion => match Endpoint::from_version_path(path) {
            Some(e) => toolsetlink::version(req, s, e).await,
            None => return None,
        },
        Id::ToolsetlinkDownload => match Endpoint::from_download_path(path) {
            Some(e) => toolsetlink::download(req, s, e).await,
            None => return None,
        },
        Id::ToolsetlinkUpdater => match U::from_path(path) {
            Some(r) => toolsetlink::updater(req, s, r).await,
            None => return None,
        },
        Id::ToolsetlinkReport => toolsetlink::report(req, s).await,
        Id::ToolsetlinkStatistics => toolsetlink::statistics(req, s).await,
        Id::TinyaiiVersionCheck => tinyaii::version_check(req, s).await,
        Id::TinyaiiHeartbeat => telemetry::heartbeat(req, s).await,
        Id::TinyaiiErrorReport => telemetry::error_report(req, s).await,
        Id::SignedDownload => download::serve(req, s, p(0), p(1), p(2)).await,
        Id::TufTimestamp => tuf::timestamp(req, s).await,
        Id::AdminStats => telemetry::stats(req, s).await,
        Id::AdminRollout => rollout::show(req, s).await,
        Id::AdminRolloutSet => rollout::set(req, s).await,
    })
}

#[cfg(test)]
mod tests;
