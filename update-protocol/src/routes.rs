//! The worker's route table: every route it serves, declared once in [`ROUTES`], and
//! [`route`], which matches a request against it and decides, for everything else under the
//! protocols' prefixes, between 404 and 405 and whose error envelope answers
//! ([`Envelope`]). `docs/protocols.md` lists the same table; a test keeps the two equal.
//!
//! Adding a route: one [`Route`] line in [`ROUTES`] (a new [`RouteId`] when no handler fits),
//! one dispatch arm in the worker, one line in the docs' table.

use serde_json::{Value, json};

/// A request method as the table names it. `HEAD` is matched as `GET` (the runtime sends no
/// body), as the upstream servers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// `GET` (and `HEAD`).
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`.
    Options,
    /// Anything else (never in the table).
    Other,
}

impl Method {
    /// From the request's method name (case-insensitive); `HEAD` is `GET`.
    pub fn parse(name: &str) -> Method {
        match name.to_ascii_uppercase().as_str() {
            "GET" | "HEAD" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    /// The name, as in the table and in `Allow`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// Which wire protocol a route speaks (`shared/spec/seed-protocols.md`), or ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// A, hot update.
    HotUpdate,
    /// B, Zealot.
    Zealot,
    /// C, license-gated updates.
    License,
    /// D, toolsetlink UpgradeLink.
    Toolsetlink,
    /// E, tinyaii.
    Tinyaii,
    /// The edge-signed TUF timestamp.
    Tuf,
    /// The publisher's own routes (telemetry stats).
    Admin,
    /// Private apps' files behind the signed links that A, B, D and E answers carry (a
    /// refused link is answered in the envelope of the protocol that issued it).
    Files,
}

impl Protocol {
    /// The name in the docs' table: `A`…`E`, `TUF`, `admin`.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::HotUpdate => "A",
            Protocol::Zealot => "B",
            Protocol::License => "C",
            Protocol::Toolsetlink => "D",
            Protocol::Tinyaii => "E",
            Protocol::Tuf => "TUF",
            Protocol::Admin => "admin",
            Protocol::Files => "files",
        }
    }

    /// The error envelope of the protocol's routes.
    pub fn envelope(self) -> Envelope {
        match self {
            Protocol::HotUpdate => Envelope::HotUpdate,
            Protocol::Zealot => Envelope::Zealot,
            Protocol::License => Envelope::License,
            Protocol::Toolsetlink => Envelope::Toolsetlink,
            Protocol::Tinyaii => Envelope::Tinyaii,
            Protocol::Tuf | Protocol::Admin | Protocol::Files => Envelope::Generic,
        }
    }
}

/// What a route checks before it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Nothing.
    None,
    /// A: `Authorization: Bearer` user token with `projectId`, else `X-API-Key`.
    BearerOrApiKey,
    /// A legacy: as [`Auth::BearerOrApiKey`], or `apiKey` in the body.
    BearerOrApiKeyOrBody,
    /// B: the `token` query parameter.
    UserToken,
    /// B: the `channel_key` query parameter.
    ChannelKey,
    /// C: `licenseKey` in the JSON body.
    LicenseBody,
    /// C: `X-License-Key` or the `licenseKey` query parameter.
    LicenseQuery,
    /// D: `X-Timestamp`, `X-Nonce`, `X-AccessKey`, `X-Signature`.
    Signed,
    /// E: `app_key` in the body.
    AppKey,
    /// D's updaters: `tauriKey` or `electronKey` in the query (as upstream, not a secret).
    UpdaterKey,
    /// Ours: `Authorization: Bearer` admin token.
    AdminToken,
    /// Ours: `expires` and `sig` of a signed link (`update_protocol::links`).
    SignedLink,
    /// None for a public app; a private app's needs its signed route link.
    NoneOrLink,
}

impl Auth {
    /// The text in the docs' table.
    pub fn label(self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::BearerOrApiKey => "bearer or X-API-Key",
            Auth::BearerOrApiKeyOrBody => "bearer, X-API-Key or apiKey",
            Auth::UserToken => "token",
            Auth::ChannelKey => "channel_key",
            Auth::LicenseBody => "licenseKey (body)",
            Auth::LicenseQuery => "licenseKey or X-License-Key",
            Auth::Signed => "signed",
            Auth::AppKey => "app_key",
            Auth::UpdaterKey => "tauriKey or electronKey",
            Auth::AdminToken => "admin bearer",
            Auth::SignedLink => "signed link",
            Auth::NoneOrLink => "none (private app: signed link)",
        }
    }
}

/// The handler a route dispatches to. Several paths may share one (the worker tells them
/// apart by path, e.g. toolsetlink's endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RouteId {
    /// A `POST /api/v1/check`.
    HotCheck,
    /// A `GET /api/v1/check`.
    HotCheckGet,
    /// A `POST /api/versions/latest`.
    HotLatest,
    /// A `GET /api/version-artifacts/:id/download`.
    HotDownload,
    /// B `GET /api/apps`.
    ZealotApps,
    /// B `GET /api/apps/:id`.
    ZealotApp,
    /// B `GET /api/apps/versions`.
    ZealotVersions,
    /// B `GET /api/apps/latest`.
    ZealotLatest,
    /// B `GET /api/apps/version_exist`.
    ZealotVersionExist,
    /// B `GET /api/apps/:id/releases/:release/install` (ours: the iOS install manifest).
    ZealotInstall,
    /// C `POST /api/v1/apps/:appId/update/check`.
    LicenseCheck,
    /// C `GET /api/v1/apps/:appId/update/package/:version`.
    LicensePackage,
    /// C `GET /api/v1/apps/:appId/update/download/:version` (ours).
    LicenseDownload,
    /// D `POST /v1/<kind>/upgrade`.
    ToolsetlinkUpgrade,
    /// D `POST /v1/<kind>/version`.
    ToolsetlinkVersion,
    /// D `GET`/`POST /v1/app/statistics/info`.
    ToolsetlinkStatistics,
    /// D's updater routes: `GET /v1/tauri/upgrade`, `/v1/electron/upgrade[/<channel file>]`,
    /// `/v1/{tauri,electron}/download`, `/v1/electron/download.<ext>`.
    ToolsetlinkUpdater,
    /// D `GET /v1/<kind>/download`.
    ToolsetlinkDownload,
    /// D `POST /v1/app/report`.
    ToolsetlinkReport,
    /// E `POST /api/v1/version/check`.
    TinyaiiVersionCheck,
    /// E `POST /api/v1/user/heartbeat`.
    TinyaiiHeartbeat,
    /// E `POST /api/v1/error/report`.
    TinyaiiErrorReport,
    /// `GET /metadata/timestamp.json`.
    TufTimestamp,
    /// `GET /api/admin/stats`.
    AdminStats,
    /// `GET /api/admin/rollout?app=`: an app's rollout control.
    AdminRollout,
    /// `POST /api/admin/rollout`: an action on a release's rollout.
    AdminRolloutSet,
    /// `GET /dl/:protocol/:id/:name`: a private app's file, by signed link.
    SignedDownload,
}

/// One route: method, path pattern (`/`-separated; a segment `:name` matches any one
/// segment), protocol, auth and handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The method (`GET` also answers `HEAD`).
    pub method: Method,
    /// The path pattern, e.g. `/api/apps/:id`.
    pub path: &'static str,
    /// Whose wire protocol.
    pub protocol: Protocol,
    /// What it checks.
    pub auth: Auth,
    /// The handler.
    pub id: RouteId,
}

/// `Cache-Control` of every answer of a route that checks a credential: it was for one
/// client, so no shared cache may store it nor a browser keep it.
pub const PRIVATE_NO_STORE: &str = "private, no-store";

impl Route {
    /// The `Cache-Control` the worker sets on every answer of this route (errors included),
    /// or `None` where the handler's own stands: a route that checks nothing
    /// ([`Auth::None`]) answers the same to everyone, and Zealot (B) fixes its own header on
    /// every answer (`zealot::CACHE_CONTROL`, which has `no-store` too).
    pub fn cache_control(&self) -> Option<&'static str> {
        (self.auth != Auth::None && self.protocol != Protocol::Zealot).then_some(PRIVATE_NO_STORE)
    }
}

const fn r(
    method: Method,
    path: &'static str,
    protocol: Protocol,
    auth: Auth,
    id: RouteId,
) -> Route {
    Route {
        method,
        path,
        protocol,
        auth,
        id,
    }
}

use Auth as Au;
use Method::{Get, Post};
use Protocol::{Admin, Files, HotUpdate, License, Tinyaii, Toolsetlink, Tuf, Zealot};
use RouteId as Id;

/// Every route the worker serves, once. The order does not matter: a literal segment wins
/// over a `:param` one.
#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    // A, hot update.
    r(Post, "/api/v1/check", HotUpdate, Au::BearerOrApiKey, Id::HotCheck),
    r(Get, "/api/v1/check", HotUpdate, Au::BearerOrApiKey, Id::HotCheckGet),
    r(Post, "/api/versions/latest", HotUpdate, Au::BearerOrApiKeyOrBody, Id::HotLatest),
    r(Get, "/api/version-artifacts/:id/download", HotUpdate, Au::None, Id::HotDownload),
    // B, Zealot.
    r(Get, "/api/apps", Zealot, Au::UserToken, Id::ZealotApps),
    r(Get, "/api/apps/:id", Zealot, Au::UserToken, Id::ZealotApp),
    r(Get, "/api/apps/versions", Zealot, Au::ChannelKey, Id::ZealotVersions),
    r(Get, "/api/apps/latest", Zealot, Au::ChannelKey, Id::ZealotLatest),
    r(Get, "/api/apps/version_exist", Zealot, Au::ChannelKey, Id::ZealotVersionExist),
    r(Get, "/api/apps/:id/releases/:release/install", Zealot, Au::NoneOrLink, Id::ZealotInstall),
    // C, license-gated.
    r(Post, "/api/v1/apps/:appId/update/check", License, Au::LicenseBody, Id::LicenseCheck),
    r(Get, "/api/v1/apps/:appId/update/package/:version", License, Au::LicenseQuery, Id::LicensePackage),
    r(Get, "/api/v1/apps/:appId/update/download/:version", License, Au::LicenseQuery, Id::LicenseDownload),
    // D, toolsetlink.
    r(Post, "/v1/configuration/upgrade", Toolsetlink, Au::Signed, Id::ToolsetlinkUpgrade),
    r(Post, "/v1/apk/upgrade", Toolsetlink, Au::Signed, Id::ToolsetlinkUpgrade),
    r(Post, "/v1/url/upgrade", Toolsetlink, Au::Signed, Id::ToolsetlinkUpgrade),
    r(Post, "/v1/file/upgrade", Toolsetlink, Au::Signed, Id::ToolsetlinkUpgrade),
    r(Post, "/v1/win/upgrade", Toolsetlink, Au::Signed, Id::ToolsetlinkUpgrade),
    r(Post, "/v1/mac/upgrade", Toolsetlink, Au::Signed, Id::ToolsetlinkUpgrade),
    r(Post, "/v1/lnx/upgrade", Toolsetlink, Au::Signed, Id::ToolsetlinkUpgrade),
    r(Post, "/v1/configuration/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Post, "/v1/apk/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Post, "/v1/url/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Post, "/v1/file/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Post, "/v1/win/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Post, "/v1/mac/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Post, "/v1/lnx/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Post, "/v1/tauri/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Post, "/v1/electron/version", Toolsetlink, Au::Signed, Id::ToolsetlinkVersion),
    r(Get, "/v1/apk/download", Toolsetlink, Au::None, Id::ToolsetlinkDownload),
    r(Get, "/v1/url/download", Toolsetlink, Au::None, Id::ToolsetlinkDownload),
    r(Get, "/v1/file/download", Toolsetlink, Au::None, Id::ToolsetlinkDownload),
    r(Post, "/v1/app/report", Toolsetlink, Au::Signed, Id::ToolsetlinkReport),
    r(Get, "/v1/app/statistics/info", Toolsetlink, Au::Signed, Id::ToolsetlinkStatistics),
    r(Post, "/v1/app/statistics/info", Toolsetlink, Au::Signed, Id::ToolsetlinkStatistics),
    // D, the Tauri and Electron updaters.
    r(Get, "/v1/tauri/upgrade", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/tauri/download", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/upgrade", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/upgrade/latest.yml", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/upgrade/latest-mac.yml", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/upgrade/latest-linux.yml", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/upgrade/latest-linux-arm64.yml", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/upgrade/latest-linux-armv7l.yml", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/upgrade/latest-linux-ia32.yml", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/download", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/download.exe", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/download.dmg", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/download.zip", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    r(Get, "/v1/electron/download.AppImage", Toolsetlink, Au::UpdaterKey, Id::ToolsetlinkUpdater),
    // E, tinyaii.
    r(Post, "/api/v1/version/check", Tinyaii, Au::AppKey, Id::TinyaiiVersionCheck),
    r(Post, "/api/v1/user/heartbeat", Tinyaii, Au::AppKey, Id::TinyaiiHeartbeat),
    r(Post, "/api/v1/error/report", Tinyaii, Au::AppKey, Id::TinyaiiErrorReport),
    // TUF: the edge-signed timestamp (every other metadata file is a static asset).
    r(Get, "/metadata/timestamp.json", Tuf, Au::None, Id::TufTimestamp),
    // Ours: telemetry for the publisher.
    r(Get, "/api/admin/stats", Admin, Au::AdminToken, Id::AdminStats),
    // Ours: rollout control (docs/rollout-control.md).
    r(Get, "/api/admin/rollout", Admin, Au::AdminToken, Id::AdminRollout),
    r(Post, "/api/admin/rollout", Admin, Au::AdminToken, Id::AdminRolloutSet),
    // Ours: private apps' files, by the signed links of the A, B, D and E answers.
    r(Get, "/dl/:protocol/:id/:name", Files, Au::SignedLink, Id::SignedDownload),
];

/// Whose error body answers a request that no route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// A: `{"error": …}`.
    HotUpdate,
    /// B: `{"error": …}` with Zealot's `Cache-Control`.
    Zealot,
    /// C: `{"code": "NOT_FOUND"|…, "message": …}`.
    License,
    /// D: `{"code": 404004|405001, "msg", "docs": "", "traceId"}`.
    Toolsetlink,
    /// E: `{"code": 404|405, "message", "data": null}`.
    Tinyaii,
    /// Ours, any other path under `/api/` (and the refused `/_edge/`): `{"error": …}`.
    Generic,
}

/// Why no route takes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// No route has this path: 404.
    NotFound,
    /// Routes have this path, with other methods: 405 with `Allow`.
    MethodNotAllowed,
}

impl Miss {
    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Miss::NotFound => 404,
            Miss::MethodNotAllowed => 405,
        }
    }
}

impl Envelope {
    /// The JSON body of a miss. `trace_id` is the request id D's envelope carries (may be
    /// empty); the others ignore it.
    pub fn body(self, miss: Miss, trace_id: &str) -> Value {
        let not_found = miss == Miss::NotFound;
        match self {
            Envelope::Zealot => json!({
                "error": if not_found { "API not found" } else { "Method not allowed" }
            }),
            Envelope::HotUpdate => json!({
                "error": if not_found { "Not found" } else { "Method not allowed" }
            }),
            // Lowercase as the worker's own errors (`admin token required`), and the TUF
            // timestamp's 405 as it was before the table.
            Envelope::Generic => json!({
                "error": if not_found { "not found" } else { "method not allowed" }
            }),
            Envelope::License => {
                if not_found {
                    json!({"code": "NOT_FOUND", "message": "Route not found"})
                } else {
                    json!({"code": "METHOD_NOT_ALLOWED", "message": "Method not allowed"})
                }
            }
            Envelope::Toolsetlink => {
                let (code, msg) = if not_found {
                    (404_004, "Request not found")
                } else {
                    (405_001, "Method not allowed")
                };
                json!({"code": code, "msg": msg, "docs": "", "traceId": trace_id})
            }
            Envelope::Tinyaii => {
                let (code, message) = if not_found {
                    (404, "接口不存在")
                } else {
                    (405, "请求方法不允许")
                };
                json!({"code": code, "message": message, "data": null})
            }
        }
    }
}

/// What to do with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match<'p> {
    /// A route, with the values of its `:param` segments in order (still percent-encoded).
    Route {
        /// The route.
        route: &'static Route,
        /// The `:param` segments' values.
        params: Vec<&'p str>,
    },
    /// No route: answer `miss` in `envelope`; `allow` (`GET, HEAD, POST`) for a 405.
    Miss {
        /// 404 or 405.
        miss: Miss,
        /// Whose body.
        envelope: Envelope,
        /// The `Allow` header of a 405; empty for a 404.
        allow: String,
    },
    /// Not the worker's: the static site (the assets binding) answers.
    Static,
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_start_matches('/').split('/').collect()
}

/// The values of `pattern`'s params when `path` (as segments) matches it.
fn matches<'p>(pattern: &str, path: &[&'p str]) -> Option<Vec<&'p str>> {
    let pat = segments(pattern);
    if pat.len() != path.len() {
        return None;
    }
    let mut params = Vec::new();
    for (p, s) in pat.iter().zip(path) {
        if p.starts_with(':') {
            params.push(*s);
        } else if p != s {
            return None;
        }
    }
    Some(params)
}

/// Literal segments first: `true` where the pattern has a param (so that `false`, a literal,
/// sorts first).
fn specificity(pattern: &str) -> Vec<bool> {
    segments(pattern)
        .iter()
        .map(|s| s.starts_with(':'))
        .collect()
}

/// Whether a request path reaches the edge-only data (`/_edge/…`) however it is spelled:
/// percent-escapes decoded (repeatedly, so `%255F` too; either hex case), `\\` read as `/`,
/// empty and `.` segments dropped and `..` applied, and `_edge` in any letter case. The
/// router refuses every such path with the same 404 before the assets binding, which would
/// decode and normalise it itself, can answer (a redirect for an existing file and a 404 for
/// a missing one told the two apart).
pub fn is_edge_request(path: &str) -> bool {
    let mut p = path.to_owned();
    // Each round removes at least one level of escaping; a few are plenty.
    for _ in 0..4 {
        let next = percent_decode(&p);
        if next == p {
            break;
        }
        p = next;
    }
    let p = p.replace('\\', "/");
    let mut segs: Vec<&str> = Vec::new();
    for s in p.split('/') {
        match s {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    segs.first()
        .is_some_and(|s| s.eq_ignore_ascii_case(crate::index::EDGE_PREFIX))
}

/// `%XX` escapes decoded, bytewise; invalid escapes kept as they are.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whose envelope answers a path no route takes; `None` when the path is the static site's.
pub fn envelope_for(path: &str) -> Option<Envelope> {
    if is_edge_request(path) {
        return Some(Envelope::Generic);
    }
    let segs = segments(path);
    Some(match segs.as_slice() {
        ["api", "apps", ..] => Envelope::Zealot,
        ["api", "v1", "apps", ..] => Envelope::License,
        ["api", "v1", "check", ..] | ["api", "versions", ..] | ["api", "version-artifacts", ..] => {
            Envelope::HotUpdate
        }
        ["api", "v1", "version" | "user" | "error", ..] => Envelope::Tinyaii,
        ["v1", ..] => Envelope::Toolsetlink,
        ["api", ..] | ["dl", ..] => Envelope::Generic,
        _ => return None,
    })
}

/// Matches a request (`method` as sent, `path` without the query) against [`ROUTES`].
///
/// A path some route has, asked with another method, is a 405 in that route's envelope; an
/// unknown path under a protocol's prefix is a 404 in that protocol's envelope
/// ([`envelope_for`]); any other path is the static site's, as are the methods other than
/// `GET` on `/metadata/timestamp.json`'s neighbours.
pub fn route<'p>(method: &str, path: &'p str) -> Match<'p> {
    let method = Method::parse(method);
    let segs = segments(path);
    let mut candidates: Vec<(&'static Route, Vec<&'p str>)> = ROUTES
        .iter()
        .filter_map(|r| matches(r.path, &segs).map(|p| (r, p)))
        .collect();
    candidates.sort_by_key(|(r, _)| specificity(r.path));
    if let Some(i) = candidates.iter().position(|(r, _)| r.method == method) {
        let (route, params) = candidates.swap_remove(i);
        return Match::Route { route, params };
    }
    if let Some((first, _)) = candidates.first() {
        let mut methods: Vec<Method> = candidates.iter().map(|(r, _)| r.method).collect();
        methods.sort();
        methods.dedup();
        let allow = methods
            .iter()
            .flat_map(|m| match m {
                Method::Get => vec!["GET", "HEAD"],
                m => vec![m.as_str()],
            })
            .collect::<Vec<_>>()
            .join(", ");
        return Match::Miss {
            miss: Miss::MethodNotAllowed,
            envelope: first.protocol.envelope(),
            allow,
        };
    }
    match envelope_for(path) {
        Some(envelope) => Match::Miss {
            miss: Miss::NotFound,
            envelope,
            allow: String::new(),
        },
        None => Match::Static,
    }
}

#[cfg(test)]
mod tests;
