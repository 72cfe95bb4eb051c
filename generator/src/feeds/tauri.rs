//! Tauri updater static JSON: `apps/<app>/<channel>/tauri/latest.json`, one version with a
//! signed download per `os-arch[-bundle]` platform key.

use super::{AppView, Ctx, FeedFile, FeedRelease};
use crate::problem::{Problem, Problems};
use crate::site_model::Output;
use serde::Serialize;
use std::collections::BTreeMap;
use update_protocol::manifest::{ArtifactRole, Bundle, Cpu, Platform};
use update_protocol::version::VersionScheme;

/// The site path of an app channel's `latest.json`.
pub(super) fn path(app: &str, channel: &str) -> String {
    format!("apps/{app}/{channel}/tauri/latest.json")
}

/// The file the Tauri updater reads.
#[derive(Serialize)]
struct LatestJson {
    version: String,
    notes: String,
    pub_date: String,
    platforms: BTreeMap<String, PlatformEntry>,
}

#[derive(Serialize)]
struct PlatformEntry {
    signature: String,
    url: String,
}

/// The OS part of a platform key.
fn os(platform: Platform) -> Option<&'static str> {
    update_protocol::updater_files::tauri_os(platform)
}

/// The arch parts of a platform key: a universal macOS build serves both processors.
fn cpus(cpu: Cpu) -> Vec<&'static str> {
    match cpu {
        Cpu::Universal => vec![Cpu::X86_64.as_str(), Cpu::Aarch64.as_str()],
        c => vec![c.as_str()],
    }
}

/// The platform keys a file answers: `os-arch-bundle` always, and `os-arch` too when `plain`
/// (the Tauri updater looks the first up, then the second).
fn platform_keys(platform: Platform, cpu: Cpu, bundle: Bundle, plain: bool) -> Vec<String> {
    let Some(os) = os(platform) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for arch in cpus(cpu) {
        keys.push(format!("{os}-{arch}-{}", bundle.as_str()));
        if plain {
            keys.push(format!("{os}-{arch}"));
        }
    }
    keys
}

fn bundle_of(f: &FeedFile<'_>) -> Option<Bundle> {
    f.spec
        .bundle
        .or_else(|| Bundle::from_file_name(f.artifact.name.as_str()))
}

pub(super) fn files(
    view: &AppView<'_>,
    ctx: &Ctx<'_>,
    problems: &mut Problems,
) -> Vec<(String, Output)> {
    let before = problems.0.len();
    let mut desktop = false;
    for (key, a) in &view.archs {
        if os(a.platform).is_none() {
            continue;
        }
        desktop = true;
        if a.cpu.is_none() {
            problems.push(
                Problem::new(
                    &view.app.model.file,
                    view.arch_field(key),
                    format!("the processor of architecture `{key}` is not known"),
                )
                .hint("set cpu = \"x86_64\", \"aarch64\", \"i686\", \"armv7\" or \"universal\" (Tauri keys platforms by it)"),
            );
        }
    }
    if !desktop {
        problems.push(
            view.problem(
                "tauri",
                "the app has no enabled Windows, macOS or Linux architecture",
            )
            .hint("set platform on the app or an architecture, or turn the feed off"),
        );
    }
    if problems.0.len() > before {
        return Vec::new();
    }
    let mut out = Vec::new();
    for ch in &view.app.entry.channels {
        // One version for every platform: the newest release at 100% with a Tauri bundle (the
        // Tauri updater has no percentage rollout).
        let chosen = view.releases.iter().find(|r| {
            r.release.channel == ch.key
                && r.release.rollout.is_full()
                && r.files
                    .iter()
                    .any(|f| os(f.arch.platform).is_some() && bundle_of(f).is_some())
        });
        let Some(r) = chosen else {
            continue;
        };
        let version = &r.release.version;
        if VersionScheme::Semver
            .validate(version.strip_prefix('v').unwrap_or(version))
            .is_err()
        {
            problems.push(
                Problem::new(
                    &r.model.file,
                    "version",
                    format!(
                        "`{version}` is not a SemVer version, which the Tauri updater requires"
                    ),
                )
                .hint("use major.minor.patch versions, or turn feeds.tauri off"),
            );
            continue;
        }
        let platforms = platforms(view, ctx, r, problems);
        if platforms.is_empty() {
            log::warn!(
                "Tauri feed of `{}` channel `{}`: {version} has no signed file, no latest.json written",
                view.id(),
                ch.key
            );
            continue;
        }
        let latest = LatestJson {
            version: version.clone(),
            notes: r.release.notes.clone(),
            pub_date: r.release.published_at.to_rfc3339(),
            platforms,
        };
        out.push((
            path(view.id(), ch.key.as_str()),
            Output::Bytes(crate::site_model::json(&latest)),
        ));
    }
    out
}

fn platforms(
    view: &AppView<'_>,
    ctx: &Ctx<'_>,
    r: &FeedRelease<'_>,
    problems: &mut Problems,
) -> BTreeMap<String, PlatformEntry> {
    let mut out = BTreeMap::new();
    // Primary files first: they take the plain `os-arch` key of their architecture.
    let mut files: Vec<&FeedFile<'_>> = r.files.iter().collect();
    files.sort_by_key(|f| f.artifact.role != ArtifactRole::Primary);
    for f in files {
        let (Some(bundle), Some(cpu), Some(_)) = (bundle_of(f), f.arch.cpu, os(f.arch.platform))
        else {
            continue;
        };
        let Some(signature) = signature(view, ctx, r, f, problems) else {
            continue;
        };
        let Some(url) = ctx.absolute(&f.artifact.url) else {
            problems.push(
                Problem::new(
                    "site.toml",
                    "base_url",
                    format!(
                        "app `{}` has a Tauri feed, whose download URLs must be absolute",
                        view.id()
                    ),
                )
                .hint("set base_url to the site's public URL, e.g. base_url = \"https://updates.example.com\""),
            );
            return out;
        };
        // The architecture's plain `os-arch` key: the file the edge's Tauri route offers too.
        let installs =
            update_protocol::updater_files::tauri_file(&r.release.artifacts, &f.artifact.arch)
                .is_some_and(|t| t.id == f.artifact.id);
        let plain =
            installs && !out.contains_key(&platform_keys(f.arch.platform, cpu, bundle, true)[1]);
        for key in platform_keys(f.arch.platform, cpu, bundle, plain) {
            out.entry(key).or_insert_with(|| PlatformEntry {
                signature: signature.clone(),
                url: url.clone(),
            });
        }
    }
    out
}

/// The file's signature: stated in the manifest, or made with the build's key from the local
/// file (by `updater_facts`, once for the feed and the edge). `None` (with a warning) when
/// there is neither: the Tauri updater refuses unsigned files.
fn signature(
    view: &AppView<'_>,
    ctx: &Ctx<'_>,
    r: &FeedRelease<'_>,
    f: &FeedFile<'_>,
    problems: &mut Problems,
) -> Option<String> {
    if let Some(sig) = &f.model.signature {
        if super::keys::is_tauri_signature(sig) {
            return Some(sig.clone());
        }
        let field = if f.spec.signature_file.is_some() {
            "signature_file"
        } else {
            "signature"
        };
        problems.push(
            Problem::new(
                &r.model.file,
                format!("{}.{field}", f.model.field),
                "is not a Tauri signature (the base64 of a minisign signature)",
            )
            .hint("use the content of the .sig file `tauri signer sign` wrote for this file"),
        );
        return None;
    }
    if let Some(sig) = &f.artifact.signature {
        return Some(sig.clone());
    }
    log::warn!(
        "Tauri feed of `{}`: {} {} left out: it has no signature{}",
        view.id(),
        r.release.version,
        f.artifact.name,
        if ctx.tauri_key.is_some() {
            " (a remote file needs `signature` in its manifest)"
        } else {
            " (state `signature`/`signature_file`, or give --tauri-key or TAURI_SIGNING_PRIVATE_KEY)"
        }
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_keys_are_os_arch_and_bundle() {
        assert_eq!(
            platform_keys(Platform::Macos, Cpu::Aarch64, Bundle::App, true),
            ["darwin-aarch64-app", "darwin-aarch64"]
        );
        assert_eq!(
            platform_keys(Platform::Windows, Cpu::X86_64, Bundle::Nsis, false),
            ["windows-x86_64-nsis"]
        );
        assert_eq!(
            platform_keys(Platform::Linux, Cpu::Armv7, Bundle::Appimage, true),
            ["linux-armv7-appimage", "linux-armv7"]
        );
        assert_eq!(
            platform_keys(Platform::Macos, Cpu::Universal, Bundle::App, true),
            [
                "darwin-x86_64-app",
                "darwin-x86_64",
                "darwin-aarch64-app",
                "darwin-aarch64"
            ]
        );
        assert!(platform_keys(Platform::Android, Cpu::Aarch64, Bundle::App, true).is_empty());
    }
}
