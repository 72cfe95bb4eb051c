//! Sparkle appcasts (RSS 2.0 with the `sparkle:` namespace): one per channel and macOS
//! architecture, at `apps/<app>/<channel>/<arch>/appcast.xml`. Which releases and what of
//! them are decided here; the XML is the `appcast.xml` template's (`templates/`).

use super::{AppView, Ctx, FeedFile, FeedRelease};
use crate::problem::{Problem, Problems};
use crate::site_model::Output;
use crate::templates::APPCAST_XML;
use base64::Engine as _;
use serde::Serialize;
use std::fmt::Write as _;
use update_protocol::manifest::{Platform, UpgradeType};
use update_protocol::markup::escape as xml_escape;
use update_protocol::names::{ArchKey, ChannelKey};
use update_protocol::version::VersionScheme;

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
            let name = &view.app.entry.name;
            let appcast = Appcast {
                title: name,
                link: ctx.base_url.map(|b| format!("{b}/")),
                description: format!("Updates of {name} ({})", ch.name),
                items,
            };
            match ctx.templates.render(APPCAST_XML, &appcast) {
                Ok(xml) => out.push((
                    path(view.id(), &ch.key, arch),
                    Output::Bytes(xml.into_bytes()),
                )),
                // Once: every appcast renders with the same template.
                Err(p) => {
                    problems.push(p);
                    return Vec::new();
                }
            }
        }
    }
    out
}

/// What `appcast.xml` renders (docs/feeds.md lists it for publishers' templates). Optional
/// fields are left out when absent, so the template tests them with `is defined`.
#[derive(Serialize)]
struct Appcast<'a> {
    /// The app's name.
    title: &'a str,
    /// The site's URL with a final `/`, with `base_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    description: String,
    /// Newest first.
    items: Vec<Item<'a>>,
}

/// One release in an appcast.
#[derive(Serialize)]
struct Item<'a> {
    /// `sparkle:version`: the build (`build`, else the version).
    version: &'a str,
    /// `sparkle:shortVersionString`: the version.
    short_version: &'a str,
    /// RFC 2822, as RSS dates are.
    pub_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    minimum_system_version: Option<&'a str>,
    /// A forced release: critical for everyone.
    critical: bool,
    /// Critical for versions below this one (the app's minimum version).
    #[serde(skip_serializing_if = "Option::is_none")]
    critical_below: Option<&'a str>,
    /// The changelog as HTML (escaped once more by the template: Sparkle shows it as HTML).
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// The enclosure's absolute URL.
    url: String,
    /// Its size in bytes.
    length: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ed_signature: Option<String>,
}

fn item<'a>(
    view: &AppView<'a>,
    ctx: &Ctx<'_>,
    r: &FeedRelease<'a>,
    file: &FeedFile<'a>,
    problems: &mut Problems,
) -> Option<Item<'a>> {
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
    let ed_signature = match (stated, ctx.sparkle_key, file.local_path()) {
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
    let (critical, critical_below) = match critical(view, r, file) {
        Critical::No => (false, None),
        Critical::Always => (true, None),
        Critical::Below(v) => (true, Some(v)),
    };
    let description = (!release.changelog.is_empty()).then(|| {
        let mut html = String::from("<ul>");
        for e in &release.changelog {
            let _ = write!(html, "<li>{}</li>", xml_escape(&e.message));
        }
        html.push_str("</ul>");
        html
    });
    Some(Item {
        version: release.build.as_deref().unwrap_or(&release.version),
        short_version: &release.version,
        pub_date: release.published_at.to_http_date(),
        minimum_system_version: file.spec.minimum_system_version.as_deref().or(r
            .model
            .manifest
            .minimum_system_version
            .as_deref()),
        critical,
        critical_below,
        description,
        url,
        length: file.artifact.size,
        ed_signature,
    })
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
    let below = scheme.and_then(|s| update_protocol::rules::below_minimum(Some(min), s, version));
    if below == Some(false) {
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

    fn render(appcast: &Appcast<'_>) -> String {
        let templates =
            crate::templates::Templates::load(&Default::default(), &mut Problems::default())
                .expect("built-in templates");
        templates.render(APPCAST_XML, appcast).expect("renders")
    }

    fn item<'a>() -> Item<'a> {
        Item {
            version: "110",
            short_version: "1.1.0",
            pub_date: "Sun, 01 Mar 2026 10:00:00 GMT".to_owned(),
            minimum_system_version: None,
            critical: false,
            critical_below: None,
            description: None,
            url: "https://u.example.com/a.zip?x=1&y=2".to_owned(),
            length: 51,
            ed_signature: None,
        }
    }

    /// The template writes what the appcast was written as before it was one, byte for byte:
    /// every optional element, the escaping (twice for the HTML description), the final newline.
    #[test]
    fn appcast_template_writes_every_element_as_sparkle_reads_it() {
        let full = Item {
            minimum_system_version: Some("12.0"),
            critical: true,
            critical_below: Some("1.0.5"),
            description: Some("<ul><li>a &amp; b</li></ul>".to_owned()),
            ed_signature: Some("c2ln+/=".to_owned()),
            ..item()
        };
        let forced = Item {
            critical: true,
            ..item()
        };
        let xml = render(&Appcast {
            title: "Tom & Jerry's",
            link: Some("https://u.example.com/".to_owned()),
            description: "Updates of Tom & Jerry's (Beta <1>)".to_owned(),
            items: vec![full, forced, item()],
        });
        let item_head = "    <item>
      <title>Version 1.1.0</title>
      <pubDate>Sun, 01 Mar 2026 10:00:00 GMT</pubDate>
      <sparkle:version>110</sparkle:version>
      <sparkle:shortVersionString>1.1.0</sparkle:shortVersionString>
";
        let enclosure = "<enclosure url=\"https://u.example.com/a.zip?x=1&amp;y=2\" length=\"51\" type=\"application/octet-stream\"";
        let want = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<rss version=\"2.0\" xmlns:sparkle=\"http://www.andymatuschak.org/xml-namespaces/sparkle\">
  <channel>
    <title>Tom &amp; Jerry&#39;s</title>
    <link>https://u.example.com/</link>
    <description>Updates of Tom &amp; Jerry&#39;s (Beta &lt;1&gt;)</description>
{item_head}      <sparkle:minimumSystemVersion>12.0</sparkle:minimumSystemVersion>
      <sparkle:criticalUpdate sparkle:version=\"1.0.5\"/>
      <description>&lt;ul&gt;&lt;li&gt;a &amp;amp; b&lt;/li&gt;&lt;/ul&gt;</description>
      {enclosure} sparkle:edSignature=\"c2ln+/=\"/>
    </item>
{item_head}      <sparkle:criticalUpdate/>
      {enclosure}/>
    </item>
{item_head}      {enclosure}/>
    </item>
  </channel>
</rss>
"
        );
        assert_eq!(xml, want);
        let empty = render(&Appcast {
            title: "A",
            link: None,
            description: "Updates of A (Stable)".to_owned(),
            items: Vec::new(),
        });
        assert_eq!(
            empty,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<rss version=\"2.0\" xmlns:sparkle=\"http://www.andymatuschak.org/xml-namespaces/sparkle\">
  <channel>
    <title>A</title>
    <description>Updates of A (Stable)</description>
  </channel>
</rss>
"
        );
    }
}
