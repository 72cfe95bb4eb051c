//! Pure planning: from the validated catalog and the artifact digests to the exact bytes of
//! every output file. Nothing here touches the disk; `emit` writes what this returns.

use crate::hash::Hashed;
use crate::problem::{Problem, Problems};
use crate::site_model::{
    ArtifactBytes, Derived, Output, PlanOptions, PublicApp, available, for_arch, json, latest_of,
};
use crate::validate::{AppModel, ArtifactModel, Catalog, ReleaseModel, Source};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use update_protocol::digest::Sha256Digest;
use update_protocol::index::{
    AppEntry, AppIndex, ArchEntry, Artifact, ArtifactRef, ChannelEntry, EdgeApp, EdgeLookup,
    EdgeRelease, HistoryFile, LatestFile, Release, SCHEMA_VERSION, SiteIndex, Snapshot,
    SnapshotEntry, ToolsetlinkRef, paths,
};
use update_protocol::manifest::{ArtifactRole, Visibility};

/// Every file the build writes, by site path.
#[derive(Debug, Default)]
pub struct Plan {
    /// Path → content.
    pub files: BTreeMap<String, Output>,
    /// Counts for the summary.
    pub counts: Counts,
}

/// What the plan contains.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Counts {
    /// Apps (public and private).
    pub apps: usize,
    /// Published releases (ready and yanked).
    pub releases: usize,
    /// Artifacts of published releases.
    pub artifacts: usize,
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// `.assetsignore` when `artifact_base_url` is set (gitignore syntax, as wrangler reads it):
/// the public artifacts directory at the site's root only. Never `_edge/artifacts/`: the
/// private files there are uploaded with the assets, the worker streams them (a private app's
/// files never go to the public bucket).
pub const ASSETS_IGNORE: &str = "/artifacts/\n";

/// Cache rules: content-addressed artifacts forever, index files briefly, the snapshot never
/// stale (it is what a mirror checks against).
const HEADERS: &str = "\
/artifacts/*
  Cache-Control: public, max-age=31536000, immutable
  X-Content-Type-Options: nosniff
/index.json
  Cache-Control: public, max-age=60, must-revalidate
/
  Cache-Control: public, max-age=60, must-revalidate
/index.html
  Cache-Control: public, max-age=60, must-revalidate
/style.css
  Cache-Control: public, max-age=300
/apps/*
  Cache-Control: public, max-age=60, must-revalidate
/apps/*/manifest.plist
  Content-Type: application/xml
/snapshot.json
  Cache-Control: no-cache
";

/// Builds the plan from the catalog and what the hash pass computed of its local files
/// (digests and the signatures `keys` made). Digest mismatches between a local file and what
/// its manifest states are reported as problems.
pub fn plan(
    catalog: &Catalog,
    hashed: &BTreeMap<String, Hashed>,
    keys: &crate::feeds::FeedKeys,
    options: &PlanOptions,
    problems: &mut Problems,
) -> Option<Plan> {
    let mut files: BTreeMap<String, Output> = BTreeMap::new();
    let mut lookup = EdgeLookup {
        schema_version: SCHEMA_VERSION,
        ..EdgeLookup::default()
    };
    let mut site_apps = Vec::new();
    let mut public_apps = Vec::new();
    let mut counts = Counts {
        apps: catalog.apps.len(),
        ..Counts::default()
    };
    let base = catalog.site.artifact_base_url.as_deref();

    // Apps are independent: plan them in parallel, then merge in catalog order.
    let planned: Vec<AppPlan> = catalog
        .apps
        .par_iter()
        .map(|app| plan_app(app, hashed, base))
        .collect();
    let mut edges = Vec::with_capacity(planned.len());
    let mut entries = Vec::with_capacity(planned.len());
    for (app, p) in catalog.apps.iter().zip(planned) {
        files.extend(p.files);
        lookup.artifacts.extend(p.artifacts);
        add_lookup(app, &mut lookup);
        counts.releases += p.releases;
        counts.artifacts += p.artifact_count;
        for problem in p.problems.0 {
            problems.push(problem);
        }
        edges.push(p.edge);
        entries.push(p.entry);
    }
    if !problems.is_empty() {
        return None;
    }
    // What the updaters check files with (sha512, Tauri signatures), once for the feeds and
    // the edge; the public index files above are written without it.
    let fact_problems: Vec<Problems> = catalog
        .apps
        .par_iter()
        .zip(edges.par_iter_mut())
        .map(|(app, edge)| {
            let mut p = Problems::default();
            crate::feeds::updater_facts(app, &mut edge.releases, keys, hashed, &mut p);
            p
        })
        .collect();
    for problem in fact_problems.into_iter().flat_map(|p| p.0) {
        problems.push(problem);
    }
    if !problems.is_empty() {
        return None;
    }
    for ((app, edge), entry) in catalog.apps.iter().zip(&edges).zip(entries) {
        if let Some(entry) = entry {
            site_apps.push(entry.clone());
            public_apps.push(PublicApp {
                model: app,
                entry,
                releases: edge.releases.iter().map(|r| r.release.clone()).collect(),
            });
        }
    }
    // Derived outputs (pages, feeds) read only the public model.
    let derived = Derived {
        site: &catalog.site,
        apps: public_apps,
        files: hashed,
        options,
    };
    files.extend(derived_files(&derived, keys, problems));
    if !problems.is_empty() {
        return None;
    }
    for edge in &edges {
        files.insert(paths::edge_app(&edge.app.id), Output::Bytes(json(edge)));
    }

    files.insert(paths::EDGE_LOOKUP.to_owned(), Output::Bytes(json(&lookup)));
    let index = SiteIndex {
        schema_version: SCHEMA_VERSION,
        title: catalog.site.title.clone(),
        apps: site_apps,
    };
    files.insert(paths::SITE_INDEX.to_owned(), Output::Bytes(json(&index)));
    files.insert(
        paths::HEADERS.to_owned(),
        Output::Bytes(HEADERS.as_bytes().to_vec()),
    );
    // The edge data is uploaded with the assets: the worker reads it through the assets binding
    // and refuses to serve it (`run_worker_first` for `/_*`, `//*` and `/*%*` in wrangler.toml).
    // With `artifact_base_url` the public artifacts are served from there, so `wrangler
    // deploy` leaves them out; the pattern is anchored (gitignore syntax) because an unanchored
    // `artifacts` also matches `_edge/artifacts/`, the private files the worker streams from
    // the assets binding.
    if base.is_some() {
        files.insert(
            paths::ASSETS_IGNORE.to_owned(),
            Output::Bytes(ASSETS_IGNORE.as_bytes().to_vec()),
        );
    }

    let snapshot = snapshot(&files);
    files.insert(paths::SNAPSHOT.to_owned(), Output::Bytes(json(&snapshot)));

    counts.files = files.len();
    counts.bytes = files.values().map(Output::size).sum();
    Some(Plan { files, counts })
}

/// The pages and feeds, derived from the public model, rendered with one template set (loaded
/// once, so that a problem in it is reported once). Each kind adds its files here.
fn derived_files(
    derived: &Derived<'_>,
    keys: &crate::feeds::FeedKeys,
    problems: &mut Problems,
) -> Vec<(String, Output)> {
    let templates = crate::templates::Templates::load(&derived.options.templates, problems);
    let mut files = crate::pages::files(derived, templates.as_ref(), problems);
    if let Some(t) = &templates {
        files.extend(crate::feeds::feed_files(derived, keys, t, problems));
    }
    files
}

/// One app's share of the plan.
struct AppPlan {
    files: Vec<(String, Output)>,
    artifacts: Vec<(String, ArtifactRef)>,
    entry: Option<AppEntry>,
    /// The edge data, written once `feeds::updater_facts` completed it.
    edge: EdgeApp,
    releases: usize,
    artifact_count: usize,
    problems: Problems,
}

fn plan_app(app: &AppModel, hashed: &BTreeMap<String, Hashed>, base: Option<&str>) -> AppPlan {
    let mut files = Vec::new();
    let mut artifact_refs = Vec::new();
    let mut artifact_count = 0;
    let mut problems = Problems::default();
    let mut releases: Vec<EdgeRelease> = Vec::with_capacity(app.releases.len());
    for r in &app.releases {
        let mut artifacts = Vec::with_capacity(r.artifacts.len());
        for a in &r.artifacts {
            let Some((artifact, output)) = resolve_artifact(app, r, a, hashed, base, &mut problems)
            else {
                continue;
            };
            files.extend(output);
            artifact_refs.push((
                artifact.id.clone(),
                ArtifactRef {
                    app: app.manifest.id.clone(),
                    url: artifact.url.clone(),
                    private: app.manifest.visibility == Visibility::Private,
                },
            ));
            artifacts.push(artifact);
        }
        artifact_count += artifacts.len();
        releases.push(edge_release(app, r, artifacts));
    }
    number_for_zealot(app, &mut releases);
    let mut entry = None;
    if app.manifest.visibility == Visibility::Public {
        let e = app_entry(app);
        let mut public = BTreeMap::new();
        public_files(app, &e, &releases, &mut public);
        files.extend(public);
        entry = Some(e);
    }
    let edge = EdgeApp {
        schema_version: SCHEMA_VERSION,
        app: app.manifest.clone(),
        default_channel: app.default_channel.clone(),
        default_arch: app.default_arch.clone(),
        releases,
    };
    AppPlan {
        files,
        artifacts: artifact_refs,
        entry,
        edge,
        releases: app.releases.len(),
        artifact_count,
        problems,
    }
}

/// Whether a path is a public file that mirrors copy (and the snapshot lists).
pub fn is_public(path: &str) -> bool {
    !(paths::is_edge(path)
        || path == paths::HEADERS
        || path == paths::ASSETS_IGNORE
        || path == paths::SNAPSHOT)
}

fn snapshot(files: &BTreeMap<String, Output>) -> Snapshot {
    let files = files
        .par_iter()
        .filter(|(p, _)| is_public(p))
        .map(|(p, o)| {
            let (size, sha256) = match o {
                Output::Bytes(b) => (b.len() as u64, sha256(b)),
                Output::Artifact { digests, .. } => (digests.size, digests.sha256),
            };
            (p.clone(), SnapshotEntry { size, sha256 })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    Snapshot {
        schema_version: SCHEMA_VERSION,
        files,
    }
}

fn sha256(b: &[u8]) -> Sha256Digest {
    Sha256Digest::from_bytes(Sha256::digest(b).into())
}

type Resolved = (Artifact, Option<(String, Output)>);

fn resolve_artifact(
    app: &AppModel,
    r: &ReleaseModel,
    a: &ArtifactModel,
    hashed: &BTreeMap<String, Hashed>,
    base: Option<&str>,
    problems: &mut Problems,
) -> Option<Resolved> {
    let id = artifact_id(app, r, a);
    let version = &r.manifest.version;
    match &a.source {
        Source::Remote { url } => {
            let (Some(sha256), Some(size)) = (a.expect.sha256, a.expect.size) else {
                return None; // reported by validation
            };
            let artifact = Artifact {
                id,
                arch: a.arch.clone(),
                role: a.role,
                name: a.name.clone(),
                size,
                sha256,
                md5: a.expect.md5,
                url: url.clone(),
                upgrade: a.upgrade,
                sha512: None,
                bundle: None,
                signature: None,
            };
            Some((artifact, None))
        }
        Source::Local { key, path } => {
            let Some(h) = hashed.get(key) else {
                problems.push(Problem::new(
                    &r.file,
                    format!("{}.file", a.field),
                    "file was not hashed",
                ));
                return None;
            };
            let d = h.digests;
            let mut bad = |what: &str, stated: String, actual: String| {
                problems.push(
                    Problem::new(
                        &r.file,
                        format!("{}.{what}", a.field),
                        format!("states {stated} but the file has {actual}"),
                    )
                    .hint(format!(
                        "remove `{what}` to take it from the file, or replace the file {key}"
                    )),
                );
            };
            if let Some(s) = a.expect.sha256.filter(|s| *s != d.sha256) {
                bad("sha256", s.to_hex(), d.sha256.to_hex());
            }
            if let Some(s) = a.expect.md5.filter(|s| *s != d.md5) {
                bad("md5", s.to_hex(), d.md5.to_hex());
            }
            if let Some(s) = a.expect.size.filter(|s| *s != d.size) {
                bad("size", s.to_string(), d.size.to_string());
            }
            let private = app.manifest.visibility == Visibility::Private;
            let site_path = if private {
                paths::private_artifact(&app.manifest.id, version, &d.sha256, &a.name)
            } else {
                paths::artifact(&app.manifest.id, version, &d.sha256, &a.name)
            };
            let url = match base {
                Some(b) if !private => format!("{b}/{site_path}"),
                _ => format!("/{site_path}"),
            };
            let from = match &h.copy {
                Some(c) => ArtifactBytes::Copied(c.clone()),
                None => ArtifactBytes::Original(path.clone()),
            };
            let artifact = Artifact {
                id,
                arch: a.arch.clone(),
                role: a.role,
                name: a.name.clone(),
                size: d.size,
                sha256: d.sha256,
                md5: Some(d.md5),
                url,
                upgrade: a.upgrade,
                sha512: None,
                bundle: None,
                signature: None,
            };
            Some((
                artifact,
                Some((site_path, Output::Artifact { from, digests: d })),
            ))
        }
    }
}

/// A stable id from what identifies the artifact in the catalog (not its bytes, so that
/// re-uploading a fixed build keeps ids of other artifacts unchanged).
fn artifact_id(app: &AppModel, r: &ReleaseModel, a: &ArtifactModel) -> String {
    let role = match a.role {
        ArtifactRole::Primary => "primary",
        ArtifactRole::Attachment => "attachment",
    };
    let text = format!(
        "{}\n{}\n{}\n{}\n{role}\n{}",
        app.manifest.id, r.channel, r.manifest.version, a.arch, a.name
    );
    sha256(text.as_bytes()).to_hex()[..24].to_owned()
}

fn edge_release(app: &AppModel, r: &ReleaseModel, artifacts: Vec<Artifact>) -> EdgeRelease {
    let m = &r.manifest;
    EdgeRelease {
        release: Release {
            version: m.version.clone(),
            version_code: m.version_code,
            build: m.build.clone(),
            release_type: m.release_type.clone(),
            channel: r.channel.clone(),
            published_at: m.published_at,
            state: m.state,
            rollout: m.rollout,
            upgrade: m.upgrade,
            changelog: m.changelog.entries(),
            notes: m.changelog.text(),
            git: m.git.clone(),
            custom_fields: m.custom_fields.clone(),
            artifacts,
        },
        release_id: format!("{}/{}/{}", app.manifest.id, r.channel, m.version),
        zealot_id: 0,
        zealot_version: 0,
        prompt: m.prompt.clone(),
        content: r.content.clone(),
    }
}

/// Zealot numbers releases in upload order: a global `id` and a per-channel `version`. Upload
/// order here is publication time (then the app's ordering), so the numbers are stable as long
/// as no release is published with a time before an existing one.
fn number_for_zealot(app: &AppModel, releases: &mut [EdgeRelease]) {
    // `releases` are newest first by the app's ordering; app.releases has the same order and
    // carries the sort keys.
    let mut order: Vec<usize> = (0..releases.len()).collect();
    order.sort_by(|&a, &b| {
        (releases[a].release.published_at, &app.releases[a].sort)
            .cmp(&(releases[b].release.published_at, &app.releases[b].sort))
    });
    let mut per_channel: BTreeMap<String, u32> = BTreeMap::new();
    for (n, &i) in order.iter().enumerate() {
        let r = &mut releases[i];
        r.zealot_id = u32::try_from(n + 1).unwrap_or(u32::MAX);
        let v = per_channel
            .entry(r.release.channel.to_string())
            .or_insert(0);
        *v += 1;
        r.zealot_version = *v;
    }
}

fn add_lookup(app: &AppModel, lookup: &mut EdgeLookup) {
    let id = &app.manifest.id;
    let p = &app.manifest.protocols;
    if let Some(a) = &p.hot_update {
        lookup.hot_update.insert(a.project_id.clone(), id.clone());
    }
    if let Some(b) = &p.zealot {
        lookup.zealot.insert(b.app_id, id.clone());
    }
    if let Some(c) = &p.license {
        lookup.license.insert(c.app_id.clone(), id.clone());
    }
    if let Some(d) = &p.toolsetlink {
        for (field, key) in d.keys() {
            lookup.toolsetlink.insert(
                key.to_owned(),
                ToolsetlinkRef {
                    app: id.clone(),
                    field: field.to_owned(),
                },
            );
        }
    }
    if let Some(e) = &p.tinyaii {
        lookup.tinyaii.insert(e.app_key.clone(), id.clone());
    }
}

fn app_entry(app: &AppModel) -> AppEntry {
    let m = &app.manifest;
    AppEntry {
        id: m.id.clone(),
        name: m.name.clone(),
        platform: m.platform,
        bundle_id: m.bundle_id.clone(),
        description: m.description.clone(),
        architectures: app
            .archs
            .iter()
            .filter(|a| a.enabled)
            .map(|a| ArchEntry {
                key: a.key.clone(),
                name: a.name.clone(),
                default: a.key == app.default_arch,
                platform: a.platform.unwrap_or(m.platform),
            })
            .collect(),
        channels: m
            .channels
            .iter()
            .map(|c| ChannelEntry {
                key: c.key.clone(),
                name: c.name.clone(),
                default: c.key == app.default_channel,
            })
            .collect(),
        index: paths::app_index(&m.id),
    }
}

fn public_files(
    app: &AppModel,
    entry: &AppEntry,
    releases: &[EdgeRelease],
    files: &mut BTreeMap<String, Output>,
) {
    let id = &app.manifest.id;
    let mut channels = BTreeMap::new();
    for ch in &app.manifest.channels {
        let in_channel: Vec<&Release> = releases
            .iter()
            .map(|r| &r.release)
            .filter(|r| r.channel == ch.key)
            .collect();
        let history = HistoryFile {
            schema_version: SCHEMA_VERSION,
            app: id.clone(),
            channel: ch.key.clone(),
            arch: None,
            releases: in_channel.iter().map(|r| (*r).clone()).collect(),
        };
        files.insert(
            paths::channel_history(id, &ch.key),
            Output::Bytes(json(&history)),
        );

        let mut per_arch = BTreeMap::new();
        for arch in app.archs.iter().filter(|a| a.enabled) {
            let views: Vec<Release> = in_channel
                .iter()
                .filter(|r| available(r, &arch.key, &app.default_arch))
                .map(|r| for_arch(r, &arch.key))
                .collect();
            let latest = latest_of(&views);
            let file = LatestFile {
                schema_version: SCHEMA_VERSION,
                app: id.clone(),
                channel: ch.key.clone(),
                arch: arch.key.clone(),
                latest: latest.clone(),
            };
            files.insert(
                paths::arch_latest(id, &ch.key, &arch.key),
                Output::Bytes(json(&file)),
            );
            let history = HistoryFile {
                schema_version: SCHEMA_VERSION,
                app: id.clone(),
                channel: ch.key.clone(),
                arch: Some(arch.key.clone()),
                releases: views,
            };
            files.insert(
                paths::arch_history(id, &ch.key, &arch.key),
                Output::Bytes(json(&history)),
            );
            per_arch.insert(arch.key.clone(), latest);
        }
        channels.insert(ch.key.clone(), per_arch);
    }
    let index = AppIndex {
        schema_version: SCHEMA_VERSION,
        app: entry.clone(),
        channels,
    };
    files.insert(paths::app_index(id), Output::Bytes(json(&index)));
}
