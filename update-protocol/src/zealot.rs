//! Protocol B (Zealot): the read routes of Zealot's API (`GET /api/apps`, `/api/apps/:id`,
//! `/api/apps/versions`, `/api/apps/latest`, `/api/apps/version_exist`), answering with the
//! objects Zealot's serializers render and its `{"error": …}` bodies
//! (`shared/spec/seed-protocols.md`, section B; `docs/protocol-b.md` lists every decision).
//!
//! `crate::serve::zealot` parses the query ([`Query`]), fetches the credential record by the
//! sha256 of `token` or `channel_key`, authorizes it ([`authorize_token`],
//! [`authorize_channel_key`]), loads the app(s) and calls one function per route (the rules,
//! here; the wire types in `wire`, re-exported). Only releases that are ready and fully
//! rolled out appear: Zealot clients send no device id, so a staged release would otherwise
//! reach every device at once.

use crate::index::{Artifact, EdgeApp, EdgeLookup, EdgeRelease, percent_encode};
use crate::keys::{KeyKind, KeyRecord, KeyStatus};
use crate::links::Links;
use crate::manifest::{Architecture, ArtifactRole, Channel, Platform, ReleaseState};
use crate::names::{AppId, ChannelKey};
use crate::rollout;
use crate::time::Timestamp;
use crate::version::{VersionKey, VersionScheme};
use sha2::{Digest, Sha256};
use std::cmp::Reverse;
use std::collections::BTreeMap;

mod wire;
pub use wire::*;

/// `Cache-Control` of every Zealot API answer, errors included (`Api::BaseController`).
pub const CACHE_CONTROL: &str = "no-cache, no-store, max-age=0, must-revalidate";

/// The scheme of channels that name none (the manifest's documented default).
pub const DEFAULT_SCHEME: &str = "Release";

/// Scheme and channel ids are `app_id * IDS_PER_APP + position` (1-based, declaration order),
/// so they stay the same from build to build as long as channels are only appended.
pub const IDS_PER_APP: u64 = 1000;

/// `per_page` when the query has none (the controller's default, not the docs' 25).
const DEFAULT_PER_PAGE: i64 = 10;
/// `Release.paginates_per`: kaminari falls back to it for a negative `per_page`.
const PAGINATES_PER: i64 = 50;
/// `Release.max_paginates_per`.
const MAX_PER_PAGE: i64 = 100;
/// `Channel#release_versions` keeps this many distinct release versions.
const NEWEST_VERSIONS: usize = 10;
/// Zealot compares release and build versions with `VersionCompare`.
const ORDER: VersionScheme = VersionScheme::Zealot;

/// The request's parameters, decoded. A repeated name keeps its last value, as Rack does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(BTreeMap<String, String>);

impl Query {
    /// From decoded pairs, e.g. `Url::query_pairs()`.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Query {
        Query(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// A parameter, empty or not.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A parameter that is not blank (Rails' `present?`).
    fn present(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// The user token to look up; `None` (nothing to fetch) when absent or empty.
    pub fn token(&self) -> Option<&str> {
        self.get("token").filter(|t| !t.is_empty())
    }

    /// The channel key to look up; `None` when absent or empty.
    pub fn channel_key(&self) -> Option<&str> {
        self.get("channel_key").filter(|k| !k.is_empty())
    }
}

/// The apps a valid user token may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant<'a> {
    /// Every app (a token with no apps: Zealot's admin or developer).
    All,
    /// Only these (Zealot's collaborator apps).
    Apps(&'a [AppId]),
}

impl Grant<'_> {
    /// Whether the token sees `app`.
    pub fn allows(&self, app: &AppId) -> bool {
        match self {
            Grant::All => true,
            Grant::Apps(apps) => apps.contains(app),
        }
    }
}

fn usable(r: &KeyRecord, kind: KeyKind, now: Timestamp) -> bool {
    r.kind == kind && r.status == KeyStatus::Active && !r.is_expired(now)
}

/// Checks the record found for `token` (`None` when absent or unknown).
///
/// # Errors
/// [`Error::UnauthorizedToken`] unless it is an active, unexpired Zealot token.
pub fn authorize_token(record: Option<&KeyRecord>, now: Timestamp) -> Result<Grant<'_>, Error> {
    match record {
        Some(r) if usable(r, KeyKind::ZealotToken, now) => Ok(if r.apps.is_empty() {
            Grant::All
        } else {
            Grant::Apps(&r.apps)
        }),
        _ => Err(Error::UnauthorizedToken),
    }
}

/// Checks the record found for `channel_key` and returns the app to load and its channel.
///
/// # Errors
/// [`Error::UnauthorizedChannelKey`] unless it is an active, unexpired channel key naming
/// exactly one app and a channel.
pub fn authorize_channel_key(
    record: Option<&KeyRecord>,
    now: Timestamp,
) -> Result<(&AppId, &ChannelKey), Error> {
    match record {
        Some(r) if usable(r, KeyKind::ChannelKey, now) => match (r.apps.as_slice(), &r.channel) {
            ([app], Some(channel)) => Ok((app, channel)),
            _ => Err(Error::UnauthorizedChannelKey),
        },
        _ => Err(Error::UnauthorizedChannelKey),
    }
}

/// `GET /api/apps`: the apps to load, by Zealot app id. `scope=archived` lists none (nothing is
/// archived here); `all`, `active` and anything else list every granted app.
pub fn visible_apps<'l>(lookup: &'l EdgeLookup, grant: Grant<'_>, query: &Query) -> Vec<&'l AppId> {
    if query.get("scope") == Some("archived") {
        return Vec::new();
    }
    lookup.zealot.values().filter(|a| grant.allows(a)).collect()
}

/// `GET /api/apps/:id`: the app to load.
///
/// # Errors
/// [`Error::AppNotFound`] for an id that is not digits or names no app (checked first, as
/// `App.find` runs before Pundit), then [`Error::Forbidden`] when the token does not grant it.
pub fn find_app<'l>(
    lookup: &'l EdgeLookup,
    grant: Grant<'_>,
    id: &str,
) -> Result<&'l AppId, Error> {
    let app = Some(id)
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u32>().ok())
        .and_then(|n| lookup.zealot.get(&n))
        .ok_or_else(|| Error::AppNotFound(id.to_owned()))?;
    if grant.allows(app) {
        Ok(app)
    } else {
        Err(Error::Forbidden)
    }
}

/// The Zealot slug of a channel: the manifest's, or the first five of the base64 alphabet's
/// alphanumerics taken from sha256(`<app>/<channel key>`), so it never changes between builds.
pub fn channel_slug(app: &AppId, channel: &Channel) -> String {
    if let Some(s) = &channel.slug {
        return s.clone();
    }
    const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    Sha256::digest(format!("{app}/{}", channel.key).as_bytes())
        .iter()
        .filter_map(|b| ALNUM.get(usize::from(b & 63)))
        .take(5)
        .map(|&c| char::from(c))
        .collect()
}

/// Zealot `build_version`: the build, else the version code, else the version.
pub fn build_version(r: &crate::index::Release) -> String {
    r.build
        .clone()
        .or_else(|| r.version_code.map(|c| c.to_string()))
        .unwrap_or_else(|| r.version.clone())
}

fn scheme_name(c: &Channel) -> &str {
    c.scheme.as_deref().unwrap_or(DEFAULT_SCHEME)
}

fn scheme_names(app: &EdgeApp) -> Vec<&str> {
    let mut names = Vec::new();
    for c in &app.app.channels {
        if !names.contains(&scheme_name(c)) {
            names.push(scheme_name(c));
        }
    }
    names
}

fn numeric_id(app: u32, index: usize) -> u64 {
    let n = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
    u64::from(app).saturating_mul(IDS_PER_APP).saturating_add(n)
}

fn zealot_app_id(app: &EdgeApp) -> Option<u32> {
    app.app.protocols.zealot.as_ref().map(|z| z.app_id)
}

fn scheme_object(app_id: u32, index: usize, name: &str) -> SchemeObject {
    SchemeObject {
        id: numeric_id(app_id, index),
        name: name.to_owned(),
        new_build_callout: true,
        retained_builds: 0,
        channels: None,
    }
}

/// The app object of `/api/apps` and `/api/apps/:id`.
///
/// # Errors
/// [`Error::Internal`] when the app has no `protocols.zealot` (the lookup and the app's data
/// disagree).
pub fn app_object(app: &EdgeApp, keys: Option<&ChannelKeys>) -> Result<AppObject, Error> {
    let app_id = zealot_app_id(app).ok_or(Error::Internal)?;
    let schemes = scheme_names(app)
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let channels = app.app.channels.iter().enumerate();
            let channels = channels
                .filter(|(_, c)| scheme_name(c) == name)
                .map(|(j, c)| ChannelObject {
                    id: numeric_id(app_id, j),
                    slug: channel_slug(&app.app.id, c),
                    name: c.name.clone(),
                    device_type: app.app.platform.as_str(),
                    bundle_id: c.bundle_id.clone(),
                    git_url: c.git_url.clone(),
                    has_password: false,
                    key: keys.and_then(|k| k.get(&c.key)).cloned(),
                    download_filename_type: "version_datetime",
                })
                .collect();
            SchemeObject {
                channels: Some(channels),
                ..scheme_object(app_id, i, name)
            }
        })
        .collect();
    Ok(AppObject {
        id: app_id,
        name: app.app.name.clone(),
        archived: false,
        schemes,
    })
}

/// `GET /api/apps`: the loaded apps as objects, skipping any not served by Zealot; `keys`
/// are the channel keys of every app (`EDGE_SECRETS.zealot_channel_keys`).
pub fn list_apps<'a>(
    apps: impl IntoIterator<Item = &'a EdgeApp>,
    keys: &BTreeMap<AppId, ChannelKeys>,
) -> Vec<AppObject> {
    apps.into_iter()
        .filter_map(|a| app_object(a, keys.get(&a.app.id)).ok())
        .collect()
}

/// One app's channel keys in clear: channel → key.
pub type ChannelKeys = BTreeMap<ChannelKey, String>;

/// Site path of a release's install manifest (the iOS `itms-services` target), served by the
/// worker: `/api/apps/<app id>/releases/<release id>/install`. Zealot's own is
/// `/channels/:slug/releases/:id/install`; ours names the app, since release ids are per app.
pub fn install_path(app_id: u32, release_id: u32) -> String {
    format!("/api/apps/{app_id}/releases/{release_id}/install")
}

/// A channel and what every release object of it repeats.
struct Ctx<'a> {
    app: &'a EdgeApp,
    app_id: u32,
    channel: &'a Channel,
    scheme: SchemeObject,
    app_name: String,
    archs: Vec<&'a Architecture>,
}

fn context<'a>(app: &'a EdgeApp, key: &ChannelKey) -> Result<Ctx<'a>, Error> {
    let app_id = zealot_app_id(app).ok_or(Error::UnauthorizedChannelKey)?;
    let channel = app
        .app
        .channels
        .iter()
        .find(|c| &c.key == key)
        .ok_or(Error::UnauthorizedChannelKey)?;
    let name = scheme_name(channel);
    let index = scheme_names(app)
        .iter()
        .position(|n| *n == name)
        .unwrap_or(0);
    let archs = app.ordered_archs();
    Ok(Ctx {
        app,
        app_id,
        channel,
        scheme: scheme_object(app_id, index, name),
        app_name: format!("{} {name} {}", app.app.name, channel.name),
        archs,
    })
}

impl<'a> Ctx<'a> {
    fn bundle(&self) -> Option<&'a str> {
        self.app.app.bundle_id.as_deref()
    }

    /// Every published release of the channel, yanked and staged ones too.
    fn all(&self) -> impl Iterator<Item = &'a EdgeRelease> + use<'a, '_> {
        let key = &self.channel.key;
        self.app
            .releases
            .iter()
            .filter(move |r| &r.release.channel == key)
    }

    /// The releases the routes show: ready and fully rolled out, newest (highest id) first.
    fn listed(&self) -> Vec<&'a EdgeRelease> {
        let mut v: Vec<_> = self.all().filter(|r| rollout::offered(r, None)).collect();
        v.sort_by_key(|r| Reverse(r.zealot_id));
        v
    }

    fn arch(&self, key: &str) -> Option<&'a Architecture> {
        self.archs.iter().copied().find(|a| a.key.as_str() == key)
    }

    /// The default architecture's primary artifact, else the first in architecture order.
    fn primary(&self, r: &'a EdgeRelease) -> Option<&'a Artifact> {
        r.release
            .artifacts
            .iter()
            .filter(|a| a.role == ArtifactRole::Primary)
            .filter(|a| self.arch(a.arch.as_str()).is_none_or(|x| x.enabled))
            .min_by_key(|a| {
                let pos = self.archs.iter().position(|x| x.key == a.arch);
                (a.arch != self.app.default_arch, pos.unwrap_or(usize::MAX))
            })
    }

    fn release(&self, r: &'a EdgeRelease, links: &Links) -> Result<ReleaseObject, Error> {
        let rel = &r.release;
        let primary = self.primary(r);
        let platform = self.platform(primary);
        let text = rel.changelog.iter().map(|e| format!("- {}", e.message));
        Ok(ReleaseObject {
            id: r.zealot_id,
            version: r.zealot_version,
            app_name: self.app_name.clone(),
            bundle_id: self.bundle().map(str::to_owned),
            release_version: rel.version.clone(),
            build_version: build_version(rel),
            source: "api",
            branch: rel.git.branch.clone(),
            git_commit: rel.git.commit.clone(),
            ci_url: rel.git.ci_url.clone(),
            size: primary.map(|a| a.size),
            platform: display(platform),
            device_type: display(platform),
            icon_url: None,
            install_url: primary
                .filter(|_| rel.state != ReleaseState::Yanked)
                .map(|a| self.install_url(r, a, platform, links))
                .transpose()?,
            changelog: rel.changelog.clone(),
            text_changelog: text.collect::<Vec<_>>().join("\n"),
            custom_fields: rel.custom_fields.clone(),
            created_at: rel.published_at.to_iso_millis(),
        })
    }

    /// The iOS install link when the release can be installed over the air (an iOS build of
    /// an app with a bundle id), else the file itself. A private app's install manifest is
    /// reached by a signed route link, and its plist names a signed download link.
    fn install_url(
        &self,
        r: &EdgeRelease,
        a: &Artifact,
        platform: Platform,
        links: &Links,
    ) -> Result<String, Error> {
        if platform == Platform::Ios && self.bundle().is_some() {
            let manifest = links.route_url(self.app, &install_path(self.app_id, r.zealot_id))?;
            Ok(format!(
                "itms-services://?action=download-manifest&url={}",
                percent_encode(&manifest)
            ))
        } else {
            Ok(links.file_url(self.app, a)?)
        }
    }

    /// The platform of a release's primary artifact: its architecture's, else the app's.
    fn platform(&self, primary: Option<&Artifact>) -> Platform {
        primary
            .and_then(|a| self.arch(a.arch.as_str()))
            .and_then(|a| a.platform)
            .unwrap_or(self.app.app.platform)
    }

    fn answer(self, releases: &[&'a EdgeRelease], links: &Links) -> Result<ChannelReleases, Error> {
        Ok(ChannelReleases {
            releases: releases
                .iter()
                .map(|r| self.release(r, links))
                .collect::<Result<_, _>>()?,
            app_name: self.app_name,
            bundle_id: self.channel.bundle_id.clone(),
            git_url: self.channel.git_url.clone(),
            app: AppRef {
                id: self.app_id,
                name: self.app.app.name.clone(),
            },
            scheme: self.scheme,
        })
    }
}

/// Zealot's `Release#platform` names.
fn display(p: Platform) -> &'static str {
    match p {
        Platform::Ios => "iOS",
        Platform::Android => "Android",
        Platform::Harmonyos => "HarmonyOS",
        Platform::Macos => "macOS",
        Platform::Windows => "Windows",
        Platform::Linux => "Linux",
        Platform::Web | Platform::Other => "Unknown",
    }
}

/// Ruby's `String#to_i`: leading whitespace, a sign, digits with single underscores between
/// them; anything else ends the number, and no digits at all is 0. Saturates.
fn ruby_to_i(s: &str) -> i64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (mut n, mut after_digit) = (0i64, false);
    for b in s.bytes() {
        match b {
            b'0'..=b'9' => {
                n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
                after_digit = true;
            }
            b'_' if after_digit => after_digit = false,
            _ => break,
        }
    }
    if negative { -n } else { n }
}

/// Offset and limit of kaminari's `page(page).per(per_page)` with the controller's defaults:
/// page ≤ 0 is 1; `per_page` 0 is an empty page, negative is 50, above 100 is 100.
fn window(query: &Query) -> (usize, usize) {
    let page = query.get("page").map_or(1, ruby_to_i).max(1);
    let per = query.get("per_page").map_or(DEFAULT_PER_PAGE, ruby_to_i);
    let per = if per < 0 {
        PAGINATES_PER
    } else {
        per.min(MAX_PER_PAGE)
    };
    let offset = (page - 1).saturating_mul(per);
    (
        usize::try_from(offset).unwrap_or(usize::MAX),
        usize::try_from(per).unwrap_or(0),
    )
}

/// `GET /api/apps/versions?channel_key&page&per_page`: one page of the channel's releases,
/// highest id first, without totals (as upstream).
///
/// # Errors
/// [`Error::UnauthorizedChannelKey`] when the app is not served by Zealot or lacks the channel.
pub fn versions(
    app: &EdgeApp,
    channel: &ChannelKey,
    query: &Query,
    links: &Links,
) -> Result<ChannelReleases, Error> {
    let cx = context(app, channel)?;
    let (offset, limit) = window(query);
    let listed = cx.listed();
    let page: Vec<_> = listed.iter().skip(offset).take(limit).copied().collect();
    cx.answer(&page, links)
}

/// A given version's key; blank counts as `0`, as `Gem::Version` takes nil and `""`.
fn given(query: &Query, name: &'static str) -> Result<VersionKey, Error> {
    ORDER
        .key(query.present(name).unwrap_or("0"))
        .map_err(|_| Error::InvalidParam(name))
}

/// `GET /api/apps/latest?channel_key[&bundle_id][&release_version][&build_version]`
/// (`Api::LatestAppSerializer#releases`):
/// 1. no bundle id and no versions: every release, newest first;
/// 2. a bundle id and no versions: that bundle's releases, newest first (upstream returns one
///    object or `null`; an array keeps one shape);
/// 3. versions, with or without a bundle id (upstream 500s without one): `find_since_version`,
///    see `docs/protocol-b.md`.
///
/// # Errors
/// [`Error::UnauthorizedChannelKey`] as [`versions`]; [`Error::InvalidParam`] for a version
/// that is not a RubyGems version.
pub fn latest(
    app: &EdgeApp,
    channel: &ChannelKey,
    query: &Query,
    links: &Links,
) -> Result<ChannelReleases, Error> {
    let cx = context(app, channel)?;
    let listed = cx.listed();
    let releases = if ["release_version", "build_version"].map(|n| query.present(n)) == [None; 2] {
        listed
    } else {
        since(&cx, listed, query)?
    };
    // Every release carries the app's bundle id: a bundle id selects all of them or none.
    let other_bundle = query
        .present("bundle_id")
        .is_some_and(|b| cx.bundle() != Some(b));
    let releases = if other_bundle { Vec::new() } else { releases };
    cx.answer(&releases, links)
}

/// `Channel#find_since_version`: after the client's own build when it is published (yanked or
/// staged ones too), else among the newest release versions; then only releases whose
/// release version is at least the given one and whose build version is above the given one.
fn since<'a>(
    cx: &Ctx<'a>,
    listed: Vec<&'a EdgeRelease>,
    query: &Query,
) -> Result<Vec<&'a EdgeRelease>, Error> {
    let (rv, bv) = (
        given(query, "release_version")?,
        given(query, "build_version")?,
    );
    let raw = ["release_version", "build_version"].map(|n| query.get(n));
    let anchor = cx
        .all()
        .filter(|r| raw == [Some(&*r.release.version), Some(&*build_version(&r.release))])
        .map(|r| r.zealot_id)
        .min();
    let candidates: Vec<_> = match anchor {
        Some(id) => listed.into_iter().filter(|r| r.zealot_id > id).collect(),
        None => {
            let newest = newest_versions(&listed, &rv);
            let newest = |r: &&EdgeRelease| newest.contains(&r.release.version.as_str());
            listed.iter().copied().filter(newest).collect()
        }
    };
    let at_least = |v: &str| ORDER.key(v).is_ok_and(|k| k >= rv);
    let above = |v: &str| ORDER.key(v).is_ok_and(|k| k > bv);
    Ok(candidates
        .into_iter()
        .filter(|r| at_least(&r.release.version) && above(&build_version(&r.release)))
        .collect())
}

/// `Channel#release_versions` (the 10 highest distinct release versions; unparseable ones
/// last) that are at least `min`.
fn newest_versions<'a>(listed: &[&'a EdgeRelease], min: &VersionKey) -> Vec<&'a str> {
    let mut distinct: Vec<&str> = Vec::new();
    for r in listed {
        if !distinct.contains(&r.release.version.as_str()) {
            distinct.push(&r.release.version);
        }
    }
    distinct.sort_by_cached_key(|v| Reverse(ORDER.key(v).ok()));
    distinct.truncate(NEWEST_VERSIONS);
    distinct.retain(|v| ORDER.key(v).is_ok_and(|k| k >= *min));
    distinct
}

/// `GET /api/apps/version_exist?channel_key&bundle_id&(git_commit | release_version&build_version)`:
/// the release of the channel equal on every one of `bundle_id`, `release_version`,
/// `build_version` and `git_commit` that is given (empty values included, as Rails permits
/// them); the lowest id when several match. Every published release counts, staged and
/// yanked ones too, as upstream's `Release.exists?` sees every stored build: the route
/// answers whether a build was published (CI asks before uploading), not what is offered.
///
/// # Errors
/// [`Error::UnauthorizedChannelKey`] as [`versions`], then [`Error::MissingCombo`] without a
/// combination, [`Error::ReleaseNotFound`] when nothing matches.
pub fn version_exist(
    app: &EdgeApp,
    channel: &ChannelKey,
    query: &Query,
    links: &Links,
) -> Result<ReleaseObject, Error> {
    let cx = context(app, channel)?;
    let has = |n| query.get(n).is_some();
    if !(has("bundle_id") && (has("git_commit") || has("release_version") && has("build_version")))
    {
        return Err(Error::MissingCombo);
    }
    let matches = |r: &&EdgeRelease| {
        let rel = &r.release;
        let build = build_version(rel);
        [
            ("bundle_id", cx.bundle()),
            ("release_version", Some(rel.version.as_str())),
            ("build_version", Some(build.as_str())),
            ("git_commit", rel.git.commit.as_deref()),
        ]
        .into_iter()
        .all(|(n, v)| query.get(n).is_none_or(|q| v == Some(q)))
    };
    let found = cx.all().filter(matches).min_by_key(|r| r.zealot_id);
    found
        .map(|r| cx.release(r, links))
        .ok_or(Error::ReleaseNotFound)?
}

/// The links an install manifest request at `path` (as sent, without the query) may use. A
/// public app's: public files only, as upstream (a device fetches the manifest without a
/// credential). A private app's: only with the route link its authenticated answer handed
/// out (`expires` and `sig` in `query`, [`Links::route_url`]), and then signed download links.
///
/// # Errors
/// [`Error::LinkDenied`] for a private app without a valid route link; [`Error::Internal`]
/// when the deployment has no `download_link_key`.
pub fn install_links(
    app: &EdgeApp,
    path: &str,
    query: &Query,
    key: Option<&str>,
    origin: &str,
    now: Timestamp,
) -> Result<Links, Error> {
    if !Links::is_private(app) {
        return Ok(Links::public_only(origin));
    }
    let key = key.filter(|k| !k.is_empty()).ok_or(Error::Internal)?;
    let link = crate::links::RouteRequest {
        protocol: crate::links::Protocol::Zealot,
        path,
        expires: query.get("expires"),
        sig: query.get("sig"),
    };
    link.verify(key.as_bytes(), now)
        .map_err(|_| Error::LinkDenied)?;
    Ok(Links::new(
        origin,
        crate::links::Protocol::Zealot,
        Some(key),
        now,
    ))
}

/// `Content-Type` of the install manifest (Zealot renders it as `text/xml`).
pub const INSTALL_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// `GET /api/apps/:id/releases/:release/install`: the iOS install manifest (the plist that
/// `itms-services` fetches) of release `release_id` (its Zealot id, as given) of `app`, with
/// the package URL from `links` ([`Links::file_url`]), Zealot's metadata (`bundle-version`
/// the release version, `title` the release's `app_name`), as upstream's `install`. The
/// worker checks a private app's route link first and passes signing `links` only then.
///
/// # Errors
/// [`Error::InstallNotFound`] unless the release exists, is not yanked, and has an iOS
/// primary artifact in an app with a bundle id (what makes its `install_url` an
/// `itms-services` link); [`Error::Internal`] for a private app's file without a signing key.
pub fn install_manifest(app: &EdgeApp, release_id: &str, links: &Links) -> Result<String, Error> {
    let missing = || Error::InstallNotFound(release_id.to_owned());
    let id = Some(release_id)
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(missing)?;
    let r = app
        .releases
        .iter()
        .find(|r| r.zealot_id == id && r.release.state == ReleaseState::Ready)
        .ok_or_else(missing)?;
    let cx = context(app, &r.release.channel).map_err(|_| missing())?;
    let primary = cx.primary(r).ok_or_else(missing)?;
    let bundle = cx.bundle().ok_or_else(missing)?;
    if cx.platform(Some(primary)) != Platform::Ios {
        return Err(missing());
    }
    let field = |k: &str, v: &str| {
        format!(
            "        <key>{k}</key>\n        <string>{}</string>\n",
            crate::markup::escape(v)
        )
    };
    Ok(format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" ",
            "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n",
            "<plist version=\"1.0\">\n<dict>\n  <key>items</key>\n  <array>\n    <dict>\n",
            "      <key>assets</key>\n      <array>\n        <dict>\n",
            "          <key>kind</key>\n          <string>software-package</string>\n",
            "          <key>url</key>\n          <string>{url}</string>\n",
            "        </dict>\n      </array>\n",
            "      <key>metadata</key>\n      <dict>\n{bundle}{version}",
            "        <key>kind</key>\n        <string>software</string>\n{title}",
            "      </dict>\n    </dict>\n  </array>\n</dict>\n</plist>\n",
        ),
        url = crate::markup::escape(&links.file_url(app, primary)?),
        bundle = field("bundle-identifier", bundle),
        version = field("bundle-version", &r.release.version),
        title = field("title", &cx.app_name),
    ))
}

#[cfg(test)]
mod tests;
