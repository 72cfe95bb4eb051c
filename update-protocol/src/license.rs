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
    let below_minimum = app
        .app
        .policy
        .min_version
        .as_deref()
        .and_then(|m| scheme.key(m).ok())
        .is_some_and(|min| current_key < min);
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
mod tests {
    use super::*;
    use crate::names::AppId;
    use serde_json::json;

    const APP_ID: &str = "app_desktop_pro";
    const ORIGIN: &str = "https://u.example";

    fn links() -> Links {
        Links::public_only(ORIGIN)
    }
    const EDGE_1_1: &str = "/_edge/artifacts/desktop-pro/1.1.0/759e.desktop-pro-1.1.0.zip";

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("timestamp")
    }

    fn now() -> Timestamp {
        ts("2026-03-01T00:00:00Z")
    }

    /// A release as in the example's `_edge/apps/desktop-pro.json`.
    fn release(version: &str, published: &str, url: &str) -> Value {
        json!({
            "version": version, "channel": "stable", "published_at": published, "state": "ready",
            "rollout": 100, "upgrade": "prompt", "notes": format!("notes {version}"),
            "release_id": format!("desktop-pro/stable/{version}"), "zealot_id": 1, "zealot_version": 1,
            "artifacts": [{
                "id": format!("id-{version}"), "arch": "x64", "role": "primary",
                "name": format!("desktop-pro-{version}.zip"), "size": 28, "sha256": "00".repeat(32),
                "url": url,
            }],
        })
    }

    /// The example app (trimmed), with extra releases appended.
    fn app_with(extra: Vec<Value>) -> EdgeApp {
        let mut releases = vec![
            release(
                "1.3.0",
                "2026-02-24T10:20:00Z",
                "https://example.com/download/app-1.3.0.zip",
            ),
            release("1.1.0", "2026-02-15T12:00:00Z", EDGE_1_1),
            release(
                "1.0.0",
                "2026-01-15T12:00:00Z",
                "/_edge/artifacts/desktop-pro/1.0.0/eea1.desktop-pro-1.0.0.zip",
            ),
        ];
        releases[0]["notes"] = json!("修复若干问题");
        releases.extend(extra);
        serde_json::from_value(json!({
            "schema_version": 1,
            "app": {
                "id": "desktop-pro", "name": "Desktop Pro", "platform": "windows",
                "visibility": "private", "versioning": "license",
                "policy": { "min_version": "1.1.0", "offline_ttl_seconds": 3600 },
                "architectures": [{ "key": "x64", "name": "x64", "default": true }],
                "channels": [{ "key": "stable", "name": "Stable" }, { "key": "beta", "name": "Beta" }],
                "protocols": { "license": { "app_id": APP_ID } }
            },
            "default_channel": "stable", "default_arch": "x64", "releases": releases,
        }))
        .expect("fixture")
    }

    fn app() -> EdgeApp {
        app_with(Vec::new())
    }

    fn license() -> KeyRecord {
        KeyRecord {
            id: "k-1".into(),
            kind: KeyKind::License,
            apps: vec![AppId::new("desktop-pro").expect("id")],
            channel: None,
            status: KeyStatus::Active,
            expires_at: Some(ts("2027-01-01T00:00:00Z")),
            created_at: ts("2026-01-01T00:00:00Z"),
            label: None,
        }
    }

    fn req(current: &str) -> CheckRequest {
        CheckRequest {
            current_version: current.into(),
            license_key: "LIC-1".into(),
            device_id: None,
        }
    }

    fn checked(app: &EdgeApp, current: &str) -> CheckResponse {
        check(Some(app), Some(&license()), &req(current), now()).expect("check")
    }

    fn secret(previous_until: Option<&str>) -> SigningSecret {
        SigningSecret {
            current: "new-secret".into(),
            previous: previous_until.map(|_| "old-secret".into()),
            previous_expires_at: previous_until.map(ts),
        }
    }

    fn pkg(version: &str) -> PackageRequest {
        parse_package(version, Some("LIC-1")).expect("valid")
    }

    fn body(e: &Error) -> String {
        serde_json::to_string(e).expect("json")
    }

    #[test]
    fn hmac_test_vector() {
        assert_eq!(
            sign(
                "secret",
                "app_xxx",
                "1.3.0",
                "https://example.com/download/app-1.3.0.zip"
            ),
            "32ca4b63f4834150983d64fde64f6507b1dbcad449895359b2ca75c9f8a27584"
        );
    }

    #[test]
    fn package_answer_and_field_order() {
        let a = app();
        let p = package(
            Some(&a),
            Some(&license()),
            &pkg("1.3.0"),
            Some(&secret(None)),
            &links(),
            now(),
        )
        .expect("package");
        let url = "https://example.com/download/app-1.3.0.zip";
        let sig = sign("new-secret", APP_ID, "1.3.0", url);
        assert_eq!(
            serde_json::to_string(&p).expect("json"),
            format!(
                r#"{{"appId":"app_desktop_pro","version":"1.3.0","downloadUrl":"{url}","releaseNote":"修复若干问题","signature":"{sig}","legacySignature":null,"signatureGraceExpiresAt":null,"publishedAt":"2026-02-24T10:20:00.000Z"}}"#
            )
        );
        // Site-hosted files go through the license-checked download route.
        let p = package(
            Some(&a),
            Some(&license()),
            &pkg(" 1.1.0 "),
            Some(&secret(None)),
            &Links::public_only("https://u.example/"),
            now(),
        )
        .expect("package");
        let route =
            "https://u.example/api/v1/apps/app_desktop_pro/update/download/1.1.0?licenseKey=LIC-1";
        assert_eq!(p.download_url, route);
        assert_eq!(p.signature, sign("new-secret", APP_ID, "1.1.0", route));
        assert_eq!(p.release_note.as_deref(), Some("notes 1.1.0"));
    }

    #[test]
    fn signatures_across_a_rotation() {
        let a = app();
        let at = |now: &str, s: &SigningSecret| {
            package(
                Some(&a),
                Some(&license()),
                &pkg("1.3.0"),
                Some(s),
                &links(),
                ts(now),
            )
            .expect("package")
        };
        let url = "https://example.com/download/app-1.3.0.zip";
        let rotated = secret(Some("2026-02-28T12:00:00.5Z"));
        // Before any rotation: no legacy signature.
        let before = at("2026-02-27T00:00:00Z", &secret(None));
        assert_eq!(before.legacy_signature, None);
        assert_eq!(before.signature_grace_expires_at, None);
        // Within the 24 h window: the previous secret signs too.
        let within = at("2026-02-28T12:00:00Z", &rotated);
        assert_eq!(within.signature, sign("new-secret", APP_ID, "1.3.0", url));
        assert_eq!(before.signature, within.signature);
        assert_eq!(
            within.legacy_signature,
            Some(sign("old-secret", APP_ID, "1.3.0", url))
        );
        assert_eq!(
            within.signature_grace_expires_at.as_deref(),
            Some("2026-02-28T12:00:00.500Z")
        );
        // From the expiry instant on: gone.
        for t in ["2026-02-28T12:00:00.5Z", "2026-03-01T00:00:00Z"] {
            let after = at(t, &rotated);
            assert_eq!(
                (after.legacy_signature, after.signature_grace_expires_at),
                (None, None)
            );
        }
        // A missing secret is the operator's fault, not the client's.
        let e = package(
            Some(&a),
            Some(&license()),
            &pkg("1.3.0"),
            None,
            &links(),
            now(),
        )
        .expect_err("no secret");
        assert_eq!(e.status(), 500);
        assert_eq!(
            body(&e),
            r#"{"code":"INTERNAL_ERROR","message":"Internal server error"}"#
        );
    }

    #[test]
    fn license_failures_in_order() {
        let a = app();
        let with = |f: fn(&mut KeyRecord)| {
            let mut l = license();
            f(&mut l);
            check(Some(&a), Some(&l), &req("1.0.0"), now()).expect_err("refused")
        };
        type Edit = fn(&mut KeyRecord);
        let cases: [(Error, Edit); 8] = [
            (Error::LicenseNotFound, |l| l.kind = KeyKind::ApiKey),
            (Error::LicenseForeign, |l| {
                l.apps = vec![AppId::new("other").expect("id")]
            }),
            (Error::LicenseInactive, |l| l.status = KeyStatus::Suspended),
            (Error::LicenseInactive, |l| l.status = KeyStatus::Revoked),
            (Error::LicenseExpired, |l| l.expires_at = Some(now())),
            // Several at once: the first in upstream's order wins.
            (Error::LicenseForeign, |l| {
                l.apps.clear();
                l.status = KeyStatus::Revoked;
                l.expires_at = Some(now());
            }),
            (Error::LicenseInactive, |l| {
                l.status = KeyStatus::Suspended;
                l.expires_at = Some(now());
            }),
            (Error::LicenseNotFound, |l| {
                l.kind = KeyKind::HotToken;
                l.status = KeyStatus::Revoked;
            }),
        ];
        for (want, f) in cases {
            assert_eq!(with(f), want);
        }
        assert_eq!(
            check(Some(&a), None, &req("1.0.0"), now()),
            Err(Error::LicenseNotFound)
        );
        // An unknown app answers as an existing one the license does not belong to (no
        // existence oracle), and the version format comes only after the license.
        assert_eq!(
            check(None, None, &req("bad"), now()),
            Err(Error::LicenseNotFound)
        );
        assert_eq!(
            check(Some(&a), None, &req("bad"), now()),
            Err(Error::LicenseNotFound)
        );
        let mut no_c = app();
        no_c.app.protocols.license = None;
        let mut other = app();
        other.app.id = AppId::new("other").expect("id");
        for unknown in [None, Some(&no_c)] {
            for l in [None, Some(license())] {
                // Exactly what the same key gets from an existing app it is not for.
                assert_eq!(
                    check(unknown, l.as_ref(), &req("1.0.0"), now()),
                    check(Some(&other), l.as_ref(), &req("1.0.0"), now()),
                );
            }
            let mut revoked = license();
            revoked.status = KeyStatus::Revoked;
            assert_eq!(
                check(unknown, Some(&revoked), &req("1.0.0"), now()),
                Err(Error::LicenseForeign)
            );
        }
        // No expiry never expires.
        let mut forever = license();
        forever.expires_at = None;
        assert!(check(Some(&a), Some(&forever), &req("1.0.0"), now()).is_ok());

        let bodies = [
            (
                Error::LicenseNotFound,
                404,
                r#"{"code":"NOT_FOUND","message":"License not found"}"#,
            ),
            (
                Error::LicenseForeign,
                403,
                r#"{"code":"FORBIDDEN","message":"License does not belong to this app"}"#,
            ),
            (
                Error::LicenseInactive,
                403,
                r#"{"code":"FORBIDDEN","message":"License is not active"}"#,
            ),
            (
                Error::LicenseExpired,
                403,
                r#"{"code":"FORBIDDEN","message":"License is expired"}"#,
            ),
            (
                Error::InvalidVersion,
                400,
                r#"{"code":"VALIDATION_ERROR","message":"Version must be in x.y.z format"}"#,
            ),
            (
                Error::VersionNotFound,
                404,
                r#"{"code":"NOT_FOUND","message":"Version not found"}"#,
            ),
            (
                Error::MissingLicenseKey,
                400,
                r#"{"message":"缺少 licenseKey 参数"}"#,
            ),
        ];
        for (e, status, json) in bodies {
            assert_eq!((e.status(), body(&e).as_str()), (status, json));
        }
    }

    #[test]
    fn package_route_order_and_lookup() {
        let a = app();
        // The license key, then the version format, both before the app and license.
        assert_eq!(parse_package("bad", None), Err(Error::MissingLicenseKey));
        assert_eq!(
            parse_package("bad", Some(" \t")),
            Err(Error::MissingLicenseKey)
        );
        assert_eq!(parse_package("1.2", Some("k")), Err(Error::InvalidVersion));
        assert_eq!(
            parse_package(" v1.3.0\n", Some(" LIC-1 ")),
            Ok(PackageRequest {
                version: "v1.3.0".into(),
                license_key: "LIC-1".into()
            })
        );
        let s = secret(None);
        let get = |a: Option<&EdgeApp>, l: Option<&KeyRecord>, v: &str| {
            package(a, l, &pkg(v), Some(&s), &links(), now()).map(|p| p.version)
        };
        assert_eq!(
            get(None, Some(&license()), "1.3.0"),
            Err(Error::LicenseForeign)
        );
        assert_eq!(get(None, None, "1.3.0"), Err(Error::LicenseNotFound));
        assert_eq!(get(Some(&a), None, "9.9.9"), Err(Error::LicenseNotFound));
        assert_eq!(
            get(Some(&a), Some(&license()), "9.9.9"),
            Err(Error::VersionNotFound)
        );
        // Any servable version, old ones included; exact text only.
        assert_eq!(get(Some(&a), Some(&license()), "1.0.0"), Ok("1.0.0".into()));
        assert_eq!(
            get(Some(&a), Some(&license()), "v1.0.0"),
            Err(Error::VersionNotFound)
        );
        // Yanked, other channels and staged (no gate here) releases.
        let mut yanked = release("1.4.0", "2026-02-26T00:00:00Z", "/x.zip");
        yanked["state"] = json!("yanked");
        let mut beta = release("1.5.0", "2026-02-26T00:00:00Z", "/y.zip");
        beta["channel"] = json!("beta");
        let mut staged = release("1.6.0", "2026-02-26T00:00:00Z", "/z.zip");
        staged["rollout"] = json!(10);
        let b = app_with(vec![yanked, beta, staged]);
        assert_eq!(
            get(Some(&b), Some(&license()), "1.4.0"),
            Err(Error::VersionNotFound)
        );
        assert_eq!(
            get(Some(&b), Some(&license()), "1.5.0"),
            Err(Error::VersionNotFound)
        );
        assert_eq!(get(Some(&b), Some(&license()), "1.6.0"), Ok("1.6.0".into()));
    }

    #[test]
    fn download_targets() {
        let a = app();
        let l = license();
        match download_target(Some(&a), Some(&l), &pkg("1.1.0"), now()) {
            Ok(Download::Site { path, artifact }) => {
                assert_eq!(path, &EDGE_1_1[1..]);
                assert_eq!(artifact.name.as_str(), "desktop-pro-1.1.0.zip");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            download_target(Some(&a), Some(&l), &pkg("1.3.0"), now()),
            Ok(Download::Redirect(
                "https://example.com/download/app-1.3.0.zip"
            ))
        );
        let mut revoked = license();
        revoked.status = KeyStatus::Revoked;
        assert_eq!(
            download_target(Some(&a), Some(&revoked), &pkg("1.1.0"), now()),
            Err(Error::LicenseInactive)
        );
    }

    #[test]
    fn force_optional_and_up_to_date() {
        let a = app();
        let force = checked(&a, "1.0.0");
        assert_eq!(
            serde_json::to_string(&force).expect("json"),
            r#"{"hasUpdate":true,"currentVersion":"1.0.0","targetVersion":"1.3.0","strategy":"FORCE","note":"修复若干问题","offlineTtlSeconds":3600}"#
        );
        let optional = checked(&a, "1.1.0");
        assert_eq!(
            (optional.has_update, optional.strategy),
            (true, Strategy::Optional)
        );
        let none = r#"{"hasUpdate":false,"currentVersion":"1.3.0","targetVersion":null,"strategy":"OPTIONAL","note":null,"offlineTtlSeconds":3600}"#;
        assert_eq!(
            serde_json::to_string(&checked(&a, "1.3.0")).expect("json"),
            none
        );
        // Newer than anything published, or nothing published: the same shape.
        assert_eq!(checked(&a, "2.0.0").target_version, None);
        let mut empty = app();
        empty.releases.clear();
        let e = checked(&empty, "0.1.0");
        assert_eq!(
            (e.has_update, e.target_version, e.strategy, e.note),
            (false, None, Strategy::Optional, None)
        );
        // No policy minimum: never FORCE.
        let mut lax = app();
        lax.app.policy.min_version = None;
        assert_eq!(checked(&lax, "1.0.0").strategy, Strategy::Optional);
    }

    #[test]
    fn latest_by_publication_not_by_version() {
        let a = app_with(vec![release("1.2.5", "2026-02-25T00:00:00Z", "/a.zip")]);
        assert_eq!(
            checked(&a, "1.0.0").target_version.as_deref(),
            Some("1.2.5")
        );
        // 1.3.0 exists, but the newest publication is not above 1.2.6: no update.
        assert_eq!(checked(&a, "1.2.6").target_version, None);
    }

    #[test]
    fn rollout_and_yanked_in_checks() {
        let mut yanked = release("1.9.0", "2026-02-28T00:00:00Z", "/y.zip");
        yanked["state"] = json!("yanked");
        let mut staged = release("1.4.0", "2026-02-27T00:00:00Z", "/s.zip");
        staged["rollout"] = json!(50);
        let a = app_with(vec![yanked, staged]);
        assert_eq!(
            checked(&a, "1.0.0").target_version.as_deref(),
            Some("1.3.0")
        );
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..100 {
            let mut r = req("1.0.0");
            r.device_id = Some(format!("machine-{i}"));
            let got = check(Some(&a), Some(&license()), &r, now()).expect("check");
            seen.insert(got.target_version.expect("update"));
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["1.3.0", "1.4.0"]);
    }

    #[test]
    fn current_version_forms() {
        let a = app();
        assert_eq!(checked(&a, "v1.1.0").current_version, "v1.1.0");
        assert_eq!(checked(&a, "V1.3.0").target_version, None);
        assert_eq!(checked(&a, " 1.0.0\n").current_version, "1.0.0");
        for bad in ["1.2", "1.2.3.4", "1.2.3-beta", " "] {
            assert_eq!(
                check(Some(&a), Some(&license()), &req(bad), now()),
                Err(Error::InvalidVersion),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn zod_shaped_body_errors() {
        let errors = |b: &[u8]| match parse_check(b) {
            Err(e @ Error::InvalidBody(_)) => {
                assert_eq!(e.status(), 400);
                body(&e)
            }
            other => panic!("{other:?}"),
        };
        let missing = "Invalid input: expected string, received undefined";
        let both_missing = format!(
            r#"{{"message":"请求参数不合法","errors":{{"formErrors":[],"fieldErrors":{{"currentVersion":["{missing}"],"licenseKey":["{missing}"]}}}}}}"#
        );
        assert_eq!(errors(b"{}"), both_missing);
        // Not JSON at all reads as `{}` upstream.
        assert_eq!(errors(b"{bad"), both_missing);
        assert_eq!(errors(b""), both_missing);
        let field = |b: &[u8], f: &str| match parse_check(b) {
            Err(Error::InvalidBody(flat)) => {
                assert!(flat.form_errors.is_empty());
                assert_eq!(flat.field_errors.len(), 1, "{flat:?}");
                flat.field_errors[f].join("|")
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(field(br#"{"licenseKey":"k"}"#, "currentVersion"), missing);
        assert_eq!(
            field(
                br#"{"currentVersion":1,"licenseKey":"k"}"#,
                "currentVersion"
            ),
            "Invalid input: expected string, received number"
        );
        assert_eq!(
            field(
                br#"{"currentVersion":"1.0.0","licenseKey":null}"#,
                "licenseKey"
            ),
            "Invalid input: expected string, received null"
        );
        assert_eq!(
            field(
                br#"{"currentVersion":"","licenseKey":"k"}"#,
                "currentVersion"
            ),
            "Too small: expected string to have >=1 characters"
        );
        let long = format!(
            r#"{{"currentVersion":"1.0.0","licenseKey":"{}"}}"#,
            "K".repeat(129)
        );
        assert_eq!(
            field(long.as_bytes(), "licenseKey"),
            "Too big: expected string to have <=128 characters"
        );
        // JavaScript counts UTF-16 units: 64 emoji fit, 65 do not.
        let emoji = |n: usize| {
            format!(
                r#"{{"currentVersion":"1.0.0","licenseKey":"{}"}}"#,
                "😀".repeat(n)
            )
        };
        assert!(parse_check(emoji(64).as_bytes()).is_ok());
        assert_eq!(
            field(emoji(65).as_bytes(), "licenseKey"),
            "Too big: expected string to have <=128 characters"
        );
        assert_eq!(
            errors(b"[1]"),
            r#"{"message":"请求参数不合法","errors":{"formErrors":["Invalid input: expected object, received array"],"fieldErrors":{}}}"#
        );
        assert!(errors(&vec![b' '; MAX_BODY_BYTES + 1]).contains(r#""formErrors":["Too big"#));
    }

    #[test]
    fn parses_valid_bodies() {
        let ok = parse_check(
            "\u{feff}{\"currentVersion\":\" 1.0.0\",\"licenseKey\":\"LIC-1\",\"extra\":1,\"machineId\":\"m\"}"
                .as_bytes(),
        )
        .expect("valid");
        assert_eq!(
            ok,
            CheckRequest {
                current_version: " 1.0.0".into(),
                license_key: "LIC-1".into(),
                device_id: Some("m".into()),
            }
        );
        let ok = parse_check(
            br#"{"currentVersion":"1.0.0","licenseKey":"k","deviceId":"d","machineId":"m"}"#,
        )
        .expect("valid");
        assert_eq!(ok.device_id.as_deref(), Some("d"));
        let ok = parse_check(br#"{"currentVersion":"1.0.0","licenseKey":"k","deviceId":5}"#)
            .expect("a mistyped device id is ignored");
        assert_eq!(ok.device_id, None);
    }
}
