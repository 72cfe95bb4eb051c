//! The unsigned routes that installed Tauri and Electron apps call (D.6): the Tauri updater's
//! dynamic-server answer `GET /v1/tauri/upgrade` (200 JSON or 204), electron-updater channel
//! files `GET /v1/electron/upgrade[/latest*.yml]` (YAML), and the download redirects
//! `GET /v1/{tauri,electron}/download`.
//!
//! Versions are SemVer on these routes, as both updaters require: the client's `versionName`
//! (a leading `v` allowed) is compared with the releases' versions by SemVer precedence, not
//! through upstream's `major*1e6+minor*1e3+patch` code, which collides for components above 999
//! and refuses pre-releases. Which file each updater installs is
//! [`crate::updater_files`], the same rule as the static feeds.

use super::{Error, Query, channel, file_url};
use crate::index::{Artifact, EdgeApp, EdgeLookup, EdgeRelease};
use crate::manifest::{Architecture, ArtifactRole, Cpu, Platform, ReleaseState, UpgradeType};
use crate::names::AppId;
use crate::rollout;
use crate::updater_files::{self as files, arch_cpu, arch_platform, cpu_serves};
use semver::Version;
use std::cmp::Ordering;

mod wire;
pub use wire::*;

/// Which updater a route serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Updater {
    /// The Tauri updater (plugin-updater v2), key `tauriKey`.
    Tauri,
    /// electron-updater's `generic` provider, key `electronKey`.
    Electron,
}

impl Updater {
    /// Both.
    pub const ALL: [Updater; 2] = [Updater::Tauri, Updater::Electron];

    /// Lowercase name, as in the routes and upstream's messages.
    pub fn name(self) -> &'static str {
        match self {
            Updater::Tauri => "tauri",
            Updater::Electron => "electron",
        }
    }

    /// The query parameter that carries the key; also `ToolsetlinkRef::field`.
    pub fn key_field(self) -> &'static str {
        match self {
            Updater::Tauri => "tauriKey",
            Updater::Electron => "electronKey",
        }
    }

    /// The query parameter that names the OS: Tauri's `{{target}}`, Node's `process.platform`.
    pub fn platform_field(self) -> &'static str {
        match self {
            Updater::Tauri => "target",
            Updater::Electron => "platform",
        }
    }

    /// The download redirect route.
    pub fn download_path(self) -> &'static str {
        match self {
            Updater::Tauri => "/v1/tauri/download",
            Updater::Electron => "/v1/electron/download",
        }
    }
}

/// The Tauri update check.
pub const TAURI_UPGRADE_PATH: &str = "/v1/tauri/upgrade";
/// The electron-updater check, and the directory whose channel files are the same answer.
pub const ELECTRON_UPGRADE_PATH: &str = "/v1/electron/upgrade";
/// The channel files electron-updater asks for under [`ELECTRON_UPGRADE_PATH`]: upstream's
/// three, and the Linux ones of other processors (`Provider.getChannelFilePrefix`), so that an
/// arm64 Linux install finds its file too.
pub const ELECTRON_CHANNEL_FILES: [&str; 6] = [
    "latest.yml",
    "latest-mac.yml",
    "latest-linux.yml",
    "latest-linux-arm64.yml",
    "latest-linux-armv7l.yml",
    "latest-linux-ia32.yml",
];
/// `Content-Type` of the electron answers (electron-updater parses any body as YAML).
pub const YAML_CONTENT_TYPE: &str = "text/yaml; charset=utf-8";
/// The Tauri answer without an update: no body, as upstream and the Tauri updater expect.
pub const TAURI_NO_UPDATE_STATUS: u16 = 204;

/// A route of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/tauri/upgrade`.
    TauriUpgrade,
    /// `GET /v1/electron/upgrade` and its channel files.
    ElectronUpgrade,
    /// `GET /v1/{tauri,electron}/download`.
    Download(Updater),
    /// `GET /v1/electron/download.{exe,dmg,zip,AppImage}`: an [`ELECTRON_DOWNLOAD_FILES`]
    /// entry.
    ElectronFile(&'static str, Platform),
}

impl Route {
    /// The route of `path` (exact, no query).
    pub fn from_path(path: &str) -> Option<Route> {
        if path == TAURI_UPGRADE_PATH {
            return Some(Route::TauriUpgrade);
        }
        if let Some(rest) = path.strip_prefix(ELECTRON_UPGRADE_PATH)
            && (rest.is_empty()
                || rest
                    .strip_prefix('/')
                    .is_some_and(|f| ELECTRON_CHANNEL_FILES.contains(&f)))
        {
            return Some(Route::ElectronUpgrade);
        }
        if let Some((ext, platform)) = electron_download_file(path) {
            return Some(Route::ElectronFile(ext, platform));
        }
        Updater::ALL
            .into_iter()
            .find(|u| u.download_path() == path)
            .map(Route::Download)
    }
}

/// The OS a client names: Tauri's `darwin`, `windows`, `linux`; Node's `darwin`, `win32`,
/// `linux`; `macos` too. `None` for anything else (no build can match it).
pub fn platform_named(s: &str) -> Option<Platform> {
    match s.to_ascii_lowercase().as_str() {
        "darwin" | "macos" => Some(Platform::Macos),
        "windows" | "win32" => Some(Platform::Windows),
        "linux" => Some(Platform::Linux),
        _ => None,
    }
}

/// The processor a client names, in Tauri's words (`x86_64`, `aarch64`, `i686`, `armv7`) or
/// Node's `process.arch` (`x64`, `arm64`, `ia32`, `armv7l`).
pub fn cpu_named(s: &str) -> Option<Cpu> {
    match s.to_ascii_lowercase().as_str() {
        "x86_64" | "x64" | "amd64" => Some(Cpu::X86_64),
        "aarch64" | "arm64" => Some(Cpu::Aarch64),
        "i686" | "ia32" | "x86" => Some(Cpu::I686),
        "armv7" | "armv7l" => Some(Cpu::Armv7),
        _ => None,
    }
}

/// A version as the updaters send and compare them: SemVer, with an optional leading `v`.
pub fn parse_version_name(s: &str) -> Option<Version> {
    Version::parse(s.strip_prefix('v').unwrap_or(s)).ok()
}

/// An update check of either updater.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateCheck {
    /// `tauriKey` or `electronKey`.
    pub key: String,
    /// `target` / `platform`, when it names an OS we know.
    pub platform: Option<Platform>,
    /// `arch`, when it names a processor we know.
    pub cpu: Option<Cpu>,
    /// `versionName` as sent (electron's "no update" answer echoes it).
    pub version_name: String,
    /// `versionName` parsed.
    pub version: Version,
    /// `appointVersionName`: only this version, when given.
    pub appoint: Option<Version>,
    /// `devModelKey` (accepted; model filters are not modelled).
    pub dev_model_key: Option<String>,
    /// `devKey`: the rollout cohort's input.
    pub dev_key: Option<String>,
}

/// Parses an update check's query as go-zero binds upstream's form: the key, the OS
/// (`target` / `platform`), `arch` and `versionName` are required (absent → 400002 `field "…"
/// is not set`), then `appointVersionName`, `devModelKey`, `devKey` are optional. Then an
/// empty key is 400003 `请求参数<key>不能为空`, and a `versionName` (or non-empty
/// `appointVersionName`) that is not SemVer 400003 `请求参数<name>格式错误`. An OS or
/// processor we do not know is not an error: nothing matches it, so there is no update (as
/// upstream).
///
/// # Errors
/// [`Error::FieldNotSet`], [`Error::EmptyField`], [`Error::InvalidField`].
pub fn parse_check(updater: Updater, query: &str) -> Result<UpdateCheck, Error> {
    let q = Query::parse(query);
    let required = |name: &'static str| q.get(name).ok_or(Error::FieldNotSet(name));
    let key = required(updater.key_field())?;
    let platform = required(updater.platform_field())?;
    let arch = required("arch")?;
    let version_name = required("versionName")?;
    let text = |name| q.get(name).filter(|s| !s.is_empty()).map(str::to_owned);
    if key.is_empty() {
        return Err(Error::EmptyField(updater.key_field()));
    }
    let version = parse_version_name(version_name).ok_or(Error::InvalidField("versionName"))?;
    let appoint = match q.get("appointVersionName").filter(|s| !s.is_empty()) {
        Some(v) => Some(parse_version_name(v).ok_or(Error::InvalidField("appointVersionName"))?),
        None => None,
    };
    Ok(UpdateCheck {
        key: key.to_owned(),
        platform: platform_named(platform),
        cpu: cpu_named(arch),
        version_name: version_name.to_owned(),
        version,
        appoint,
        dev_model_key: text("devModelKey"),
        dev_key: text("devKey"),
    })
}

/// The app an updater key names: a key of another kind (a `fileKey`, or a `tauriKey` sent to
/// the electron routes) is not found, as upstream keeps one table per kind.
///
/// # Errors
/// [`Error::UpdaterAppNotFound`].
pub fn resolve<'l>(
    lookup: &'l EdgeLookup,
    updater: Updater,
    key: &str,
) -> Result<&'l AppId, Error> {
    lookup
        .toolsetlink
        .get(key)
        .filter(|r| r.field == updater.key_field())
        .map(|r| &r.app)
        .ok_or(Error::UpdaterAppNotFound(updater))
}

/// The enabled architectures, in declared order, whose builds are for `platform` and run on
/// `cpu` (any processor when `None`).
fn archs_for(app: &EdgeApp, platform: Platform, cpu: Option<Cpu>) -> Vec<&Architecture> {
    app.ordered_archs()
        .into_iter()
        .filter(|a| a.enabled && arch_platform(&app.app, a) == platform)
        .filter(|a| match cpu {
            Some(want) => arch_cpu(a).is_some_and(|c| cpu_serves(c, want)),
            None => true,
        })
        .collect()
}

/// The Tauri file of `r` for the first of `archs` that has one.
fn tauri_pick<'a>(r: &'a EdgeRelease, archs: &[&Architecture]) -> Option<&'a Artifact> {
    archs
        .iter()
        .find_map(|a| files::tauri_file(&r.release.artifacts, &a.key))
}

/// The files electron-updater may install from `r` for the first of `archs` that has any:
/// those of that architecture it installs on `platform` and whose sha512 is known, primary
/// first, then in release order.
fn electron_pick<'a>(
    r: &'a EdgeRelease,
    archs: &[&Architecture],
    platform: Platform,
) -> Option<Vec<&'a Artifact>> {
    archs.iter().find_map(|arch| {
        let mut found: Vec<&Artifact> = r
            .release
            .artifacts
            .iter()
            .filter(|a| a.arch == arch.key && a.sha512.is_some())
            .filter(|a| files::electron_fits(platform, a.name.as_str()))
            .collect();
        found.sort_by_key(|a| a.role != ArtifactRole::Primary);
        (!found.is_empty()).then_some(found)
    })
}

/// The newest release of the served channel above the client's version (or exactly
/// `appoint`), offered by rollout to `dev_key`, that `pick` finds files in.
fn newest<'a, F>(
    app: &'a EdgeApp,
    check: &UpdateCheck,
    pick: impl Fn(&'a EdgeRelease) -> Option<F>,
) -> Option<(&'a EdgeRelease, F)> {
    let channel = channel(app);
    app.releases
        .iter()
        .filter(|r| r.release.channel == channel)
        .filter_map(|r| {
            let v = parse_version_name(&r.release.version)?;
            let wanted = match &check.appoint {
                Some(a) => v.cmp_precedence(a) == Ordering::Equal,
                None => true,
            } && v.cmp_precedence(&check.version) == Ordering::Greater;
            (wanted && rollout::offered(r, check.dev_key.as_deref())).then_some((v, r))
        })
        .filter_map(|(v, r)| pick(r).map(|f| (v, r, f)))
        .max_by(|(a, _, _), (b, _, _)| a.cmp_precedence(b))
        .map(|(_, r, f)| (r, f))
}

/// `upgradeType`: force when the client is below `policy.min_version` (when that is SemVer),
/// else the file's override, else the release's.
fn upgrade_type(app: &EdgeApp, r: &EdgeRelease, file: Option<&Artifact>, client: &Version) -> u8 {
    let below_min = app
        .app
        .policy
        .min_version
        .as_deref()
        .and_then(parse_version_name)
        .is_some_and(|min| client.cmp_precedence(&min) == Ordering::Less);
    if below_min {
        UpgradeType::Force
    } else {
        file.and_then(|a| a.upgrade).unwrap_or(r.release.upgrade)
    }
    .code()
}

/// `promptUpgradeContent` (and Tauri's `notes`): the release's prompt, else its notes.
fn prompt(r: &EdgeRelease) -> String {
    r.prompt.clone().unwrap_or_else(|| r.release.notes.clone())
}

/// Answers a Tauri check for `app`: the newest release with a signed Tauri bundle for the
/// client's OS and processor, or `None` (HTTP [`TAURI_NO_UPDATE_STATUS`]).
pub fn tauri_upgrade(app: &EdgeApp, check: &UpdateCheck, origin: &str) -> Option<TauriUpdate> {
    let archs = archs_for(app, check.platform?, Some(check.cpu?));
    let (r, file) = newest(app, check, |r| tauri_pick(r, &archs))?;
    Some(TauriUpdate {
        version: r.release.version.clone(),
        pub_date: r.release.published_at.to_rfc3339(),
        url: file_url(app, file, origin)?,
        signature: file.signature.clone().unwrap_or_default(),
        notes: prompt(r),
        upgrade_type: upgrade_type(app, r, Some(file), &check.version),
    })
}

/// Answers an electron-updater check for `app`: the newest release with files electron-updater
/// installs on the client's OS and processor (each with a known sha512), or, as upstream, the
/// client's own version with no files. The edge has placed the client in rollouts already
/// (`devKey`), so no `stagingPercentage` is sent.
pub fn electron_upgrade(app: &EdgeApp, check: &UpdateCheck, origin: &str) -> ElectronUpdate {
    let none = || ElectronUpdate {
        version: check.version_name.clone(),
        files: Vec::new(),
        release_date: String::new(),
        release_notes: String::new(),
        upgrade_type: 0,
        prompt_upgrade_content: String::new(),
    };
    let (Some(platform), Some(cpu)) = (check.platform, check.cpu) else {
        return none();
    };
    let archs = archs_for(app, platform, Some(cpu));
    let Some((r, found)) = newest(app, check, |r| electron_pick(r, &archs, platform)) else {
        return none();
    };
    let files: Option<Vec<ElectronFile>> = found
        .iter()
        .map(|a| {
            Some(ElectronFile {
                url: file_url(app, a, origin)?,
                sha512: a.sha512.clone().unwrap_or_default(),
                size: a.size,
            })
        })
        .collect();
    let Some(files) = files else {
        return none();
    };
    ElectronUpdate {
        version: r.release.version.clone(),
        files,
        release_date: r.release.published_at.to_iso_millis(),
        release_notes: r.release.notes.clone(),
        upgrade_type: upgrade_type(app, r, found.first().copied(), &check.version),
        prompt_upgrade_content: prompt(r),
    }
}

/// `downloadType` 2: the file the updater installs (macOS: the zip); otherwise (1, the default)
/// the installer a person downloads (macOS: the dmg when there is one).
pub const DOWNLOAD_TYPE_UPDATE: i64 = 2;

/// Parses an updater download query: the key is required (400002 absent, 400003 empty);
/// `versionCode`, `versionId` and `downloadType` are integers (400003 otherwise; a negative
/// `versionCode` is 400003 `请求参数versionCode格式错误`); the OS and `arch` are optional.
///
/// # Errors
/// [`Error::FieldNotSet`], [`Error::FieldTypeMismatch`], [`Error::EmptyField`],
/// [`Error::InvalidVersionCode`].
pub fn parse_download(updater: Updater, query: &str) -> Result<UpdaterDownload, Error> {
    let q = Query::parse(query);
    let download_type = match q.get("downloadType") {
        Some(_) => q.number("downloadType")?,
        None => 1,
    };
    let key = q
        .get(updater.key_field())
        .ok_or(Error::FieldNotSet(updater.key_field()))?;
    let version_code = q.number("versionCode")?;
    let version_id = q.number("versionId")?;
    let text = |name| q.get(name).filter(|s| !s.is_empty()).map(str::to_owned);
    if key.is_empty() {
        return Err(Error::EmptyField(updater.key_field()));
    }
    if version_code < 0 {
        return Err(Error::InvalidVersionCode);
    }
    Ok(UpdaterDownload {
        key: key.to_owned(),
        version_code,
        version_id,
        platform: text(updater.platform_field()),
        arch: text("arch"),
        download_type,
    })
}

/// The file electron-updater's platform takes from `r` on `archs`, for a download: the
/// updater's own choice for `downloadType` 2, the dmg before the zip on macOS otherwise.
fn electron_download_pick<'a>(
    app: &EdgeApp,
    r: &'a EdgeRelease,
    archs: &[&Architecture],
    install: bool,
) -> Option<&'a Artifact> {
    archs.iter().find_map(|arch| {
        let platform = arch_platform(&app.app, arch);
        let mut exts: Vec<&str> = files::electron_extensions(platform).to_vec();
        if install && platform == Platform::Macos {
            exts.sort_by_key(|e| *e != ".dmg");
        }
        exts.iter().find_map(|ext| {
            let mut of_arch: Vec<&Artifact> = r
                .release
                .artifacts
                .iter()
                .filter(|a| a.arch == arch.key)
                .filter(|a| a.name.as_str().to_ascii_lowercase().ends_with(ext))
                .collect();
            of_arch.sort_by_key(|a| a.role != ArtifactRole::Primary);
            of_arch.first().copied()
        })
    })
}

/// The architectures a download names: with an OS, those of that OS (and processor, when
/// `arch` is given); without one, every enabled architecture (of that processor), the default
/// first, then in declared order. `platform` stands in for an absent OS.
fn download_archs<'a>(
    app: &'a EdgeApp,
    req: &UpdaterDownload,
    platform: Option<Platform>,
) -> Result<Vec<&'a Architecture>, Error> {
    let cpu = match req.arch.as_deref() {
        Some(a) => Some(cpu_named(a).ok_or(Error::NoVersion)?),
        None => None,
    };
    let platform = match req.platform.as_deref() {
        Some(p) => Some(platform_named(p).ok_or(Error::NoVersion)?),
        None => platform,
    };
    if let Some(platform) = platform {
        return Ok(archs_for(app, platform, cpu));
    }
    let mut all: Vec<&Architecture> = app
        .ordered_archs()
        .into_iter()
        .filter(|a| a.enabled)
        .filter(|a| cpu.is_none_or(|w| arch_cpu(a).is_some_and(|c| cpu_serves(c, w))))
        .collect();
    all.sort_by_key(|a| a.key != app.default_arch);
    Ok(all)
}

/// The URL of the file `pick` finds in the release a download names: by `versionId`, else by
/// `versionCode`, else the newest fully rolled-out one (SemVer order) of the served channel. A
/// named release may still be rolling out; a yanked one is never served.
fn release_file<'a>(
    app: &'a EdgeApp,
    req: &UpdaterDownload,
    origin: &str,
    pick: impl Fn(&'a EdgeRelease) -> Option<&'a Artifact>,
) -> Result<String, Error> {
    let channel = channel(app);
    let mut servable = app
        .releases
        .iter()
        .filter(|r| r.release.channel == channel && r.release.state == ReleaseState::Ready);
    let found = if req.version_id > 0 {
        servable
            .find(|r| i64::from(r.zealot_id) == req.version_id)
            .and_then(&pick)
    } else if req.version_code > 0 {
        servable
            .find(|r| r.release.version_code == Some(req.version_code))
            .and_then(&pick)
    } else {
        servable
            .filter(|r| rollout::offered(r, None))
            .filter_map(|r| Some((parse_version_name(&r.release.version)?, r)))
            .filter_map(|(v, r)| pick(r).map(|a| (v, a)))
            .max_by(|(a, _), (b, _)| a.cmp_precedence(b))
            .map(|(_, a)| a)
    };
    found
        .and_then(|a| file_url(app, a, origin))
        .ok_or(Error::NoVersion)
}

/// Where an updater download redirect (302) points: the file the updater installs on the
/// named OS and processor (any architecture when they are absent: the default first, then in
/// declared order) of the release [`UpdaterDownload`] names. Tauri: the bundle its upgrade
/// route offers. Electron: for `downloadType` 2 the updater's own file, otherwise the dmg
/// before the zip on macOS.
///
/// # Errors
/// [`Error::NoVersion`] when no such release has such a file.
pub fn download_target(
    app: &EdgeApp,
    updater: Updater,
    req: &UpdaterDownload,
    origin: &str,
) -> Result<String, Error> {
    let archs = download_archs(app, req, None)?;
    let install = req.download_type != DOWNLOAD_TYPE_UPDATE;
    release_file(app, req, origin, |r| match updater {
        Updater::Tauri => tauri_pick(r, &archs),
        Updater::Electron => electron_download_pick(app, r, &archs, install),
    })
}

/// Upstream's `GET /v1/electron/download.<ext>` routes: the extension and the OS it implies
/// when the query names none.
pub const ELECTRON_DOWNLOAD_FILES: [(&str, Platform); 4] = [
    ("exe", Platform::Windows),
    ("dmg", Platform::Macos),
    ("zip", Platform::Macos),
    ("AppImage", Platform::Linux),
];

/// The `ELECTRON_DOWNLOAD_FILES` entry of `/v1/electron/download.<ext>`.
pub fn electron_download_file(path: &str) -> Option<(&'static str, Platform)> {
    let ext = path.strip_prefix("/v1/electron/download.")?;
    ELECTRON_DOWNLOAD_FILES.into_iter().find(|(e, _)| *e == ext)
}

/// Where `GET /v1/electron/download.<ext>` points: as [`download_target`], restricted to files
/// ending in `.<ext>` (any case), on the OS the query names or else the one `ext` implies.
///
/// # Errors
/// [`Error::NoVersion`] when no such release has such a file.
pub fn electron_file_target(
    app: &EdgeApp,
    req: &UpdaterDownload,
    (ext, platform): (&str, Platform),
    origin: &str,
) -> Result<String, Error> {
    let archs = download_archs(app, req, Some(platform))?;
    let suffix = format!(".{}", ext.to_ascii_lowercase());
    release_file(app, req, origin, |r| {
        archs.iter().find_map(|arch| {
            let mut of_arch: Vec<&Artifact> = r
                .release
                .artifacts
                .iter()
                .filter(|a| a.arch == arch.key)
                .filter(|a| a.name.as_str().to_ascii_lowercase().ends_with(&suffix))
                .collect();
            of_arch.sort_by_key(|a| a.role != ArtifactRole::Primary);
            of_arch.first().copied()
        })
    })
}

#[cfg(test)]
mod tests;
