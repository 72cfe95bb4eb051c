//! Protocol A (hotUpdateManage): `POST /api/v1/check`, `GET /api/v1/check`, the legacy
//! `POST /api/versions/latest` and `GET /api/version-artifacts/{id}/download`
//! (`shared/spec/seed-protocols.md`, section A, checked against upstream at `ca1985fe`).
//!
//! `crate::serve::hot_update` extracts the credentials, fetches their [`KeyRecord`]s and the
//! app's [`EdgeApp`]; everything it then has to decide is here (the wire types in `wire`,
//! re-exported): [`parse_body`] or [`parse_query`],
//! [`authorize`], [`check`] and [`download_target`]. Answers are [`Answer`] (always HTTP 200)
//! or an [`Error`] with its status and `{"error"[, "message"]}` body.

use crate::index::{Artifact, EdgeApp, EdgeLookup, EdgeRelease, Release, paths};
use crate::keys::{KeyKind, KeyRecord, KeyStatus};
use crate::links::Links;
use crate::manifest::{ArtifactRole, UpgradeType};
use crate::names::AppId;
use crate::rollout;
use crate::time::Timestamp;
use crate::version::{VersionKey, VersionScheme, js_trim};
use serde::Deserialize;

mod wire;
pub use wire::*;
use wire::{ARCH_NOT_PUBLISHED, NO_VERSIONS, arch_not_published};

/// Largest request body accepted: the documented bodies are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The architecture upstream creates for a project that has none; the generator gives the
/// artifacts of such an app this key too (the one rule: [`crate::rules::DEFAULT_ARCH_KEY`]).
pub use crate::rules::DEFAULT_ARCH_KEY;

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

/// Upstream's `pickFallbackArchitecture`, which is the generator's default-architecture rule
/// too ([`crate::rules::default_arch_of`]).
fn fallback<'a>(archs: &'a [Arch<'a>]) -> Option<&'a Arch<'a>> {
    crate::rules::default_arch_of(archs, |a| a.default, |a| a.enabled)
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

#[cfg(test)]
mod tests;
