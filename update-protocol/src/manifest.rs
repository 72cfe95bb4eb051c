//! The manifest format: what publishers write. One TOML file per app (`apps/<id>.toml`) and one
//! per release (`releases/<app>/**/*.toml`), so that parallel CI jobs never edit the same file.
//! These types only describe shape; cross-file rules are checked by the generator.

use crate::digest::{Md5Digest, Sha256Digest};
use crate::names::{AppId, ArchKey, ChannelKey};
use crate::time::Timestamp;
use crate::version::VersionScheme;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

/// Site-wide settings (`site.toml` at the root of the release repository; optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Title of the download portal.
    #[serde(default)]
    pub title: Option<String>,
    /// Public base URL of the site (e.g. `https://updates.example.com`), used where a protocol
    /// needs an absolute link. Without it, links are site-relative.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Base URL where artifact files are served from when they live outside the static assets
    /// (R2, S3 or any CDN). The generator still writes them under `artifacts/` for upload, and
    /// lists `/artifacts/` (the public ones, anchored: never `_edge/artifacts/`) in
    /// `.assetsignore` so that `wrangler deploy` skips them.
    #[serde(default)]
    pub artifact_base_url: Option<String>,
}

/// One app: `apps/<id>.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AppManifest {
    /// The app's id; must equal the file name without `.toml`.
    pub id: AppId,
    /// Display name.
    pub name: String,
    /// The platform the app runs on.
    pub platform: Platform,
    /// iOS bundle id or Android package name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// Short description for the download portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `public` apps appear in the public index and their artifacts are public files; `private`
    /// apps (for example license-gated ones) are known only to the edge worker.
    #[serde(default)]
    pub visibility: Visibility,
    /// How this app's versions are ordered when the site picks the latest release. Each wire
    /// protocol still applies its own ordering on top; see `docs/manifest.md`.
    #[serde(default)]
    pub versioning: Versioning,
    /// Update policy: forced updates below a minimum version, offline TTL.
    #[serde(default)]
    pub policy: UpdatePolicy,
    /// The release-health rule: when set, the edge halts a new release whose error reports
    /// per active machine rise past the previous release's (`docs/rollout-control.md`). Off
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<crate::health::HealthRule>,
    /// Architectures, as protocol A has them. Without any, the app has one architecture
    /// `default`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<Architecture>,
    /// Release channels (at least one). Zealot's scheme and channel map onto these.
    pub channels: Vec<Channel>,
    /// The identifiers each wire protocol uses to find this app. An app is served by a protocol
    /// only if it has that protocol's table here.
    #[serde(default)]
    pub protocols: Protocols,
    /// The update feeds of existing updaters (Sparkle, electron-updater, Tauri) the site
    /// writes for this app; none unless turned on here. See `docs/feeds.md`.
    #[serde(default, skip_serializing_if = "Feeds::is_empty")]
    pub feeds: Feeds,
}

/// Which feeds of existing updaters the site writes for an app (`[feeds]`; all off by default:
/// an app reads only the feed of the updater it embeds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Feeds {
    /// A Sparkle appcast per macOS architecture and channel.
    #[serde(default)]
    pub sparkle: bool,
    /// electron-updater channel files (`latest.yml`, `latest-mac.yml`, `latest-linux.yml`) per
    /// channel.
    #[serde(default)]
    pub electron: bool,
    /// A Tauri updater `latest.json` per channel.
    #[serde(default)]
    pub tauri: bool,
}

impl Feeds {
    /// Whether no feed is on.
    pub fn is_empty(&self) -> bool {
        !(self.sparkle || self.electron || self.tauri)
    }
}

/// How an app orders its releases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Versioning {
    /// SemVer 2.0 (`1.0.0-beta` < `1.0.0`).
    #[default]
    Semver,
    /// Protocol A's token order (`1.0.0-beta` > `1.0.0`).
    HotUpdate,
    /// Zealot's order (RubyGems versions).
    Zealot,
    /// Protocol C's strict `x.y.z`.
    License,
    /// Numeric dot-separated components (protocol E).
    Dotted,
    /// By the integer `version_code`; the version string is only a label (protocol D's
    /// `versionName` such as `v2`).
    VersionCode,
}

impl Versioning {
    /// The string ordering, or `None` when releases are ordered by `version_code`.
    pub fn scheme(self) -> Option<VersionScheme> {
        match self {
            Versioning::Semver => Some(VersionScheme::Semver),
            Versioning::HotUpdate => Some(VersionScheme::HotUpdate),
            Versioning::Zealot => Some(VersionScheme::Zealot),
            Versioning::License => Some(VersionScheme::License),
            Versioning::Dotted => Some(VersionScheme::Dotted),
            Versioning::VersionCode => None,
        }
    }

    /// The name used in manifests.
    pub fn as_str(self) -> &'static str {
        match self.scheme() {
            Some(s) => s.as_str(),
            None => "version-code",
        }
    }
}

/// The platform an app or architecture targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Platform {
    /// Android (APK/AAB).
    Android,
    /// iOS (IPA).
    Ios,
    /// HarmonyOS (HAP).
    Harmonyos,
    /// macOS.
    Macos,
    /// Windows.
    Windows,
    /// Linux.
    Linux,
    /// Web or configuration payloads.
    Web,
    /// Anything else.
    Other,
}

impl Platform {
    /// The lowercase name used in manifests and the public index.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Harmonyos => "harmonyos",
            Platform::Macos => "macos",
            Platform::Windows => "windows",
            Platform::Linux => "linux",
            Platform::Web => "web",
            Platform::Other => "other",
        }
    }
}

/// Who can see an app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Listed in the public index with public artifact files.
    #[default]
    Public,
    /// Only in the edge data: no public index entry, artifact files under the edge prefix.
    Private,
}

/// The update policy of an app.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdatePolicy {
    /// Clients below this version must update (protocol C `FORCE`, protocol E `force_update`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    /// How long a client may trust its last answer while offline (protocol C
    /// `offlineTtlSeconds`): 60..=604800 seconds, default 900.
    #[serde(default)]
    pub offline_ttl_seconds: OfflineTtl,
}

/// Seconds a client may trust a cached answer offline: 60..=604800, default 900.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(try_from = "u32", into = "u32")]
pub struct OfflineTtl(u32);

impl OfflineTtl {
    /// The smallest TTL protocol C's admin accepts.
    pub const MIN: u32 = 60;
    /// The largest TTL (one week).
    pub const MAX: u32 = 604_800;
    /// The default when a policy gives none.
    pub const DEFAULT: u32 = 900;

    /// The TTL in seconds.
    pub fn seconds(self) -> u32 {
        self.0
    }
}

impl Default for OfflineTtl {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

impl TryFrom<u32> for OfflineTtl {
    type Error = String;
    fn try_from(s: u32) -> Result<Self, String> {
        if (Self::MIN..=Self::MAX).contains(&s) {
            Ok(Self(s))
        } else {
            Err(format!(
                "offline_ttl_seconds must be between {} and {}, got {s}",
                Self::MIN,
                Self::MAX
            ))
        }
    }
}

impl From<OfflineTtl> for u32 {
    fn from(t: OfflineTtl) -> u32 {
        t.0
    }
}

/// One architecture of an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Key clients send (protocol A `architecture`), e.g. `arm64-v8a`.
    pub key: ArchKey,
    /// Display name (protocol A `architectureName`), e.g. `ARM64`.
    pub name: String,
    /// The architecture used when a client names none.
    #[serde(default)]
    pub default: bool,
    /// Sort position (ascending); ties keep the file's order.
    #[serde(default)]
    pub order: i32,
    /// Disabled architectures are never offered and do not count for `publishState`.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Platform of builds for this architecture, when it differs from the app's (desktop apps
    /// with Windows and macOS builds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Processor of builds for this architecture, for the feeds of existing updaters (Tauri's
    /// `darwin-aarch64`, electron-updater's `latest-linux-arm64.yml`); guessed from the key
    /// (`x64`, `arm64`, ...) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Cpu>,
}

impl Architecture {
    /// The platform of this architecture's builds: its own, else the app's.
    pub fn platform_or(&self, app: Platform) -> Platform {
        self.platform.unwrap_or(app)
    }

    /// The processor of this architecture's builds: its `cpu`, else guessed from its key
    /// ([`Cpu::from_key`]).
    pub fn cpu_or_guess(&self) -> Option<Cpu> {
        self.cpu.or_else(|| Cpu::from_key(self.key.as_str()))
    }
}

/// A processor family, as the Tauri updater names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cpu {
    /// 64-bit x86 (`x64`, `amd64`).
    #[serde(rename = "x86_64")]
    X86_64,
    /// 64-bit ARM (`arm64`).
    Aarch64,
    /// 32-bit x86 (`ia32`).
    I686,
    /// 32-bit ARM (`armv7l`).
    Armv7,
    /// A macOS universal binary: both `x86_64` and `aarch64`.
    Universal,
}

impl Cpu {
    /// The processor an architecture key names, if it names one: `arm64`, `aarch64`,
    /// `armv7`, `armhf`, `x64`, `x86_64`, `amd64`, `ia32`, `i686`, `x86`, `universal`,
    /// anywhere in the key (`mac-arm64`, `linux-x64`).
    pub fn from_key(key: &str) -> Option<Cpu> {
        let k = key.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| k.contains(w));
        if has(&["universal"]) {
            Some(Cpu::Universal)
        } else if has(&["aarch64", "arm64"]) {
            Some(Cpu::Aarch64)
        } else if has(&["armv7", "armhf", "armeabi"]) {
            Some(Cpu::Armv7)
        } else if has(&["x86_64", "x86-64", "x64", "amd64"]) {
            Some(Cpu::X86_64)
        } else if has(&["i686", "i386", "ia32", "x86"]) {
            Some(Cpu::I686)
        } else {
            None
        }
    }

    /// The name in Tauri platform keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Cpu::X86_64 => "x86_64",
            Cpu::Aarch64 => "aarch64",
            Cpu::I686 => "i686",
            Cpu::Armv7 => "armv7",
            Cpu::Universal => "universal",
        }
    }
}

fn yes() -> bool {
    true
}

/// One release channel of an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Key used in manifests and site paths, e.g. `stable`.
    pub key: ChannelKey,
    /// Display name (Zealot channel `name`).
    pub name: String,
    /// Zealot scheme this channel belongs to (e.g. `Release`, `Beta`); default `Release`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Zealot bundle-id rule: `*` or a regular expression the release's bundle id must match.
    #[serde(default = "any_bundle")]
    pub bundle_id: String,
    /// Zealot channel slug; derived from the app and channel key when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Zealot channel `git_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_url: Option<String>,
    /// The channel releases go to when they name none, and that protocols without channels
    /// (A, C, D, E) serve unless their table names another. Exactly one channel is the default
    /// (the first when none is marked).
    #[serde(default)]
    pub default: bool,
}

fn any_bundle() -> String {
    "*".to_owned()
}

/// The identifiers each wire protocol uses to find an app.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Protocols {
    /// Protocol A, the hot-update service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_update: Option<HotUpdateIds>,
    /// Protocol B, Zealot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zealot: Option<ZealotIds>,
    /// Protocol C, license-gated updates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<LicenseIds>,
    /// Protocol D, toolsetlink UpgradeLink.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toolsetlink: Option<ToolsetlinkIds>,
    /// Protocol E, tinyaii.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tinyaii: Option<TinyaiiIds>,
}

/// Protocol A: the project the API keys and bearer tokens are scoped to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HotUpdateIds {
    /// `projectId` that bearer-token clients send.
    pub project_id: String,
    /// Channel served; the app's default channel when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKey>,
}

/// Protocol B: Zealot's numeric app id (`/api/apps/:id`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ZealotIds {
    /// Numeric app id, unique across apps.
    pub app_id: u32,
}

/// Protocol C: the `appId` in `/api/v1/apps/:appId/...`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LicenseIds {
    /// The `appId` path segment.
    pub app_id: String,
    /// Channel served; the app's default channel when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKey>,
}

/// Protocol D: the keys clients send in the body of each upgrade route. At least one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ToolsetlinkIds {
    /// `configurationKey` for `/v1/configuration/upgrade` (releases carry `content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_key: Option<String>,
    /// `apkKey` for `/v1/apk/upgrade`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apk_key: Option<String>,
    /// `urlKey` for `/v1/url/upgrade`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_key: Option<String>,
    /// `fileKey` for `/v1/file/upgrade`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_key: Option<String>,
    /// `winKey` for `/v1/win/{upgrade,version}`: the app's Windows architectures, chosen by
    /// the request's `arch` (`x64`, `arm64`, `x86`) against each architecture's cpu.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub win_key: Option<String>,
    /// `macKey` for `/v1/mac/{upgrade,version}`: the app's macOS architectures, by `arch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_key: Option<String>,
    /// `lnxKey` for `/v1/lnx/{upgrade,version}`: the app's Linux architectures, by `arch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lnx_key: Option<String>,
    /// `tauriKey` for the Tauri updater's `GET /v1/tauri/upgrade` and `/v1/tauri/version`:
    /// the architecture by the request's `target` (platform) and `arch` (cpu).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tauri_key: Option<String>,
    /// `electronKey` for electron-updater's `GET /v1/electron/upgrade[/latest*.yml]` and
    /// `/v1/electron/version`: the architecture by `platform` and `arch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub electron_key: Option<String>,
    /// Channel served; the app's default channel when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKey>,
}

impl ToolsetlinkIds {
    /// The keys that are set, with the body field name each is sent as.
    pub fn keys(&self) -> Vec<(&'static str, &str)> {
        [
            ("configurationKey", &self.configuration_key),
            ("apkKey", &self.apk_key),
            ("urlKey", &self.url_key),
            ("fileKey", &self.file_key),
            ("winKey", &self.win_key),
            ("macKey", &self.mac_key),
            ("lnxKey", &self.lnx_key),
            ("tauriKey", &self.tauri_key),
            ("electronKey", &self.electron_key),
        ]
        .into_iter()
        .filter_map(|(field, key)| key.as_deref().map(|k| (field, k)))
        .collect()
    }
}

/// Protocol E: the `app_key` clients send in the body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TinyaiiIds {
    /// `app_key` (16 hex characters in the service's examples).
    pub app_key: String,
    /// Channel served; the app's default channel when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKey>,
}

/// One release: `releases/<app>/**/*.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseManifest {
    /// The app this release belongs to; must match the `releases/<app>/` directory.
    pub app: AppId,
    /// Version string, ordered by the app's `versioning`.
    pub version: String,
    /// Integer version code (Android `versionCode`; protocol D orders by it and requires it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_code: Option<i64>,
    /// Build version (Zealot `build_version`, iOS `CFBundleVersion`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Release type (Zealot `release_type`: debug, beta, adhoc, release, enterprise, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_type: Option<String>,
    /// Channel; the app's default channel when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKey>,
    /// When the release was published (RFC 3339 with an offset). Taken from here, never from
    /// the clock, so that builds are reproducible.
    pub published_at: Timestamp,
    /// `draft` releases are validated but never published; `yanked` ones stay in the history
    /// (marked) and are never offered.
    #[serde(default)]
    pub state: ReleaseState,
    /// Percentage of devices offered this release (0..=100, default 100), decided at the edge
    /// by a stable hash of the device id and the release.
    #[serde(default)]
    pub rollout: Rollout,
    /// How clients should install it; artifacts may override it per architecture.
    #[serde(default)]
    pub upgrade: UpgradeType,
    /// Release notes: a text, or a list of entries as Zealot's JSON changelog.
    #[serde(default)]
    pub changelog: Changelog,
    /// Prompt text shown with the update (protocol D `promptUpgradeContent`); defaults to the
    /// changelog text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Oldest OS version the release runs on (Sparkle `minimumSystemVersion`, e.g. `12.0`);
    /// an artifact may state its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_system_version: Option<String>,
    /// Where the build came from.
    #[serde(default, skip_serializing_if = "GitInfo::is_empty")]
    pub git: GitInfo,
    /// Zealot custom fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomField>,
    /// Configuration payload (protocol D `content`): a TOML table, or a string holding a JSON
    /// object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<serde_json::Value>"))]
    pub content: Option<serde_json::Value>,
    /// The files of this release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<ArtifactSpec>,
}

/// Publication state of a release.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReleaseState {
    /// Not published anywhere yet.
    Draft,
    /// Published.
    #[default]
    Ready,
    /// Withdrawn: kept in the history, never offered.
    Yanked,
}

/// Rollout percentage, 0..=100 (0 pauses a rollout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(try_from = "u8", into = "u8")]
pub struct Rollout(u8);

impl Rollout {
    /// Everyone gets the release.
    pub const FULL: Rollout = Rollout(100);

    /// The percentage.
    pub fn percent(self) -> u8 {
        self.0
    }

    /// Whether every device is offered the release.
    pub fn is_full(self) -> bool {
        self.0 == 100
    }
}

impl Default for Rollout {
    fn default() -> Self {
        Self::FULL
    }
}

impl TryFrom<u8> for Rollout {
    type Error = String;
    fn try_from(p: u8) -> Result<Self, String> {
        if p <= 100 {
            Ok(Self(p))
        } else {
            Err(format!("rollout must be between 0 and 100, got {p}"))
        }
    }
}

impl From<Rollout> for u8 {
    fn from(r: Rollout) -> u8 {
        r.0
    }
}

/// How a client should install an update (protocol D `upgradeType` 1, 2, 3).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum UpgradeType {
    /// Ask the user.
    #[default]
    Prompt,
    /// Install without asking.
    Silent,
    /// The user must update to keep using the app.
    Force,
}

impl UpgradeType {
    /// Protocol D's integer code.
    pub fn code(self) -> u8 {
        match self {
            UpgradeType::Prompt => 1,
            UpgradeType::Silent => 2,
            UpgradeType::Force => 3,
        }
    }
}

/// Release notes: plain text or Zealot-style entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(untagged)]
pub enum Changelog {
    /// Plain text; Zealot splits it into one entry per line.
    Text(String),
    /// Structured entries.
    Entries(Vec<ChangelogEntry>),
}

impl Default for Changelog {
    fn default() -> Self {
        Changelog::Entries(Vec::new())
    }
}

impl Changelog {
    /// The entries, splitting text on newlines and trimming a leading `-` as Zealot does.
    pub fn entries(&self) -> Vec<ChangelogEntry> {
        match self {
            Changelog::Entries(e) => e.clone(),
            Changelog::Text(t) => t
                .lines()
                .map(|l| l.trim().trim_start_matches('-').trim())
                .filter(|l| !l.is_empty())
                .map(|l| ChangelogEntry {
                    message: l.to_owned(),
                    author: None,
                    email: None,
                    date: None,
                })
                .collect(),
        }
    }

    /// The notes as one text: the text itself, or one line per entry.
    pub fn text(&self) -> String {
        match self {
            Changelog::Text(t) => t.trim_end().to_owned(),
            Changelog::Entries(e) => e
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// One changelog entry, as Zealot's JSON changelog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangelogEntry {
    /// The change.
    pub message: String,
    /// Who made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Their email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When, as written (Zealot uses `2021-11-11 11:11:11`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// Source control and CI details of a build.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GitInfo {
    /// Branch (a leading `origin/` is stripped by `publish`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Commit hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// URL of the CI job that built it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_url: Option<String>,
}

impl GitInfo {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self.branch.is_none() && self.commit.is_none() && self.ci_url.is_none()
    }
}

/// A Zealot custom field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    /// Field name.
    pub name: String,
    /// Field value.
    pub value: String,
    /// Font Awesome icon class, e.g. `fas fa-flag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

/// One file of a release: a local file that the generator hashes and publishes, or an external
/// URL with its digest and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ArtifactSpec {
    /// Architecture key; the app's default architecture when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<ArchKey>,
    /// `primary` (the installable build; at most one per architecture) or `attachment`.
    #[serde(default)]
    pub role: ArtifactRole,
    /// Path of a local file, relative to this manifest; it must stay inside `releases/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// URL of a file hosted elsewhere (then `sha256` and `size` are required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// SHA-256 of the file: required with `url`; checked against the file with `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<Sha256Digest>,
    /// MD5 of the file: optional with `url` (never invented); checked with `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<Md5Digest>,
    /// Size in bytes: required with `url`; checked with `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Name the file is published under; the local or URL file name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Per-architecture override of the release's `upgrade` (protocol A
    /// `forceUpdateOverride`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradeType>,
    /// Oldest OS version this file runs on (Sparkle `minimumSystemVersion`); overrides the
    /// release's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_system_version: Option<String>,
    /// SHA-512 of the file, base64 (as electron-builder writes it): lets a file hosted
    /// elsewhere (`url`) into electron-updater feeds; checked with `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha512: Option<String>,
    /// Sparkle `sparkle:edSignature` of the file (what Sparkle's `sign_update` prints), for a
    /// file hosted elsewhere or signed outside the build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ed_signature: Option<String>,
    /// Tauri updater signature: the content of the `.sig` file `tauri signer sign` writes (a
    /// base64 minisign signature). Required for remote files in a Tauri feed; local files may be
    /// signed at build time instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The same as `signature`, read from a file relative to this manifest (inside `releases/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_file: Option<String>,
    /// Tauri bundle type, the optional third part of a `latest.json` platform key
    /// (`darwin-aarch64-app`); guessed from the file name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<Bundle>,
}

/// Package format of a desktop build, as the Tauri updater names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Bundle {
    /// macOS `.app` in a `.tar.gz`.
    App,
    /// Linux AppImage.
    Appimage,
    /// Debian package.
    Deb,
    /// RPM package.
    Rpm,
    /// Windows Installer.
    Msi,
    /// NSIS installer (`.exe`).
    Nsis,
}

impl Bundle {
    /// The name in platform keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Bundle::App => "app",
            Bundle::Appimage => "appimage",
            Bundle::Deb => "deb",
            Bundle::Rpm => "rpm",
            Bundle::Msi => "msi",
            Bundle::Nsis => "nsis",
        }
    }

    /// The bundle type a file name implies (`.app.tar.gz`, `.AppImage[.tar.gz]`, `.deb`,
    /// `.rpm`, `.msi[.zip]`, `.exe` or `.nsis.zip`), if any.
    pub fn from_file_name(name: &str) -> Option<Bundle> {
        let n = name.to_ascii_lowercase();
        let ends = |suffixes: &[&str]| suffixes.iter().any(|s| n.ends_with(s));
        if ends(&[".app.tar.gz", ".app.zip"]) {
            Some(Bundle::App)
        } else if ends(&[".appimage", ".appimage.tar.gz"]) {
            Some(Bundle::Appimage)
        } else if ends(&[".deb"]) {
            Some(Bundle::Deb)
        } else if ends(&[".rpm"]) {
            Some(Bundle::Rpm)
        } else if ends(&[".msi", ".msi.zip"]) {
            Some(Bundle::Msi)
        } else if ends(&[".exe", ".nsis.zip"]) {
            Some(Bundle::Nsis)
        } else {
            None
        }
    }
}

/// Role of an artifact.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ArtifactRole {
    /// The installable build for its architecture.
    #[default]
    Primary,
    /// A supplementary file (symbols, notes, patches).
    Attachment,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_types_from_file_names() {
        for (name, want) in [
            ("Editor.app.tar.gz", Some(Bundle::App)),
            ("editor_1.0.0_amd64.AppImage", Some(Bundle::Appimage)),
            ("editor_1.0.0_amd64.AppImage.tar.gz", Some(Bundle::Appimage)),
            ("editor_1.0.0_amd64.deb", Some(Bundle::Deb)),
            ("editor-1.0.0-1.x86_64.rpm", Some(Bundle::Rpm)),
            ("Editor_1.0.0_x64_en-US.msi", Some(Bundle::Msi)),
            ("Editor_1.0.0_x64-setup.exe", Some(Bundle::Nsis)),
            ("Editor_1.0.0_x64-setup.nsis.zip", Some(Bundle::Nsis)),
            ("Editor.dmg", None),
            ("editor.zip", None),
        ] {
            assert_eq!(Bundle::from_file_name(name), want, "{name}");
        }
    }

    #[test]
    fn processors_from_architecture_keys() {
        for (key, want) in [
            ("x64", Some(Cpu::X86_64)),
            ("linux-x64", Some(Cpu::X86_64)),
            ("amd64", Some(Cpu::X86_64)),
            ("mac-arm64", Some(Cpu::Aarch64)),
            ("aarch64", Some(Cpu::Aarch64)),
            ("armeabi-v7a", Some(Cpu::Armv7)),
            ("ia32", Some(Cpu::I686)),
            ("x86", Some(Cpu::I686)),
            ("universal", Some(Cpu::Universal)),
            ("default", None),
        ] {
            assert_eq!(Cpu::from_key(key), want, "{key}");
        }
    }
}
