//! Protocol C (ZmoAuth remote update contract): license-gated update checks and signed package
//! answers under `/api/v1/apps/:appId/update/…` (`shared/spec/seed-protocols.md`, section C).
//! A `licenseKey` is the only credential: the worker finds its [`KeyRecord`] by sha256 and
//! these functions decide, in upstream's order, what to answer. Each decision takes the app
//! (`None` when the path's `appId` is unknown) and the license record (`None` when KV has none
//! for the key). An unknown `appId` is answered as an app no license belongs to (see
//! `authorize`): the worker looks the license up either way.

use crate::digest::to_hex;
use crate::index::{Artifact, EdgeApp, EdgeRelease, percent_encode};
use crate::keys::{KeyKind, KeyRecord, KeyStatus, SigningSecret};
use crate::links::Links;
use crate::manifest::{ArtifactRole, LicenseIds, ReleaseState};
use crate::rollout;
use crate::time::Timestamp;
use crate::version::{VersionScheme, js_trim};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::Sha256;
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Largest check body accepted: the contract's body is under 100 bytes. Upstream has no cap.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Upstream's `licenseKey` limit (zod `.max(128)`, counted in UTF-16 units as JavaScript does).
pub const MAX_LICENSE_KEY_LEN: usize = 128;

/// The body of `POST /api/v1/apps/:appId/update/check`, as validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRequest {
    /// As sent; trimmed and format-checked only after the license checks, as upstream does.
    pub current_version: String,
    /// As sent (upstream does not trim it here); the worker looks up `kv_key` of exactly this.
    pub license_key: String,
    /// Our addition: `deviceId` (or `machineId`) for staged rollouts. Without one only fully
    /// rolled-out releases are offered.
    pub device_id: Option<String>,
}

/// A validated `/update/package/:version` or `/update/download/:version` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRequest {
    /// The path's version, trimmed and known to be `v?x.y.z`.
    pub version: String,
    /// The license key, trimmed; the worker looks up `kv_key` of exactly this.
    pub license_key: String,
}

/// zod's `error.flatten()`: errors about the whole body and per field, in JavaScript's words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flattened {
    /// Problems with the body as a whole (not an object, too large).
    pub form_errors: Vec<String>,
    /// Field → its problems; fields without problems are absent.
    pub field_errors: BTreeMap<String, Vec<String>>,
}

/// Every way a protocol C request fails, in the order upstream checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The check body failed zod validation (malformed JSON counts as `{}`, as upstream).
    InvalidBody(Flattened),
    /// The package route got no `licenseKey` (or only blanks).
    MissingLicenseKey,
    /// A version is not `v?x.y.z`.
    InvalidVersion,
    /// No license record for this key (or the key is some other kind of credential).
    LicenseNotFound,
    /// The license is for other apps.
    LicenseForeign,
    /// The license is suspended or revoked.
    LicenseInactive,
    /// The license expired at or before now.
    LicenseExpired,
    /// The app's channel has no downloadable, non-yanked release with exactly this version.
    VersionNotFound,
    /// A failure that is not the client's: missing signing secret, unreadable edge data.
    Internal,
}

impl Error {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Error::InvalidBody(_) | Error::MissingLicenseKey | Error::InvalidVersion => 400,
            Error::LicenseForeign | Error::LicenseInactive | Error::LicenseExpired => 403,
            Error::LicenseNotFound | Error::VersionNotFound => 404,
            Error::Internal => 500,
        }
    }

    /// The `code` of upstream's `AppError` envelope; `None` for the two `{message}` forms.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Error::InvalidBody(_) | Error::MissingLicenseKey => None,
            Error::InvalidVersion => Some("VALIDATION_ERROR"),
            Error::LicenseNotFound | Error::VersionNotFound => Some("NOT_FOUND"),
            Error::LicenseForeign | Error::LicenseInactive | Error::LicenseExpired => {
                Some("FORBIDDEN")
            }
            Error::Internal => Some("INTERNAL_ERROR"),
        }
    }

    /// The fixed message clients show (they read `message` on any non-2xx).
    pub fn message(&self) -> &'static str {
        match self {
            Error::InvalidBody(_) => "请求参数不合法",
            Error::MissingLicenseKey => "缺少 licenseKey 参数",
            Error::InvalidVersion => "Version must be in x.y.z format",
            Error::LicenseNotFound => "License not found",
            Error::LicenseForeign => "License does not belong to this app",
            Error::LicenseInactive => "License is not active",
            Error::LicenseExpired => "License is expired",
            Error::VersionNotFound => "Version not found",
            Error::Internal => "Internal server error",
        }
    }
}

/// Serializes as the response body: `{code, message}`, `{message, errors}` or `{message}`.
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Body<'a> {
            Coded {
                code: &'static str,
                message: &'static str,
            },
            Invalid {
                message: &'static str,
                errors: &'a Flattened,
            },
            Plain {
                message: &'static str,
            },
        }
        let message = self.message();
        match (self, self.code()) {
            (_, Some(code)) => Body::Coded { code, message },
            (Error::InvalidBody(errors), None) => Body::Invalid { message, errors },
            _ => Body::Plain { message },
        }
        .serialize(s)
    }
}

/// `FORCE` or `OPTIONAL`: upstream has no other strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Strategy {
    /// The client runs below the app's `policy.min_version` and must update.
    Force,
    /// Anything else, including "no update".
    Optional,
}

/// The answer to an update check (fields in the contract's order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResponse {
    /// Whether the target is newer than the client's version.
    pub has_update: bool,
    /// The client's version, trimmed.
    pub current_version: String,
    /// The target version; `null` when there is no update, even if releases exist.
    pub target_version: Option<String>,
    /// `OPTIONAL` whenever there is no update.
    pub strategy: Strategy,
    /// The target's release notes; `null` without an update or without notes.
    pub note: Option<String>,
    /// The app's `policy.offline_ttl_seconds`: advice on how long to trust this answer offline.
    pub offline_ttl_seconds: u32,
}

/// The answer to a package request (fields in the contract's order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageResponse {
    /// The protocol `appId` (the path segment, not our app id).
    pub app_id: String,
    /// The version, as published.
    pub version: String,
    /// An absolute URL: an external artifact URL as is, else the license-checked download route.
    pub download_url: String,
    /// Release notes, `null` when there are none.
    pub release_note: Option<String>,
    /// [`sign`] with the current secret.
    pub signature: String,
    /// [`sign`] with the previous secret while it is in its grace window, else `null`.
    pub legacy_signature: Option<String>,
    /// End of that window (`toISOString()` form), else `null`.
    pub signature_grace_expires_at: Option<String>,
    /// The release's publication time (`toISOString()` form).
    pub published_at: String,
}

/// Where the download route gets the bytes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Download<'a> {
    /// A file of the site, read through the assets binding (for private apps it lies under
    /// `_edge/`, which only the worker can read).
    Site {
        /// Path relative to the site root, without a leading slash.
        path: &'a str,
        /// The artifact, for `Content-Length`, `Content-Disposition` and digests.
        artifact: &'a Artifact,
    },
    /// Hosted elsewhere: answer with a redirect.
    Redirect(&'a str),
}

/// `lowercase_hex(HMAC-SHA256(secret, "{app_id}:{version}:{download_url}"))`, the secret used as
/// UTF-8 text (not hex-decoded), exactly as upstream signs.
pub fn sign(secret: &str, app_id: &str, version: &str, download_url: &str) -> String {
    // HMAC takes keys of any length, so this branch is never taken; an empty signature would
    // fail verification rather than panic.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    for part in [app_id, ":", version, ":", download_url] {
        mac.update(part.as_bytes());
    }
    to_hex(&mac.finalize().into_bytes())
}

/// The type name zod 4 reports for a JSON value (`util.parsedType`).
fn js_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// zod 4's English message for `z.string().min(min).max(max)` on one field, if it fails.
fn string_issue(field: Option<&Value>, min: usize, max: Option<usize>) -> Option<String> {
    let s = match field {
        Some(Value::String(s)) => s,
        other => {
            let got = other.map_or("undefined", js_type);
            return Some(format!("Invalid input: expected string, received {got}"));
        }
    };
    let len = s.encode_utf16().count();
    if len < min {
        Some(format!(
            "Too small: expected string to have >={min} characters"
        ))
    } else {
        max.filter(|&m| len > m)
            .map(|m| format!("Too big: expected string to have <={m} characters"))
    }
}

/// Parses and validates a check body like upstream's zod schema
/// `{currentVersion: string().min(1), licenseKey: string().min(1).max(128)}`.
///
/// # Errors
/// [`Error::InvalidBody`] with zod's flattened issues. A body that is not JSON is read as `{}`
/// (upstream's `req.json().catch(() => ({}))`), so both fields are reported missing; a body
/// over [`MAX_BODY_BYTES`] gets a form error.
pub fn parse_check(body: &[u8]) -> Result<CheckRequest, Error> {
    let mut flat = Flattened::default();
    if body.len() > MAX_BODY_BYTES {
        flat.form_errors.push(format!(
            "Too big: expected body to have <={MAX_BODY_BYTES} bytes"
        ));
        return Err(Error::InvalidBody(flat));
    }
    // `Request.json()` decodes UTF-8 leniently and drops a BOM before `JSON.parse`.
    let text = String::from_utf8_lossy(body);
    let value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(&text))
        .unwrap_or_else(|_| Value::Object(Map::new()));
    let Value::Object(obj) = value else {
        flat.form_errors.push(format!(
            "Invalid input: expected object, received {}",
            js_type(&value)
        ));
        return Err(Error::InvalidBody(flat));
    };
    let fields = [
        ("currentVersion", None),
        ("licenseKey", Some(MAX_LICENSE_KEY_LEN)),
    ];
    for (name, max) in fields {
        if let Some(issue) = string_issue(obj.get(name), 1, max) {
            flat.field_errors.insert(name.to_owned(), vec![issue]);
        }
    }
    let text_of = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    match (text_of("currentVersion"), text_of("licenseKey")) {
        (Some(current_version), Some(license_key)) if flat == Flattened::default() => {
            Ok(CheckRequest {
                current_version,
                license_key,
                // Unknown keys are stripped by zod, so a mistyped device id is ignored too.
                device_id: text_of("deviceId").or_else(|| text_of("machineId")),
            })
        }
        _ => Err(Error::InvalidBody(flat)),
    }
}

/// Validates the package and download routes' inputs in upstream's order: the license key
/// first (the worker passes the `X-License-Key` header if present, else the `licenseKey` query
/// parameter), then the path's version.
///
/// # Errors
/// [`Error::MissingLicenseKey`] when it is absent or blank, then [`Error::InvalidVersion`].
pub fn parse_package(version: &str, license_key: Option<&str>) -> Result<PackageRequest, Error> {
    let key = js_trim(license_key.unwrap_or_default());
    if key.is_empty() {
        return Err(Error::MissingLicenseKey);
    }
    let version = js_trim(version);
    VersionScheme::License
        .validate(version)
        .map_err(|_| Error::InvalidVersion)?;
    Ok(PackageRequest {
        version: version.to_owned(),
        license_key: key.to_owned(),
    })
}

/// The app and license checks shared by every route. `app` is `None` when the `appId` is
/// unknown (or its app does not serve C), `license` when no record exists for the key's sha256.
///
/// Upstream checks the app first (404 `App not found`), which tells anyone which `appId`s
/// exist. Here an unknown app is answered as an existing app that the license does not belong
/// to: `License not found` for a key with no license (as for a wrong key to an existing app),
/// else `License does not belong to this app` (as for another app's license). The status and
/// `code` are upstream's for those cases; clients only show `message`.
fn authorize<'a>(
    app: Option<&'a EdgeApp>,
    license: Option<&KeyRecord>,
    now: Timestamp,
) -> Result<(&'a EdgeApp, &'a LicenseIds), Error> {
    // The KV namespace holds every kind of credential: an API key is not a license.
    let license = license
        .filter(|l| l.kind == KeyKind::License)
        .ok_or(Error::LicenseNotFound)?;
    let Some((app, ids)) = app.and_then(|a| Some((a, a.app.protocols.license.as_ref()?))) else {
        // No license belongs to an app that does not exist.
        return Err(Error::LicenseForeign);
    };
    if !license.apps.contains(&app.app.id) {
        Err(Error::LicenseForeign)
    } else if license.status != KeyStatus::Active {
        Err(Error::LicenseInactive)
    } else if license.is_expired(now) {
        Err(Error::LicenseExpired)
    } else {
        Ok((app, ids))
    }
}

/// The primary artifact clients download: the default architecture's, else the first.
fn primary<'a>(app: &EdgeApp, r: &'a EdgeRelease) -> Option<&'a Artifact> {
    let primaries = || {
        r.release
            .artifacts
            .iter()
            .filter(|a| a.role == ArtifactRole::Primary)
    };
    primaries()
        .find(|a| a.arch == app.default_arch)
        .or_else(|| primaries().next())
}

/// The releases protocol C can serve: the license channel's non-yanked releases with an
/// `x.y.z` version and a primary artifact, each with that artifact.
fn servable<'a>(
    app: &'a EdgeApp,
    ids: &'a LicenseIds,
) -> impl Iterator<Item = (&'a EdgeRelease, &'a Artifact)> {
    let channel = ids.channel.as_ref().unwrap_or(&app.default_channel);
    app.releases
        .iter()
        .filter(move |r| r.release.channel == *channel && r.release.state == ReleaseState::Ready)
        .filter(|r| VersionScheme::License.validate(&r.release.version).is_ok())
        .filter_map(move |r| Some((r, primary(app, r)?)))
}

fn notes(r: &EdgeRelease) -> Option<String> {
    Some(r.release.notes.clone()).filter(|n| !n.is_empty())
}

/// Answers an update check. The target is the most recently *published* release offered to
/// the device (upstream takes the newest by creation time, not the highest version, so an
/// older version published later wins); there is an update when it is above the client's.
///
/// # Errors
/// App and license failures in upstream's order, then [`Error::InvalidVersion`] for a
/// `currentVersion` that is not `v?x.y.z`.
pub fn check(
    app: Option<&EdgeApp>,
    license: Option<&KeyRecord>,
    req: &CheckRequest,
    now: Timestamp,
) -> Result<CheckResponse, Error> {
    let (app, ids) = authorize(app, license, now)?;
    let current = js_trim(&req.current_version);
    let scheme = VersionScheme::License;
    let current_key = scheme.key(current).map_err(|_| Error::InvalidVersion)?;
    let device = req.device_id.as_deref();
    // `min_by_key` keeps the first of equal times: the edge data lists higher versions first.
    let target = servable(app, ids)
        .filter(|(r, _)| rollout::offered(r, device))
        .min_by_key(|(r, _)| Reverse(r.release.published_at))
        .map(|(r, _)| r)
        .filter(|r| {
            scheme
                .key(&r.release.version)
                .is_ok_and(|k| k > current_key)
        });
    // The one minimum-version rule (`crate::rules`); an unparsable minimum forces nothing.
    let below_minimum =
        crate::rules::below_minimum(app.app.policy.min_version.as_deref(), scheme, current)
            == Some(true);
    Ok(CheckResponse {
        has_update: target.is_some(),
        current_version: current.to_owned(),
        target_version: target.map(|r| r.release.version.clone()),
        strategy: if target.is_some() && below_minimum {
            Strategy::Force
        } else {
            Strategy::Optional
        },
        note: target.and_then(notes),
        offline_ttl_seconds: app.app.policy.offline_ttl_seconds.seconds(),
    })
}

/// The release with exactly `req.version` (no rollout gate: the client names a version the
/// check offered it, and the package query carries no device id).
fn find<'a>(
    app: Option<&'a EdgeApp>,
    license: Option<&KeyRecord>,
    req: &PackageRequest,
    now: Timestamp,
) -> Result<(&'a EdgeApp, &'a LicenseIds, &'a EdgeRelease, &'a Artifact), Error> {
    let (app, ids) = authorize(app, license, now)?;
    let (r, artifact) = servable(app, ids)
        .find(|(r, _)| r.release.version == req.version)
        .ok_or(Error::VersionNotFound)?;
    Ok((app, ids, r, artifact))
}

/// A site file's path without its leading slash; `None` for absolute (or `//host`) URLs.
fn site_path(url: &str) -> Option<&str> {
    url.strip_prefix('/').filter(|p| !p.starts_with('/'))
}

/// Answers a package request with the signed download URL. The origin of `links` (e.g.
/// `https://updates.example.com`) prefixes the download route for files the site hosts, so
/// the signature covers the host the client talks to. C needs no signed download link: a
/// site file goes through its license-checked route (which also sees a revoked license at
/// once), and an external URL is given, as upstream, to the licensed client only.
///
/// # Errors
/// App and license failures in upstream's order, [`Error::VersionNotFound`], then
/// [`Error::Internal`] when the app has no signing secret.
pub fn package(
    app: Option<&EdgeApp>,
    license: Option<&KeyRecord>,
    req: &PackageRequest,
    secret: Option<&SigningSecret>,
    links: &Links,
    now: Timestamp,
) -> Result<PackageResponse, Error> {
    let (_, ids, r, artifact) = find(app, license, req, now)?;
    let secret = secret.ok_or(Error::Internal)?;
    let version = &r.release.version;
    let download_url = match site_path(&artifact.url) {
        Some(_) => format!(
            "{}/api/v1/apps/{}/update/download/{}?licenseKey={}",
            links.origin().trim_end_matches('/'),
            percent_encode(&ids.app_id),
            percent_encode(version),
            // The client follows `downloadUrl` as is; the key it already sent in the package
            // query is what the download route checks.
            percent_encode(&req.license_key)
        ),
        None => artifact.url.clone(),
    };
    let grace = secret.grace(now);
    Ok(PackageResponse {
        signature: sign(&secret.current, &ids.app_id, version, &download_url),
        legacy_signature: grace.map(|(old, _)| sign(old, &ids.app_id, version, &download_url)),
        signature_grace_expires_at: grace.map(|(_, until)| until.to_iso_millis()),
        app_id: ids.app_id.clone(),
        version: version.clone(),
        download_url,
        release_note: notes(r),
        published_at: r.release.published_at.to_iso_millis(),
    })
}

/// Decides `GET /api/v1/apps/:appId/update/download/:version` (our route, the `downloadUrl` of
/// site-hosted files): the same checks as [`package`], then where the bytes are.
///
/// # Errors
/// As [`package`], without the signing secret.
pub fn download_target<'a>(
    app: Option<&'a EdgeApp>,
    license: Option<&KeyRecord>,
    req: &PackageRequest,
    now: Timestamp,
) -> Result<Download<'a>, Error> {
    let (_, _, _, artifact) = find(app, license, req, now)?;
    Ok(match site_path(&artifact.url) {
        Some(path) => Download::Site { path, artifact },
        None => Download::Redirect(&artifact.url),
    })
}

#[cfg(test)]
mod tests;
