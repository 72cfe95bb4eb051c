//! The download portal: an HTML page for the site, each public app and each of its channels,
//! the QR codes of mobile downloads, and the iOS install manifests, rendered from the
//! templates (`templates.rs`). Private apps and drafts never reach here (see `site_model::Derived`).

mod qr;

use crate::problem::{Problem, Problems};
use crate::site_model::{Derived, Output, PublicApp, available, for_arch, latest_of};
use crate::templates::{APP_HTML, CHANNEL_HTML, INDEX_HTML, MANIFEST_PLIST, STYLE_CSS, Templates};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use update_protocol::index::{ArchEntry, Artifact, Release, percent_encode};
use update_protocol::manifest::{
    ArtifactRole, ChangelogEntry, GitInfo, Platform, ReleaseState, UpgradeType,
};
use update_protocol::names::{AppId, ArchKey, ChannelKey};

/// The site root page.
pub const INDEX_PAGE: &str = "index.html";
/// The style sheet every page links.
pub const STYLE_PATH: &str = "style.css";

/// An app's page.
pub fn app_page(app: &AppId) -> String {
    format!("apps/{app}/index.html")
}

/// A channel's page.
pub fn channel_page(app: &AppId, channel: &ChannelKey) -> String {
    format!("apps/{app}/{channel}/index.html")
}

/// The iOS install manifest of a release's `.ipa` for one architecture: a stable path per
/// release, next to the channel's page.
pub fn install_manifest(
    app: &AppId,
    channel: &ChannelKey,
    version: &str,
    arch: &ArchKey,
) -> String {
    format!("apps/{app}/{channel}/{version}/{arch}/manifest.plist")
}

/// Every page, QR code and install manifest, or nothing when a template fails (each failing
/// template is reported once, naming its file) or the set did not load (`None`, reported).
pub fn files(
    derived: &Derived<'_>,
    templates: Option<&Templates>,
    problems: &mut Problems,
) -> Vec<(String, Output)> {
    let before = problems.0.len();
    for app in &derived.apps {
        check_install_manifest_fields(app, problems);
    }
    let Some(templates) = templates.filter(|_| problems.0.len() == before) else {
        return Vec::new();
    };
    let site = SiteCtx {
        title: derived
            .site
            .title
            .clone()
            .unwrap_or_else(|| "Downloads".to_owned()),
        base_url: derived
            .site
            .base_url
            .as_deref()
            .map(|b| b.trim_end_matches('/').to_owned()),
    };
    if site.base_url.is_none() {
        let mobile: Vec<&str> = derived
            .apps
            .iter()
            .filter(|a| a.entry.architectures.iter().any(|x| is_mobile(x.platform)))
            .map(|a| a.entry.id.as_str())
            .collect();
        if !mobile.is_empty() {
            log::warn!(
                "site.toml has no base_url: the pages of {} carry no QR code of a file the site \
                 serves and no iOS install link, which need absolute URLs; set base_url to the \
                 site's public URL",
                mobile.join(", ")
            );
        }
    }
    let renderer = Renderer { templates, site };
    let (files, failed) = renderer.render_all(&derived.apps);
    if !failed.is_empty() {
        // The first failure of each template: the others are the same mistake.
        let mut first = BTreeMap::new();
        for (template, p) in failed {
            first.entry(template).or_insert(p);
        }
        for p in first.into_values() {
            problems.push(p);
        }
        return Vec::new();
    }
    files
}

/// An `.ipa` is installed over the air through a manifest that must name the app's bundle
/// identifier, so a public app that publishes one needs `bundle_id`.
fn check_install_manifest_fields(app: &PublicApp<'_>, problems: &mut Problems) {
    if app.entry.bundle_id.is_some() {
        return;
    }
    let ipa = app
        .releases
        .iter()
        .filter(|r| r.state == ReleaseState::Ready)
        .find_map(|r| r.artifacts.iter().find(|a| is_ipa(a)).map(|a| (r, a)));
    if let Some((r, a)) = ipa {
        problems.push(
            Problem::new(
                &app.model.file,
                "bundle_id",
                format!(
                    "release {} publishes `{}`, whose iOS install manifest needs the app's \
                     bundle identifier",
                    r.version, a.name
                ),
            )
            .hint("set bundle_id to the app's CFBundleIdentifier, e.g. \"com.example.app\""),
        );
    }
}

/// Whether builds for `platform` are installed from a phone, where a QR code helps.
fn is_mobile(platform: Platform) -> bool {
    matches!(
        platform,
        Platform::Android | Platform::Ios | Platform::Harmonyos
    )
}

fn is_ipa(a: &Artifact) -> bool {
    a.role == ArtifactRole::Primary
        && a.name
            .as_str()
            .rsplit_once('.')
            .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("ipa"))
}

/// `1.2 MiB`: binary units with one decimal, bytes as they are; a no-break space keeps the
/// number and its unit on one line.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes}\u{a0}B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1}\u{a0}{}", UNITS[unit])
}

/// `site` in every template.
#[derive(Serialize)]
struct SiteCtx {
    /// `site.toml` title, or `Downloads`.
    title: String,
    /// `site.toml` base_url without a trailing slash, or null.
    base_url: Option<String>,
}

#[derive(Serialize)]
struct Page<'a, T: Serialize> {
    site: &'a SiteCtx,
    /// Relative path from this page to the site root (`./`, `../../`), ending in `/`.
    root: String,
    /// This page's absolute URL, or null without base_url.
    page_url: Option<String>,
    #[serde(flatten)]
    data: &'a T,
}

#[derive(Serialize)]
struct IndexData {
    apps: Vec<AppCtx>,
}

#[derive(Serialize)]
struct AppData {
    app: AppCtx,
}

#[derive(Serialize)]
struct ChannelData<'a> {
    app: &'a AppCtx,
    channel: ChannelCtx,
}

#[derive(Serialize)]
struct AppCtx {
    id: String,
    name: String,
    platform: Platform,
    bundle_id: Option<String>,
    description: Option<String>,
    /// Link to the app's page, relative to the current page.
    href: String,
    /// Whether any architecture is a phone platform.
    mobile: bool,
    architectures: Vec<ArchCtx>,
    channels: Vec<ChannelCtx>,
}

#[derive(Serialize, Clone)]
struct ArchCtx {
    key: String,
    name: String,
    platform: Platform,
    default: bool,
    mobile: bool,
}

#[derive(Serialize)]
struct ChannelCtx {
    key: String,
    name: String,
    default: bool,
    href: String,
    /// The newest fully rolled-out ready release of any architecture, for summaries.
    latest_version: Option<String>,
    /// Per enabled architecture, in order: its latest release (as `latest.json` has it).
    latest: Vec<LatestCtx>,
    /// Every published release, newest first, all architectures: in `channel` of a channel
    /// page only (empty in `app.channels`).
    history: Vec<ReleaseCtx>,
}

#[derive(Serialize)]
struct LatestCtx {
    arch: ArchCtx,
    release: Option<ReleaseCtx>,
    qr: Option<QrCtx>,
}

#[derive(Serialize)]
struct QrCtx {
    /// `download` (the file's absolute URL) or `page` (the channel page, for iOS).
    kind: &'static str,
    /// What the code encodes.
    text: String,
    /// Inline SVG markup (render with `| safe`).
    svg: String,
}

#[derive(Serialize)]
struct ReleaseCtx {
    version: String,
    build: Option<String>,
    version_code: Option<i64>,
    release_type: Option<String>,
    published_at: String,
    date: String,
    state: ReleaseState,
    yanked: bool,
    rollout: u8,
    rolling_out: bool,
    upgrade: UpgradeType,
    changelog: Vec<ChangelogEntry>,
    notes: String,
    git: GitInfo,
    artifacts: Vec<ArtifactCtx>,
}

#[derive(Serialize)]
struct ArtifactCtx {
    arch: String,
    arch_name: String,
    role: ArtifactRole,
    name: String,
    size: u64,
    size_human: String,
    sha256: String,
    md5: Option<String>,
    /// The download link from the current page; null for a yanked release.
    href: Option<String>,
    /// The absolute download URL, or null (a site-relative file without base_url).
    url: Option<String>,
    install: Option<InstallCtx>,
}

#[derive(Serialize)]
struct InstallCtx {
    /// Link to the install manifest from the current page.
    manifest_href: String,
    /// Its absolute URL.
    manifest_url: String,
    /// `itms-services://?action=download-manifest&url=<manifest_url, percent-encoded>`.
    itms_url: String,
}

#[derive(Serialize)]
struct PlistCtx<'a> {
    site: &'a SiteCtx,
    title: &'a str,
    bundle_identifier: &'a str,
    bundle_version: &'a str,
    url: &'a str,
}

/// Renders with one template set and site; shared by the threads that render apps.
struct Renderer<'a> {
    templates: &'a Templates,
    site: SiteCtx,
}

/// A template's failure, reported once per template.
type Failure = (&'static str, Problem);

/// Files rendered, and the failures met.
type Rendered = (Vec<(String, Output)>, Vec<Failure>);

impl Renderer<'_> {
    /// The site index, then each app's pages in parallel (in catalog order in the output),
    /// then the style sheet; the failures of each template that failed.
    fn render_all(&self, apps: &[PublicApp<'_>]) -> Rendered {
        let mut files = Vec::new();
        let mut failed = Vec::new();
        let index = IndexData {
            apps: apps.iter().map(|a| self.app(a, "./")).collect(),
        };
        match self.page(INDEX_HTML, INDEX_PAGE, "./", &index) {
            Ok(f) => files.push(f),
            Err(e) => failed.push(e),
        }
        let per_app: Vec<Rendered> = apps.par_iter().map(|a| self.app_files(a)).collect();
        for (f, e) in per_app {
            files.extend(f);
            failed.extend(e);
        }
        files.push((
            STYLE_PATH.to_owned(),
            Output::Bytes(self.templates.static_file(STYLE_CSS).as_bytes().to_vec()),
        ));
        (files, failed)
    }

    /// One app's page, its channels' pages and its install manifests. A template that fails
    /// once is not rendered again for this app.
    fn app_files(&self, app: &PublicApp<'_>) -> Rendered {
        let mut files = Vec::new();
        let mut failed: Vec<Failure> = Vec::new();
        let id = &app.entry.id;
        let root = "../../";
        let data = AppData {
            app: self.app(app, root),
        };
        match self.page(APP_HTML, &app_page(id), root, &data) {
            Ok(f) => files.push(f),
            Err(e) => failed.push(e),
        }
        let root = "../../../";
        let app_ctx = self.app(app, root);
        for ch in &app.entry.channels {
            let data = ChannelData {
                app: &app_ctx,
                channel: self.channel(app, &ch.key, root, true),
            };
            match self.page(CHANNEL_HTML, &channel_page(id, &ch.key), root, &data) {
                Ok(f) => files.push(f),
                Err(e) => {
                    failed.push(e);
                    break;
                }
            }
        }
        match self.install_manifests(app) {
            Ok(f) => files.extend(f),
            Err(e) => failed.push(e),
        }
        (files, failed)
    }

    fn page<T: Serialize>(
        &self,
        template: &'static str,
        path: &str,
        root: &str,
        data: &T,
    ) -> Result<(String, Output), Failure> {
        let dir = path.trim_end_matches("index.html");
        let page = Page {
            site: &self.site,
            root: root.to_owned(),
            page_url: self.absolute(&format!("/{dir}")),
            data,
        };
        match self.templates.render(template, &page) {
            Ok(html) => Ok((path.to_owned(), Output::Bytes(html.into_bytes()))),
            Err(p) => Err((template, p)),
        }
    }

    fn install_manifests(&self, app: &PublicApp<'_>) -> Result<Vec<(String, Output)>, Failure> {
        let mut files = Vec::new();
        let Some(bundle_id) = app.entry.bundle_id.as_deref() else {
            return Ok(files);
        };
        for r in app
            .releases
            .iter()
            .filter(|r| r.state == ReleaseState::Ready)
        {
            for a in r.artifacts.iter().filter(|a| is_ipa(a)) {
                let Some(url) = self.artifact_url(a) else {
                    continue;
                };
                if self.site.base_url.is_none() {
                    continue;
                }
                let ctx = PlistCtx {
                    site: &self.site,
                    title: &app.entry.name,
                    bundle_identifier: bundle_id,
                    bundle_version: &r.version,
                    url: &url,
                };
                let text = self
                    .templates
                    .render(MANIFEST_PLIST, &ctx)
                    .map_err(|p| (MANIFEST_PLIST, p))?;
                let path = install_manifest(&app.entry.id, &r.channel, &r.version, &a.arch);
                files.push((path, Output::Bytes(text.into_bytes())));
            }
        }
        Ok(files)
    }

    /// `path` (site-absolute, `/…`) under base_url.
    fn absolute(&self, path: &str) -> Option<String> {
        self.site.base_url.as_ref().map(|b| format!("{b}{path}"))
    }

    fn artifact_url(&self, a: &Artifact) -> Option<String> {
        if a.url.starts_with('/') {
            self.absolute(&a.url)
        } else {
            Some(a.url.clone())
        }
    }

    fn app(&self, app: &PublicApp<'_>, root: &str) -> AppCtx {
        let e = &app.entry;
        AppCtx {
            id: e.id.to_string(),
            name: e.name.clone(),
            platform: e.platform,
            bundle_id: e.bundle_id.clone(),
            description: e.description.clone(),
            href: format!("{root}apps/{}/", e.id),
            mobile: e.architectures.iter().any(|a| is_mobile(a.platform)),
            architectures: archs(app),
            channels: e
                .channels
                .iter()
                .map(|c| self.channel(app, &c.key, root, false))
                .collect(),
        }
    }

    /// A channel; its `history` only when asked (its own page), as it is the bulk of a page.
    fn channel(
        &self,
        app: &PublicApp<'_>,
        key: &ChannelKey,
        root: &str,
        with_history: bool,
    ) -> ChannelCtx {
        let e = &app.entry;
        let entry = e.channels.iter().find(|c| &c.key == key);
        let in_channel: Vec<&Release> = app.releases.iter().filter(|r| &r.channel == key).collect();
        let default_arch = &app.model.default_arch;
        let page_path = format!("/apps/{}/{key}/", e.id);
        let latest = e
            .architectures
            .iter()
            .map(|entry| {
                let arch = arch_ctx(entry);
                let views: Vec<Release> = in_channel
                    .iter()
                    .filter(|r| available(r, &entry.key, default_arch))
                    .map(|r| for_arch(r, &entry.key))
                    .collect();
                let release = latest_of(&views).latest;
                let qr = release.as_ref().and_then(|r| {
                    if !arch.mobile {
                        return None;
                    }
                    let (kind, text) = if arch.platform == Platform::Ios {
                        ("page", self.absolute(&page_path)?)
                    } else {
                        let primary = r
                            .artifacts
                            .iter()
                            .find(|a| a.role == ArtifactRole::Primary)?;
                        ("download", self.artifact_url(primary)?)
                    };
                    Some(QrCtx {
                        kind,
                        svg: qr::svg(&text)?,
                        text,
                    })
                });
                LatestCtx {
                    release: release.as_ref().map(|r| self.release(app, r, root)),
                    arch,
                    qr,
                }
            })
            .collect();
        ChannelCtx {
            key: key.to_string(),
            name: entry.map_or_else(|| key.to_string(), |c| c.name.clone()),
            default: entry.is_some_and(|c| c.default),
            href: format!("{root}apps/{}/{key}/", e.id),
            latest_version: in_channel
                .iter()
                .find(|r| r.state == ReleaseState::Ready && r.rollout.is_full())
                .map(|r| r.version.clone()),
            latest,
            history: if with_history {
                in_channel
                    .iter()
                    .map(|r| self.release(app, r, root))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    fn release(&self, app: &PublicApp<'_>, r: &Release, root: &str) -> ReleaseCtx {
        let published_at = r.published_at.to_rfc3339();
        let yanked = r.state == ReleaseState::Yanked;
        let names: BTreeMap<&str, &str> = app
            .entry
            .architectures
            .iter()
            .map(|a| (a.key.as_str(), a.name.as_str()))
            .collect();
        let artifacts = r
            .artifacts
            .iter()
            .map(|a| {
                let url = self.artifact_url(a);
                let install = (!yanked && is_ipa(a) && app.entry.bundle_id.is_some())
                    .then(|| {
                        let path = install_manifest(&app.entry.id, &r.channel, &r.version, &a.arch);
                        let manifest_url = self.absolute(&format!("/{path}"))?;
                        url.as_ref()?;
                        Some(InstallCtx {
                            manifest_href: format!("{root}{path}"),
                            itms_url: format!(
                                "itms-services://?action=download-manifest&url={}",
                                percent_encode(&manifest_url)
                            ),
                            manifest_url,
                        })
                    })
                    .flatten();
                ArtifactCtx {
                    arch: a.arch.to_string(),
                    arch_name: names
                        .get(a.arch.as_str())
                        .map_or_else(|| a.arch.to_string(), |n| (*n).to_owned()),
                    role: a.role,
                    name: a.name.to_string(),
                    size: a.size,
                    size_human: human_size(a.size),
                    sha256: a.sha256.to_hex(),
                    md5: a.md5.map(|m| m.to_hex()),
                    href: (!yanked).then(|| match a.url.strip_prefix('/') {
                        Some(site_path) => format!("{root}{site_path}"),
                        None => a.url.clone(),
                    }),
                    url,
                    install,
                }
            })
            .collect();
        ReleaseCtx {
            version: r.version.clone(),
            build: r.build.clone(),
            version_code: r.version_code,
            release_type: r.release_type.clone(),
            date: published_at.get(..10).unwrap_or_default().to_owned(),
            published_at,
            state: r.state,
            yanked,
            rollout: r.rollout.percent(),
            rolling_out: r.state == ReleaseState::Ready && !r.rollout.is_full(),
            upgrade: r.upgrade,
            changelog: r.changelog.clone(),
            notes: r.notes.clone(),
            git: r.git.clone(),
            artifacts,
        }
    }
}

fn archs(app: &PublicApp<'_>) -> Vec<ArchCtx> {
    app.entry.architectures.iter().map(arch_ctx).collect()
}

fn arch_ctx(a: &ArchEntry) -> ArchCtx {
    ArchCtx {
        key: a.key.to_string(),
        name: a.name.clone(),
        platform: a.platform,
        default: a.default,
        mobile: is_mobile(a.platform),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        for (bytes, text) in [
            (0, "0 B"),
            (46, "46 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (123_456, "120.6 KiB"),
            (5 * 1024 * 1024, "5.0 MiB"),
            (3 * 1024 * 1024 * 1024, "3.0 GiB"),
        ] {
            assert_eq!(human_size(bytes), text.replace(' ', "\u{a0}"), "{bytes}");
        }
    }
}
