//! Sparkle appcasts (RSS 2.0 with the `sparkle:` namespace): one per channel and macOS
//! architecture, at `apps/<app>/<channel>/<arch>/appcast.xml`.

use super::{AppView, Ctx, FeedFile, FeedRelease};
use crate::problem::{Problem, Problems};
use crate::site_model::Output;
use base64::Engine as _;
use std::cmp::Ordering;
use std::fmt::Write as _;
use update_protocol::manifest::{Platform, UpgradeType};
use update_protocol::markup::escape as xml_escape;
use update_protocol::names::{ArchKey, ChannelKey};
use update_protocol::version::VersionScheme;

/// Sparkle's XML namespace.
const NAMESPACE: &str = "http://www.andymatuschak.org/xml-namespaces/sparkle";

/// Archive types Sparkle installs from (`SUUnarchiver`): zip, disk images, installer packages,
/// tarballs and Apple Archives.
const ARCHIVES: [&str; 12] = [
    ".zip", ".dmg", ".pkg", ".mpkg", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz",
    ".txz", ".aar",
];

/// Whether Sparkle can install from a file of this name.
pub(super) fn fits(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ARCHIVES.iter().any(|ext| n.ends_with(ext))
}

/// The site path of an appcast.
pub(super) fn path(app: &str, channel: &ChannelKey, arch: &ArchKey) -> String {
    format!("apps/{app}/{channel}/{arch}/appcast.xml")
}

pub(super) fn files(
    view: &AppView<'_>,
    ctx: &Ctx<'_>,
    problems: &mut Problems,
) -> Vec<(String, Output)> {
    let macs: Vec<&ArchKey> = view
        .archs
        .iter()
        .filter(|(_, a)| a.platform == Platform::Macos)
        .map(|(k, _)| k)
        .collect();
    if macs.is_empty() {
        problems.push(
            view.problem("sparkle", "the app has no enabled macOS architecture")
                .hint(
                    "set platform = \"macos\" on the app or an architecture, or turn the feed off",
                ),
        );
        return Vec::new();
    }
    if ctx.sparkle_key.is_none() {
        log::warn!(
            "Sparkle appcasts of `{}` have no sparkle:edSignature: give --sparkle-key FILE or {} \
             (apps with SUPublicEDKey refuse unsigned updates)",
            view.id(),
            super::keys::SPARKLE_KEY_ENV
        );
    }
    let mut out = Vec::new();
    for ch in &view.app.entry.channels {
        for arch in &macs {
            let mut items = Vec::new();
            for r in view.releases.iter().filter(|r| r.release.channel == ch.key) {
                let Some(file) = r.primary(arch).filter(|f| fits(f.artifact.name.as_str())) else {
                    continue;
                };
                // Sparkle has no percentage rollout: a release joins its appcast at 100%.
                if !r.release.rollout.is_full() {
                    continue;
                }
                if let Some(item) = item(view, ctx, r, file, problems) {
                    items.push(item);
                }
            }
            let xml = appcast(view, ctx, &ch.name, &items);
            out.push((
                path(view.id(), &ch.key, arch),
                Output::Bytes(xml.into_bytes()),
            ));
        }
    }
    out
}

fn appcast(view: &AppView<'_>, ctx: &Ctx<'_>, channel_name: &str, items: &[String]) -> String {
    let name = &view.app.entry.name;
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(x, "<rss version=\"2.0\" xmlns:sparkle=\"{NAMESPACE}\">");
    x.push_str("  <channel>\n");
    let _ = writeln!(x, "    <title>{}</title>", xml_escape(name));
    if let Some(base) = ctx.base_url {
        let _ = writeln!(x, "    <link>{}/</link>", xml_escape(base));
    }
    let _ = writeln!(
        x,
        "    <description>{}</description>",
        xml_escape(&format!("Updates of {name} ({channel_name})"))
    );
    for item in items {
        x.push_str(item);
    }
    x.push_str("  </channel>\n</rss>\n");
    x
}

fn item(
    view: &AppView<'_>,
    ctx: &Ctx<'_>,
    r: &FeedRelease<'_>,
    file: &FeedFile<'_>,
    problems: &mut Problems,
) -> Option<String> {
    let release = r.release;
    let Some(url) = ctx.absolute(&file.artifact.url) else {
        problems.push(
            Problem::new(
                "site.toml",
                "base_url",
                format!(
                    "app `{}` has a Sparkle feed, whose enclosure URLs must be absolute",
                    view.id()
                ),
            )
            .hint("set base_url to the site's public URL, e.g. base_url = \"https://updates.example.com\""),
        );
        return None;
    };
    let stated = file.spec.ed_signature.as_deref().map(str::trim);
    if let Some(sig) = stated
        && base64::engine::general_purpose::STANDARD
            .decode(sig)
            .map(|d| d.len())
            != Ok(64)
    {
        problems.push(
            Problem::new(
                &r.model.file,
                format!("{}.ed_signature", file.model.field),
                "is not the base64 of an Ed25519 signature",
            )
            .hint("use the sparkle:edSignature value Sparkle's sign_update printed for this file"),
        );
        return None;
    }
    let signature = match (stated, ctx.sparkle_key, file.local_path()) {
        (Some(sig), _, _) => Some(sig.to_owned()),
        (None, None, _) => None,
        // Made by the hash pass (`super::wants`) as it read the file.
        (None, Some(_), Some(_)) => match file.hashed.and_then(|h| h.signatures.sparkle) {
            Some(sig) => Some(sig.to_base64()),
            None => {
                problems.push(super::not_hashed(r.model, file.model, "Sparkle signature"));
                return None;
            }
        },
        (None, Some(_), None) => {
            log::warn!(
                "Sparkle appcast of `{}`: {} {} left out: a remote file needs `ed_signature` in its manifest",
                view.id(),
                release.version,
                file.artifact.name
            );
            return None;
        }
    };
    let version = release.build.as_deref().unwrap_or(&release.version);
    let mut x = String::new();
    x.push_str("    <item>\n");
    let _ = writeln!(
        x,
        "      <title>{}</title>",
        xml_escape(&format!("Version {}", release.version))
    );
    let _ = writeln!(
        x,
        "      <pubDate>{}</pubDate>",
        release.published_at.to_http_date()
    );
    let _ = writeln!(
        x,
        "      <sparkle:version>{}</sparkle:version>",
        xml_escape(version)
    );
    let _ = writeln!(
        x,
        "      <sparkle:shortVersionString>{}</sparkle:shortVersionString>",
        xml_escape(&release.version)
    );
    let min_os = file.spec.minimum_system_version.as_deref().or(r
        .model
        .manifest
        .minimum_system_version
        .as_deref());
    if let Some(v) = min_os {
        let _ = writeln!(
            x,
            "      <sparkle:minimumSystemVersion>{}</sparkle:minimumSystemVersion>",
            xml_escape(v)
        );
    }
    match critical(view, r, file) {
        Critical::No => {}
        Critical::Always => x.push_str("      <sparkle:criticalUpdate/>\n"),
        Critical::Below(v) => {
            let _ = writeln!(
                x,
                "      <sparkle:criticalUpdate sparkle:version=\"{}\"/>",
                xml_escape(v)
            );
        }
    }
    if !release.changelog.is_empty() {
        let mut html = String::from("<ul>");
        for e in &release.changelog {
            let _ = write!(html, "<li>{}</li>", xml_escape(&e.message));
        }
        html.push_str("</ul>");
        let _ = writeln!(x, "      <description>{}</description>", xml_escape(&html));
    }
    let _ = write!(
        x,
        "      <enclosure url=\"{}\" length=\"{}\" type=\"application/octet-stream\"",
        xml_escape(&url),
        file.artifact.size
    );
    if let Some(sig) = signature {
        let _ = write!(x, " sparkle:edSignature=\"{sig}\"");
    }
    x.push_str("/>\n    </item>\n");
    Some(x)
}

/// How critical an item is.
#[derive(Debug, PartialEq, Eq)]
enum Critical<'a> {
    /// An ordinary update.
    No,
    /// A forced release: critical for everyone.
    Always,
    /// Critical for versions below the app's `policy.min_version`.
    Below(&'a str),
}

/// A forced release is critical; a release at or above the app's minimum version is critical
/// for versions below it (they must update, and this release is one they can update to).
fn critical<'a>(view: &AppView<'a>, r: &FeedRelease<'_>, file: &FeedFile<'_>) -> Critical<'a> {
    let m = &view.app.model.manifest;
    critical_for(
        file.upgrade(r.release),
        &r.release.version,
        m.policy.min_version.as_deref(),
        m.versioning.scheme(),
    )
}

fn critical_for<'a>(
    upgrade: UpgradeType,
    version: &str,
    min_version: Option<&'a str>,
    scheme: Option<VersionScheme>,
) -> Critical<'a> {
    if upgrade == UpgradeType::Force {
        return Critical::Always;
    }
    let Some(min) = min_version else {
        return Critical::No;
    };
    let at_or_above = scheme
        .and_then(|s| s.compare(version, min).ok())
        .is_some_and(|o| o != Ordering::Less);
    if at_or_above {
        Critical::Below(min)
    } else {
        Critical::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_types_sparkle_installs() {
        for (name, ok) in [
            ("Editor-1.0.zip", true),
            ("Editor.DMG", true),
            ("editor.pkg", true),
            ("editor.app.tar.gz", true),
            ("editor.tar.xz", true),
            ("editor.exe", false),
            ("editor.AppImage", false),
            ("editor.deb", false),
        ] {
            assert_eq!(fits(name), ok, "{name}");
        }
    }

    #[test]
    fn forced_releases_are_critical_and_the_minimum_version_makes_newer_ones_critical_below_it() {
        let semver = Some(VersionScheme::Semver);
        for (upgrade, version, min, want) in [
            (UpgradeType::Force, "1.0.0", None, Critical::Always),
            (UpgradeType::Force, "1.0.0", Some("2.0.0"), Critical::Always),
            (UpgradeType::Prompt, "1.0.0", None, Critical::No),
            (
                UpgradeType::Silent,
                "1.2.0",
                Some("1.1.0"),
                Critical::Below("1.1.0"),
            ),
            (
                UpgradeType::Prompt,
                "1.1.0",
                Some("1.1.0"),
                Critical::Below("1.1.0"),
            ),
            (UpgradeType::Prompt, "1.0.9", Some("1.1.0"), Critical::No),
            (
                UpgradeType::Prompt,
                "1.0.0-beta",
                Some("1.0.0"),
                Critical::No,
            ),
        ] {
            assert_eq!(
                critical_for(upgrade, version, min, semver),
                want,
                "{version} {min:?}"
            );
        }
        // Ordered by version code: no version string to compare with.
        assert_eq!(
            critical_for(UpgradeType::Prompt, "v2", Some("v1"), None),
            Critical::No
        );
    }
}
