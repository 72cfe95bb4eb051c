//! electron-updater channel files: `latest.yml` (Windows), `latest-mac.yml` and
//! `latest-linux[-<arch>].yml` in `apps/<app>/<channel>/electron/`, the directory a `generic`
//! provider's `url` points at.

use super::{AppView, FeedFile, FeedRelease};
use crate::problem::{Problem, Problems};
use crate::site_model::Output;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use update_protocol::manifest::{Cpu, Platform};
use update_protocol::names::ArchKey;
use update_protocol::updater_files::electron_fits;
use update_protocol::version::VersionScheme;

/// The site directory of an app channel's electron-updater files.
pub(super) fn dir(app: &str, channel: &str) -> String {
    format!("apps/{app}/{channel}/electron")
}

/// Which channel file serves builds of a platform and processor, as electron-updater names
/// them (`Provider.getChannelFilePrefix`: Linux adds the Node arch unless it is x64). `None`
/// for platforms electron-updater does not update.
pub(super) fn channel_file(
    platform: Platform,
    cpu: Option<Cpu>,
) -> Option<Result<&'static str, ()>> {
    Some(match platform {
        Platform::Windows => Ok("latest.yml"),
        Platform::Macos => Ok("latest-mac.yml"),
        Platform::Linux => match cpu {
            Some(Cpu::X86_64) => Ok("latest-linux.yml"),
            Some(Cpu::Aarch64) => Ok("latest-linux-arm64.yml"),
            Some(Cpu::Armv7) => Ok("latest-linux-armv7l.yml"),
            Some(Cpu::I686) => Ok("latest-linux-ia32.yml"),
            _ => Err(()),
        },
        _ => return None,
    })
}

pub(super) fn files(view: &AppView<'_>, problems: &mut Problems) -> Vec<(String, Output)> {
    // Channel file → the architectures it serves.
    let mut groups: BTreeMap<&'static str, Vec<&ArchKey>> = BTreeMap::new();
    for (key, a) in &view.archs {
        match channel_file(a.platform, a.cpu) {
            Some(Ok(name)) => groups.entry(name).or_default().push(key),
            Some(Err(())) => problems.push(
                Problem::new(
                    &view.app.model.file,
                    view.arch_field(key),
                    format!("the processor of Linux architecture `{key}` is not known"),
                )
                .hint("set cpu = \"x86_64\", \"aarch64\", \"armv7\" or \"i686\" (electron-updater has one file per Linux processor)"),
            ),
            None => {}
        }
    }
    if groups.is_empty() {
        problems.push(
            view.problem(
                "electron",
                "the app has no enabled Windows, macOS or Linux architecture",
            )
            .hint("set platform on the app or an architecture, or turn the feed off"),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for ch in &view.app.entry.channels {
        let dir = dir(view.id(), ch.key.as_str());
        for (name, archs) in &groups {
            // The newest release offered at all (a paused rollout is not), with a file for
            // this channel file's architectures. electron-updater has one version per file.
            let chosen = view
                .releases
                .iter()
                .filter(|r| r.release.channel == ch.key && r.release.rollout.percent() > 0)
                .find_map(|r| {
                    let files = fitting(r, archs, view);
                    (!files.is_empty()).then_some((r, files))
                });
            let Some((r, files)) = chosen else {
                continue;
            };
            if VersionScheme::Semver.validate(&r.release.version).is_err() {
                problems.push(
                    Problem::new(
                        &r.model.file,
                        "version",
                        format!(
                            "`{}` is not a SemVer version, which electron-updater requires",
                            r.release.version
                        ),
                    )
                    .hint("use major.minor.patch versions, or turn feeds.electron off"),
                );
                continue;
            }
            let Some(yaml) = channel_yaml(r, &files, problems) else {
                continue;
            };
            // The same file under the channel's own name too (`beta-mac.yml`), for apps that
            // set electron-updater's `channel` to ours.
            if let Some(own) = own_name(name, ch.key.as_str()) {
                out.push((
                    format!("{dir}/{own}"),
                    Output::Bytes(yaml.clone().into_bytes()),
                ));
            }
            out.push((format!("{dir}/{name}"), Output::Bytes(yaml.into_bytes())));
        }
    }
    out
}

/// `latest*.yml` under a channel's own name, as electron-updater asks for it when its `channel`
/// is set (`beta-linux-arm64.yml`); `None` for the `latest` channel.
fn own_name(latest_name: &str, channel: &str) -> Option<String> {
    (channel != "latest").then(|| format!("{channel}{}", &latest_name["latest".len()..]))
}

/// The files of `r` that electron-updater installs on `archs`; a remote file without a stated
/// `sha512` is left out.
fn fitting<'r>(
    r: &'r FeedRelease<'r>,
    archs: &[&ArchKey],
    view: &AppView<'_>,
) -> Vec<&'r FeedFile<'r>> {
    r.files
        .iter()
        .filter(|f| archs.contains(&&f.artifact.arch))
        .filter(|f| electron_fits(f.arch.platform, f.artifact.name.as_str()))
        .filter(|f| {
            let known = f.local_path().is_some() || f.spec.sha512.is_some();
            if !known {
                log::warn!(
                    "electron-updater feed of `{}`: {} {} left out: a remote file needs `sha512` in its manifest",
                    view.id(),
                    r.release.version,
                    f.artifact.name
                );
            }
            known
        })
        .collect()
}

/// The channel file, as electron-builder writes it: every string double-quoted (JSON strings
/// are YAML), so that no value is read back as a number or a date.
fn channel_yaml(
    r: &FeedRelease<'_>,
    files: &[&FeedFile<'_>],
    problems: &mut Problems,
) -> Option<String> {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let release = r.release;
    let mut entries = Vec::new();
    for f in files {
        let sha512 = file_sha512(r, f, problems)?;
        entries.push((f.artifact.url.as_str(), sha512, f.artifact.size));
    }
    let mut y = String::new();
    let _ = writeln!(y, "version: {}", q(&release.version));
    y.push_str("files:\n");
    for (url, sha512, size) in &entries {
        let _ = writeln!(y, "  - url: {}", q(url));
        let _ = writeln!(y, "    sha512: {}", q(sha512));
        let _ = writeln!(y, "    size: {size}");
    }
    // The first file again in the old top-level fields, which electron-updater before 2.x
    // reads.
    let (url, sha512, _) = entries.first()?;
    let _ = writeln!(y, "path: {}", q(url));
    let _ = writeln!(y, "sha512: {}", q(sha512));
    let _ = writeln!(
        y,
        "releaseDate: {}",
        q(&release.published_at.to_iso_millis())
    );
    if !release.notes.is_empty() {
        let _ = writeln!(y, "releaseNotes: {}", q(&release.notes));
    }
    if !release.rollout.is_full() {
        let _ = writeln!(y, "stagingPercentage: {}", release.rollout.percent());
    }
    Some(y)
}

/// The file's sha512: computed from a local file (and compared with a stated one), or as the
/// manifest states it for a remote one.
pub(super) fn file_sha512(
    r: &FeedRelease<'_>,
    f: &FeedFile<'_>,
    problems: &mut Problems,
) -> Option<String> {
    let field = |name: &str| format!("{}.{name}", f.model.field);
    let stated = f.spec.sha512.as_deref().map(str::trim);
    if let Some(s) = stated
        && !is_sha512_base64(s)
    {
        problems.push(
                Problem::new(&r.model.file, field("sha512"), "is not the base64 of a SHA-512")
                    .hint("write the file's SHA-512 in base64 (openssl dgst -sha512 -binary FILE | base64 -w0)"),
            );
        return None;
    }
    if f.local_path().is_none() {
        return stated.map(str::to_owned);
    }
    // Computed by the hash pass, for the files electron-updater installs and those whose
    // manifest states a sha512 (`super::wants`).
    let Some(actual) = super::hashed_sha512(f.hashed) else {
        problems.push(super::not_hashed(r.model, f.model, "SHA-512"));
        return None;
    };
    match actual {
        actual if stated.is_some_and(|s| s != actual) => {
            problems.push(
                Problem::new(
                    &r.model.file,
                    field("sha512"),
                    format!(
                        "states {} but the file has {actual}",
                        stated.unwrap_or_default()
                    ),
                )
                .hint("remove `sha512` to take it from the file, or replace the file"),
            );
            None
        }
        actual => Some(actual),
    }
}

/// Whether `s` is the base64 of a SHA-512 (64 bytes).
pub(super) fn is_sha512_base64(s: &str) -> bool {
    B64.decode(s).map(|d| d.len()) == Ok(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_file_names_follow_electron_updater() {
        for (platform, cpu, want) in [
            (Platform::Windows, Some(Cpu::X86_64), Some(Ok("latest.yml"))),
            (Platform::Windows, None, Some(Ok("latest.yml"))),
            (
                Platform::Macos,
                Some(Cpu::Aarch64),
                Some(Ok("latest-mac.yml")),
            ),
            (
                Platform::Linux,
                Some(Cpu::X86_64),
                Some(Ok("latest-linux.yml")),
            ),
            (
                Platform::Linux,
                Some(Cpu::Aarch64),
                Some(Ok("latest-linux-arm64.yml")),
            ),
            (
                Platform::Linux,
                Some(Cpu::Armv7),
                Some(Ok("latest-linux-armv7l.yml")),
            ),
            (Platform::Linux, None, Some(Err(()))),
            (Platform::Android, Some(Cpu::Aarch64), None),
            (Platform::Ios, None, None),
        ] {
            assert_eq!(channel_file(platform, cpu), want, "{platform:?} {cpu:?}");
        }
    }

    #[test]
    fn channel_files_also_go_by_the_channel_name() {
        assert_eq!(own_name("latest.yml", "beta").as_deref(), Some("beta.yml"));
        assert_eq!(
            own_name("latest-linux-arm64.yml", "stable").as_deref(),
            Some("stable-linux-arm64.yml")
        );
        assert_eq!(own_name("latest-mac.yml", "latest"), None);
    }
}
