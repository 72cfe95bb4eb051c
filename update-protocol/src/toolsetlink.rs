//! Protocol D (toolsetlink UpgradeLink): signed `POST /v1/{configuration,apk,url,file}/upgrade`
//! and the desktop `POST /v1/{win,mac,lnx}/upgrade` (chosen by `arch`), the signed version-info
//! routes `POST /v1/*/version` ([`version`]), unsigned `GET /v1/{url,file,apk}/download`, the
//! signed event report `POST /v1/app/report` and the signed app statistics
//! `/v1/app/statistics/info` ([`statistics`]) (`shared/spec/seed-protocols.md`, section D).
//!
//! The order of a signed route's checks is [`crate::serve::toolsetlink`]'s: headers
//! ([`check_headers`]), the body's cap, [`authenticate`] (access key, then the MD5 signature
//! over the raw bytes), and last the nonce's single use ([`nonce_key`]), so that unsigned
//! garbage cannot burn the nonces of genuine clients. This module holds the rules: parsing
//! ([`parse_upgrade`], [`parse_report`], [`parse_download_query`]), finding the app
//! ([`resolve`]), and the decision ([`upgrade`]); the wire types are in `wire`, the signature
//! in `sign` (both re-exported here).
//!
//! The unsigned updater routes of installed Tauri and Electron apps (`GET /v1/tauri/…`,
//! `/v1/electron/…`) are in [`updater`]. Every file URL an answer carries is made by
//! [`file_url`].

pub mod updater;

mod sign;
pub mod statistics;
pub mod version;
mod wire;

pub use sign::*;
pub use wire::*;

use crate::index::{Artifact, EdgeApp, EdgeLookup, EdgeRelease};
use crate::keys::AccessSecret;
use crate::links::Links;
use crate::manifest::{Architecture, ArtifactRole, Cpu, Platform, ReleaseState, UpgradeType};
use crate::names::{AppId, ArchKey, ChannelKey};
use crate::rollout;
use crate::time::Timestamp;
use serde_json::{Map, Value};

/// Largest request body accepted: the SDKs send a compact JSON object of five fields.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The kinds of app protocol D serves, each with its key field: the JSON routes
/// (`/v1/<kind>/upgrade`, `/v1/<kind>/version`) and, for some, a download redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/v1/configuration/upgrade`, key `configurationKey`, answers a JSON `content`.
    Configuration,
    /// `/v1/apk/upgrade`, key `apkKey`.
    Apk,
    /// `/v1/url/upgrade`, key `urlKey`.
    Url,
    /// `/v1/file/upgrade`, key `fileKey`.
    File,
    /// `/v1/win/upgrade`, key `winKey`: the Windows builds, chosen by the request's `arch`.
    Win,
    /// `/v1/mac/upgrade`, key `macKey`: the macOS builds, by `arch`.
    Mac,
    /// `/v1/lnx/upgrade`, key `lnxKey`: the Linux builds, by `arch`.
    Lnx,
    /// Key `tauriKey`: the Tauri updater's unsigned `GET /v1/tauri/upgrade` and the signed
    /// `POST /v1/tauri/version`.
    Tauri,
    /// Key `electronKey`: electron-updater's unsigned `GET /v1/electron/upgrade` and the
    /// signed `POST /v1/electron/version`.
    Electron,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 9] = [
        Endpoint::Configuration,
        Endpoint::Apk,
        Endpoint::Url,
        Endpoint::File,
        Endpoint::Win,
        Endpoint::Mac,
        Endpoint::Lnx,
        Endpoint::Tauri,
        Endpoint::Electron,
    ];

    /// The endpoints whose upgrade route is a signed JSON `POST` (Tauri's and Electron's are
    /// their updaters' unsigned `GET`s).
    pub const SIGNED_UPGRADE: [Endpoint; 7] = [
        Endpoint::Configuration,
        Endpoint::Apk,
        Endpoint::Url,
        Endpoint::File,
        Endpoint::Win,
        Endpoint::Mac,
        Endpoint::Lnx,
    ];

    /// The body (or query) field that carries the key; also `ToolsetlinkRef::field`.
    pub fn key_field(self) -> &'static str {
        match self {
            Endpoint::Configuration => "configurationKey",
            Endpoint::Apk => "apkKey",
            Endpoint::Url => "urlKey",
            Endpoint::File => "fileKey",
            Endpoint::Win => "winKey",
            Endpoint::Mac => "macKey",
            Endpoint::Lnx => "lnxKey",
            Endpoint::Tauri => "tauriKey",
            Endpoint::Electron => "electronKey",
        }
    }

    /// The upgrade route: a signed `POST` for [`Endpoint::SIGNED_UPGRADE`], the updater's
    /// unsigned `GET` for Tauri and Electron.
    pub fn upgrade_path(self) -> &'static str {
        match self {
            Endpoint::Configuration => "/v1/configuration/upgrade",
            Endpoint::Apk => "/v1/apk/upgrade",
            Endpoint::Url => "/v1/url/upgrade",
            Endpoint::File => "/v1/file/upgrade",
            Endpoint::Win => "/v1/win/upgrade",
            Endpoint::Mac => "/v1/mac/upgrade",
            Endpoint::Lnx => "/v1/lnx/upgrade",
            Endpoint::Tauri => "/v1/tauri/upgrade",
            Endpoint::Electron => "/v1/electron/upgrade",
        }
    }

    /// The signed `POST` version-info route ([`version`]).
    pub fn version_path(self) -> &'static str {
        match self {
            Endpoint::Configuration => "/v1/configuration/version",
            Endpoint::Apk => "/v1/apk/version",
            Endpoint::Url => "/v1/url/version",
            Endpoint::File => "/v1/file/version",
            Endpoint::Win => "/v1/win/version",
            Endpoint::Mac => "/v1/mac/version",
            Endpoint::Lnx => "/v1/lnx/version",
            Endpoint::Tauri => "/v1/tauri/version",
            Endpoint::Electron => "/v1/electron/version",
        }
    }

    /// The unsigned `GET` redirect route; configurations have none upstream.
    pub fn download_path(self) -> Option<&'static str> {
        match self {
            Endpoint::Apk => Some("/v1/apk/download"),
            Endpoint::Url => Some("/v1/url/download"),
            Endpoint::File => Some("/v1/file/download"),
            Endpoint::Configuration
            | Endpoint::Win
            | Endpoint::Mac
            | Endpoint::Lnx
            | Endpoint::Tauri
            | Endpoint::Electron => None,
        }
    }

    /// The endpoint whose signed upgrade route is `path` (exact match, no query).
    pub fn from_upgrade_path(path: &str) -> Option<Endpoint> {
        Self::SIGNED_UPGRADE
            .into_iter()
            .find(|e| e.upgrade_path() == path)
    }

    /// The endpoint whose version-info route is `path` (exact match, no query).
    pub fn from_version_path(path: &str) -> Option<Endpoint> {
        Self::ALL.into_iter().find(|e| e.version_path() == path)
    }

    /// The endpoint whose download route is `path` (exact match, no query).
    pub fn from_download_path(path: &str) -> Option<Endpoint> {
        Self::ALL
            .into_iter()
            .find(|e| e.download_path() == Some(path))
    }

    /// The platform whose builds a desktop endpoint (`win`, `mac`, `lnx`) serves.
    pub fn platform(self) -> Option<Platform> {
        match self {
            Endpoint::Win => Some(Platform::Windows),
            Endpoint::Mac => Some(Platform::Macos),
            Endpoint::Lnx => Some(Platform::Linux),
            _ => None,
        }
    }

    /// Whether an answer needs a file (everything but configurations).
    fn needs_file(self) -> bool {
        self != Endpoint::Configuration
    }
}

/// The body of an upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    /// The endpoint's key (`configurationKey`, `apkKey`, `urlKey` or `fileKey`).
    pub key: String,
    /// The client's version code (never 0).
    pub version_code: i64,
    /// Only this version code when above 0; else the newest.
    pub appoint_version_code: i64,
    /// Device model (accepted; model filters are not modelled).
    pub dev_model_key: Option<String>,
    /// Device id: the rollout cohort's input.
    pub dev_key: Option<String>,
    /// The processor the request's `arch` names (`win`, `mac` and `lnx` only; `None` on the
    /// other endpoints).
    pub cpu: Option<Cpu>,
}

/// The processor a client's `arch` names, ASCII case-insensitively: `x64`, `amd64`, `x86_64`
/// (64-bit x86); `arm64`, `aarch64`; `x86`, `ia32`, `i386`, `i686` (32-bit x86); `armv7`,
/// `armv7l`, `armhf`. Exact names, unlike [`Cpu::from_key`]'s guess from an architecture
/// key: `universal` names no client.
pub fn cpu_named(arch: &str) -> Option<Cpu> {
    match arch.to_ascii_lowercase().as_str() {
        "x64" | "amd64" | "x86_64" => Some(Cpu::X86_64),
        "arm64" | "aarch64" => Some(Cpu::Aarch64),
        "x86" | "ia32" | "i386" | "i686" => Some(Cpu::I686),
        "armv7" | "armv7l" | "armhf" => Some(Cpu::Armv7),
        _ => None,
    }
}

/// The desktop platform a Tauri `target` or an electron `platform` names, ASCII
/// case-insensitively: `windows`, `win32`, `win`; `darwin`, `macos`, `mac`, `osx`; `linux`.
pub fn platform_named(name: &str) -> Option<Platform> {
    match name.to_ascii_lowercase().as_str() {
        "windows" | "win32" | "win" => Some(Platform::Windows),
        "darwin" | "macos" | "mac" | "osx" => Some(Platform::Macos),
        "linux" => Some(Platform::Linux),
        _ => None,
    }
}

/// A JSON field read the way go-zero does: absent (or `null`) is "not set", a value of the
/// wrong JSON type is a type mismatch.
pub(crate) fn field<'v, T>(
    obj: &'v Map<String, Value>,
    name: &'static str,
    get: impl Fn(&'v Value) -> Option<T>,
) -> Result<Option<T>, Error> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => get(v).map(Some).ok_or(Error::FieldTypeMismatch(name)),
    }
}

/// Parses an upgrade body. Fields are checked in upstream's struct order (key, `arch` on the
/// desktop endpoints, `versionCode`, `appointVersionCode`, `devModelKey`, `devKey`), then the
/// key's emptiness, the `arch` ([`cpu_named`]) and a zero `versionCode`. `versionCode` is
/// optional for `/v1/file/upgrade` upstream, so there its absence reads as 0.
///
/// # Errors
/// [`Error::BodyTooLarge`], [`Error::BodyInvalid`], [`Error::FieldNotSet`],
/// [`Error::FieldTypeMismatch`], [`Error::EmptyKey`], [`Error::InvalidField`] (`arch`),
/// [`Error::InvalidVersionCode`].
pub fn parse_upgrade(endpoint: Endpoint, body: &[u8]) -> Result<UpgradeRequest, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge);
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(Error::BodyInvalid);
    };
    let key_name = endpoint.key_field();
    let key = field(&obj, key_name, Value::as_str)?.ok_or(Error::FieldNotSet(key_name))?;
    let arch = match endpoint.platform() {
        Some(_) => Some(field(&obj, "arch", Value::as_str)?.ok_or(Error::FieldNotSet("arch"))?),
        None => None,
    };
    let version_code = match field(&obj, "versionCode", Value::as_i64)? {
        Some(v) => v,
        None if endpoint == Endpoint::File => 0,
        None => return Err(Error::FieldNotSet("versionCode")),
    };
    let appoint_version_code = field(&obj, "appointVersionCode", Value::as_i64)?.unwrap_or(0);
    let text = |name| field(&obj, name, |v| v.as_str().map(str::to_owned));
    let dev_model_key = text("devModelKey")?;
    let dev_key = text("devKey")?;
    if key.is_empty() {
        return Err(Error::EmptyKey(endpoint));
    }
    let cpu = match arch {
        Some(a) => Some(cpu_named(a).ok_or(Error::InvalidField("arch"))?),
        None => None,
    };
    if version_code == 0 {
        return Err(Error::InvalidVersionCode);
    }
    Ok(UpgradeRequest {
        key: key.to_owned(),
        version_code,
        appoint_version_code,
        dev_model_key,
        dev_key,
        cpu,
    })
}

/// The app a key names for `endpoint`. A key of another kind (an `apkKey` sent to
/// `/v1/url/upgrade`) is not found, as upstream keeps one table per kind; so is an app the
/// access key may not query, so that a key's existence does not leak across tenants.
///
/// # Errors
/// [`Error::AppNotFound`].
pub fn resolve<'l>(
    lookup: &'l EdgeLookup,
    endpoint: Endpoint,
    key: &str,
    access: Option<&AccessSecret>,
) -> Result<&'l AppId, Error> {
    lookup
        .toolsetlink
        .get(key)
        .filter(|r| r.field == endpoint.key_field())
        .map(|r| &r.app)
        .filter(|app| access.is_none_or(|a| a.allows(app)))
        .ok_or(Error::AppNotFound(endpoint))
}

/// The URL an unsigned updater route gives for a file of `app`: its static URL made absolute
/// against `origin` (e.g. `https://updates.example.com`); never a private app's file, which
/// only signed links reach ([`Links::file_url`], as the signed routes use).
pub fn file_url(app: &EdgeApp, a: &Artifact, origin: &str) -> Option<String> {
    Links::public_only(origin).file_url(app, a).ok()
}

/// The channel protocol D serves for `app`.
pub(crate) fn channel(app: &EdgeApp) -> ChannelKey {
    app.app
        .protocols
        .toolsetlink
        .as_ref()
        .and_then(|t| t.channel.clone())
        .unwrap_or_else(|| app.default_channel.clone())
}

/// The file a release is downloaded as (protocol D names no architecture): the primary
/// artifact of the default architecture, else of the first architecture in `archs` order;
/// never one of a disabled architecture.
fn artifact<'a>(
    app: &EdgeApp,
    archs: &[&Architecture],
    r: &'a EdgeRelease,
) -> Option<&'a Artifact> {
    let rank = |a: &Artifact| {
        let pos = archs.iter().position(|x| x.key == a.arch);
        let enabled = pos.and_then(|p| archs.get(p)).is_none_or(|x| x.enabled);
        enabled.then_some((a.arch != app.default_arch, pos.unwrap_or(usize::MAX)))
    };
    r.release
        .artifacts
        .iter()
        .filter(|a| a.role == ArtifactRole::Primary)
        .filter_map(|a| rank(a).map(|k| (k, a)))
        .min_by_key(|(k, _)| *k)
        .map(|(_, a)| a)
}

/// The architectures whose builds a desktop client on `platform` with `cpu` runs, best first:
/// the enabled ones of that platform ([`Architecture::platform_or`]) with exactly that
/// processor ([`Architecture::cpu_or_guess`]) in declared order, then, on macOS for `x86_64`
/// and `aarch64`, the universal ones.
fn desktop_archs(app: &EdgeApp, platform: Platform, cpu: Cpu) -> Vec<ArchKey> {
    let archs = app.ordered_archs();
    let of = |c: Cpu| {
        archs
            .iter()
            .filter(move |a| {
                a.enabled
                    && a.platform_or(app.app.platform) == platform
                    && a.cpu_or_guess() == Some(c)
            })
            .map(|a| a.key.clone())
    };
    let mut out: Vec<ArchKey> = of(cpu).collect();
    if platform == Platform::Macos && matches!(cpu, Cpu::X86_64 | Cpu::Aarch64) {
        out.extend(of(Cpu::Universal));
    }
    out
}

/// Which file of a release answers a request.
enum FilePick<'a> {
    /// Protocol D's apk, url and file routes name no architecture: [`artifact`].
    Default(Vec<&'a Architecture>),
    /// A desktop client's architectures, best first ([`desktop_archs`]): the first that has
    /// a primary artifact.
    Ranked(Vec<ArchKey>),
}

impl<'a> FilePick<'a> {
    /// The pick for `endpoint`: by the request's processor on the desktop endpoints (none
    /// without one), else [`FilePick::Default`].
    fn new(app: &'a EdgeApp, endpoint: Endpoint, cpu: Option<Cpu>) -> FilePick<'a> {
        match (endpoint.platform(), cpu) {
            (Some(p), Some(c)) => FilePick::Ranked(desktop_archs(app, p, c)),
            (Some(_), None) => FilePick::Ranked(Vec::new()),
            (None, _) => FilePick::Default(app.ordered_archs()),
        }
    }

    fn file<'r>(&self, app: &EdgeApp, r: &'r EdgeRelease) -> Option<&'r Artifact> {
        match self {
            FilePick::Default(archs) => artifact(app, archs, r),
            FilePick::Ranked(keys) => keys.iter().find_map(|k| r.release.primary_for(k)),
        }
    }
}

/// The version code of the app's `policy.min_version` release (in the served channel first,
/// then any), if that version exists.
fn min_version_code(app: &EdgeApp, channel: &ChannelKey) -> Option<i64> {
    let min = app.app.policy.min_version.as_deref()?;
    let named = |r: &&EdgeRelease| r.release.version == min;
    let in_channel = app
        .releases
        .iter()
        .filter(|r| &r.release.channel == channel)
        .find(named);
    in_channel
        .or_else(|| app.releases.iter().find(named))
        .and_then(|r| r.release.version_code)
}

/// Answers an upgrade request for `app` (found with [`resolve`]). `links` makes the file URL
/// ([`Links::file_url`]: absolute, and signed for a private app).
///
/// Candidates: releases of the served channel with `version_code` above the client's that
/// rollout offers to `devKey` (never yanked; staged ones only with a `devKey`), and, for the
/// file endpoints, that have a file: on `win`, `mac` and `lnx` the primary artifact of an
/// architecture of that platform whose processor is the request's `arch`. `appointVersionCode > 0` picks exactly that code or none
/// (no fallback); otherwise the highest code wins. `upgradeType` is the file's override, else
/// the release's, raised to force when the client is below the `policy.min_version` release.
///
/// # Errors
/// [`Error::Internal`] when a private app's file cannot get a signed link.
pub fn upgrade(
    app: &EdgeApp,
    endpoint: Endpoint,
    req: &UpgradeRequest,
    links: &Links,
) -> Result<Answer, Error> {
    let channel = channel(app);
    let pick = FilePick::new(app, endpoint, req.cpu);
    let best = app
        .releases
        .iter()
        .filter(|r| r.release.channel == channel)
        .filter_map(|r| {
            let code = r.release.version_code?;
            let file = pick.file(app, r);
            let wanted = code > req.version_code
                && (req.appoint_version_code <= 0 || code == req.appoint_version_code)
                && (file.is_some() || !endpoint.needs_file());
            wanted.then_some((code, r, file))
        })
        .filter(|(_, r, _)| rollout::offered(r, req.dev_key.as_deref()))
        .max_by_key(|(code, _, _)| *code);
    let Some((code, r, file)) = best else {
        return Ok(Answer::latest(endpoint));
    };
    let below_min = min_version_code(app, &channel).is_some_and(|m| req.version_code < m);
    let upgrade_type = if below_min {
        UpgradeType::Force
    } else {
        file.and_then(|a| a.upgrade).unwrap_or(r.release.upgrade)
    }
    .code();
    let prompt = r.prompt.clone().unwrap_or_else(|| r.release.notes.clone());
    let key = req.key.clone();
    let version_name = r.release.version.clone();
    let url_path = file
        .map(|a| links.file_url(app, a))
        .transpose()?
        .unwrap_or_default();
    let size = file.map_or(0, |a| a.size);
    let md5 = file
        .and_then(|a| a.md5.as_ref())
        .map(|m| m.to_hex())
        .unwrap_or_default();
    let package_name = app.app.bundle_id.clone().unwrap_or_default();
    let data = match endpoint {
        Endpoint::Configuration => UpgradeData::Configuration(ConfigurationData {
            configuration_key: key,
            version_name,
            version_code: code,
            upgrade_type,
            prompt_upgrade_content: prompt,
            content: r.content.clone(),
        }),
        Endpoint::Apk => UpgradeData::Apk(ApkData {
            apk_key: key,
            package_name,
            version_name,
            version_code: code,
            url_path,
            url_file_size: size,
            url_file_md5: md5,
            upgrade_type,
            prompt_upgrade_content: prompt,
        }),
        Endpoint::Url => UpgradeData::Url(UrlData {
            url_key: key,
            version_name,
            version_code: code,
            url_path,
            upgrade_type,
            prompt_upgrade_content: prompt,
        }),
        Endpoint::File => UpgradeData::File(FileData {
            file_key: key,
            version_name,
            version_code: code,
            url_path,
            url_file_size: size,
            upgrade_type,
            prompt_upgrade_content: prompt,
        }),
        Endpoint::Win | Endpoint::Mac | Endpoint::Lnx | Endpoint::Tauri | Endpoint::Electron => {
            UpgradeData::Desktop(DesktopData {
                key_field: endpoint.key_field(),
                key,
                package_name,
                version_name,
                version_code: code,
                url_path,
                url_file_size: size,
                url_file_md5: md5,
                upgrade_type,
                prompt_upgrade_content: prompt,
            })
        }
    };
    Ok(Answer {
        code: 200,
        msg: "获取到新版本",
        docs: "",
        data,
    })
}

/// The query of a download redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    /// The endpoint's key.
    pub key: String,
    /// That version code; 0 means the newest.
    pub version_code: i64,
    /// A release's Zealot id (its 1-based rank in the app by publication time), standing in
    /// for upstream's version row id; wins over `version_code` when above 0.
    pub version_id: i64,
}

/// Parses a download query (`urlKey=…&versionCode=…&versionId=…`, without the `?`). Pairs are
/// decoded as Go's `url.ParseQuery` does (`+` is a space, a pair with a bad escape is
/// dropped); the first value of a repeated name wins. Unknown names are ignored.
///
/// # Errors
/// [`Error::FieldNotSet`] without the key, [`Error::FieldTypeMismatch`] for a number that is
/// not an integer, [`Error::EmptyKey`], [`Error::InvalidVersionCode`] for a negative code.
pub fn parse_download_query(endpoint: Endpoint, query: &str) -> Result<DownloadRequest, Error> {
    let pairs = Query::parse(query);
    let get = |name: &str| pairs.get(name);
    let number = |name: &'static str| pairs.number(name);
    let key_name = endpoint.key_field();
    let key = get(key_name).ok_or(Error::FieldNotSet(key_name))?;
    let version_code = number("versionCode")?;
    let version_id = number("versionId")?;
    if key.is_empty() {
        return Err(Error::EmptyKey(endpoint));
    }
    if version_code < 0 {
        return Err(Error::InvalidVersionCode);
    }
    Ok(DownloadRequest {
        key: key.to_owned(),
        version_code,
        version_id,
    })
}

/// A query string decoded as Go's `url.ParseQuery` does: `+` is a space, a pair with a bad
/// escape is dropped, and (as `Values.Get`) the first value of a repeated name wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes `query` (without the `?`).
    pub(crate) fn parse(query: &str) -> Query {
        Query(
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    let text =
                        |s| query_unescape(s).map(|b| String::from_utf8_lossy(&b).into_owned());
                    Some((text(k)?, text(v)?))
                })
                .collect(),
        )
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// An integer parameter as go-zero reads one with `default=0`: absent is 0, anything but
    /// an integer is a type mismatch.
    pub(crate) fn number(&self, name: &'static str) -> Result<i64, Error> {
        self.get(name).map_or(Ok(0), |v| {
            v.parse::<i64>().map_err(|_| Error::FieldTypeMismatch(name))
        })
    }
}

/// Where a download redirect (302) points: the file of the release named by `version_id`, else
/// by `version_code`, else the newest fully rolled-out release, in the served channel. A named
/// release may still be rolling out (the client asked for it); a yanked one is never served.
///
/// The route has no authentication: `links` is [`Links::public_only`], so a private app's
/// file (site-hosted or external) is never handed out here.
///
/// # Errors
/// [`Error::NoVersion`] when no such release has a file, or the app is private.
pub fn download_target(
    app: &EdgeApp,
    req: &DownloadRequest,
    links: &Links,
) -> Result<String, Error> {
    let channel = channel(app);
    let archs = app.ordered_archs();
    let mut servable = app
        .releases
        .iter()
        .filter(|r| r.release.channel == channel && r.release.state == ReleaseState::Ready)
        .filter_map(|r| artifact(app, &archs, r).map(|a| (r, a)));
    let found = if req.version_id > 0 {
        servable.find(|(r, _)| i64::from(r.zealot_id) == req.version_id)
    } else if req.version_code > 0 {
        servable.find(|(r, _)| r.release.version_code == Some(req.version_code))
    } else {
        servable
            .filter(|(r, _)| rollout::offered(r, None))
            .max_by_key(|(r, _)| r.release.version_code)
    };
    let (_, a) = found.ok_or(Error::NoVersion)?;
    Ok(links.file_url(app, a)?)
}

/// The signed event report route (D.5).
pub const REPORT_PATH: &str = "/v1/app/report";

/// `eventType` of an app launch: counted under `eventData.versionCode`.
pub const EVENT_APP_START: &str = "app_start";
/// `eventType` of an update download: counted under `eventData.downloadVersionCode`.
pub const EVENT_UPGRADE_DOWNLOAD: &str = "app_upgrade_download";
/// `eventType` of an installed update: counted under `eventData.upgradeVersionCode`.
pub const EVENT_UPGRADE_UPGRADE: &str = "app_upgrade_upgrade";
/// The event the worker counts for each answered signed upgrade check (upstream logs a "get
/// strategy" event), under the client's `versionCode` with the answer's `code` (200 new
/// version, 0 already latest). Clients do not report it.
pub const EVENT_GET_STRATEGY: &str = "app_get_strategy";

/// Longest `eventType` stored. Unknown types are accepted as upstream does, so the name is
/// client text that becomes a row key; a longer one is refused (ours, upstream has no limit).
pub const MAX_EVENT_TYPE_CHARS: usize = 64;

/// A parsed `POST /v1/app/report` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `eventType`: one of the `EVENT_*` constants or any other (accepted, counted as sent).
    pub event_type: String,
    /// `appKey`: any protocol D key of the app (`apkKey`, `urlKey`, `fileKey`,
    /// `configurationKey`, `winKey`, ...).
    pub app_key: String,
    /// `timestamp`, when the client says the event happened (validated when sent, not
    /// stored; the SDKs' types make it optional).
    pub timestamp: Option<Timestamp>,
    /// `eventData.launchTime` (validated when sent).
    pub launch_time: Option<Timestamp>,
    /// The version code the event counts under: `eventData.downloadVersionCode` for
    /// [`EVENT_UPGRADE_DOWNLOAD`], `eventData.upgradeVersionCode` for
    /// [`EVENT_UPGRADE_UPGRADE`], `eventData.versionCode` for [`EVENT_APP_START`] and every
    /// unknown type.
    pub version_code: i64,
    /// `eventData.code`: 0 success, else a client-defined failure code (0 when absent).
    pub code: i64,
    /// `eventData.versionCode`: the version the client runs.
    pub client_version_code: i64,
    /// `eventData.devModelKey`.
    pub dev_model_key: Option<String>,
    /// `eventData.devKey`.
    pub dev_key: Option<String>,
    /// `eventData.target`.
    pub target: Option<String>,
    /// `eventData.arch`.
    pub arch: Option<String>,
}

/// An RFC 3339 time as Go's `time.RFC3339` parses it: upper-case `T` and `Z`, no space,
/// fractions allowed (the shared parser is more lenient).
pub(crate) fn go_rfc3339(s: &str) -> Option<Timestamp> {
    if s.bytes().any(|c| matches!(c, b't' | b'z' | b' ')) {
        return None;
    }
    Timestamp::parse_rfc3339(s).ok()
}

/// Parses a report body like go-zero parses upstream's `AppReportReq`, in its field order:
/// `eventType`, `appKey`, `timestamp`, `eventData` (an object) with `launchTime`,
/// `versionCode`, `devModelKey`, `devKey`, `target`, `arch`, `downloadVersionCode`,
/// `upgradeVersionCode`, `code`. Required are what the SDKs' `AppReportRequest` requires:
/// `eventType`, `appKey`, `eventData` and `eventData.versionCode`. Absent or `null` is "not
/// set", a wrong JSON type a mismatch; absent optional numbers are 0. Then the checks
/// upstream's logic makes (and answers with 500001): a `timestamp` or `launchTime` that is
/// sent must be RFC 3339 (upstream also requires `launchTime` on `app_start`; the SDKs do
/// not, so neither do we); ours: `eventType` must be 1 to [`MAX_EVENT_TYPE_CHARS`]
/// characters. An empty `appKey` is left to the lookup (404001).
///
/// # Errors
/// [`Error::BodyTooLarge`], [`Error::BodyInvalid`], [`Error::FieldNotSet`],
/// [`Error::FieldTypeMismatch`], [`Error::InvalidField`].
pub fn parse_report(body: &[u8]) -> Result<Report, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge);
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(Error::BodyInvalid);
    };
    let required = |name: &'static str| {
        field(&obj, name, |v| v.as_str().map(str::to_owned))?.ok_or(Error::FieldNotSet(name))
    };
    let event_type = required("eventType")?;
    let app_key = required("appKey")?;
    let timestamp = field(&obj, "timestamp", |v| v.as_str().map(str::to_owned))?;
    let data =
        field(&obj, "eventData", Value::as_object)?.ok_or(Error::FieldNotSet("eventData"))?;
    let text = |name: &'static str, full: &'static str| {
        field(data, name, |v| v.as_str().map(str::to_owned))
            .map_err(|_| Error::FieldTypeMismatch(full))
    };
    let number = |name: &'static str, full: &'static str| {
        field(data, name, Value::as_i64).map_err(|_| Error::FieldTypeMismatch(full))
    };
    let launch_time = text("launchTime", "eventData.launchTime")?;
    let client_version_code = number("versionCode", "eventData.versionCode")?
        .ok_or(Error::FieldNotSet("eventData.versionCode"))?;
    let dev_model_key = text("devModelKey", "eventData.devModelKey")?;
    let dev_key = text("devKey", "eventData.devKey")?;
    let target = text("target", "eventData.target")?;
    let arch = text("arch", "eventData.arch")?;
    let download = number("downloadVersionCode", "eventData.downloadVersionCode")?.unwrap_or(0);
    let upgrade = number("upgradeVersionCode", "eventData.upgradeVersionCode")?.unwrap_or(0);
    let code = number("code", "eventData.code")?.unwrap_or(0);
    if event_type.is_empty() || event_type.chars().count() > MAX_EVENT_TYPE_CHARS {
        return Err(Error::InvalidField("eventType"));
    }
    let time = |t: Option<String>, name| match t {
        Some(t) => go_rfc3339(&t).map(Some).ok_or(Error::InvalidField(name)),
        None => Ok(None),
    };
    let timestamp = time(timestamp, "timestamp")?;
    let launch_time = time(launch_time, "launchTime")?;
    let version_code = match event_type.as_str() {
        EVENT_UPGRADE_DOWNLOAD => download,
        EVENT_UPGRADE_UPGRADE => upgrade,
        _ => client_version_code,
    };
    Ok(Report {
        event_type,
        app_key,
        timestamp,
        launch_time,
        version_code,
        code,
        client_version_code,
        dev_model_key,
        dev_key,
        target,
        arch,
    })
}

/// The app a report's `appKey` names: a key of any kind (the lookup holds one app per key),
/// which the access key may see; otherwise not found, so a key's existence does not leak
/// across tenants.
///
/// # Errors
/// [`Error::AppKeyNotFound`].
pub fn resolve_report<'l>(
    lookup: &'l EdgeLookup,
    app_key: &str,
    access: &AccessSecret,
) -> Result<&'l AppId, Error> {
    lookup
        .toolsetlink
        .get(app_key)
        .map(|r| &r.app)
        .filter(|app| access.allows(app))
        .ok_or(Error::AppKeyNotFound)
}

#[cfg(test)]
pub(crate) mod tests;
