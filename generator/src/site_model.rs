//! What the plan and the outputs derived from it (pages, feeds) share: one file of the site
//! ([`Output`]), the public apps as the derived outputs see them ([`Derived`]), and the release
//! views both compute with. `plan`, `pages` and `feeds` import this module; it imports none of
//! them (of the feeds, only their key options in `feeds/keys.rs`).

use crate::hash::{Digests, Hashed};
use crate::validate::AppModel;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use update_protocol::index::{AppEntry, Latest, Release};
use update_protocol::manifest::ReleaseState;
use update_protocol::names::ArchKey;

/// One file of the output.
#[derive(Debug, Clone)]
pub enum Output {
    /// Generated content.
    Bytes(Vec<u8>),
    /// An artifact file.
    Artifact {
        /// Where its bytes are now.
        from: ArtifactBytes,
        /// Its digests.
        digests: Digests,
    },
}

/// Where an artifact's bytes can be taken from.
#[derive(Debug, Clone)]
pub enum ArtifactBytes {
    /// Copied into the build directory while hashing.
    Copied(PathBuf),
    /// Only in the repository: linked (or copied) from there.
    Original(PathBuf),
}

impl Output {
    /// Size in bytes.
    pub fn size(&self) -> u64 {
        match self {
            Output::Bytes(b) => b.len() as u64,
            Output::Artifact { digests, .. } => digests.size,
        }
    }
}

/// What the build is asked for beyond the release repository (command-line options).
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// The signing keys of the updater feeds.
    pub feeds: crate::feeds::keys::FeedOptions,
    /// The publisher's templates (`--templates DIR`), read but not yet checked.
    pub templates: crate::templates::Overrides,
}

/// A public app as the derived outputs (pages, feeds) see it: its index entry and every
/// published release of every channel, newest first.
#[derive(Debug)]
pub struct PublicApp<'a> {
    /// The validated app.
    pub model: &'a AppModel,
    /// Its entry in the public index.
    pub entry: AppEntry,
    /// Published releases (ready and yanked), newest first, all channels.
    pub releases: Vec<Release>,
}

/// The input of the derived outputs: the site settings, the public apps, what the hash pass
/// computed of the local files and the options.
#[derive(Debug)]
pub struct Derived<'a> {
    /// `site.toml`.
    pub site: &'a update_protocol::manifest::SiteConfig,
    /// Public apps in catalog order.
    pub apps: Vec<PublicApp<'a>>,
    /// The digests of every local file, by cache key: what the feeds check files with, so that
    /// they read none.
    pub files: &'a BTreeMap<String, Hashed>,
    /// Command-line options.
    pub options: &'a PlanOptions,
}

/// Pretty JSON with a final newline: the one serialization used for every index file.
pub fn json<T: Serialize>(v: &T) -> Vec<u8> {
    // Serializing these types cannot fail: every map key is a string or an integer.
    let mut out = serde_json::to_vec_pretty(v).unwrap_or_default();
    out.push(b'\n');
    out
}

/// Whether `r` can be installed on `arch`: it has a primary artifact for it, or it has no
/// artifact at all (a configuration release) and `arch` is the default.
pub(crate) fn available(r: &Release, arch: &ArchKey, default_arch: &ArchKey) -> bool {
    r.primary_for(arch).is_some() || (r.artifacts.is_empty() && arch == default_arch)
}

/// `r` as seen from one architecture: only its files, and its upgrade type after the primary
/// artifact's override.
pub(crate) fn for_arch(r: &Release, arch: &ArchKey) -> Release {
    let mut v = r.clone();
    if let Some(up) = r.primary_for(arch).and_then(|a| a.upgrade) {
        v.upgrade = up;
    }
    v.artifacts.retain(|a| &a.arch == arch);
    v
}

/// The newest ready release at 100% and, when newer, the newest one still rolling out (a paused
/// rollout at 0% is not offered at all). `views` are newest first.
pub(crate) fn latest_of(views: &[Release]) -> Latest {
    let mut out = Latest::default();
    for r in views.iter().filter(|r| r.state == ReleaseState::Ready) {
        if r.rollout.is_full() {
            out.latest = Some(r.clone());
            break;
        }
        if out.staged.is_none() && r.rollout.percent() > 0 {
            out.staged = Some(r.clone());
        }
    }
    out
}
