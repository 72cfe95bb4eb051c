//! The updater routes' wire types: Tauri's dynamic-server answer, electron-updater's channel
//! file, and a download redirect's query.

use serde::Serialize;
use std::fmt::Write as _;

/// The Tauri updater's dynamic-server answer (status 200): `version`, `url` and `signature`
/// are what it requires, `notes` and `pub_date` what it shows; `upgradeType` is upstream's
/// extra field (the updater exposes it as `raw_json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TauriUpdate {
    /// The release's version.
    pub version: String,
    /// Publication time, RFC 3339.
    pub pub_date: String,
    /// Absolute URL of the bundle.
    pub url: String,
    /// The bundle's `.sig` text.
    pub signature: String,
    /// Prompt text, else the release notes.
    pub notes: String,
    /// 1 prompt, 2 silent, 3 force.
    #[serde(rename = "upgradeType")]
    pub upgrade_type: u8,
}

/// A file of an electron-updater answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectronFile {
    /// Absolute URL.
    pub url: String,
    /// Base64 SHA-512.
    pub sha512: String,
    /// Size in bytes.
    pub size: u64,
}

/// An electron-updater channel file, with upstream's two extra fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectronUpdate {
    /// The release's version; without an update, the client's own (so it sees none).
    pub version: String,
    /// The files (empty without an update).
    pub files: Vec<ElectronFile>,
    /// `releaseDate`, ISO 8601 with milliseconds; empty without an update.
    pub release_date: String,
    /// `releaseNotes`: the release notes (left out when empty).
    pub release_notes: String,
    /// 0 without an update; 1 prompt, 2 silent, 3 force.
    pub upgrade_type: u8,
    /// Prompt text, else the release notes.
    pub prompt_upgrade_content: String,
}

impl ElectronUpdate {
    /// The YAML electron-updater reads, every string double-quoted (JSON strings are YAML),
    /// so that no version is read as a number and no date as a date. `path` and the top-level
    /// `sha512` repeat the first file for electron-updater before 2.x (empty without one).
    pub fn to_yaml(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut y = String::new();
        let _ = writeln!(y, "version: {}", q(&self.version));
        if self.files.is_empty() {
            y.push_str("files: []\n");
        } else {
            y.push_str("files:\n");
        }
        for f in &self.files {
            let _ = writeln!(y, "  - url: {}", q(&f.url));
            let _ = writeln!(y, "    sha512: {}", q(&f.sha512));
            let _ = writeln!(y, "    size: {}", f.size);
        }
        let first = self.files.first();
        let _ = writeln!(y, "path: {}", q(first.map_or("", |f| f.url.as_str())));
        let _ = writeln!(y, "sha512: {}", q(first.map_or("", |f| f.sha512.as_str())));
        let _ = writeln!(y, "releaseDate: {}", q(&self.release_date));
        if !self.release_notes.is_empty() {
            let _ = writeln!(y, "releaseNotes: {}", q(&self.release_notes));
        }
        let _ = writeln!(y, "upgradeType: {}", self.upgrade_type);
        let _ = writeln!(
            y,
            "promptUpgradeContent: {}",
            q(&self.prompt_upgrade_content)
        );
        y
    }
}

/// The query of an updater download redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdaterDownload {
    /// `tauriKey` or `electronKey`.
    pub key: String,
    /// That version code; 0 means the newest.
    pub version_code: i64,
    /// A release's Zealot id; wins over `version_code` when above 0.
    pub version_id: i64,
    /// `target` / `platform`, as sent; absent: any.
    pub platform: Option<String>,
    /// `arch`, as sent; absent: any.
    pub arch: Option<String>,
    /// `downloadType` (default 1).
    pub download_type: i64,
}
