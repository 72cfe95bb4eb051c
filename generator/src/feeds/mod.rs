//! Feeds of existing updaters, derived from the public model: Sparkle appcasts,
//! electron-updater channel files and Tauri `latest.json`, for the apps whose `[feeds]` table
//! turns them on. The rules (which release, which file, which key) are in `docs/feeds.md`.

mod electron;
pub mod keys;
mod sparkle;
mod tauri;

use crate::hash::{Hashed, Signers, Wants};
use crate::problem::{Problem, Problems};
use crate::site_model::{Derived, Output, PublicApp};
use crate::templates::Templates;
use crate::validate::{AppModel, ArtifactModel, ReleaseModel, Source};
use keys::{FeedOptions, KeySource, SparkleKey, TauriKey};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use update_protocol::index::{Artifact, EdgeRelease, Release};
use update_protocol::manifest::{
    ArtifactRole, ArtifactSpec, Bundle, Cpu, Platform, ReleaseState, UpgradeType,
};
use update_protocol::names::ArchKey;
use update_protocol::updater_files;

/// The command-line options of the feed keys (flattened into the input options).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FeedKeyArgs {
    /// Sparkle EdDSA private key file (the base64 seed `generate_keys -x` exports), to sign
    /// appcast enclosures; or the key itself in SPARKLE_ED_PRIVATE_KEY.
    #[arg(long, value_name = "FILE")]
    pub sparkle_key: Option<PathBuf>,
    /// Tauri updater private key file (as `tauri signer generate` writes it), to sign files for
    /// `latest.json`; or the key (or its path) in TAURI_SIGNING_PRIVATE_KEY, its password in
    /// TAURI_SIGNING_PRIVATE_KEY_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pub tauri_key: Option<PathBuf>,
}

impl FeedKeyArgs {
    /// The options, with the environment variables for keys not given as files.
    pub fn options(&self) -> FeedOptions {
        let env = |name: &'static str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|value| KeySource::Env { name, value })
        };
        FeedOptions {
            sparkle_key: self
                .sparkle_key
                .clone()
                .map(|path| KeySource::File {
                    option: "--sparkle-key",
                    path,
                })
                .or_else(|| env(keys::SPARKLE_KEY_ENV)),
            tauri_key: self
                .tauri_key
                .clone()
                .map(|path| KeySource::File {
                    option: "--tauri-key",
                    path,
                })
                .or_else(|| env(keys::TAURI_KEY_ENV)),
            tauri_password: std::env::var(keys::TAURI_PASSWORD_ENV).ok(),
        }
    }
}

/// Architecture keys that would make a feed directory ambiguous with an architecture's own
/// directory (`apps/<app>/<channel>/<arch>/`).
const RESERVED_ARCHS: [&str; 2] = ["electron", "tauri"];

/// The signing keys of the feeds, loaded once per build.
#[derive(Default)]
pub struct FeedKeys {
    sparkle: Option<SparkleKey>,
    tauri: Option<TauriKey>,
}

impl FeedKeys {
    /// Loads the keys some app needs: Sparkle's for apps with `feeds.sparkle`, Tauri's for
    /// apps with `feeds.tauri` or a toolsetlink `tauri_key` (the edge's Tauri route serves the
    /// same signatures). A key that cannot be used is a problem naming where it came from.
    pub fn load(apps: &[AppModel], options: &FeedOptions, problems: &mut Problems) -> FeedKeys {
        let wanted = |f: fn(&AppModel) -> bool| apps.iter().any(f);
        let sparkle = match &options.sparkle_key {
            Some(source) if wanted(|a| a.manifest.feeds.sparkle) => {
                load_key(source, problems, SparkleKey::load)
            }
            _ => None,
        };
        let tauri = match &options.tauri_key {
            Some(source) if wanted(|a| a.manifest.feeds.tauri || serves_tauri(a)) => {
                let password = options.tauri_password.clone().unwrap_or_default();
                load_key(source, problems, |s| TauriKey::load(s, &password))
            }
            _ => None,
        };
        FeedKeys { sparkle, tauri }
    }

    /// The keys the hash pass signs with.
    pub fn signers(&self) -> Signers<'_> {
        Signers {
            sparkle: self.sparkle.as_ref(),
            tauri: self.tauri.as_ref(),
        }
    }
}

/// Whether the edge serves the app to installed Tauri apps (a toolsetlink `tauri_key`).
fn serves_tauri(app: &AppModel) -> bool {
    let t = app.manifest.protocols.toolsetlink.as_ref();
    t.is_some_and(|t| t.tauri_key.is_some())
}

/// Whether the edge serves the app to electron-updater (a toolsetlink `electron_key`).
fn serves_electron(app: &AppModel) -> bool {
    let t = app.manifest.protocols.toolsetlink.as_ref();
    t.is_some_and(|t| t.electron_key.is_some())
}

/// Whether electron-updater installs this file of the app: the app serves it (`feeds.electron`
/// or an `electron_key`) and the file fits its platform.
fn electron_installs(app: &AppModel, platform: Platform, name: &str) -> bool {
    (app.manifest.feeds.electron || serves_electron(app))
        && updater_files::electron_fits(platform, name)
}

/// The platform of an architecture of the app.
fn platform_of(app: &AppModel, arch: &ArchKey) -> Option<Platform> {
    let a = app.archs.iter().find(|a| &a.key == arch)?;
    Some(updater_files::arch_platform(&app.manifest, a))
}

/// Whether the Tauri updater installs this file of the app, as a bundle of this type: the
/// app serves it (`feeds.tauri` or a `tauri_key`) on a desktop platform.
fn tauri_bundle(
    app: &AppModel,
    platform: Platform,
    spec: &ArtifactSpec,
    name: &str,
) -> Option<Bundle> {
    let m = &app.manifest;
    if !(m.feeds.tauri || serves_tauri(app)) || updater_files::tauri_os(platform).is_none() {
        return None;
    }
    spec.bundle.or_else(|| Bundle::from_file_name(name))
}

/// What the hash pass computes of a local file of `release` for the updaters, so that the
/// feeds never read it: the SHA-512 of a file electron-updater installs ([`updater_facts`])
/// or of one whose manifest states it (checked by the electron feed), and the signatures the
/// build's keys make of a file whose manifest states none: Sparkle's of a macOS primary
/// archive of an app with the feed (it may be more than the appcasts list: every release's,
/// whatever its rollout), Tauri's of every Tauri bundle ([`updater_facts`]).
pub fn wants(app: &AppModel, release: &ReleaseModel, artifact: &ArtifactModel) -> Wants {
    let (Some(spec), Some(platform)) = (
        release.manifest.artifacts.get(artifact.index),
        platform_of(app, &artifact.arch),
    ) else {
        return Wants::default();
    };
    let name = artifact.name.as_str();
    Wants {
        sha512: electron_installs(app, platform, name) || spec.sha512.is_some(),
        sparkle: app.manifest.feeds.sparkle
            && platform == Platform::Macos
            && artifact.role == ArtifactRole::Primary
            && sparkle::fits(name)
            && spec.ed_signature.is_none(),
        tauri: artifact.signature.is_none() && tauri_bundle(app, platform, spec, name).is_some(),
    }
}

/// The base64 SHA-512 of a local file, as the hash pass computed it; `None` when the pass was
/// not asked for it ([`wants`] and its callers disagree: a bug, reported as a problem).
fn hashed_sha512(h: Option<&Hashed>) -> Option<String> {
    use base64::Engine as _;
    let d = h?.digests.sha512?;
    Some(base64::engine::general_purpose::STANDARD.encode(d.as_bytes()))
}

/// Adds to `releases` (the app's edge releases, in `app.releases` order) what the updaters
/// check a file with, computed once for the feeds and the edge: the base64 SHA-512 of every
/// file electron-updater installs (apps with `feeds.electron` or an `electron_key`), and the
/// Tauri bundle type and signature of every Tauri bundle (`feeds.tauri` or a `tauri_key`): the
/// stated one, else one made with the build's key. The electron feed and the Tauri feed read
/// them from there. Local files' digests come from the hash pass (`files`, by cache key): no
/// file is read here.
pub fn updater_facts(
    app: &AppModel,
    releases: &mut [EdgeRelease],
    keys: &FeedKeys,
    files: &BTreeMap<String, Hashed>,
    problems: &mut Problems,
) {
    let m = &app.manifest;
    if !(m.feeds.electron || serves_electron(app) || m.feeds.tauri || serves_tauri(app)) {
        return;
    }
    let platforms: BTreeMap<&ArchKey, Platform> = app
        .archs
        .iter()
        .map(|a| (&a.key, updater_files::arch_platform(m, a)))
        .collect();
    for (edge, model) in releases.iter_mut().zip(&app.releases) {
        let published = edge.release.published_at;
        for artifact in &mut edge.release.artifacts {
            let Some(&platform) = platforms.get(&artifact.arch) else {
                continue;
            };
            let Some(am) = model
                .artifacts
                .iter()
                .find(|a| a.name == artifact.name && a.arch == artifact.arch)
            else {
                continue;
            };
            let Some(spec) = model.manifest.artifacts.get(am.index) else {
                continue;
            };
            if electron_installs(app, platform, artifact.name.as_str()) {
                artifact.sha512 = match &am.source {
                    Source::Local { key, .. } => {
                        let s = hashed_sha512(files.get(key));
                        if s.is_none() {
                            problems.push(not_hashed(model, am, "SHA-512"));
                        }
                        s
                    }
                    // Checked (base64 of 64 bytes) by the electron feed where it lists the file.
                    Source::Remote { .. } => spec
                        .sha512
                        .as_deref()
                        .map(str::trim)
                        .filter(|s| electron::is_sha512_base64(s))
                        .map(str::to_owned),
                };
            }
            let Some(bundle) = tauri_bundle(app, platform, spec, artifact.name.as_str()) else {
                continue;
            };
            artifact.bundle = Some(bundle);
            artifact.signature = match (&am.signature, keys.tauri.as_ref(), &am.source) {
                // A stated signature that is not one is reported by the Tauri feed.
                (Some(sig), _, _) => keys::is_tauri_signature(sig).then(|| sig.clone()),
                (None, Some(key), Source::Local { key: file, .. }) => {
                    let trusted = format!(
                        "timestamp:{}\tfile:{}",
                        published.unix_seconds(),
                        artifact.name
                    );
                    match files.get(file).and_then(|h| h.signatures.tauri) {
                        Some(sig) => Some(key.signature(&sig, &trusted)),
                        None => {
                            problems.push(not_hashed(model, am, "Tauri signature"));
                            None
                        }
                    }
                }
                _ => None,
            };
        }
    }
}

/// The feed files of every public app that turns feeds on, with the keys [`FeedKeys::load`]
/// loaded and the releases [`updater_facts`] completed.
pub fn feed_files(
    derived: &Derived<'_>,
    keys: &FeedKeys,
    templates: &Templates,
    problems: &mut Problems,
) -> Vec<(String, Output)> {
    let mut out = Vec::new();
    let ctx = Ctx {
        base_url: derived.site.base_url.as_deref(),
        sparkle_key: keys.sparkle.as_ref(),
        tauri_key: keys.tauri.as_ref(),
        templates,
    };
    for app in &derived.apps {
        let Some(view) = AppView::new(app, derived.files, problems) else {
            continue;
        };
        // A stated sha512 is checked against its local file whether a feed lists it or not.
        for r in &view.releases {
            for f in r.files.iter().filter(|f| f.spec.sha512.is_some()) {
                let _ = electron::file_sha512(r, f, problems);
            }
        }
        let feeds = app.model.manifest.feeds;
        if feeds.sparkle {
            out.extend(sparkle::files(&view, &ctx, problems));
        }
        if feeds.electron {
            out.extend(electron::files(&view, problems));
        }
        if feeds.tauri {
            out.extend(tauri::files(&view, &ctx, problems));
        }
    }
    out
}

/// The problem of a local file whose digest the hash pass did not compute: [`wants`] missed
/// it. Not the user's to fix, but a build without it would ship a feed without the file.
fn not_hashed(model: &ReleaseModel, am: &ArtifactModel, what: &str) -> Problem {
    Problem::new(
        &model.file,
        format!("{}.file", am.field),
        format!("the {what} of the file was not computed (a bug in the generator)"),
    )
    .hint("report it; building with --no-cache does not help")
}

fn load_key<K>(
    source: &KeySource,
    problems: &mut Problems,
    load: impl FnOnce(&KeySource) -> Result<K, String>,
) -> Option<K> {
    match load(source) {
        Ok(k) => Some(k),
        Err(e) => {
            problems.push(
                Problem::new(source.label(), "", format!("the key {e}"))
                    .hint("see docs/feeds.md for the key formats the feeds accept"),
            );
            None
        }
    }
}

/// What every feed needs besides the app.
struct Ctx<'a> {
    base_url: Option<&'a str>,
    sparkle_key: Option<&'a SparkleKey>,
    tauri_key: Option<&'a TauriKey>,
    /// The template set (the appcast is rendered from one).
    templates: &'a Templates,
}

impl Ctx<'_> {
    /// `url` as an absolute URL: as it is, or under `base_url` for a site-relative one.
    fn absolute(&self, url: &str) -> Option<String> {
        if url.starts_with("https://") || url.starts_with("http://") {
            Some(url.to_owned())
        } else {
            self.base_url.map(|b| format!("{b}{url}"))
        }
    }
}

/// An app as the feeds see it: its enabled architectures and its ready releases.
struct AppView<'a> {
    app: &'a PublicApp<'a>,
    archs: BTreeMap<ArchKey, ArchView>,
    releases: Vec<FeedRelease<'a>>,
}

#[derive(Clone, Copy)]
struct ArchView {
    platform: Platform,
    cpu: Option<Cpu>,
}

/// A ready release of the app (yanked ones are never offered, drafts never published).
struct FeedRelease<'a> {
    release: &'a Release,
    model: &'a ReleaseModel,
    files: Vec<FeedFile<'a>>,
}

/// One file of a release, on an enabled architecture.
struct FeedFile<'a> {
    artifact: &'a Artifact,
    spec: &'a ArtifactSpec,
    model: &'a ArtifactModel,
    arch: ArchView,
    /// What the hash pass computed of it, when it is local.
    hashed: Option<&'a Hashed>,
}

impl<'a> AppView<'a> {
    fn new(
        app: &'a PublicApp<'a>,
        hashed: &'a BTreeMap<String, Hashed>,
        problems: &mut Problems,
    ) -> Option<AppView<'a>> {
        let m = &app.model.manifest;
        let before = problems.0.len();
        for (i, a) in m.architectures.iter().enumerate() {
            if !m.feeds.is_empty() && RESERVED_ARCHS.contains(&a.key.as_str()) {
                problems.push(
                    Problem::new(
                        &app.model.file,
                        format!("architectures[{i}].key"),
                        format!(
                            "`{}` is the name of a feed directory in apps with [feeds]",
                            a.key
                        ),
                    )
                    .hint("rename the architecture"),
                );
            }
        }
        if problems.0.len() > before {
            return None;
        }
        let archs = app
            .model
            .archs
            .iter()
            .filter(|a| a.enabled)
            .map(|a| {
                let view = ArchView {
                    platform: a.platform.unwrap_or(m.platform),
                    cpu: a.cpu.or_else(|| Cpu::from_key(a.key.as_str())),
                };
                (a.key.clone(), view)
            })
            .collect::<BTreeMap<_, _>>();
        let releases = app
            .releases
            .iter()
            .zip(&app.model.releases)
            .filter(|(r, _)| r.state == ReleaseState::Ready)
            .map(|(release, model)| {
                let files = release
                    .artifacts
                    .iter()
                    .filter_map(|artifact| {
                        let arch = *archs.get(&artifact.arch)?;
                        let am = model.artifacts.iter().find(|a| a.name == artifact.name)?;
                        let spec = model.manifest.artifacts.get(am.index)?;
                        let hashed = match &am.source {
                            Source::Local { key, .. } => hashed.get(key),
                            Source::Remote { .. } => None,
                        };
                        Some(FeedFile {
                            artifact,
                            spec,
                            model: am,
                            arch,
                            hashed,
                        })
                    })
                    .collect();
                FeedRelease {
                    release,
                    model,
                    files,
                }
            })
            .collect();
        Some(AppView {
            app,
            archs,
            releases,
        })
    }

    fn id(&self) -> &str {
        self.app.model.manifest.id.as_str()
    }

    /// A problem about one of the app's feeds.
    fn problem(&self, feed: &str, message: impl Into<String>) -> Problem {
        Problem::new(&self.app.model.file, format!("feeds.{feed}"), message)
    }

    /// The index of an architecture in the manifest, for problems about it.
    fn arch_field(&self, key: &ArchKey) -> String {
        self.app
            .model
            .manifest
            .architectures
            .iter()
            .position(|a| &a.key == key)
            .map_or_else(
                || "architectures".to_owned(),
                |i| format!("architectures[{i}].cpu"),
            )
    }
}

impl FeedRelease<'_> {
    /// The primary file for `arch`.
    fn primary(&self, arch: &ArchKey) -> Option<&FeedFile<'_>> {
        self.files
            .iter()
            .find(|f| f.artifact.role == ArtifactRole::Primary && &f.artifact.arch == arch)
    }
}

impl FeedFile<'_> {
    /// The file in the repository, when it is local.
    fn local_path(&self) -> Option<&Path> {
        match &self.model.source {
            Source::Local { path, .. } => Some(path),
            Source::Remote { .. } => None,
        }
    }

    /// The upgrade type on this file's architecture.
    fn upgrade(&self, release: &Release) -> UpgradeType {
        self.artifact.upgrade.unwrap_or(release.upgrade)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_urls_need_a_base_only_when_site_relative() {
        let templates = Templates::load(&Default::default(), &mut Problems::default())
            .expect("built-in templates");
        let ctx = Ctx {
            base_url: None,
            sparkle_key: None,
            tauri_key: None,
            templates: &templates,
        };
        assert_eq!(ctx.absolute("/artifacts/a"), None);
        assert_eq!(
            ctx.absolute("https://cdn.example.com/a").as_deref(),
            Some("https://cdn.example.com/a")
        );
        let ctx = Ctx {
            base_url: Some("https://u.example.com"),
            ..ctx
        };
        assert_eq!(
            ctx.absolute("/artifacts/a").as_deref(),
            Some("https://u.example.com/artifacts/a")
        );
    }
}
