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

    let below_minimum = app
        .app
        .policy
        .min_version
        .as_deref()
        .and_then(|m| scheme.key(m).ok())
        .is_some_and(|min| current_key < min);
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
mod tests {
    use super::*;
    use serde_json::json;

    fn links() -> Links {
        let now = crate::time::Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
        Links::new(
            "https://u.example",
            crate::links::Protocol::Tinyaii,
            Some("k"),
            now,
        )
    }

    /// An app with Windows (default) and Linux architectures and the given releases:
    /// (version, rollout, state, upgrade, architectures with a primary artifact).
    fn app(releases: &[(&str, u8, &str, &str, &[&str])]) -> EdgeApp {
        let releases: Vec<_> = releases
            .iter()
            .map(|(v, rollout, state, upgrade, archs)| {
                json!({
                    "version": v, "channel": "stable", "published_at": "2026-01-01T00:00:00Z",
                    "state": state, "rollout": rollout, "upgrade": upgrade, "notes": format!("notes {v}"),
                    "release_id": format!("tool/stable/{v}"), "zealot_id": 1, "zealot_version": 1,
                    "artifacts": archs.iter().map(|a| json!({
                        "id": format!("{v}-{a}"), "arch": a, "role": "primary", "name": format!("tool-{v}-{a}.bin"),
                        "size": 1, "sha256": "00".repeat(32), "url": format!("/artifacts/tool/{v}/{a}.bin"),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::from_value(json!({
            "schema_version": 1,
            "app": {
                "id": "tool", "name": "Tool", "platform": "windows",
                "policy": { "min_version": "1.0.0" },
                "architectures": [
                    { "key": "x64", "name": "x64", "default": true },
                    { "key": "linux-x64", "name": "Linux", "platform": "linux", "order": 1 }
                ],
                "channels": [{ "key": "stable", "name": "Stable" }],
                "protocols": { "tinyaii": { "app_key": "k" } }
            },
            "default_channel": "stable", "default_arch": "x64", "releases": releases,
        }))
        .expect("fixture")
    }

    fn check(app: &EdgeApp, current: &str, platform: &str, machine: Option<&str>) -> VersionCheck {
        let req = VersionCheckRequest {
            app_key: "k".into(),
            current_version: current.into(),
            platform: Some(platform.into()),
            machine_id: machine.map(str::to_owned),
        };
        version_check(app, &req, &links()).expect("valid request")
    }

    #[test]
    fn offers_the_newest_build_for_the_platform() {
        let a = app(&[
            ("1.2.0", 100, "ready", "prompt", &["x64"]),
            ("1.1.0", 100, "ready", "prompt", &["x64", "linux-x64"]),
            ("1.0.0", 100, "ready", "prompt", &["x64"]),
        ]);
        let w = check(&a, "1.0.0", "windows", None);
        assert!(w.has_update);
        assert_eq!(w.latest_version, "1.2.0");
        assert_eq!(
            w.download_url,
            "https://u.example/artifacts/tool/1.2.0/x64.bin"
        );
        assert_eq!(w.release_notes, "notes 1.2.0");
        let l = check(&a, "1.0.0", "linux", None);
        assert_eq!(
            (l.latest_version.as_str(), l.download_url.as_str()),
            (
                "1.1.0",
                "https://u.example/artifacts/tool/1.1.0/linux-x64.bin"
            )
        );
        // Unknown platforms mean "all".
        assert_eq!(check(&a, "1.0.0", "beos", None).latest_version, "1.2.0");
    }

    #[test]
    fn no_update_shape() {
        let a = app(&[("1.1.0", 100, "ready", "force", &["x64"])]);
        let v = check(&a, "1.1", "windows", None);
        assert_eq!(
            v,
            VersionCheck {
                has_update: false,
                current_version: "1.1".into(),
                latest_version: "1.1.0".into(),
                download_url: String::new(),
                release_notes: String::new(),
                force_update: false,
            }
        );
        let none = app(&[]);
        assert_eq!(check(&none, "2.0", "windows", None).latest_version, "2.0");
    }

    #[test]
    fn force_from_the_release_or_the_minimum_version() {
        let a = app(&[
            ("1.2.0", 100, "ready", "force", &["x64"]),
            ("1.1.0", 100, "ready", "prompt", &["x64"]),
        ]);
        assert!(check(&a, "1.1.0", "windows", None).force_update);
        let b = app(&[("1.2.0", 100, "ready", "prompt", &["x64"])]);
        assert!(!check(&b, "1.1.0", "windows", None).force_update);
        assert!(
            check(&b, "0.9", "windows", None).force_update,
            "below policy.min_version"
        );
    }

    #[test]
    fn never_offers_yanked_and_applies_rollout_by_machine() {
        let a = app(&[
            ("1.3.0", 100, "yanked", "prompt", &["x64"]),
            ("1.2.0", 50, "ready", "prompt", &["x64"]),
            ("1.1.0", 100, "ready", "prompt", &["x64"]),
        ]);
        assert_eq!(
            check(&a, "1.0.0", "windows", None).latest_version,
            "1.1.0",
            "no machine id: only full rollouts"
        );
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let m = format!("machine-{i}");
            let v = check(&a, "1.0.0", "windows", Some(&m)).latest_version;
            assert_eq!(
                v,
                check(&a, "1.0.0", "windows", Some(&m)).latest_version,
                "stable per machine"
            );
            seen.insert(v);
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["1.1.0", "1.2.0"]);
    }

    #[test]
    fn rejects_bad_requests() {
        for body in [
            &b"{bad"[..],
            br#"{"app_key":"k"}"#,
            br#"{"app_key":5,"current_version":"1.0"}"#,
            br#"{"app_key":"","current_version":"1.0"}"#,
            br#"[1,2]"#,
        ] {
            assert_eq!(
                parse(body).err(),
                Some(Error::BadRequest),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            parse(&vec![b' '; MAX_BODY_BYTES + 1]).err(),
            Some(Error::BadRequest)
        );
        let a = app(&[]);
        let req = parse(br#"{"app_key":"k","current_version":"1.0.0-beta"}"#).expect("parses");
        assert_eq!(
            version_check(&a, &req, &links()).err(),
            Some(Error::BadRequest)
        );
    }

    #[test]
    fn private_apps_get_signed_links() {
        let mut a = app(&[("1.1.0", 100, "ready", "prompt", &["x64"])]);
        a.app.visibility = crate::manifest::Visibility::Private;
        let c = check(&a, "1.0.0", "windows", None);
        assert!(
            c.download_url
                .starts_with("https://u.example/dl/e/1.1.0-x64/tool-1.1.0-x64.bin?expires="),
            "{}",
            c.download_url
        );
        let req = VersionCheckRequest {
            app_key: "k".into(),
            current_version: "1.0.0".into(),
            platform: None,
            machine_id: None,
        };
        let now = crate::time::Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
        let no_key = Links::new(
            "https://u.example",
            crate::links::Protocol::Tinyaii,
            None,
            now,
        );
        assert_eq!(version_check(&a, &req, &no_key), Err(Error::Internal));
        assert_eq!(
            serde_json::to_value(Error::LinkDenied.envelope()).expect("json"),
            json!({"code": 403, "message": "下载链接无效或已过期", "data": null})
        );
    }
}
