//! Protocol A (hotUpdateManage): `POST /api/v1/check`, `GET /api/v1/check`, the legacy
//! `POST /api/versions/latest` and `GET /api/version-artifacts/{id}/download`
//! (`shared/spec/seed-protocols.md`, section A, checked against upstream at `ca1985fe`).
//!
//! The worker extracts the credentials, fetches their [`KeyRecord`]s and the app's
//! [`EdgeApp`]; everything it then has to decide is here: [`parse_body`] or [`parse_query`],
//! [`authorize`], [`check`] and [`download_target`]. Answers are [`Answer`] (always HTTP 200)
//! or an [`Error`] with its status and `{"error"[, "message"]}` body.

use crate::digest::Md5Digest;
use crate::index::{Artifact, EdgeApp, EdgeLookup, EdgeRelease, Release, paths};
use crate::keys::{KeyKind, KeyRecord, KeyStatus};
use crate::links::Links;
use crate::manifest::{ArtifactRole, UpgradeType};
use crate::names::AppId;
use crate::rollout;
use crate::time::Timestamp;
use crate::version::{VersionKey, VersionScheme, js_trim};
use serde::{Deserialize, Serialize};

/// Largest request body accepted: the documented bodies are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The architecture upstream creates for a project that has none; the generator gives the
/// artifacts of such an app this key too.
pub const DEFAULT_ARCH_KEY: &str = "default";

/// The display name of [`DEFAULT_ARCH_KEY`] (upstream's `默认架构`).
pub const DEFAULT_ARCH_NAME: &str = "默认架构";

/// The three client routes, which differ in their answer shapes and auth messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/v1/check`.
    Check,
    /// `GET /api/v1/check?projectId&architecture`: the latest version, no `hasUpdate`.
    CheckGet,
    /// `POST /api/versions/latest` (legacy): 404s for empty states, `isCurrent` in `data`.
    Latest,
}

/// What went wrong, as the protocol reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Malformed JSON, a body that is not an object, a field of the wrong type.
    BadRequest,
    /// A body over [`MAX_BODY_BYTES`].
    TooLarge,
    /// A valid bearer token without `projectId`.
    ProjectIdRequired(Route),
    /// No usable credential (its text differs per route); on v1 also an unknown or unusable
    /// API key.
    Unauthorized(Route),
    /// The bearer token's project is unknown or not its own; on the legacy route, any bad key.
    ProjectNotFound,
    /// Legacy route: the channel has nothing to offer.
    NoVersions,
    /// Legacy route: nothing is offered for this architecture (the key is echoed).
    ArchNotPublished(String),
    /// Download route: unknown (or unservable) artifact id.
    ArtifactNotFound,
    /// A signed download link that is expired, altered or not this deployment's.
    LinkDenied,
    /// The worker could not load its data; detail goes to the log only.
    Internal,
}

/// The error body: `{"error": ...}`, plus `message` for `ARCH_NOT_PUBLISHED`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// Upstream's fixed text, or the code `ARCH_NOT_PUBLISHED`.
    pub error: &'static str,
    /// The human-readable text that goes with a code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Error {
    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Error::BadRequest | Error::ProjectIdRequired(_) => 400,
            Error::Unauthorized(_) => 401,
            Error::ProjectNotFound
            | Error::NoVersions
            | Error::ArchNotPublished(_)
            | Error::ArtifactNotFound => 404,
            Error::LinkDenied => 403,
            Error::TooLarge => 413,
            Error::Internal => 500,
        }
    }

    /// The JSON body, with upstream's texts (the legacy route words two of them differently).
    pub fn body(&self) -> ErrorBody {
        let error = match self {
            Error::BadRequest => "Invalid request body",
            Error::TooLarge => "Request body too large",
            Error::ProjectIdRequired(Route::Latest) => {
                "Project ID is required when using Bearer token"
            }
            Error::ProjectIdRequired(_) => {
                "Project ID is required when using Bearer token authentication"
            }
            Error::Unauthorized(Route::Latest) => {
                "Authentication required - provide Bearer token or X-API-Key"
            }
            Error::Unauthorized(_) => "Unauthorized - Invalid or missing authentication",
            Error::ProjectNotFound => "Project not found or access denied",
            Error::NoVersions => NO_VERSIONS,
            Error::ArchNotPublished(_) => ARCH_NOT_PUBLISHED,
            Error::ArtifactNotFound => "产物不存在",
            Error::LinkDenied => "下载链接无效或已过期",
            Error::Internal => "Internal server error",
        };
        let message = match self {
            Error::ArchNotPublished(key) => Some(arch_not_published(key)),
            _ => None,
        };
        ErrorBody { error, message }
    }
}

const NO_VERSIONS: &str = "No versions available";
const ARCH_NOT_PUBLISHED: &str = "ARCH_NOT_PUBLISHED";

fn arch_not_published(key: &str) -> String {
    format!("架构 {key} 尚未发布任何可用版本")
}

/// A check request, from a JSON body or a query string, normalized as upstream reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckRequest {
    /// `currentVersion`; `None` when absent or blank (upstream treats both as "none").
    pub current_version: Option<String>,
    /// The first non-empty of `architectureKey`, `architecture`, `arch`, trimmed; `None` when
    /// that is blank (the project's fallback architecture is used).
    pub architecture: Option<String>,
    /// `projectId` (required with a bearer token); `None` when absent or empty.
    pub project_id: Option<String>,
    /// Our addition: `deviceId` (or `machineId`), for staged rollouts.
    pub device_id: Option<String>,
    /// `apiKey` in the body (legacy route only; see [`api_key_secret`]).
    pub api_key: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    current_version: Option<String>,
    architecture_key: Option<String>,
    architecture: Option<String>,
    arch: Option<String>,
    project_id: Option<String>,
    device_id: Option<String>,
    machine_id: Option<String>,
    api_key: Option<String>,
}

/// `a || b || c` on strings, then trimmed, as upstream picks the architecture: a blank but
/// non-empty `architectureKey` still wins and then means "none".
fn pick_arch(candidates: [Option<&str>; 3]) -> Option<String> {
    let first = candidates.into_iter().flatten().find(|s| !s.is_empty())?;
    Some(js_trim(first))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn non_blank(s: Option<&str>) -> Option<String> {
    s.map(js_trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Parses a POST body. An empty (or all-whitespace) body is `{}`, as upstream's
/// `req.json().catch(() => ({}))` makes it; unknown fields are ignored; `null` is "absent".
///
/// # Errors
/// [`Error::TooLarge`] over [`MAX_BODY_BYTES`]; [`Error::BadRequest`] for malformed JSON, a
/// body that is not an object, or a known field that is not a string.
pub fn parse_body(body: &[u8]) -> Result<CheckRequest, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::TooLarge);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CheckRequest::default());
    }
    let b: Body = serde_json::from_slice(body).map_err(|_| Error::BadRequest)?;
    Ok(CheckRequest {
        current_version: non_blank(b.current_version.as_deref()),
        architecture: pick_arch([
            b.architecture_key.as_deref(),
            b.architecture.as_deref(),
            b.arch.as_deref(),
        ]),
        project_id: non_empty(b.project_id.as_deref()),
        device_id: non_blank(b.device_id.as_deref().or(b.machine_id.as_deref())),
        api_key: non_empty(b.api_key.as_deref()),
    })
}

/// Reads the decoded query pairs of `GET /api/v1/check`: `projectId`, `architectureKey` /
/// `architecture` / `arch`, `deviceId` / `machineId`; the first occurrence of a name counts
/// (`URLSearchParams.get`). Anything else, `currentVersion` included, is ignored as upstream
/// does.
pub fn parse_query<K: AsRef<str>, V: AsRef<str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> CheckRequest {
    const NAMES: [&str; 6] = [
        "projectId",
        "architectureKey",
        "architecture",
        "arch",
        "deviceId",
        "machineId",
    ];
    let mut v: [Option<String>; 6] = Default::default();
    for (k, val) in pairs {
        if let Some(i) = NAMES.iter().position(|n| *n == k.as_ref()) {
            v[i].get_or_insert_with(|| val.as_ref().to_owned());
        }
    }
    let [project, key, architecture, arch, device, machine] = v;
    CheckRequest {
        current_version: None,
        architecture: pick_arch([key.as_deref(), architecture.as_deref(), arch.as_deref()]),
        project_id: non_empty(project.as_deref()),
        device_id: non_blank(device.as_deref().or(machine.as_deref())),
        api_key: None,
    }
}

/// The token of an `Authorization: Bearer <token>` header (exact, case-sensitive prefix);
/// `None` for another scheme or an empty token, which upstream treats as no token.
pub fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    authorization?
        .strip_prefix("Bearer ")
        .filter(|t| !t.is_empty())
}

/// The API key the worker should look up: the `X-API-Key` header when non-empty, else, on the
/// legacy route only, `apiKey` from the body.
pub fn api_key_secret<'a>(
    route: Route,
    header: Option<&'a str>,
    req: &'a CheckRequest,
) -> Option<&'a str> {
    header
        .filter(|h| !h.is_empty())
        .or_else(|| req.api_key.as_deref().filter(|_| route == Route::Latest))
}

/// What the worker found for the presented API key. The legacy route tells "no key" (401)
/// from "bad key" (404), so an absent key and an unknown one are distinct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKey<'a> {
    /// No key was presented.
    Missing,
    /// A key was presented but has no record.
    Unknown,
    /// The key's record.
    Found(&'a KeyRecord),
}

/// Decides which app a request is for (A.1, A.4). A usable bearer token (a [`KeyKind::HotToken`]
/// record, active, unexpired) is tried first and then requires `project_id`, which must map
/// through `lookup.hot_update` to an app the token grants. Any other bearer (absent, unknown,
/// revoked, expired, of another kind) falls back to the API key: a [`KeyKind::ApiKey`] record,
/// active, unexpired, naming exactly one app that protocol A serves.
///
/// # Errors
/// [`Error::ProjectIdRequired`] (400), [`Error::ProjectNotFound`] (404; on the legacy route
/// also for an unknown or unusable API key), [`Error::Unauthorized`] (401).
pub fn authorize(
    bearer: Option<&KeyRecord>,
    api_key: ApiKey<'_>,
    project_id: Option<&str>,
    lookup: &EdgeLookup,
    route: Route,
    now: Timestamp,
) -> Result<AppId, Error> {
    let usable =
        |r: &KeyRecord, kind| r.kind == kind && r.status == KeyStatus::Active && !r.is_expired(now);
    if let Some(token) = bearer.filter(|r| usable(r, KeyKind::HotToken)) {
        let project = project_id
            .filter(|p| !p.is_empty())
            .ok_or(Error::ProjectIdRequired(route))?;
        return lookup
            .hot_update
            .get(project)
            .filter(|app| token.grants(KeyKind::HotToken, app, now))
            .cloned()
            .ok_or(Error::ProjectNotFound);
    }
    let rejected = match route {
        Route::Latest => Error::ProjectNotFound,
        _ => Error::Unauthorized(route),
    };
    match api_key {
        ApiKey::Missing => Err(Error::Unauthorized(route)),
        ApiKey::Unknown => Err(rejected),
        ApiKey::Found(r) => match r.apps.as_slice() {
            [app] if usable(r, KeyKind::ApiKey) && lookup.hot_update.values().any(|a| a == app) => {
                Ok(app.clone())
            }
            _ => Err(rejected),
        },
    }
}

/// How completely a version covers the app's enabled architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PublishState {
    /// No primary artifact at all.
    Draft,
    /// Some enabled architecture has no primary artifact.
    Partial,
    /// Every enabled architecture has one (or none is enabled).
    Ready,
}

/// The `data` of an answer, fields in upstream's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// Version string.
    pub version: String,
    /// External URL as is, else `/api/version-artifacts/{artifactId}/download`.
    pub download_url: String,
    /// MD5 when known; `null` otherwise (never fabricated).
    pub md5: Option<Md5Digest>,
    /// Size in bytes.
    pub size: u64,
    /// The artifact's upgrade override, else the release's, is `force`; or (with an update)
    /// the client is below the app's `policy.min_version`.
    pub force_update: bool,
    /// Release notes as one text.
    pub changelog: String,
    /// Publication time, ISO-8601 UTC with milliseconds.
    pub created_at: String,
    /// Same as `createdAt`: releases are immutable once published.
    pub updated_at: String,
    /// Publication time in epoch milliseconds.
    pub timestamp: i64,
    /// Legacy route only: the version is the newest the channel offers this client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_current: Option<bool>,
    /// Coverage of the enabled architectures.
    pub publish_state: PublishState,
    /// The artifact's architecture.
    pub architecture_key: String,
    /// Its display name.
    pub architecture_name: String,
    /// The artifact's id (download route).
    pub artifact_id: String,
}

/// A 200 answer. Absent fields are left out, so one type renders every shape of A.3/A.4:
/// `{success, hasUpdate?, data?, code?, message?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// Always `true`.
    pub success: bool,
    /// Absent on `GET /api/v1/check`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_update: Option<bool>,
    /// `None`: no `data` key; `Some(None)`: `"data": null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Option<VersionInfo>>,
    /// `ARCH_NOT_PUBLISHED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// Text of an empty state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// An architecture as A sees it.
struct Arch<'a> {
    key: &'a str,
    name: &'a str,
    enabled: bool,
    default: bool,
}

/// The app's architectures by `order`, then file order (upstream: `sortOrder`, `createdAt`);
/// an app without any has upstream's auto-created `default`.
fn architectures(app: &EdgeApp) -> Vec<Arch<'_>> {
    let archs: Vec<_> = app
        .ordered_archs()
        .into_iter()
        .map(|a| Arch {
            key: a.key.as_str(),
            name: &a.name,
            enabled: a.enabled,
            default: a.default,
        })
        .collect();
    if archs.is_empty() {
        return vec![Arch {
            key: DEFAULT_ARCH_KEY,
            name: DEFAULT_ARCH_NAME,
            enabled: true,
            default: true,
        }];
    }
    archs
}

/// Upstream's `pickFallbackArchitecture`.
fn fallback<'a>(archs: &'a [Arch<'a>]) -> Option<&'a Arch<'a>> {
    archs
        .iter()
        .find(|a| a.default && a.enabled)
        .or_else(|| archs.iter().find(|a| a.enabled))
        .or_else(|| archs.iter().find(|a| a.default))
        .or_else(|| archs.first())
}

fn publish_state(r: &Release, archs: &[Arch<'_>]) -> PublishState {
    let primary = |key: &str| {
        r.artifacts
            .iter()
            .any(|a| a.role == ArtifactRole::Primary && a.arch.as_str() == key)
    };
    if !r.artifacts.iter().any(|a| a.role == ArtifactRole::Primary) {
        PublishState::Draft
    } else if archs.iter().filter(|a| a.enabled).all(|a| primary(a.key)) {
        PublishState::Ready
    } else {
        PublishState::Partial
    }
}

fn is_http(url: &str) -> bool {
    ["http://", "https://"].iter().any(|p| {
        url.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    })
}

/// A release offered for the target architecture, with its primary artifact there.
type Offer<'a> = (&'a VersionKey, &'a EdgeRelease, &'a Artifact);

/// Answers a check on `route` for `app` (A.2-A.4). The channel is the app's
/// `protocols.hot_update.channel`, else its default channel. Releases not
/// [`rollout::offered`] to `req.device_id` are as if absent. Versions are ordered by
/// [`VersionScheme::HotUpdate`], ties by later publication first.
///
/// # Errors
/// Only on [`Route::Latest`], whose empty states are 404s: [`Error::NoVersions`],
/// [`Error::ArchNotPublished`]; on every route, [`Error::Internal`] when a private app's
/// answer cannot get a signed link ([`Links::file_url`]).
pub fn check(
    app: &EdgeApp,
    route: Route,
    req: &CheckRequest,
    links: &Links,
) -> Result<Answer, Error> {
    check_prepared(app, &Prepared::new(app), route, req, links)
}

/// What [`check`] derives from the app alone: the served channel's releases in A's order
/// (version keys parsed once) and the minimum version's key. The edge data never changes
/// under an isolate, so the worker prepares each app once instead of on every request.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Indexes into `app.releases` of the served channel, newest first, with their keys.
    order: Vec<(VersionKey, usize)>,
    /// Key of `policy.min_version`, when set and valid.
    min_version: Option<VersionKey>,
}

impl Prepared {
    /// Orders `app`'s releases of its A channel by [`VersionScheme::HotUpdate`], ties by later
    /// publication first.
    pub fn new(app: &EdgeApp) -> Prepared {
        let scheme = VersionScheme::HotUpdate;
        let channel = app
            .app
            .protocols
            .hot_update
            .as_ref()
            .and_then(|h| h.channel.as_ref())
            .unwrap_or(&app.default_channel);
        let mut order: Vec<(VersionKey, usize)> = app
            .releases
            .iter()
            .enumerate()
            .filter(|(_, r)| &r.release.channel == channel)
            .filter_map(|(i, r)| Some((scheme.key(&r.release.version).ok()?, i)))
            .collect();
        let published = |i: usize| app.releases.get(i).map(|r| r.release.published_at);
        order.sort_by(|(ka, a), (kb, b)| kb.cmp(ka).then(published(*b).cmp(&published(*a))));
        let min_version = app
            .app
            .policy
            .min_version
            .as_deref()
            .and_then(|m| scheme.key(m).ok());
        Prepared { order, min_version }
    }
}

/// [`check`] with the app's [`Prepared`] ordering (which must come from the same `app`).
///
/// # Errors
/// As [`check`].
pub fn check_prepared(
    app: &EdgeApp,
    prepared: &Prepared,
    route: Route,
    req: &CheckRequest,
    links: &Links,
) -> Result<Answer, Error> {
    let scheme = VersionScheme::HotUpdate;
    let archs = architectures(app);
    let target = match req.architecture.as_deref() {
        Some(key) => archs.iter().find(|a| a.key == key),
        None => fallback(&archs),
    };

    let offered: Vec<(&VersionKey, &EdgeRelease)> = prepared
        .order
        .iter()
        .filter_map(|(k, i)| Some((k, app.releases.get(*i)?)))
        .filter(|(_, r)| rollout::offered(r, req.device_id.as_deref()))
        .collect();
    let Some(&(_, newest)) = offered.first() else {
        return empty(route, Error::NoVersions);
    };
    // A disabled (or unknown) architecture is never offered.
    let arch = target.filter(|a| a.enabled);
    let available: Vec<Offer<'_>> = arch.map_or_else(Vec::new, |arch| {
        offered
            .iter()
            .filter_map(|(k, r)| {
                let artifact = r
                    .release
                    .artifacts
                    .iter()
                    .find(|a| a.role == ArtifactRole::Primary && a.arch.as_str() == arch.key)?;
                Some((*k, *r, artifact))
            })
            .collect()
    });
    let (Some(arch), Some(&latest)) = (arch, available.first()) else {
        let key = req.architecture.as_deref().or(target.map(|a| a.key));
        return empty(
            route,
            Error::ArchNotPublished(key.unwrap_or(DEFAULT_ARCH_KEY).to_owned()),
        );
    };
    let current = req
        .current_version
        .as_deref()
        .filter(|_| route != Route::CheckGet)
        .and_then(|v| scheme.key(v).ok());
    let next = match &current {
        Some(c) => available.iter().find(|(k, ..)| *k > c).copied(),
        None => Some(latest),
    };
    let below_minimum = prepared
        .min_version
        .as_ref()
        .zip(current.as_ref())
        .is_some_and(|(min, c)| c < min);
    let info = |(_, r, artifact): Offer<'_>, has_update: bool| -> Result<VersionInfo, Error> {
        Ok(VersionInfo {
            version: r.release.version.clone(),
            // A private app's file only through a signed link (its download route answers 404).
            download_url: if Links::is_private(app) {
                links.file_url(app, artifact)?
            } else if is_http(&artifact.url) {
                artifact.url.clone()
            } else {
                format!("/api/version-artifacts/{}/download", artifact.id)
            },
            md5: artifact.md5,
            size: artifact.size,
            force_update: artifact.upgrade.unwrap_or(r.release.upgrade) == UpgradeType::Force
                || has_update && below_minimum,
            changelog: r.release.notes.clone(),
            created_at: r.release.published_at.to_iso_millis(),
            updated_at: r.release.published_at.to_iso_millis(),
            timestamp: r.release.published_at.unix_millis(),
            is_current: (route == Route::Latest).then(|| std::ptr::eq(r, newest)),
            publish_state: publish_state(&r.release, &archs),
            architecture_key: arch.key.to_owned(),
            architecture_name: arch.name.to_owned(),
            artifact_id: artifact.id.clone(),
        })
    };
    let answer = |has_update, data| Answer {
        success: true,
        has_update,
        data: Some(data),
        code: None,
        message: None,
    };
    Ok(match route {
        Route::Check => answer(
            Some(next.is_some()),
            next.map(|n| info(n, true)).transpose()?,
        ),
        Route::CheckGet => answer(None, Some(info(latest, false)?)),
        Route::Latest => {
            let has_update = next.is_some() || current.is_none();
            answer(
                Some(has_update),
                Some(info(next.unwrap_or(latest), has_update)?),
            )
        }
    })
}

/// The empty states: 404s on the legacy route, 200s with a message on v1.
fn empty(route: Route, e: Error) -> Result<Answer, Error> {
    let (code, message) = match &e {
        Error::ArchNotPublished(key) => (Some(ARCH_NOT_PUBLISHED), arch_not_published(key)),
        _ => (None, NO_VERSIONS.to_owned()),
    };
    match route {
        Route::Latest => Err(e),
        _ => Ok(Answer {
            success: true,
            has_update: (route == Route::Check).then_some(false),
            data: (route == Route::CheckGet).then_some(None),
            code,
            message: Some(message),
        }),
    }
}

/// Where `GET /api/version-artifacts/{artifactId}/download` redirects (302): the artifact's
/// URL, site-relative or absolute.
///
/// # Errors
/// [`Error::ArtifactNotFound`] for an unknown id, and for a private app's artifact, wherever
/// it is (under the edge prefix, which is never served, or at an external URL, which must not
/// leak): the route has no authentication, and only signed links reach private files.
pub fn download_target<'a>(lookup: &'a EdgeLookup, artifact_id: &str) -> Result<&'a str, Error> {
    lookup
        .artifacts
        .get(artifact_id)
        .filter(|a| !a.private)
        .map(|a| a.url.as_str())
        .filter(|url| !paths::is_edge(url))
        .ok_or(Error::ArtifactNotFound)
}

impl From<crate::links::LinkError> for Error {
    /// A private file without a link is an internal failure of the answer (no key), never a
    /// dead or unsigned URL.
    fn from(_: crate::links::LinkError) -> Error {
        Error::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::ArtifactRef;
    use crate::links::Protocol;

    /// [`super::check`] with the links of `https://u.example` and a key.
    fn check(app: &EdgeApp, route: Route, req: &CheckRequest) -> Result<Answer, Error> {
        let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
        let links = Links::new("https://u.example", Protocol::HotUpdate, Some("k"), now);
        super::check(app, route, req, &links)
    }
    use serde_json::{Value, json};

    /// `_edge/apps/android-demo.json` of the example site, trimmed: 1.4.0 at 25% (external
    /// URL), 1.3.0 yanked, 1.2.0 arm64 only (with an attachment and a `silent` override),
    /// 1.1.0 forced, 1.0.0; both architectures enabled, `min_version` 1.1.0.
    const ANDROID_DEMO: &str = r#"{
      "schema_version": 1,
      "app": {
        "id": "android-demo", "name": "Demo for Android", "platform": "android", "versioning": "semver",
        "policy": { "min_version": "1.1.0", "offline_ttl_seconds": 900 },
        "architectures": [
          { "key": "arm64-v8a", "name": "ARM64", "default": true, "order": 0, "enabled": true },
          { "key": "armeabi-v7a", "name": "ARMv7", "default": false, "order": 1, "enabled": true }
        ],
        "channels": [{ "key": "stable", "name": "Android", "default": true }],
        "protocols": { "hot_update": { "project_id": "clx0demo0android" } }
      },
      "default_channel": "stable", "default_arch": "arm64-v8a",
      "releases": [
        { "version": "1.4.0", "channel": "stable", "published_at": "2026-04-10T08:00:00Z", "state": "ready",
          "rollout": 25, "upgrade": "prompt", "notes": "Staged: new sync engine",
          "release_id": "android-demo/stable/1.4.0", "zealot_id": 5, "zealot_version": 5, "artifacts": [
          { "id": "a8f99105de136518b50b648f", "arch": "arm64-v8a", "role": "primary", "name": "demo-1.4.0-arm64-v8a.apk", "size": 123456,
            "sha256": "8d54d8033a3c8b2aca94e3ad6bbad5ed0fa0c4f20d6bad24e1fb40e3e5cc3f1f", "md5": "0123456789abcdef0123456789abcdef",
            "url": "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk" }] },
        { "version": "1.3.0", "channel": "stable", "published_at": "2026-04-02T08:00:00Z", "state": "yanked",
          "rollout": 100, "upgrade": "prompt", "notes": "Pulled: crashes on start",
          "release_id": "android-demo/stable/1.3.0", "zealot_id": 4, "zealot_version": 4, "artifacts": [
          { "id": "2bb12493ad22ad7670dc84e1", "arch": "arm64-v8a", "role": "primary", "name": "demo-1.3.0-arm64-v8a.apk", "size": 55,
            "sha256": "2fc7a1280df44f7c7ba9235bc416876b0ca4c579e7e295a752b1025aaaeb1d79", "md5": "36dcc7a57d2dc649d7623a4b2350a58e",
            "url": "/artifacts/android-demo/1.3.0/2fc7a1280df44f7c7ba9235bc416876b0ca4c579e7e295a752b1025aaaeb1d79.demo-1.3.0-arm64-v8a.apk" }] },
        { "version": "1.2.0", "channel": "stable", "published_at": "2026-03-28T21:00:00Z", "state": "ready",
          "rollout": 100, "upgrade": "prompt", "notes": "- New settings screen\n- Faster start-up",
          "release_id": "android-demo/stable/1.2.0", "zealot_id": 3, "zealot_version": 3, "artifacts": [
          { "id": "f2c16718084d2c7cbb29a8c8", "arch": "arm64-v8a", "role": "primary", "name": "demo-1.2.0-arm64-v8a.apk", "size": 43,
            "sha256": "c3e4bb642f096a9735a2629b3432502b13209a5da9b6bb97d84d6ab2c54e77c9", "md5": "8e3d6b065f93ba0d7b6210ab3f7801ff",
            "url": "/artifacts/android-demo/1.2.0/c3e4bb642f096a9735a2629b3432502b13209a5da9b6bb97d84d6ab2c54e77c9.demo-1.2.0-arm64-v8a.apk",
            "upgrade": "silent" },
          { "id": "4e83006a3b89531200e289c5", "arch": "arm64-v8a", "role": "attachment", "name": "demo-1.2.0-mapping.txt", "size": 27,
            "sha256": "71270c35c66498a2fac476565d45e9abe9fcc465d6372166580f8df70f9235c3", "md5": "b364d6ca81d0bd6905b22454cdd36013",
            "url": "/artifacts/android-demo/1.2.0/71270c35c66498a2fac476565d45e9abe9fcc465d6372166580f8df70f9235c3.demo-1.2.0-mapping.txt" }] },
        { "version": "1.1.0", "channel": "stable", "published_at": "2026-02-01T01:00:00Z", "state": "ready",
          "rollout": 100, "upgrade": "force", "notes": "Fix a crash when resuming\nSecurity fix in the login flow",
          "release_id": "android-demo/stable/1.1.0", "zealot_id": 2, "zealot_version": 2, "artifacts": [
          { "id": "0a0f20eeeaea62d44988f45e", "arch": "arm64-v8a", "role": "primary", "name": "demo-1.1.0-arm64-v8a.apk", "size": 43,
            "sha256": "ab3e6731a9ef212d9173b31f4d6551d2f8e6d01374667aeb38daee105072d430", "md5": "5716254dcaf26a68933b5b1a88ec73fa",
            "url": "/artifacts/android-demo/1.1.0/ab3e6731a9ef212d9173b31f4d6551d2f8e6d01374667aeb38daee105072d430.demo-1.1.0-arm64-v8a.apk" },
          { "id": "2cc2b127faa001e59d9d5b38", "arch": "armeabi-v7a", "role": "primary", "name": "demo-1.1.0-armeabi-v7a.apk", "size": 45,
            "sha256": "e154016191a661ff41af4087f64f723a4b2877305e5a8285785fdbfb129345c9", "md5": "b58de2efc60464fef49d4c0d8e4180ba",
            "url": "/artifacts/android-demo/1.1.0/e154016191a661ff41af4087f64f723a4b2877305e5a8285785fdbfb129345c9.demo-1.1.0-armeabi-v7a.apk" }] },
        { "version": "1.0.0", "channel": "stable", "published_at": "2026-01-10T09:00:00Z", "state": "ready",
          "rollout": 100, "upgrade": "prompt", "notes": "First public release",
          "release_id": "android-demo/stable/1.0.0", "zealot_id": 1, "zealot_version": 1, "artifacts": [
          { "id": "97cfc664bb1e1f2c42720b1e", "arch": "arm64-v8a", "role": "primary", "name": "demo-1.0.0-arm64-v8a.apk", "size": 43,
            "sha256": "68400135b2c6dde0d0091a481b83d44205cf3ed62486fbfc69eb13961f9b6145", "md5": "5a7c7654fa33ddb64ec69371b8d65b86",
            "url": "/artifacts/android-demo/1.0.0/68400135b2c6dde0d0091a481b83d44205cf3ed62486fbfc69eb13961f9b6145.demo-1.0.0-arm64-v8a.apk" },
          { "id": "f2a96d48909b8904500bf6ea", "arch": "armeabi-v7a", "role": "primary", "name": "demo-1.0.0-armeabi-v7a.apk", "size": 45,
            "sha256": "b29b69e44f144b1fe14609792062201d359b7f6f8eaf300ccf16b670d13c8cc9", "md5": "9c55009da1ed705fc05bcc5adc78864e",
            "url": "/artifacts/android-demo/1.0.0/b29b69e44f144b1fe14609792062201d359b7f6f8eaf300ccf16b670d13c8cc9.demo-1.0.0-armeabi-v7a.apk" }] }
      ]
    }"#;

    fn fixture() -> Value {
        serde_json::from_str(ANDROID_DEMO).expect("fixture")
    }

    fn app_from(v: Value) -> EdgeApp {
        serde_json::from_value(v).expect("edge app")
    }

    fn demo() -> EdgeApp {
        app_from(fixture())
    }

    fn req(current: Option<&str>, arch: Option<&str>, device: Option<&str>) -> CheckRequest {
        CheckRequest {
            current_version: current.map(str::to_owned),
            architecture: arch.map(str::to_owned),
            device_id: device.map(str::to_owned),
            ..CheckRequest::default()
        }
    }

    fn json_of(a: &Answer) -> Value {
        serde_json::to_value(a).expect("json")
    }

    /// The version a POST v1 check offers, `None` for "no update".
    fn offered(
        app: &EdgeApp,
        current: Option<&str>,
        arch: Option<&str>,
        device: Option<&str>,
    ) -> Option<String> {
        let a = check(app, Route::Check, &req(current, arch, device)).expect("v1 never errs");
        a.data.flatten().map(|d| d.version)
    }

    fn data(app: &EdgeApp, route: Route, r: &CheckRequest) -> VersionInfo {
        check(app, route, r)
            .expect("answer")
            .data
            .flatten()
            .expect("data")
    }

    #[test]
    fn update_answer_matches_the_wire_shape() {
        let a = check(
            &demo(),
            Route::Check,
            &req(Some("1.1.0"), Some("arm64-v8a"), None),
        )
        .expect("answer");
        assert_eq!(
            serde_json::to_string(&a).expect("json"),
            concat!(
                r#"{"success":true,"hasUpdate":true,"data":{"version":"1.2.0","#,
                r#""downloadUrl":"/api/version-artifacts/f2c16718084d2c7cbb29a8c8/download","#,
                r#""md5":"8e3d6b065f93ba0d7b6210ab3f7801ff","size":43,"forceUpdate":false,"#,
                r#""changelog":"- New settings screen\n- Faster start-up","#,
                r#""createdAt":"2026-03-28T21:00:00.000Z","updatedAt":"2026-03-28T21:00:00.000Z","#,
                r#""timestamp":1774731600000,"publishState":"PARTIAL","architectureKey":"arm64-v8a","#,
                r#""architectureName":"ARM64","artifactId":"f2c16718084d2c7cbb29a8c8"}}"#
            )
        );
    }

    #[test]
    fn no_update_and_no_current_version() {
        let app = demo();
        let a = check(
            &app,
            Route::Check,
            &req(Some("1.2.0"), Some("arm64-v8a"), None),
        )
        .expect("answer");
        assert_eq!(
            json_of(&a),
            json!({"success": true, "hasUpdate": false, "data": null})
        );
        // A-token comparison: a newer client is up to date too.
        assert_eq!(offered(&app, Some("9"), None, None), None);
        // Without currentVersion the latest is offered; without arch, the default one.
        let d = data(&app, Route::Check, &req(None, None, None));
        assert_eq!(
            (d.version.as_str(), d.architecture_key.as_str()),
            ("1.2.0", "arm64-v8a")
        );
        // The highest newer version, not the next one.
        assert_eq!(
            offered(&app, Some("1.0.0"), Some("arm64-v8a"), None).as_deref(),
            Some("1.2.0")
        );
        // READY when every enabled architecture has a primary build.
        let d = data(
            &app,
            Route::Check,
            &req(Some("1.0.0"), Some("armeabi-v7a"), None),
        );
        assert_eq!(
            (d.version.as_str(), d.publish_state),
            ("1.1.0", PublishState::Ready)
        );
    }

    #[test]
    fn architecture_not_published() {
        let app = demo();
        // armeabi-v7a has no 1.2.0: it stays on 1.1.0.
        assert_eq!(
            offered(&app, Some("1.1.0"), Some("armeabi-v7a"), None),
            None
        );
        let a = check(&app, Route::Check, &req(Some("1.1.0"), Some("mips"), None)).expect("answer");
        assert_eq!(
            json_of(&a),
            json!({"success": true, "hasUpdate": false, "code": "ARCH_NOT_PUBLISHED", "message": "架构 mips 尚未发布任何可用版本"})
        );
        let g = check(&app, Route::CheckGet, &req(None, Some("mips"), None)).expect("answer");
        assert_eq!(
            json_of(&g),
            json!({"success": true, "data": null, "code": "ARCH_NOT_PUBLISHED", "message": "架构 mips 尚未发布任何可用版本"})
        );
        let e = check(&app, Route::Latest, &req(None, Some("mips"), None)).expect_err("404");
        assert_eq!(e.status(), 404);
        assert_eq!(
            serde_json::to_value(e.body()).expect("json"),
            json!({"error": "ARCH_NOT_PUBLISHED", "message": "架构 mips 尚未发布任何可用版本"})
        );
        // A disabled architecture is never offered, and no longer counts for publishState;
        // the fallback moves to the first enabled one.
        let mut v = fixture();
        v["app"]["architectures"][1]["enabled"] = json!(false);
        let app = app_from(v.clone());
        assert_eq!(
            check(&app, Route::Check, &req(None, Some("armeabi-v7a"), None))
                .expect("answer")
                .code,
            Some(ARCH_NOT_PUBLISHED)
        );
        assert_eq!(
            data(&app, Route::Check, &req(None, None, None)).publish_state,
            PublishState::Ready
        );
        v["app"]["architectures"][0]["enabled"] = json!(false);
        v["app"]["architectures"][1]["enabled"] = json!(true);
        let d = data(&app_from(v), Route::Check, &req(None, None, None));
        assert_eq!(
            (d.version.as_str(), d.architecture_key.as_str()),
            ("1.1.0", "armeabi-v7a")
        );
    }

    #[test]
    fn no_versions() {
        let mut v = fixture();
        v["releases"] = json!([]);
        let app = app_from(v);
        assert_eq!(
            json_of(&check(&app, Route::Check, &req(Some("1.0"), None, None)).expect("answer")),
            json!({"success": true, "hasUpdate": false, "message": "No versions available"})
        );
        assert_eq!(
            json_of(&check(&app, Route::CheckGet, &req(None, None, None)).expect("answer")),
            json!({"success": true, "data": null, "message": "No versions available"})
        );
        let e = check(&app, Route::Latest, &req(None, None, None)).expect_err("404");
        assert_eq!((e.status(), e.body().error), (404, "No versions available"));
    }

    #[test]
    fn fallback_architecture_follows_order() {
        // No default: the first enabled by `order` (armeabi-v7a, order 1, before arm64 at 5).
        let mut v = fixture();
        v["app"]["architectures"][0]["default"] = json!(false);
        v["app"]["architectures"][0]["order"] = json!(5);
        let d = data(&app_from(v), Route::CheckGet, &req(None, None, None));
        assert_eq!(
            (d.version.as_str(), d.architecture_name.as_str()),
            ("1.1.0", "ARMv7")
        );
    }

    #[test]
    fn app_without_architectures_has_default() {
        let mut v = fixture();
        v["app"]["architectures"] = json!([]);
        v["default_arch"] = json!("default");
        for r in v["releases"].as_array_mut().expect("releases") {
            r["artifacts"]
                .as_array_mut()
                .expect("artifacts")
                .retain(|a| a["arch"] == "arm64-v8a");
            for a in r["artifacts"].as_array_mut().expect("artifacts") {
                a["arch"] = json!("default");
            }
        }
        let app = app_from(v);
        let d = data(&app, Route::Check, &req(None, None, None));
        assert_eq!(
            (
                d.architecture_key.as_str(),
                d.architecture_name.as_str(),
                d.publish_state
            ),
            ("default", "默认架构", PublishState::Ready)
        );
        assert_eq!(offered(&app, None, Some("arm64-v8a"), None), None);
    }

    #[test]
    fn force_update_rules() {
        let app = demo();
        // The target's flag: 1.1.0 is forced (armeabi-v7a client on 1.0.0)...
        assert!(
            data(
                &app,
                Route::Check,
                &req(Some("1.0.0"), Some("armeabi-v7a"), None)
            )
            .force_update
        );
        // ...but a skipped forced version does not force 1.2.0 (silent for arm64)...
        let mut v = fixture();
        v["app"]["policy"] = json!({});
        assert!(
            !data(
                &app_from(v.clone()),
                Route::Check,
                &req(Some("1.0.0"), None, None)
            )
            .force_update
        );
        // ...unless the client is below policy.min_version (1.1.0): our minimum-version rule.
        assert!(data(&app, Route::Check, &req(Some("1.0.0"), None, None)).force_update);
        assert!(!data(&app, Route::Check, &req(Some("1.1.0"), None, None)).force_update);
        // The per-architecture override wins over the release's flag, both ways.
        v["releases"][2]["upgrade"] = json!("force");
        assert!(
            !data(
                &app_from(v.clone()),
                Route::Check,
                &req(Some("1.1.0"), None, None)
            )
            .force_update
        );
        v["releases"][2]["artifacts"][0]
            .as_object_mut()
            .expect("artifact")
            .remove("upgrade");
        assert!(
            data(
                &app_from(v.clone()),
                Route::Check,
                &req(Some("1.1.0"), None, None)
            )
            .force_update
        );
        v["releases"][2]["upgrade"] = json!("prompt");
        v["releases"][2]["artifacts"][0]["upgrade"] = json!("force");
        assert!(data(&app_from(v), Route::Check, &req(Some("1.1.0"), None, None)).force_update);
    }

    #[test]
    fn yanked_is_never_offered() {
        let mut v = fixture();
        v["releases"][0]["rollout"] = json!(100);
        v["releases"][1]["version"] = json!("1.5.0");
        let app = app_from(v);
        for device in [None, Some("d-1"), Some("d-2")] {
            assert_eq!(
                offered(&app, Some("1.0.0"), None, device).as_deref(),
                Some("1.4.0")
            );
        }
    }

    /// Devices 0..400 whose v1 check offers 1.4.0.
    fn in_cohort(app: &EdgeApp) -> Vec<String> {
        (0..400)
            .map(|i| format!("device-{i}"))
            .filter(|d| offered(app, Some("1.2.0"), None, Some(d)).as_deref() == Some("1.4.0"))
            .collect()
    }

    #[test]
    fn staged_rollout_by_device() {
        let app = demo();
        assert_eq!(
            offered(&app, Some("1.2.0"), None, None),
            None,
            "no device id: full rollouts only"
        );
        let at25 = in_cohort(&app);
        assert!(
            (60..140).contains(&at25.len()),
            "about a quarter: {}",
            at25.len()
        );
        for d in &at25 {
            assert!(rollout::cohort("android-demo/stable/1.4.0", d) < 25);
        }
        // The external URL is given as is, with its real md5 and size.
        let r = CheckRequest {
            device_id: at25.first().cloned(),
            ..req(Some("1.2.0"), None, None)
        };
        let d = data(&app, Route::Check, &r);
        assert_eq!(
            d.download_url,
            "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk"
        );
        assert_eq!(
            (d.md5.map(|m| m.to_hex()), d.size),
            (Some("0123456789abcdef0123456789abcdef".into()), 123456)
        );
        // machineId is an alias; outside the cohort the device stays on 1.2.0.
        let out = (0..400)
            .map(|i| format!("device-{i}"))
            .find(|d| !at25.contains(d))
            .expect("someone out");
        let body = format!(r#"{{"currentVersion":"1.2.0","machineId":"{out}"}}"#);
        let parsed = parse_body(body.as_bytes()).expect("parses");
        assert_eq!(parsed.device_id.as_deref(), Some(out.as_str()));
        assert_eq!(
            check(&app, Route::Check, &parsed).expect("answer").data,
            Some(None)
        );
        // Growing the rollout keeps every device that was in.
        let mut v = fixture();
        v["releases"][0]["rollout"] = json!(50);
        let at50 = in_cohort(&app_from(v));
        assert!(at25.iter().all(|d| at50.contains(d)) && at50.len() > at25.len());
    }

    #[test]
    fn hot_update_version_order() {
        let mut v = fixture();
        let template = v["releases"][2].clone(); // 1.2.0, arm64, fully rolled out
        let add = |v: &mut Value, version: &str, published: &str| {
            let mut r = template.clone();
            r["version"] = json!(version);
            r["release_id"] = json!(format!("android-demo/stable/{version}"));
            r["published_at"] = json!(published);
            v["releases"].as_array_mut().expect("releases").insert(0, r);
        };
        // Newest-first in semver order, as the generator writes them for this app.
        add(&mut v, "2.0.0-beta", "2026-05-01T00:00:00Z");
        add(&mut v, "2.0.0", "2026-05-02T00:00:00Z");
        let app = app_from(v.clone());
        assert_eq!(
            offered(&app, Some("1.2.0"), None, None).as_deref(),
            Some("2.0.0-beta")
        );
        assert_eq!(
            offered(&app, Some("2.0.0"), None, None).as_deref(),
            Some("2.0.0-beta")
        );
        assert_eq!(offered(&app, Some("2.0.0-beta"), None, None), None);
        // Equal under A's order (`3.0` = `3.00`): the later publication wins, either way round.
        let mut w = v.clone();
        add(&mut v, "3.00", "2026-06-02T00:00:00Z");
        add(&mut v, "3.0", "2026-06-01T00:00:00Z");
        assert_eq!(
            offered(&app_from(v), None, None, None).as_deref(),
            Some("3.00")
        );
        add(&mut w, "3.0", "2026-06-02T00:00:00Z");
        add(&mut w, "3.00", "2026-06-01T00:00:00Z");
        assert_eq!(
            offered(&app_from(w), None, None, None).as_deref(),
            Some("3.0")
        );
    }

    #[test]
    fn get_and_legacy_shapes() {
        let app = demo();
        let g = check(
            &app,
            Route::CheckGet,
            &parse_query([
                ("projectId", "clx0demo0android"),
                ("architecture", "armeabi-v7a"),
            ]),
        )
        .expect("answer");
        let j = json_of(&g);
        assert_eq!(j.get("hasUpdate"), None);
        assert_eq!(j["data"]["version"], "1.1.0");
        assert_eq!(j["data"].get("isCurrent"), None);
        // Legacy: data even without an update; isCurrent only for the channel's newest.
        let l = check(
            &app,
            Route::Latest,
            &req(Some("1.2.0"), Some("arm64-v8a"), None),
        )
        .expect("answer");
        let j = json_of(&l);
        assert_eq!(
            (
                j["hasUpdate"].clone(),
                j["data"]["version"].clone(),
                j["data"]["isCurrent"].clone()
            ),
            (json!(false), json!("1.2.0"), json!(true))
        );
        assert!(
            serde_json::to_string(&l)
                .expect("json")
                .contains(r#""timestamp":1774731600000,"isCurrent":true,"publishState""#),
            "isCurrent sits between timestamp and publishState"
        );
        let l = data(
            &app,
            Route::Latest,
            &req(Some("1.0.0"), Some("armeabi-v7a"), None),
        );
        assert_eq!(
            (l.version.as_str(), l.is_current, l.force_update),
            ("1.1.0", Some(false), true)
        );
        let l = check(&app, Route::Latest, &req(None, Some("armeabi-v7a"), None)).expect("answer");
        assert_eq!(l.has_update, Some(true));
        // Up to date: the latest available is the data, with its own force flag.
        let l = check(
            &app,
            Route::Latest,
            &req(Some("1.1.0"), Some("armeabi-v7a"), None),
        )
        .expect("answer");
        assert_eq!(l.has_update, Some(false));
        assert!(
            l.data.flatten().is_some_and(|d| d.force_update),
            "1.1.0 is itself a forced release"
        );
    }

    #[test]
    fn parses_bodies_leniently_but_not_blindly() {
        assert_eq!(parse_body(b""), Ok(CheckRequest::default()));
        assert_eq!(parse_body(b" \n"), Ok(CheckRequest::default()));
        for bad in [
            &b"{bad"[..],
            b"[1]",
            b"null",
            b"\"x\"",
            br#"{"currentVersion":1}"#,
            br#"{"architecture":["a"]}"#,
        ] {
            assert_eq!(
                parse_body(bad),
                Err(Error::BadRequest),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            parse_body(&vec![b' '; MAX_BODY_BYTES + 1]),
            Err(Error::TooLarge)
        );
        let r = parse_body(
            br#"{"currentVersion":" ","architectureKey":"","architecture":" armeabi-v7a ","arch":"x",
                "projectId":"p","apiKey":"k","deviceId":"d","machineId":"m","other":{"x":1},"arch2":null}"#,
        )
        .expect("parses");
        assert_eq!(
            r,
            CheckRequest {
                current_version: None,
                architecture: Some("armeabi-v7a".into()),
                project_id: Some("p".into()),
                device_id: Some("d".into()),
                api_key: Some("k".into()),
            }
        );
        // A blank but non-empty architectureKey wins `||` and then means "none".
        let r = parse_body(
            br#"{"architectureKey":"  ","architecture":"x","projectId":"","currentVersion":null}"#,
        )
        .expect("parses");
        assert_eq!(r, CheckRequest::default());
        let q = parse_query([
            ("arch", "a"),
            ("architecture", ""),
            ("arch", "b"),
            ("machineId", "m"),
            ("currentVersion", "1"),
        ]);
        assert_eq!(
            q,
            CheckRequest {
                architecture: Some("a".into()),
                device_id: Some("m".into()),
                ..CheckRequest::default()
            }
        );
    }

    fn record(kind: KeyKind, apps: &[&str]) -> KeyRecord {
        KeyRecord {
            id: "k-1".into(),
            kind,
            apps: apps.iter().map(|a| AppId::new(*a).expect("id")).collect(),
            channel: None,
            status: KeyStatus::Active,
            expires_at: Some(Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").expect("ts")),
            created_at: Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").expect("ts"),
            label: None,
        }
    }

    fn lookup() -> EdgeLookup {
        let mut l = EdgeLookup::default();
        for (project, app) in [
            ("clx0demo0android", "android-demo"),
            ("other-project", "other-app"),
        ] {
            l.hot_update
                .insert(project.into(), AppId::new(app).expect("id"));
        }
        for (id, app, url) in [
            (
                "f2c16718084d2c7cbb29a8c8",
                "android-demo",
                "/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk",
            ),
            (
                "a8f99105de136518b50b648f",
                "android-demo",
                "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk",
            ),
            (
                "8440c6577ec8bc6ebde095af",
                "desktop-pro",
                "/_edge/artifacts/desktop-pro/1.0.0/eea1.desktop-pro-1.0.0.zip",
            ),
            (
                "5d1b3c1e2c7b0a9f8e6d4c2b",
                "desktop-pro",
                "https://example.com/download/app-1.3.0.zip",
            ),
        ] {
            l.artifacts.insert(
                id.into(),
                ArtifactRef {
                    app: AppId::new(app).expect("id"),
                    url: url.into(),
                    private: app == "desktop-pro",
                },
            );
        }
        l
    }

    #[test]
    fn bearer_then_api_key() {
        let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
        let l = lookup();
        let demo = AppId::new("android-demo").expect("id");
        let token = record(KeyKind::HotToken, &["android-demo"]);
        let key = record(KeyKind::ApiKey, &["android-demo"]);
        let auth = |bearer, api_key, project: Option<&str>, route| {
            authorize(bearer, api_key, project, &l, route, now)
        };
        for route in [Route::Check, Route::CheckGet, Route::Latest] {
            assert_eq!(
                auth(
                    Some(&token),
                    ApiKey::Missing,
                    Some("clx0demo0android"),
                    route
                ),
                Ok(demo.clone())
            );
            assert_eq!(
                auth(Some(&token), ApiKey::Found(&key), None, route),
                Err(Error::ProjectIdRequired(route))
            );
            assert_eq!(
                auth(Some(&token), ApiKey::Missing, Some(""), route),
                Err(Error::ProjectIdRequired(route))
            );
            for p in ["nope", "other-project"] {
                assert_eq!(
                    auth(Some(&token), ApiKey::Found(&key), Some(p), route),
                    Err(Error::ProjectNotFound)
                );
            }
            assert_eq!(
                auth(None, ApiKey::Found(&key), None, route),
                Ok(demo.clone())
            );
        }
        assert_eq!(
            Error::ProjectIdRequired(Route::Check).body().error,
            "Project ID is required when using Bearer token authentication"
        );
        assert_eq!(
            Error::ProjectIdRequired(Route::Latest).body().error,
            "Project ID is required when using Bearer token"
        );
        // An unusable bearer falls back to the API key.
        let mut revoked = token.clone();
        revoked.status = KeyStatus::Revoked;
        let mut expired = token.clone();
        expired.expires_at = Some(now);
        for bad in [&revoked, &expired, &key] {
            assert_eq!(
                auth(Some(bad), ApiKey::Found(&key), None, Route::Check),
                Ok(demo.clone())
            );
            assert_eq!(
                auth(
                    Some(bad),
                    ApiKey::Missing,
                    Some("clx0demo0android"),
                    Route::Check
                ),
                Err(Error::Unauthorized(Route::Check))
            );
        }
        // Bad API keys: 401 on v1, 404 on the legacy route; no key at all is 401 on both.
        let mut expired_key = key.clone();
        expired_key.expires_at = Some(now);
        let not_served = record(KeyKind::ApiKey, &["desktop-pro"]);
        let two_apps = record(KeyKind::ApiKey, &["android-demo", "other-app"]);
        for bad in [
            ApiKey::Unknown,
            ApiKey::Found(&expired_key),
            ApiKey::Found(&not_served),
            ApiKey::Found(&two_apps),
            ApiKey::Found(&token),
        ] {
            assert_eq!(
                auth(None, bad, None, Route::Check),
                Err(Error::Unauthorized(Route::Check))
            );
            assert_eq!(
                auth(None, bad, None, Route::Latest),
                Err(Error::ProjectNotFound)
            );
        }
        let e = auth(None, ApiKey::Missing, None, Route::Latest).expect_err("401");
        assert_eq!(
            (e.status(), e.body().error),
            (
                401,
                "Authentication required - provide Bearer token or X-API-Key"
            )
        );
        let e = auth(None, ApiKey::Missing, None, Route::CheckGet).expect_err("401");
        assert_eq!(
            (e.status(), e.body().error),
            (401, "Unauthorized - Invalid or missing authentication")
        );
    }

    #[test]
    fn credential_extraction() {
        assert_eq!(bearer_token(Some("Bearer hot_abc")), Some("hot_abc"));
        for h in [
            None,
            Some("bearer hot_abc"),
            Some("Bearer "),
            Some("Basic x"),
        ] {
            assert_eq!(bearer_token(h), None);
        }
        let body = CheckRequest {
            api_key: Some("body".into()),
            ..CheckRequest::default()
        };
        assert_eq!(
            api_key_secret(Route::Latest, Some("hdr"), &body),
            Some("hdr")
        );
        assert_eq!(api_key_secret(Route::Latest, Some(""), &body), Some("body"));
        assert_eq!(api_key_secret(Route::Check, None, &body), None);
        assert_eq!(api_key_secret(Route::Check, Some(""), &body), None);
    }

    #[test]
    fn downloads() {
        let l = lookup();
        assert_eq!(
            download_target(&l, "f2c16718084d2c7cbb29a8c8"),
            Ok("/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk")
        );
        assert_eq!(
            download_target(&l, "a8f99105de136518b50b648f"),
            Ok("https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk")
        );
        // A private app's files, site-hosted or external, are not revealed here.
        for id in [
            "8440c6577ec8bc6ebde095af",
            "5d1b3c1e2c7b0a9f8e6d4c2b",
            "nope",
            "",
        ] {
            let e = download_target(&l, id).expect_err("404");
            assert_eq!(
                (e.status(), serde_json::to_string(&e.body()).expect("json")),
                (404, r#"{"error":"产物不存在"}"#.to_owned())
            );
        }
    }

    #[test]
    fn private_apps_get_signed_links_or_internal() {
        let mut v = fixture();
        v["app"]["visibility"] = json!("private");
        let app = app_from(v);
        let d = data(
            &app,
            Route::Check,
            &req(Some("1.0.0"), Some("arm64-v8a"), None),
        );
        assert!(
            d.download_url.starts_with(&format!(
                "https://u.example/dl/a/{}/demo-1.2.0-arm64-v8a.apk?expires=",
                d.artifact_id
            )),
            "{}",
            d.download_url
        );
        let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
        let no_key = Links::new("https://u.example", Protocol::HotUpdate, None, now);
        for route in [Route::Check, Route::CheckGet, Route::Latest] {
            let r = req(Some("1.0.0"), Some("arm64-v8a"), None);
            assert_eq!(
                super::check(&app, route, &r, &no_key),
                Err(Error::Internal),
                "{route:?}"
            );
        }
        // Without a file in the answer, no key is needed.
        let r = req(Some("1.2.0"), Some("arm64-v8a"), None);
        assert!(super::check(&app, Route::Check, &r, &no_key).is_ok());
        let e = Error::LinkDenied;
        assert_eq!(
            (e.status(), serde_json::to_string(&e.body()).expect("json")),
            (403, r#"{"error":"下载链接无效或已过期"}"#.to_owned())
        );
    }
}
