//! Protocol E (tinyaii): `POST /api/v1/version/check`. JSON in and out, the app found by
//! `app_key` in the body, answers in the envelope `{code, message, data}` where `code` mirrors
//! the HTTP status (`shared/spec/seed-protocols.md`, section E, with its proposals).

use crate::index::{Artifact, EdgeApp, EdgeRelease};
use crate::links::{LinkError, Links};
use crate::manifest::{Architecture, ArtifactRole, Platform, UpgradeType};
use crate::rollout;
use crate::version::VersionScheme;
use serde::{Deserialize, Serialize};

/// Largest request body accepted: the documented bodies are a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The body of a version check. `machine_id` is not in the documented body; clients that send
/// it get staged rollouts applied to them.
#[derive(Debug, Clone, Deserialize)]
pub struct VersionCheckRequest {
    /// The app's key.
    pub app_key: String,
    /// The version the client runs.
    pub current_version: String,
    /// `windows`, `mac`, `linux`, `android`, `ios` or `all`; anything else means `all`.
    #[serde(default)]
    pub platform: Option<String>,
    /// Stable machine id, for rollout cohorts.
    #[serde(default)]
    pub machine_id: Option<String>,
}

/// What went wrong, as the protocol reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// Malformed JSON, a missing or mistyped field, an oversized body, a bad version.
    BadRequest,
    /// No app has this key.
    UnknownApp,
    /// A signed download link that is expired, altered or not this deployment's (ours).
    LinkDenied,
    /// A signed download link whose file is no longer published (ours).
    FileNotFound,
    /// The worker failed (edge data unreadable, no download link key); detail in the log only.
    Internal,
}

impl Error {
    /// HTTP status, equal to the envelope's `code`.
    pub fn status(self) -> u16 {
        match self {
            Error::BadRequest => 400,
            Error::UnknownApp => 401,
            Error::LinkDenied => 403,
            Error::FileNotFound => 404,
            Error::Internal => 500,
        }
    }

    /// The fixed message.
    pub fn message(self) -> &'static str {
        match self {
            Error::BadRequest => "参数错误",
            Error::UnknownApp => "app_key无效",
            Error::LinkDenied => "下载链接无效或已过期",
            Error::FileNotFound => "文件不存在",
            Error::Internal => "服务器内部错误",
        }
    }

    /// The error envelope (`data: null`).
    pub fn envelope(self) -> Envelope<()> {
        Envelope {
            code: self.status(),
            message: self.message(),
            data: None,
        }
    }
}

/// `{code, message, data}`.
#[derive(Debug, Clone, Serialize)]
pub struct Envelope<T> {
    /// Mirrors the HTTP status.
    pub code: u16,
    /// Human-readable outcome.
    pub message: &'static str,
    /// The answer, `null` on errors.
    pub data: Option<T>,
}

impl<T> Envelope<T> {
    /// A 200 answer.
    pub fn ok(message: &'static str, data: T) -> Self {
        Envelope {
            code: 200,
            message,
            data: Some(data),
        }
    }
}

/// The `data` of a version check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionCheck {
    /// Whether a newer version is available.
    pub has_update: bool,
    /// The client's version, echoed.
    pub current_version: String,
    /// The newest version offered (the client's own when none is).
    pub latest_version: String,
    /// Absolute download URL; empty without an update.
    pub download_url: String,
    /// Release notes; empty without an update.
    pub release_notes: String,
    /// Whether the client must update; false without an update.
    pub force_update: bool,
}

/// Parses a request body.
///
/// # Errors
/// [`Error::BadRequest`] for an oversized body, bad JSON or missing and mistyped fields.
pub fn parse(body: &[u8]) -> Result<VersionCheckRequest, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::BadRequest);
    }
    let req: VersionCheckRequest = serde_json::from_slice(body).map_err(|_| Error::BadRequest)?;
    if req.app_key.trim().is_empty() {
        return Err(Error::BadRequest);
    }
    Ok(req)
}

fn requested_platform(p: Option<&str>) -> Option<Platform> {
    match p.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("windows" | "win" | "win32" | "win64") => Some(Platform::Windows),
        Some("mac" | "macos" | "darwin" | "osx") => Some(Platform::Macos),
        Some("linux") => Some(Platform::Linux),
        Some("android") => Some(Platform::Android),
        Some("ios") => Some(Platform::Ios),
        _ => None, // `all`, absent or unknown
    }
}

/// The primary artifact of `r` for `platform` (any platform when `None`): the default
/// architecture's first, then in `archs` order.
fn artifact_for<'a>(
    app: &EdgeApp,
    archs: &[&Architecture],
    r: &'a EdgeRelease,
    platform: Option<Platform>,
) -> Option<&'a Artifact> {
    let arch_platform = |key: &str| {
        archs
            .iter()
            .find(|a| a.key.as_str() == key)
            .and_then(|a| a.platform)
            .unwrap_or(app.app.platform)
    };
    r.release
        .artifacts
        .iter()
        .filter(|a| a.role == ArtifactRole::Primary)
        .filter(|a| platform.is_none_or(|p| arch_platform(a.arch.as_str()) == p))
        .min_by_key(|a| {
            (
                a.arch != app.default_arch,
                archs
                    .iter()
                    .position(|x| x.key == a.arch)
                    .unwrap_or(usize::MAX),
            )
        })
}

/// Answers a version check for `app`. `links` makes the download URL ([`Links::file_url`]:
/// absolute, and signed for a private app).
///
/// # Errors
/// [`Error::BadRequest`] when `current_version` is not a dotted numeric version;
/// [`Error::Internal`] when a private app's file cannot get a signed link.
pub fn version_check(
    app: &EdgeApp,
    req: &VersionCheckRequest,
    links: &Links,
) -> Result<VersionCheck, Error> {
    let scheme = VersionScheme::Dotted;
    let current = req.current_version.trim();
    let current_key = scheme.key(current).map_err(|_| Error::BadRequest)?;
    let channel = app
        .app
        .protocols
        .tinyaii
        .as_ref()
        .and_then(|t| t.channel.clone())
        .unwrap_or_else(|| app.default_channel.clone());
    let platform = requested_platform(req.platform.as_deref());
    let device = req.machine_id.as_deref();
    let archs = app.ordered_archs();

    let best = app
        .releases
        .iter()
        .filter(|r| r.release.channel == channel && rollout::offered(r, device))
        .filter_map(|r| {
            let key = scheme.key(&r.release.version).ok()?;
            let artifact = artifact_for(app, &archs, r, platform)?;
            Some((key, r, artifact))
        })
        .max_by(|a, b| a.0.cmp(&b.0));

    // The one minimum-version rule (`crate::rules`); an unparsable minimum forces nothing.
    let below_minimum =
        crate::rules::below_minimum(app.app.policy.min_version.as_deref(), scheme, current)
            == Some(true);
    Ok(match best {
        Some((key, r, artifact)) if key > current_key => VersionCheck {
            has_update: true,
            current_version: current.to_owned(),
            latest_version: r.release.version.clone(),
            download_url: links.file_url(app, artifact)?,
            release_notes: r.release.notes.clone(),
            force_update: artifact.upgrade.unwrap_or(r.release.upgrade) == UpgradeType::Force
                || below_minimum,
        },
        other => VersionCheck {
            has_update: false,
            current_version: current.to_owned(),
            latest_version: other
                .map_or_else(|| current.to_owned(), |(_, r, _)| r.release.version.clone()),
            download_url: String::new(),
            release_notes: String::new(),
            force_update: false,
        },
    })
}

impl From<LinkError> for Error {
    /// A private file without a link is an internal failure (no key), never a dead or
    /// unsigned URL.
    fn from(_: LinkError) -> Error {
        Error::Internal
    }
}

#[cfg(test)]
mod tests;
