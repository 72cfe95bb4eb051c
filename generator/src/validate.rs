//! Cross-file validation: turns parsed manifests into a [`Catalog`] in which every reference
//! resolves (apps, channels, architectures, files), or reports every problem at once, each with
//! the file, the field and the fix.

use crate::load::{Input, Sourced, rel_path};
use crate::problem::{Problem, Problems};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use update_protocol::digest::{Md5Digest, Sha256Digest};
use update_protocol::manifest::{
    AppManifest, Architecture, ArtifactRole, ReleaseManifest, ReleaseState, SiteConfig,
    UpgradeType, Versioning,
};
use update_protocol::names::{AppId, ArchKey, ChannelKey, FileName, check_path_version};
use update_protocol::rules;
use update_protocol::time::Timestamp;
use update_protocol::version::{VersionKey, VersionScheme};

/// Everything the build needs, with every reference resolved.
#[derive(Debug)]
pub struct Catalog {
    /// Site settings.
    pub site: SiteConfig,
    /// Apps by id.
    pub apps: Vec<AppModel>,
}

/// A validated app.
#[derive(Debug)]
pub struct AppModel {
    /// Manifest file, relative to the root.
    pub file: String,
    /// The manifest.
    pub manifest: AppManifest,
    /// Architectures in order (`order`, then file order), with the implicit `default` one when
    /// the manifest declares none.
    pub archs: Vec<Architecture>,
    /// The architecture used when a client names none.
    pub default_arch: ArchKey,
    /// The default channel.
    pub default_channel: ChannelKey,
    /// Published releases (ready and yanked), newest first by the app's ordering.
    pub releases: Vec<ReleaseModel>,
}

/// A validated release.
#[derive(Debug)]
pub struct ReleaseModel {
    /// Manifest file, relative to the root.
    pub file: String,
    /// The manifest.
    pub manifest: ReleaseManifest,
    /// Resolved channel.
    pub channel: ChannelKey,
    /// `content` as a JSON object.
    pub content: Option<serde_json::Value>,
    /// Resolved artifacts.
    pub artifacts: Vec<ArtifactModel>,
    /// Position in the app's ordering.
    pub sort: SortKey,
}

/// Where a release sorts: by version (or version code), then publication time, then text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey {
    primary: Primary,
    published: Timestamp,
    version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Primary {
    Version(VersionKey),
    Code(i64),
}

/// A validated artifact.
#[derive(Debug, Clone)]
pub struct ArtifactModel {
    /// Field path, e.g. `artifacts[0]`.
    pub field: String,
    /// Architecture.
    pub arch: ArchKey,
    /// Role.
    pub role: ArtifactRole,
    /// Published file name.
    pub name: FileName,
    /// Per-architecture upgrade override.
    pub upgrade: Option<UpgradeType>,
    /// Where the bytes are.
    pub source: Source,
    /// Digests and size the manifest states (checked against a local file).
    pub expect: Expect,
    /// Position in the manifest's `artifacts` (for the feed fields).
    pub index: usize,
    /// Tauri signature, from `signature` or the text of `signature_file`.
    pub signature: Option<String>,
}

/// What the manifest says the file must be.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// SHA-256.
    pub sha256: Option<Sha256Digest>,
    /// MD5.
    pub md5: Option<Md5Digest>,
    /// Size.
    pub size: Option<u64>,
}

/// Where an artifact's bytes are.
#[derive(Debug, Clone)]
pub enum Source {
    /// A file in the repository: hashed and published by the generator.
    Local {
        /// Cache key: path relative to the root.
        key: String,
        /// Path on disk.
        path: PathBuf,
    },
    /// A file hosted elsewhere, with its stated digests.
    Remote {
        /// URL.
        url: String,
    },
}

/// What is valid but likely not what the publisher meant, each with the fix: a private app's
/// files that no route serves, and a private app's files at external URLs. Private files are
/// reachable only through the signed links of the A, B, D (file keys) and E answers and C's
/// license-checked route (`docs/protocols.md`, "Private apps").
pub fn warnings(catalog: &Catalog) -> Vec<Problem> {
    use update_protocol::manifest::Visibility;
    let mut out = Vec::new();
    for app in &catalog.apps {
        let m = &app.manifest;
        let has_files = app.releases.iter().any(|r| !r.artifacts.is_empty());
        if m.visibility != Visibility::Private || !has_files {
            continue;
        }
        let p = &m.protocols;
        // Every toolsetlink key but `configurationKey` answers with a file.
        let toolsetlink_files = p.toolsetlink.as_ref().is_some_and(|t| {
            t.keys()
                .iter()
                .any(|(field, _)| *field != "configurationKey")
        });
        let served = p.hot_update.is_some()
            || p.zealot.is_some()
            || p.license.is_some()
            || p.tinyaii.is_some()
            || toolsetlink_files;
        if !served {
            out.push(
                Problem::new(
                    &app.file,
                    "protocols",
                    "no route serves this private app's files: they are published under _edge/ \
                     and reachable only through the answers of a protocol (feeds and pages are \
                     public, so a private app has none)",
                )
                .hint(
                    "add a [protocols.…] table that answers with files (hot_update, zealot, \
                     license, tinyaii, or toolsetlink with a file key), or make the app public",
                ),
            );
        }
        for r in &app.releases {
            for a in &r.artifacts {
                if let Source::Remote { url } = &a.source {
                    out.push(
                        Problem::new(
                            &r.file,
                            format!("{}.url", a.field),
                            format!(
                                "a private app's file at an external URL ({url}): anyone \
                                 holding the URL can download it and share it (A, B, D and E \
                                 answers carry signed links that redirect there, C gives it to \
                                 licensed clients as is)"
                            ),
                        )
                        .hint(
                            "put the file in the repository (`file = …`) so that only signed \
                             links reach it, or make the URL itself short-lived or access-controlled",
                        ),
                    );
                }
            }
        }
    }
    out.sort();
    out
}

/// Validates the input. Returns the catalog when there is no problem.
pub fn validate(input: Input, problems: &mut Problems) -> Option<Catalog> {
    let releases_root = input.root.join("releases");
    let mut apps: BTreeMap<AppId, AppModel> = BTreeMap::new();
    // Apps whose manifest has problems: their releases are not checked (that would only repeat
    // "unknown app" for each of them).
    let mut broken: BTreeSet<String> = BTreeSet::new();
    check_site(&input.site, problems);
    for app in input.apps {
        let id = app.value.id.to_string();
        if let Some(model) = check_app(app, problems) {
            if let Some(prev) = apps.get(&model.manifest.id) {
                problems.push(
                    Problem::new(
                        &model.file,
                        "id",
                        format!(
                            "app id `{}` is also used by {}",
                            model.manifest.id, prev.file
                        ),
                    )
                    .hint("give each app a unique id"),
                );
            } else {
                apps.insert(model.manifest.id.clone(), model);
            }
        } else {
            broken.insert(id);
        }
    }
    broken.extend(input.broken_apps);
    check_protocol_ids(&apps, problems);

    let mut seen: HashMap<(AppId, ChannelKey, String), String> = HashMap::new();
    let mut seen_key: BTreeMap<(AppId, ChannelKey, Primary), (String, String)> = BTreeMap::new();
    for rel in input.releases {
        let file = rel.rel.clone();
        let Some(app) = apps.get_mut(&rel.value.app) else {
            if broken.contains(rel.value.app.as_str()) {
                continue;
            }
            problems.push(
                Problem::new(&file, "app", format!("unknown app `{}`", rel.value.app))
                    .hint("create apps/<id>.toml for it, or fix the id"),
            );
            continue;
        };
        let Some(model) = check_release(rel, app, &input.root, &releases_root, problems) else {
            continue;
        };
        let m = &model.manifest;
        let dup = (
            app.manifest.id.clone(),
            model.channel.clone(),
            m.version.clone(),
        );
        if let Some(other) = seen.get(&dup) {
            problems.push(
                Problem::new(
                    &file,
                    "version",
                    format!(
                        "version `{}` of channel `{}` is also released by {other}",
                        m.version, model.channel
                    ),
                )
                .hint("bump the version, or delete one of the two manifests"),
            );
            continue;
        }
        seen.insert(dup, file.clone());
        let kdup = (
            app.manifest.id.clone(),
            model.channel.clone(),
            model.sort.primary.clone(),
        );
        if let Some((other, other_version)) = seen_key.get(&kdup) {
            let what = match app.manifest.versioning {
                Versioning::VersionCode => "version_code",
                _ => "version",
            };
            problems.push(
                Problem::new(&file, what, format!(
                    "`{}` ranks equal to `{other_version}` of {other} under the app's `{}` ordering",
                    m.version, app.manifest.versioning.as_str()
                ))
                .hint("each release of a channel must rank differently; bump it"),
            );
            continue;
        }
        seen_key.insert(kdup, (file.clone(), m.version.clone()));
        if let Some(code) = m.version_code {
            let ck = (
                app.manifest.id.clone(),
                model.channel.clone(),
                Primary::Code(code),
            );
            if app.manifest.versioning != Versioning::VersionCode {
                if let Some((other, _)) = seen_key.get(&ck) {
                    problems.push(
                        Problem::new(
                            &file,
                            "version_code",
                            format!("version code {code} is also used by {other}"),
                        )
                        .hint("version codes must be unique within a channel"),
                    );
                    continue;
                }
                seen_key.insert(ck, (file.clone(), m.version.clone()));
            }
        }
        if m.state != ReleaseState::Draft {
            app.releases.push(model);
        }
    }
    if !problems.is_empty() {
        return None;
    }
    let mut apps: Vec<AppModel> = apps.into_values().collect();
    for app in &mut apps {
        app.releases.sort_by(|a, b| b.sort.cmp(&a.sort));
    }
    Some(Catalog {
        site: input.site,
        apps,
    })
}

fn check_site(site: &SiteConfig, problems: &mut Problems) {
    for (field, v) in [
        ("base_url", &site.base_url),
        ("artifact_base_url", &site.artifact_base_url),
    ] {
        if let Some(url) = v.as_ref().filter(|u| !is_http_url(u) || u.ends_with('/')) {
            problems.push(
                Problem::new(
                    "site.toml",
                    field,
                    format!("`{url}` is not an http(s) URL without a trailing slash"),
                )
                .hint("write it like https://updates.example.com"),
            );
        }
    }
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > "https://".len()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn check_app(app: Sourced<AppManifest>, problems: &mut Problems) -> Option<AppModel> {
    let file = app.rel.clone();
    let m = app.value;
    let before = problems.0.len();
    let stem = app.path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if m.id.as_str() != stem {
        problems.push(
            Problem::new(
                &file,
                "id",
                format!("id `{}` does not match the file name `{stem}.toml`", m.id),
            )
            .hint(format!(
                "rename the file to apps/{}.toml or set id = \"{stem}\"",
                m.id
            )),
        );
    }
    if m.name.trim().is_empty() {
        problems
            .push(Problem::new(&file, "name", "name is empty").hint("give the app a display name"));
    }
    if m.visibility == update_protocol::manifest::Visibility::Private && !m.feeds.is_empty() {
        problems.push(
            Problem::new(&file, "feeds", "a private app has no public update feeds")
                .hint("remove [feeds], or make the app public (feeds are public files)"),
        );
    }
    // Channels.
    if m.channels.is_empty() {
        problems.push(
            Problem::new(&file, "channels", "no channel")
                .hint("add a [[channels]] table with key = \"stable\" and name = \"Stable\""),
        );
    }
    let mut keys = BTreeSet::new();
    for (i, c) in m.channels.iter().enumerate() {
        if !keys.insert(&c.key) {
            problems.push(
                Problem::new(
                    &file,
                    format!("channels[{i}].key"),
                    format!("channel `{}` is declared twice", c.key),
                )
                .hint("channel keys must be unique within an app"),
            );
        }
        if c.bundle_id != "*" && c.bundle_id.trim().is_empty() {
            problems.push(
                Problem::new(
                    &file,
                    format!("channels[{i}].bundle_id"),
                    "empty bundle-id rule",
                )
                .hint("use \"*\" to accept any bundle id"),
            );
        }
    }
    let defaults: Vec<_> = m.channels.iter().filter(|c| c.default).collect();
    if defaults.len() > 1 {
        problems.push(
            Problem::new(
                &file,
                "channels",
                format!("{} channels are marked default", defaults.len()),
            )
            .hint("mark at most one channel with default = true"),
        );
    }
    let default_channel = rules::default_channel(&m);

    // Architectures.
    let mut archs = m.architectures.clone();
    if archs.is_empty() {
        archs.push(Architecture {
            key: rules::default_arch_key(),
            name: "Default".to_owned(),
            default: true,
            order: 0,
            enabled: true,
            platform: None,
            cpu: None,
        });
    }
    let mut akeys = BTreeSet::new();
    for (i, a) in m.architectures.iter().enumerate() {
        if !akeys.insert(&a.key) {
            problems.push(
                Problem::new(
                    &file,
                    format!("architectures[{i}].key"),
                    format!("architecture `{}` is declared twice", a.key),
                )
                .hint("architecture keys must be unique within an app"),
            );
        }
    }
    if m.architectures.iter().filter(|a| a.default).count() > 1 {
        problems.push(
            Problem::new(
                &file,
                "architectures",
                "more than one architecture is marked default",
            )
            .hint("mark at most one architecture with default = true"),
        );
    }
    archs.sort_by_key(|a| a.order); // stable: ties keep file order
    let default_arch = rules::default_arch(&m);

    // Policy.
    if let Some(min) = &m.policy.min_version {
        for (scheme, why) in version_rules(&m) {
            if let Err(e) = scheme.validate(min) {
                problems.push(
                    Problem::new(&file, "policy.min_version", format!("{e} ({why})"))
                        .hint(format!("write it as {}", scheme.describe())),
                );
            }
        }
    }

    // The release-health rule.
    if let Some((field, why)) = m.health.as_ref().and_then(|h| h.problem()) {
        problems.push(
            Problem::new(&file, field, why)
                .hint("see docs/rollout-control.md, \"The health rule\""),
        );
    }

    // Protocol identifiers and their channels.
    let p = &m.protocols;
    let mut channel_refs = Vec::new();
    if let Some(a) = &p.hot_update {
        non_empty(
            &file,
            "protocols.hot_update.project_id",
            &a.project_id,
            problems,
        );
        channel_refs.push(("protocols.hot_update.channel", &a.channel));
    }
    if let Some(c) = &p.license {
        if AppId::new(c.app_id.as_str()).is_err() {
            problems.push(
                Problem::new(
                    &file,
                    "protocols.license.app_id",
                    format!("`{}` cannot be a URL path segment", c.app_id),
                )
                .hint("use letters, digits, '.', '_' and '-'"),
            );
        }
        channel_refs.push(("protocols.license.channel", &c.channel));
    }
    if let Some(d) = &p.toolsetlink {
        if d.keys().is_empty() {
            problems.push(
                Problem::new(&file, "protocols.toolsetlink", "no key")
                    .hint("set one of configuration_key, apk_key, url_key, file_key, win_key, mac_key, lnx_key, tauri_key, electron_key"),
            );
        }
        for (field, key) in d.keys() {
            non_empty(
                &file,
                &format!("protocols.toolsetlink.{field}"),
                key,
                problems,
            );
        }
        channel_refs.push(("protocols.toolsetlink.channel", &d.channel));
    }
    if let Some(e) = &p.tinyaii {
        non_empty(&file, "protocols.tinyaii.app_key", &e.app_key, problems);
        channel_refs.push(("protocols.tinyaii.channel", &e.channel));
    }
    for (field, ch) in channel_refs {
        let unknown = ch
            .as_ref()
            .filter(|ch| !m.channels.iter().any(|c| &c.key == *ch));
        if let Some(ch) = unknown {
            problems.push(
                Problem::new(&file, field, format!("unknown channel `{ch}`")).hint(format!(
                    "declare it under [[channels]] or use one of: {}",
                    list(m.channels.iter().map(|c| c.key.as_str()))
                )),
            );
        }
    }
    if problems.0.len() > before {
        return None;
    }
    Some(AppModel {
        file,
        default_channel: default_channel?,
        default_arch,
        archs,
        manifest: m,
        releases: Vec::new(),
    })
}

fn non_empty(file: &str, field: &str, v: &str, problems: &mut Problems) {
    if v.trim().is_empty() || v.len() > 128 {
        problems.push(
            Problem::new(file, field, "must be 1 to 128 characters")
                .hint("set the identifier clients send"),
        );
    }
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every ordering a version of this app must satisfy (its own, and that of each protocol that
/// serves it), each with what requires it.
fn version_rules(app: &AppManifest) -> Vec<(VersionScheme, String)> {
    let p = &app.protocols;
    let wanted = [
        (app.versioning.scheme(), "the app's versioning"),
        (
            p.hot_update.as_ref().map(|_| VersionScheme::HotUpdate),
            "protocols.hot_update",
        ),
        (
            p.zealot.as_ref().map(|_| VersionScheme::Zealot),
            "protocols.zealot",
        ),
        (
            p.license.as_ref().map(|_| VersionScheme::License),
            "protocols.license",
        ),
        (
            p.tinyaii.as_ref().map(|_| VersionScheme::Dotted),
            "protocols.tinyaii",
        ),
    ];
    let mut rules: Vec<(VersionScheme, Vec<&str>)> = Vec::new();
    for (scheme, why) in wanted {
        let Some(scheme) = scheme else { continue };
        match rules.iter_mut().find(|r| r.0 == scheme) {
            Some(r) => r.1.push(why),
            None => rules.push((scheme, vec![why])),
        }
    }
    rules
        .into_iter()
        .map(|(s, why)| (s, format!("required by {}", why.join(" and "))))
        .collect()
}

fn check_protocol_ids(apps: &BTreeMap<AppId, AppModel>, problems: &mut Problems) {
    let mut seen: HashMap<(&str, String), &str> = HashMap::new();
    for app in apps.values() {
        let p = &app.manifest.protocols;
        let mut ids: Vec<(&str, &str, String)> = Vec::new();
        if let Some(a) = &p.hot_update {
            ids.push((
                "hot_update",
                "protocols.hot_update.project_id",
                a.project_id.clone(),
            ));
        }
        if let Some(b) = &p.zealot {
            ids.push(("zealot", "protocols.zealot.app_id", b.app_id.to_string()));
        }
        if let Some(c) = &p.license {
            ids.push(("license", "protocols.license.app_id", c.app_id.clone()));
        }
        if let Some(d) = &p.toolsetlink {
            for (_, k) in d.keys() {
                ids.push(("toolsetlink", "protocols.toolsetlink", k.to_owned()));
            }
        }
        if let Some(e) = &p.tinyaii {
            ids.push(("tinyaii", "protocols.tinyaii.app_key", e.app_key.clone()));
        }
        for (proto, field, id) in ids {
            match seen.get(&(proto, id.clone())) {
                Some(other) if *other != app.file => problems.push(
                    Problem::new(&app.file, field, format!("`{id}` is also used by {other}"))
                        .hint("each app needs its own identifier in each protocol"),
                ),
                Some(_) => problems.push(
                    Problem::new(&app.file, field, format!("`{id}` is used twice"))
                        .hint("each key must be unique"),
                ),
                None => {
                    seen.insert((proto, id), &app.file);
                }
            }
        }
    }
}

fn check_release(
    rel: Sourced<ReleaseManifest>,
    app: &AppModel,
    root: &Path,
    releases_root: &Path,
    problems: &mut Problems,
) -> Option<ReleaseModel> {
    let file = rel.rel.clone();
    let m = rel.value;
    let am = &app.manifest;
    let before = problems.0.len();

    // The directory names the app: releases/<app>/...
    let dir_app = rel
        .path
        .strip_prefix(releases_root)
        .ok()
        .and_then(|p| p.components().next())
        .and_then(|c| c.as_os_str().to_str());
    if dir_app != Some(am.id.as_str()) || rel.path.parent() == Some(releases_root) {
        problems.push(
            Problem::new(
                &file,
                "app",
                format!("release of `{}` is not under releases/{}/", am.id, am.id),
            )
            .hint(format!("move the file into releases/{}/", am.id)),
        );
    }

    // Version.
    if let Err(e) = check_path_version(&m.version) {
        problems.push(Problem::new(&file, "version", e.to_string()).hint(
            "versions become path segments; use letters, digits, '.', '_', '+', '~' and '-'",
        ));
    }
    for (scheme, why) in version_rules(am) {
        if let Err(e) = scheme.validate(&m.version) {
            problems.push(
                Problem::new(&file, "version", format!("{e} ({why})"))
                    .hint(format!("write it as {}", scheme.describe())),
            );
        }
    }
    match m.version_code {
        Some(c) if c <= 0 => problems.push(
            Problem::new(
                &file,
                "version_code",
                format!("version code {c} is not positive"),
            )
            .hint("use a positive integer that grows with each release"),
        ),
        None if am.versioning == Versioning::VersionCode || am.protocols.toolsetlink.is_some() => {
            let why = if am.versioning == Versioning::VersionCode {
                "the app's versioning is version-code"
            } else {
                "protocols.toolsetlink orders releases by it"
            };
            problems.push(
                Problem::new(&file, "version_code", format!("missing ({why})"))
                    .hint("add version_code = <positive integer>"),
            );
        }
        _ => {}
    }

    // Channel.
    let channel = match &m.channel {
        Some(c) if am.channels.iter().any(|x| &x.key == c) => c.clone(),
        Some(c) => {
            problems.push(
                Problem::new(
                    &file,
                    "channel",
                    format!("unknown channel `{c}` for app `{}`", am.id),
                )
                .hint(format!(
                    "use one of: {}",
                    list(am.channels.iter().map(|c| c.key.as_str()))
                )),
            );
            app.default_channel.clone()
        }
        None => app.default_channel.clone(),
    };

    // Content.
    let content = match &m.content {
        None => None,
        Some(serde_json::Value::String(s)) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(v @ serde_json::Value::Object(_)) => Some(v),
            Ok(_) => {
                problems.push(
                    Problem::new(&file, "content", "the JSON text is not an object").hint(
                        "write a JSON object such as '{\"key\": 1}', or a TOML table [content]",
                    ),
                );
                None
            }
            Err(e) => {
                problems.push(
                    Problem::new(&file, "content", format!("not valid JSON: {e}"))
                        .hint("fix the JSON, or write the content as a TOML table [content]"),
                );
                None
            }
        },
        Some(v @ serde_json::Value::Object(_)) => Some(v.clone()),
        Some(_) => {
            problems.push(
                Problem::new(&file, "content", "must be a table or a JSON object text")
                    .hint("write [content] with keys, or content = '{\"key\": 1}'"),
            );
            None
        }
    };

    // Artifacts.
    let manifest_dir = rel.path.parent().unwrap_or(releases_root).to_owned();
    let mut artifacts = Vec::new();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, a) in m.artifacts.iter().enumerate() {
        let field = format!("artifacts[{i}]");
        let arch = match &a.arch {
            Some(k) if app.archs.iter().any(|x| &x.key == k) => k.clone(),
            Some(k) => {
                problems.push(
                    Problem::new(
                        &file,
                        format!("{field}.arch"),
                        format!("unknown architecture `{k}` for app `{}`", am.id),
                    )
                    .hint(format!(
                        "use one of: {}",
                        list(app.archs.iter().map(|a| a.key.as_str()))
                    )),
                );
                continue;
            }
            None => app.default_arch.clone(),
        };
        let (source, default_name) = match (&a.file, &a.url) {
            (Some(_), Some(_)) | (None, None) => {
                problems.push(
                    Problem::new(&file, field.clone(), "needs exactly one of `file` and `url`")
                        .hint("give `file` for a file in the repository, or `url` with `sha256` and `size`"),
                );
                continue;
            }
            (Some(f), None) => match resolve_local(f, &manifest_dir, releases_root) {
                Ok((written, real)) => {
                    // Named and cached as written; read and published from the resolved file,
                    // so that a symlink's target, not the link, lands in the site (issue 18).
                    let name = written
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("")
                        .to_owned();
                    (
                        Source::Local {
                            key: rel_path(root, &written),
                            path: real,
                        },
                        name,
                    )
                }
                Err((msg, hint)) => {
                    problems.push(Problem::new(&file, format!("{field}.file"), msg).hint(hint));
                    continue;
                }
            },
            (None, Some(url)) => {
                if !is_http_url(url) {
                    problems.push(
                        Problem::new(
                            &file,
                            format!("{field}.url"),
                            format!("`{url}` is not an http(s) URL"),
                        )
                        .hint("use an absolute https:// URL"),
                    );
                    continue;
                }
                for (f, missing) in [("sha256", a.sha256.is_none()), ("size", a.size.is_none())] {
                    if missing {
                        problems.push(
                            Problem::new(&file, format!("{field}.{f}"), "required with `url`")
                                .hint("an external file must state its sha256 and size so clients can check it"),
                        );
                    }
                }
                let name = url
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                (Source::Remote { url: url.clone() }, name)
            }
        };
        let name_text = a.name.clone().unwrap_or(default_name);
        let name = match FileName::new(name_text) {
            Ok(n) => n,
            Err(e) => {
                problems.push(
                    Problem::new(&file, format!("{field}.name"), e.to_string()).hint(
                        "set `name` to a file name of letters, digits, '.', '_', '+', '~' and '-'",
                    ),
                );
                continue;
            }
        };
        if let Some(j) = names.insert(name.as_str().to_owned(), i) {
            problems.push(
                Problem::new(
                    &file,
                    format!("{field}.name"),
                    format!("file name `{name}` is also used by artifacts[{j}]"),
                )
                .hint("give each file of a release its own name"),
            );
        }
        let signature = match (&a.signature, &a.signature_file) {
            (Some(_), Some(_)) => {
                problems.push(
                    Problem::new(
                        &file,
                        format!("{field}.signature_file"),
                        "give `signature` or `signature_file`, not both",
                    )
                    .hint("keep the one that holds the `.sig` of this file"),
                );
                continue;
            }
            (Some(text), None) => Some(text.trim().to_owned()),
            (None, Some(f)) => {
                match resolve_local(f, &manifest_dir, releases_root).and_then(|(_, p)| {
                    std::fs::read_to_string(&p).map_err(|e| {
                        (
                            format!("cannot read `{f}`: {e}"),
                            "point `signature_file` at the `.sig` file `tauri signer sign` wrote"
                                .to_owned(),
                        )
                    })
                }) {
                    Ok(text) => Some(text.trim().to_owned()),
                    Err((msg, hint)) => {
                        problems.push(
                            Problem::new(&file, format!("{field}.signature_file"), msg).hint(hint),
                        );
                        continue;
                    }
                }
            }
            (None, None) => None,
        };
        artifacts.push(ArtifactModel {
            index: i,
            signature,
            field,
            arch,
            role: a.role,
            name,
            upgrade: a.upgrade,
            source,
            expect: Expect {
                sha256: a.sha256,
                md5: a.md5,
                size: a.size,
            },
        });
    }
    // At most one primary artifact per architecture.
    let mut by_arch: BTreeMap<&ArchKey, Vec<&str>> = BTreeMap::new();
    for a in artifacts.iter().filter(|a| a.role == ArtifactRole::Primary) {
        by_arch.entry(&a.arch).or_default().push(&a.field);
    }
    for (arch, fields) in by_arch {
        if fields.len() > 1 {
            problems.push(
                Problem::new(
                    &file,
                    fields[1],
                    format!(
                        "a second primary artifact for architecture `{arch}` (first: {})",
                        fields[0]
                    ),
                )
                .hint("mark extra files role = \"attachment\""),
            );
        }
    }
    if m.artifacts.is_empty() && content.is_none() && m.content.is_none() {
        problems.push(
            Problem::new(
                &file,
                "artifacts",
                "the release has no artifact and no content",
            )
            .hint("add an [[artifacts]] table, or [content] for a configuration release"),
        );
    }

    if problems.0.len() > before {
        return None;
    }
    let primary = match am.versioning.scheme() {
        Some(s) => Primary::Version(s.key(&m.version).ok()?),
        None => Primary::Code(m.version_code?),
    };
    Some(ReleaseModel {
        file,
        sort: SortKey {
            primary,
            published: m.published_at,
            version: m.version.clone(),
        },
        channel,
        content,
        artifacts,
        manifest: m,
    })
}

/// Resolves a manifest-relative path and checks that it stays inside `releases/`, also after
/// following symlinks: the path as written and the regular file it resolves to. A symlink out
/// of `releases/` is refused, since it could publish any file the build can read (`~/.ssh`,
/// `keys/secrets.json`) into a public site.
fn resolve_local(
    f: &str,
    manifest_dir: &Path,
    releases_root: &Path,
) -> Result<(PathBuf, PathBuf), (String, String)> {
    let rel = Path::new(f);
    if f.is_empty()
        || rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
    {
        return Err((
            format!("`{f}` is not a relative path"),
            "give the path relative to this manifest's directory".to_owned(),
        ));
    }
    let mut joined = manifest_dir.to_owned();
    for c in rel.components() {
        match c {
            Component::ParentDir => {
                joined.pop();
            }
            Component::Normal(n) => joined.push(n),
            _ => {}
        }
    }
    let escapes = || {
        (
            format!("`{f}` points outside the releases directory"),
            "keep artifact files inside releases/ (the path is relative to this manifest)"
                .to_owned(),
        )
    };
    if !joined.starts_with(releases_root) {
        return Err(escapes());
    }
    let real = match std::fs::canonicalize(&joined) {
        Ok(p) => p,
        Err(_) => {
            return Err((
                format!("file `{f}` does not exist"),
                format!(
                    "expected it at {}; the path is relative to this manifest",
                    joined.display()
                ),
            ));
        }
    };
    let real_root =
        std::fs::canonicalize(releases_root).unwrap_or_else(|_| releases_root.to_owned());
    if !real.starts_with(&real_root) {
        return Err((
            format!(
                "`{f}` is a symlink to {}, outside the releases directory",
                real.display()
            ),
            "copy the file into releases/ instead (a link out of it could publish any file \
             the build can read, keys included)"
                .to_owned(),
        ));
    }
    if !real.is_file() {
        return Err((
            format!("`{f}` is not a regular file"),
            "point `file` at the artifact itself".to_owned(),
        ));
    }
    Ok((joined, real))
}
