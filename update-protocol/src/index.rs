//! What the generator writes and the edge worker reads: the public index files, the snapshot
//! that lists every public file, and the edge-only data. Every map is a `BTreeMap` so that the
//! same input always serializes to the same bytes.

use crate::digest::{Md5Digest, Sha256Digest};
use crate::manifest::{
    AppManifest, Architecture, ArtifactRole, Bundle, ChangelogEntry, CustomField, GitInfo,
    Platform, ReleaseState, Rollout, UpgradeType,
};
use crate::names::{AppId, ArchKey, ChannelKey, FileName};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of every file format below; bumped on incompatible changes only (additive fields are
/// skipped when empty and do not change it).
pub const SCHEMA_VERSION: u32 = 1;

/// Prefix of the edge-only data. It is written to the worker tree (what `wrangler deploy`
/// uploads as the assets), never to the public site beside it; the worker reads it through the
/// assets binding and refuses to serve it; it is never listed in the snapshot.
pub const EDGE_PREFIX: &str = "_edge";

/// Site paths, relative to the site root, without a leading slash.
pub mod paths {
    use super::{AppId, ArchKey, ChannelKey, EDGE_PREFIX, FileName, Sha256Digest};

    /// The top-level index of public apps.
    pub const SITE_INDEX: &str = "index.json";
    /// The list of every public file with its size and sha256.
    pub const SNAPSHOT: &str = "snapshot.json";
    /// Cache rules for Cloudflare static assets.
    pub const HEADERS: &str = "_headers";
    /// Files `wrangler deploy` must not upload.
    pub const ASSETS_IGNORE: &str = ".assetsignore";
    /// Edge lookup tables (protocol identifiers to apps, artifact ids to URLs).
    pub const EDGE_LOOKUP: &str = "_edge/lookup.json";

    /// Whether a site path (with or without its leading `/`) is the edge-only data, which is
    /// never public: the worker refuses it and the snapshot leaves it out.
    pub fn is_edge(path: &str) -> bool {
        let p = path.strip_prefix('/').unwrap_or(path);
        p.strip_prefix(EDGE_PREFIX)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// An app's index: its channels and the latest release per architecture.
    pub fn app_index(app: &AppId) -> String {
        format!("apps/{app}/index.json")
    }

    /// Every release of a channel, all architectures, newest first.
    pub fn channel_history(app: &AppId, channel: &ChannelKey) -> String {
        format!("apps/{app}/{channel}/history.json")
    }

    /// The latest release of a channel for one architecture.
    pub fn arch_latest(app: &AppId, channel: &ChannelKey, arch: &ArchKey) -> String {
        format!("apps/{app}/{channel}/{arch}/latest.json")
    }

    /// Every release of a channel for one architecture, newest first.
    pub fn arch_history(app: &AppId, channel: &ChannelKey, arch: &ArchKey) -> String {
        format!("apps/{app}/{channel}/{arch}/history.json")
    }

    /// A content-addressed artifact: the sha256 in the name makes the path immutable, and the
    /// `<dir>/<sha256>.<name>` shape is what TUF consistent snapshots fetch.
    pub fn artifact(app: &AppId, version: &str, sha256: &Sha256Digest, name: &FileName) -> String {
        format!("artifacts/{app}/{version}/{sha256}.{name}")
    }

    /// A private app's artifact, kept under the edge prefix.
    pub fn private_artifact(
        app: &AppId,
        version: &str,
        sha256: &Sha256Digest,
        name: &FileName,
    ) -> String {
        format!("{EDGE_PREFIX}/{}", artifact(app, version, sha256, name))
    }

    /// An app's edge data.
    pub fn edge_app(app: &AppId) -> String {
        format!("{EDGE_PREFIX}/apps/{app}.json")
    }
}

/// A published file of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Stable id (protocol A `artifactId`, download routes).
    pub id: String,
    /// Architecture.
    pub arch: ArchKey,
    /// Role.
    pub role: ArtifactRole,
    /// File name.
    pub name: FileName,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: Sha256Digest,
    /// MD5 of the content, when computed or given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<Md5Digest>,
    /// Where to download it: site-relative (`/artifacts/...`) or absolute.
    pub url: String,
    /// Per-architecture override of the release's upgrade type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradeType>,
    /// Base64 SHA-512 of the content, as electron-updater checks it. Edge data only, for apps
    /// an updater route serves (the public index files do not carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha512: Option<String>,
    /// Tauri bundle type (stated, or implied by the file name). Edge data only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<Bundle>,
    /// Tauri updater signature: the text of the `.sig` file `tauri signer sign` writes (base64
    /// of a minisign signature). Edge data only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// A release as the public index shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// Version string.
    pub version: String,
    /// Integer version code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_code: Option<i64>,
    /// Build version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Release type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_type: Option<String>,
    /// Channel.
    pub channel: ChannelKey,
    /// Publication time from the manifest.
    pub published_at: Timestamp,
    /// `ready` or `yanked` (drafts are never published).
    pub state: ReleaseState,
    /// Rollout percentage.
    pub rollout: Rollout,
    /// Upgrade type (in per-architecture files, after that architecture's override).
    pub upgrade: UpgradeType,
    /// Changelog entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changelog: Vec<ChangelogEntry>,
    /// Changelog as one text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Source control details.
    #[serde(default, skip_serializing_if = "GitInfo::is_empty")]
    pub git: GitInfo,
    /// Zealot custom fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomField>,
    /// Files (in per-architecture files, only that architecture's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
}

impl Release {
    /// The primary artifact for `arch`, if any.
    pub fn primary_for(&self, arch: &ArchKey) -> Option<&Artifact> {
        self.artifacts
            .iter()
            .find(|a| a.role == ArtifactRole::Primary && &a.arch == arch)
    }
}

/// `index.json`: the public apps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteIndex {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Portal title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Public apps, by id.
    pub apps: Vec<AppEntry>,
}

/// An app as the public index shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppEntry {
    /// App id.
    pub id: AppId,
    /// Display name.
    pub name: String,
    /// Platform.
    pub platform: Platform,
    /// Bundle id or package name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Enabled architectures in order.
    pub architectures: Vec<ArchEntry>,
    /// Channels in order.
    pub channels: Vec<ChannelEntry>,
    /// Path of the app's index.
    pub index: String,
}

/// An architecture in the public index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchEntry {
    /// Key.
    pub key: ArchKey,
    /// Display name.
    pub name: String,
    /// Whether clients that name none get this one.
    pub default: bool,
    /// Platform of its builds.
    pub platform: Platform,
}

/// A channel in the public index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelEntry {
    /// Key.
    pub key: ChannelKey,
    /// Display name.
    pub name: String,
    /// Whether releases go here when they name no channel.
    pub default: bool,
}

/// `apps/<app>/index.json`: the app and, per channel and architecture, its latest releases.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppIndex {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The app.
    pub app: AppEntry,
    /// Channel key → architecture key → latest.
    pub channels: BTreeMap<ChannelKey, BTreeMap<ArchKey, Latest>>,
}

/// The newest fully rolled-out release and, if newer, one still rolling out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latest {
    /// Newest ready release offered to every device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<Release>,
    /// Newer ready release with a rollout below 100%, for clients that decide their cohort
    /// themselves (as electron-updater's `stagingPercentage`); the edge decides for the rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staged: Option<Release>,
}

/// `apps/<app>/<channel>/<arch>/latest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatestFile {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// App id.
    pub app: AppId,
    /// Channel.
    pub channel: ChannelKey,
    /// Architecture.
    pub arch: ArchKey,
    /// The releases.
    #[serde(flatten)]
    pub latest: Latest,
}

/// `apps/<app>/<channel>/history.json` and `apps/<app>/<channel>/<arch>/history.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFile {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// App id.
    pub app: AppId,
    /// Channel.
    pub channel: ChannelKey,
    /// Architecture, for per-architecture histories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<ArchKey>,
    /// Ready and yanked releases, newest first by the app's ordering.
    pub releases: Vec<Release>,
}

/// `snapshot.json`: every public file of the site with its size and sha256, so that a mirror
/// can check that its copy is complete and unaltered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Path → entry.
    pub files: BTreeMap<String, SnapshotEntry>,
}

/// A file in the snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotEntry {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: Sha256Digest,
}

/// A release as the edge sees it: the public view plus what only a credentialed protocol
/// answers with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeRelease {
    /// The public view (all architectures).
    #[serde(flatten)]
    pub release: Release,
    /// Stable id used in rollout hashing: `<app>/<channel>/<version>`.
    pub release_id: String,
    /// Zealot release `id`: 1-based rank of the release in the app by publication time.
    pub zealot_id: u32,
    /// Zealot release `version`: 1-based rank within its channel by publication time.
    pub zealot_version: u32,
    /// Prompt text (protocol D `promptUpgradeContent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Configuration payload (protocol D `content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<serde_json::Value>,
}

/// `_edge/apps/<app>.json`: everything the worker needs about one app.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeApp {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The app's manifest, with protocol identifiers and policy.
    pub app: AppManifest,
    /// The channel that releases without one went to.
    pub default_channel: ChannelKey,
    /// The architecture clients get when they name none.
    pub default_arch: ArchKey,
    /// Ready and yanked releases of every channel, newest first by the app's ordering.
    pub releases: Vec<EdgeRelease>,
}

impl EdgeApp {
    /// The app's architectures in declared order: by `order`, ties in file order (the sort
    /// is stable). Callers compute it once per request rather than once per release.
    pub fn ordered_archs(&self) -> Vec<&Architecture> {
        let mut archs: Vec<_> = self.app.architectures.iter().collect();
        archs.sort_by_key(|a| a.order);
        archs
    }
}

/// Makes a site-relative URL (`/…`) absolute against the request's `origin` (e.g.
/// `https://updates.example.com`), so the same build works on any host; other URLs are
/// returned as they are.
pub fn absolute_url(url: &str, origin: &str) -> String {
    if url.starts_with('/') {
        format!("{}{url}", origin.trim_end_matches('/'))
    } else {
        url.to_owned()
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters: a path segment, a query
/// value, or a `filename*=UTF-8''…` parameter.
pub fn percent_encode(s: &str) -> String {
    /// Everything but `A-Z a-z 0-9 - . _ ~`.
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, RESERVED).to_string()
}

/// `_edge/lookup.json`: from what a client sends to the app it means.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeLookup {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Protocol A `projectId` → app.
    pub hot_update: BTreeMap<String, AppId>,
    /// Protocol B numeric app id → app.
    pub zealot: BTreeMap<u32, AppId>,
    /// Protocol C `appId` → app.
    pub license: BTreeMap<String, AppId>,
    /// Protocol D key (any of its kinds) → app and the body field it is sent as.
    pub toolsetlink: BTreeMap<String, ToolsetlinkRef>,
    /// Protocol E `app_key` → app.
    pub tinyaii: BTreeMap<String, AppId>,
    /// Artifact id → where it is.
    pub artifacts: BTreeMap<String, ArtifactRef>,
}

/// Where a protocol D key points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolsetlinkRef {
    /// The app.
    pub app: AppId,
    /// The key's field: `configurationKey`, `apkKey`, `urlKey`, `fileKey`, `winKey`, `macKey`,
    /// `lnxKey`, `tauriKey` or `electronKey`.
    pub field: String,
}

/// Where an artifact id points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRef {
    /// The app.
    pub app: AppId,
    /// Download URL (site-relative or absolute).
    pub url: String,
    /// The app is private: only signed download links reach the file, never an
    /// unauthenticated route.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

#[cfg(test)]
mod tests {
    use super::paths::is_edge;

    #[test]
    fn edge_paths() {
        for p in ["_edge", "/_edge", "_edge/lookup.json", "/_edge/apps/a.json"] {
            assert!(is_edge(p), "{p}");
        }
        for p in ["/_edgey", "_edge.json", "/apps/_edge/x", "index.json", "/"] {
            assert!(!is_edge(p), "{p}");
        }
    }
}
