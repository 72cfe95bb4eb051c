//! `generator publish`: adds one build to the release repository in one command. It reads what
//! the package says about itself, copies the file to `releases/<app>/files/`, writes the
//! release manifest `releases/<app>/<channel>/<version>[-<build>].toml` (or adds the build of
//! another architecture to the release's existing manifest), then validates the whole
//! repository and, when anything fails, removes what it wrote.

use crate::args::{InputArgs, OutputFormat};
use crate::atomic_file::Mode;
use crate::load::{Sourced, parse_toml, rel_path};
use crate::package::{self, Metadata, PackageKind};
use crate::problem::{InvalidInput, Problem};
use anyhow::{Context, Result, anyhow};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use serde::Serialize;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use update_protocol::manifest::{
    AppManifest, ArtifactRole, ArtifactSpec, Changelog, ChangelogEntry, CustomField, GitInfo,
    ReleaseManifest, ReleaseState, Rollout, UpgradeType, Versioning,
};
use update_protocol::names::{AppId, ArchKey, ChannelKey, FileName, check_path_version};
use update_protocol::rules;
use update_protocol::time::Timestamp;

/// Where problems with flags alone are reported.
const COMMAND_LINE: &str = "command line";

/// Arguments of `publish`.
#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// The build to publish. From an APK or IPA the id, version, build (and APK version code)
    /// are read; any other file needs `--version`.
    pub file: PathBuf,
    /// The app (`apps/<APP>.toml`).
    #[arg(long)]
    pub app: AppId,
    /// Channel [default: the app's default channel]. Zealot: `channel_key`.
    #[arg(long)]
    pub channel: Option<ChannelKey>,
    /// Input options.
    #[command(flatten)]
    pub input: InputArgs,

    /// Version [default: the APK's versionName or the IPA's CFBundleShortVersionString].
    #[arg(long, help_heading = "Release")]
    pub version: Option<String>,
    /// Integer version code [default: the APK's versionCode].
    #[arg(long, help_heading = "Release")]
    pub version_code: Option<i64>,
    /// Build [default: the IPA's CFBundleVersion or the APK's versionCode].
    #[arg(long, help_heading = "Release")]
    pub build: Option<String>,
    /// Architecture of this build [default: the app's default architecture].
    #[arg(long, help_heading = "Release")]
    pub arch: Option<ArchKey>,
    /// `primary` (the installable build) or `attachment` (symbols, mapping files).
    #[arg(long, help_heading = "Release", default_value = "primary",
          value_parser = PossibleValuesParser::new(["primary", "attachment"]).map(|s| by_name::<ArtifactRole>(&s)))]
    pub role: ArtifactRole,
    /// Name the file is published under [default: its file name].
    #[arg(long, help_heading = "Release")]
    pub name: Option<FileName>,
    /// Publication time, RFC 3339 with an offset [default: now]. Pass the commit time for
    /// reproducible manifests.
    #[arg(long, help_heading = "Release")]
    pub published_at: Option<Timestamp>,
    /// Release state [default: ready].
    #[arg(long, help_heading = "Release",
          value_parser = PossibleValuesParser::new(["draft", "ready", "yanked"]).map(|s| by_name::<ReleaseState>(&s)))]
    pub state: Option<ReleaseState>,
    /// Percentage of devices offered the release, 0 to 100 [default: 100].
    #[arg(long, help_heading = "Release", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub rollout: Option<u8>,
    /// How clients install it [default: prompt]. For a build added to an existing release, a
    /// value other than the release's becomes this architecture's override.
    #[arg(long, help_heading = "Release",
          value_parser = PossibleValuesParser::new(["prompt", "silent", "force"]).map(|s| by_name::<UpgradeType>(&s)))]
    pub upgrade: Option<UpgradeType>,
    /// Prompt text shown with the update (toolsetlink `promptUpgradeContent`).
    #[arg(long, help_heading = "Release", allow_hyphen_values = true)]
    pub prompt: Option<String>,

    /// Zealot `release_type`: debug, beta, adhoc, release, enterprise, ...
    #[arg(long, help_heading = "Zealot upload fields")]
    pub release_type: Option<String>,
    /// Release notes: text (one change per line), or a JSON array of Zealot's commit entries
    /// `[{"message", "author", "email", "date"}]`.
    #[arg(
        long,
        help_heading = "Zealot upload fields",
        allow_hyphen_values = true
    )]
    pub changelog: Option<String>,
    /// Git branch; a leading `origin/` is stripped.
    #[arg(long, help_heading = "Zealot upload fields")]
    pub branch: Option<String>,
    /// Git commit hash.
    #[arg(long, help_heading = "Zealot upload fields")]
    pub git_commit: Option<String>,
    /// URL of the CI job that built it.
    #[arg(long, help_heading = "Zealot upload fields")]
    pub ci_url: Option<String>,
    /// JSON array of `{"name", "value", "icon"}` (Zealot's `title` is taken for `name`).
    #[arg(long, help_heading = "Zealot upload fields")]
    pub custom_fields: Option<String>,

    /// Take the flags' values where they contradict the package's.
    #[arg(long)]
    pub force: bool,
    /// Check everything this command can check alone, print what it would write, and write
    /// nothing (the repository-wide validation needs the files in place, so it is skipped).
    #[arg(long)]
    pub dry_run: bool,
}

/// A unit enum variant from its serde name (the names `PossibleValuesParser` allows).
fn by_name<T: serde::de::DeserializeOwned + Default>(s: &str) -> T {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).unwrap_or_default()
}

/// The JSON printed on stdout for `--format json`.
#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    dry_run: bool,
    /// The manifest written or extended, relative to the root.
    manifest: &'a str,
    /// Whether the build was added to an existing release's manifest.
    appended: bool,
    artifact: ArtifactReport<'a>,
    /// What the package says, when it is an APK or IPA.
    package: Option<&'a Metadata>,
    /// The release manifest as written.
    release: &'a ReleaseManifest,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct ArtifactReport<'a> {
    /// Where the file is, relative to the root.
    path: &'a str,
    /// Whether it was copied (`false`: the same bytes were already there).
    copied: bool,
    sha256: String,
    size: u64,
}

/// The release fields the package and the flags decide between.
struct Versions {
    version: String,
    version_code: Option<i64>,
    build: Option<String>,
}

/// What the command will write.
struct Change {
    /// Root-relative path of the manifest.
    manifest_rel: String,
    manifest_path: PathBuf,
    /// The manifest's full text after the change.
    text: String,
    /// The manifest after the change.
    release: ReleaseManifest,
    /// The manifest's text before, when an existing one is extended.
    before: Option<String>,
}

impl PublishArgs {
    /// Runs the command.
    ///
    /// # Errors
    /// [`InvalidInput`] for problems with the package, the flags or the repository (the
    /// repository is then as it was); other errors for I/O failures.
    pub fn run(self) -> Result<()> {
        self.execute()
            .inspect_err(|e| super::report_failure(self.input.format, e))
    }

    fn execute(&self) -> Result<()> {
        let root = &self.input.root;
        let shown = self.file.display().to_string();
        if !self.file.is_file() {
            return Err(invalid(
                Problem::new(&shown, "", "no such file").hint("give the path of the built file"),
            ));
        }
        let meta = package::read(&self.file).map_err(|e| {
            invalid(Problem::new(&shown, "", e.to_string()).hint(
                "check that this is the complete, signed package the build produced (not a \
                 truncated upload or an unpacked bundle)",
            ))
        })?;
        let mut warnings: Vec<String> = meta.iter().flat_map(|m| m.warnings.clone()).collect();

        let mut ignored = crate::problem::Problems::default();
        let repo = crate::load::load(root, &mut ignored)?;
        let app = find_app(&repo, &self.app)?;
        let am = &app.value;
        let channel = self.channel(am)?;

        let mut problems = Vec::new();
        if let (Some(m), Some(bundle_id)) = (&meta, &am.bundle_id)
            && m.id != *bundle_id
        {
            problems.push(
                Problem::new(
                    &shown,
                    m.kind.field_names().id,
                    format!(
                        "`{}` does not match bundle_id `{bundle_id}` of app `{}` ({})",
                        m.id, am.id, app.rel
                    ),
                )
                .hint(format!(
                    "publish it to the app whose bundle_id is `{}`, or fix bundle_id in {}",
                    m.id, app.rel
                )),
            );
        }
        let versions = self.versions(meta.as_ref(), am, &shown, &mut problems, &mut warnings);
        let release_fields = self.release_fields(&mut problems);
        let arch = self.check_arch(am, &mut problems);
        let src_name = self.source_name(&shown, &mut problems);
        let (Some(v), Some(fields), Some(arch), Some(src_name)) =
            (versions, release_fields, arch, src_name)
        else {
            return Err(InvalidInput(problems).into());
        };
        if !problems.is_empty() {
            return Err(InvalidInput(problems).into());
        }

        // The artifact's place, and whether the same bytes are already there.
        let digests = crate::hash::hash_file(&self.file, None, &indicatif::ProgressBar::hidden())?;
        let files_dir = root.join("releases").join(self.app.as_str()).join("files");
        let dest = files_dir.join(&src_name);
        let dest_rel = rel_path(root, &dest);
        let copy = if dest.exists() {
            let there = crate::hash::hash_file(&dest, None, &indicatif::ProgressBar::hidden())?;
            if there.sha256 != digests.sha256 {
                return Err(invalid(
                    Problem::new(
                        &dest_rel,
                        "",
                        format!(
                            "a different file of this name is already published (sha256 {}, this \
                             build's is {})",
                            there.sha256.to_hex(),
                            digests.sha256.to_hex()
                        ),
                    )
                    .hint(
                        "give each build a file name of its own (with its version in it); \
                         published files are never replaced",
                    ),
                ));
            }
            false
        } else {
            true
        };

        let artifact = ArtifactSpec {
            arch: self.arch.clone(),
            role: self.role,
            file: None, // relative to the manifest, set below
            url: None,
            sha256: Some(digests.sha256),
            md5: None,
            size: Some(digests.size),
            name: self.name.as_ref().map(|n| n.to_string()),
            upgrade: None,
            minimum_system_version: None,
            sha512: None,
            ed_signature: None,
            signature: None,
            signature_file: None,
            bundle: None,
        };
        let change = self.change(
            &repo.releases,
            am,
            &channel,
            &arch,
            v,
            fields,
            artifact,
            &dest_rel,
        )?;
        if change.before.is_some() {
            log::info!("adding the {arch} build to {}", change.manifest_rel);
        }
        for w in &warnings {
            log::warn!("{w}");
        }

        if !self.dry_run {
            let mut undo = Undo::default();
            let written = self
                .write(&mut undo, copy, &dest, &digests.sha256, &change)
                .and_then(|()| super::check(&self.input, None).map(|_| ()));
            if let Err(e) = written {
                match undo.undo() {
                    Ok(()) => log::error!("publish undone: the repository is as it was"),
                    Err(u) => log::error!("publish failed, and undoing it failed too: {u:#}"),
                }
                return Err(e);
            }
        }

        let release = &change.release;
        match self.input.format {
            OutputFormat::Json => {
                let report = Report {
                    ok: true,
                    dry_run: self.dry_run,
                    manifest: &change.manifest_rel,
                    appended: change.before.is_some(),
                    artifact: ArtifactReport {
                        path: &dest_rel,
                        copied: copy,
                        sha256: digests.sha256.to_hex(),
                        size: digests.size,
                    },
                    package: meta.as_ref(),
                    release,
                    warnings: &warnings,
                };
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            OutputFormat::Text => {
                let what = if self.dry_run {
                    "would publish"
                } else {
                    "published"
                };
                let build = release
                    .build
                    .as_ref()
                    .map(|b| format!(" build {b}"))
                    .unwrap_or_default();
                println!(
                    "{what} {} {}{build} ({arch}) to channel {channel}: {} and {}",
                    self.app, release.version, change.manifest_rel, dest_rel
                );
                if self.dry_run {
                    print!("{}", change.text);
                }
            }
        }
        Ok(())
    }

    fn channel(&self, am: &AppManifest) -> Result<ChannelKey> {
        match &self.channel {
            Some(c) if am.channels.iter().any(|x| &x.key == c) => Ok(c.clone()),
            Some(c) => Err(invalid(
                Problem::new(
                    COMMAND_LINE,
                    "--channel",
                    format!("app `{}` has no channel `{c}`", am.id),
                )
                .hint(format!(
                    "use one of: {}",
                    keys(am.channels.iter().map(|c| &c.key))
                )),
            )),
            None => rules::default_channel(am).ok_or_else(|| {
                invalid(
                    Problem::new(format!("apps/{}.toml", am.id), "channels", "no channel")
                        .hint("declare a [[channels]] table"),
                )
            }),
        }
    }

    /// Version, version code and build: the flags' values, else the package's; a flag that
    /// contradicts the package is a problem unless `--force`.
    fn versions(
        &self,
        meta: Option<&Metadata>,
        am: &AppManifest,
        shown: &str,
        problems: &mut Vec<Problem>,
        warnings: &mut Vec<String>,
    ) -> Option<Versions> {
        let names = meta.map(|m| m.kind.field_names());
        let mut pick = |flag: &str, given: Option<String>, read: Option<String>, field: &str| match (
            given, read,
        ) {
            (Some(g), Some(r)) if g != r => {
                if self.force {
                    warnings.push(format!(
                        "{flag} {g} overrides the package's {field} `{r}` (--force)"
                    ));
                    Some(g)
                } else {
                    problems.push(
                        Problem::new(
                            shown,
                            flag,
                            format!("`{g}` contradicts the package's {field} `{r}`"),
                        )
                        .hint(format!(
                            "leave {flag} out to take the package's value, or add --force to \
                                 override it"
                        )),
                    );
                    None
                }
            }
            (g, r) => g.or(r),
        };
        let version = pick(
            "--version",
            given(&self.version),
            meta.and_then(|m| m.version.clone()),
            names.map_or("", |n| n.version),
        );
        let version_code = pick(
            "--version-code",
            self.version_code.map(|c| c.to_string()),
            meta.and_then(|m| m.version_code).map(|c| c.to_string()),
            names.map_or("", |n| n.version_code),
        )
        .and_then(|c| c.parse::<i64>().ok());
        let apk = meta.is_some_and(|m| m.kind == PackageKind::Apk);
        let build = if apk && given(&self.build).is_none() {
            // An APK's build is its version code (what Zealot shows), the final one.
            version_code.map(|c| c.to_string())
        } else {
            pick(
                "--build",
                given(&self.build),
                meta.and_then(|m| m.build.clone()),
                names.map_or("", |n| n.build),
            )
        };
        let before = problems.len();
        let Some(version) = version else {
            if !problems.iter().any(|p| p.field == "--version") {
                let why = match meta {
                    None => format!(
                        "{shown} is not an APK or IPA, so nothing is read from it: the version \
                         must be given"
                    ),
                    Some(m) => format!("the package has no {}", m.kind.field_names().version),
                };
                problems.push(
                    Problem::new(shown, "--version", why)
                        .hint("add --version, e.g. --version 1.2.0"),
                );
            }
            return None;
        };
        if let Err(e) = check_path_version(&version) {
            problems.push(Problem::new(shown, "--version", e.to_string()).hint(
                "versions become path segments: use letters, digits, '.', '_', '+', '~' and '-' \
                 (give --version, with --force when the package says otherwise)",
            ));
        }
        let needs_code =
            am.versioning == Versioning::VersionCode || am.protocols.toolsetlink.is_some();
        if needs_code
            && version_code.is_none()
            && !problems.iter().any(|p| p.field == "--version-code")
        {
            problems.push(
                Problem::new(
                    shown,
                    "--version-code",
                    format!(
                        "app `{}` needs a version code ({}), and none is given",
                        am.id,
                        if am.versioning == Versioning::VersionCode {
                            "its versioning is version-code"
                        } else {
                            "toolsetlink orders releases by it"
                        }
                    ),
                )
                .hint("add --version-code N (a positive integer that grows with each release)"),
            );
        }
        (problems.len() == before).then_some(Versions {
            version,
            version_code,
            build,
        })
    }

    /// The release-level fields the flags give (besides the versions).
    fn release_fields(&self, problems: &mut Vec<Problem>) -> Option<Fields> {
        let before = problems.len();
        let changelog = match self.changelog.as_deref().map(parse_changelog) {
            None => None,
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                problems.push(Problem::new(COMMAND_LINE, "--changelog", e).hint(
                    "give text, or a JSON array of {\"message\", \"author\", \"email\", \"date\"}",
                ));
                None
            }
        };
        let custom_fields = match given(&self.custom_fields)
            .as_deref()
            .map(parse_custom_fields)
        {
            None => None,
            Some(Ok(f)) => Some(f),
            Some(Err(e)) => {
                problems.push(
                    Problem::new(COMMAND_LINE, "--custom-fields", e)
                        .hint("give a JSON array such as [{\"name\": \"env\", \"value\": \"staging\", \"icon\": \"fas fa-flag\"}]"),
                );
                None
            }
        };
        let branch = given(&self.branch).map(|b| match b.strip_prefix("origin/") {
            Some(rest) => rest.to_owned(),
            None => b,
        });
        (problems.len() == before).then(|| Fields {
            release_type: given(&self.release_type),
            changelog,
            prompt: self.prompt.clone().filter(|p| !p.trim().is_empty()),
            git: GitInfo {
                branch,
                commit: given(&self.git_commit),
                ci_url: given(&self.ci_url),
            },
            custom_fields,
        })
    }

    /// The architecture the build is for (checked against the app's).
    fn check_arch(&self, am: &AppManifest, problems: &mut Vec<Problem>) -> Option<ArchKey> {
        let Some(arch) = &self.arch else {
            return Some(rules::default_arch(am));
        };
        let known: Vec<ArchKey> = if am.architectures.is_empty() {
            vec![rules::default_arch(am)]
        } else {
            am.architectures.iter().map(|a| a.key.clone()).collect()
        };
        if known.contains(arch) {
            Some(arch.clone())
        } else {
            problems.push(
                Problem::new(
                    COMMAND_LINE,
                    "--arch",
                    format!("app `{}` has no architecture `{arch}`", am.id),
                )
                .hint(format!("use one of: {}", keys(known.iter()))),
            );
            None
        }
    }

    /// The file's name, which it keeps under `files/`.
    fn source_name(&self, shown: &str, problems: &mut Vec<Problem>) -> Option<String> {
        let name = self.file.file_name().and_then(|n| n.to_str());
        let Some(name) = name else {
            problems.push(
                Problem::new(shown, "", "the file name is not UTF-8")
                    .hint("rename the file to letters, digits, '.', '_', '+', '~' and '-'"),
            );
            return None;
        };
        if name.to_ascii_lowercase().ends_with(".toml") {
            problems.push(
                Problem::new(
                    shown,
                    "",
                    "a .toml file under releases/ would be read as a release manifest",
                )
                .hint("publish it under another extension, e.g. zipped"),
            );
            return None;
        }
        if self.name.is_none()
            && let Err(e) = FileName::new(name)
        {
            problems.push(
                Problem::new(shown, "", e.to_string())
                    .hint("rename the file, or give the name to publish it under with --name"),
            );
            return None;
        }
        Some(name.to_owned())
    }

    /// The manifest to write: a new one, or the release's existing manifest with this build
    /// added.
    #[allow(clippy::too_many_arguments)]
    fn change(
        &self,
        releases: &[Sourced<ReleaseManifest>],
        am: &AppManifest,
        channel: &ChannelKey,
        arch: &ArchKey,
        v: Versions,
        f: Fields,
        mut artifact: ArtifactSpec,
        dest_rel: &str,
    ) -> Result<Change> {
        let root = &self.input.root;
        let default_ch = rules::default_channel(am);
        let default_a = rules::default_arch(am);
        let existing = releases.iter().find(|r| {
            r.value.app == am.id
                && r.value.channel.as_ref().or(default_ch.as_ref()) == Some(channel)
                && r.value.version == v.version
        });
        if let Some(r) = existing {
            let m = &r.value;
            if self.role == ArtifactRole::Primary
                && let Some((i, _)) = m.artifacts.iter().enumerate().find(|(_, a)| {
                    a.role == ArtifactRole::Primary && a.arch.as_ref().unwrap_or(&default_a) == arch
                })
            {
                return Err(invalid(
                    Problem::new(
                        &r.rel,
                        "version",
                        format!(
                            "version `{}` of channel `{channel}` is already published, with a \
                             build for `{arch}` (artifacts[{i}])",
                            v.version
                        ),
                    )
                    .hint(
                        "bump the version (and the version code) for a new build, or publish \
                         another architecture's build with --arch",
                    ),
                ));
            }
            self.check_same_release(r, &v, &f)?;
            if let Some(u) = self.upgrade.filter(|u| *u != m.upgrade) {
                artifact.upgrade = Some(u);
            }
            let dir = r.rel.rsplit_once('/').map_or("", |(d, _)| d);
            artifact.file = Some(relative(dir, dest_rel));
            let before = std::fs::read_to_string(&r.path)
                .with_context(|| format!("failed to read manifest {}", r.path.display()))?;
            #[derive(Serialize)]
            struct Append<'a> {
                artifacts: [&'a ArtifactSpec; 1],
            }
            let mut text = before.clone();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push('\n');
            text.push_str(&toml::to_string(&Append {
                artifacts: [&artifact],
            })?);
            let mut release = m.clone();
            release.artifacts.push(artifact);
            if parse_toml::<ReleaseManifest>(&r.rel, &text).ok().as_ref() != Some(&release) {
                return Err(invalid(
                    Problem::new(
                        &r.rel,
                        "artifacts",
                        "the build cannot be added by appending an [[artifacts]] table to this \
                         manifest",
                    )
                    .hint("write its artifacts as [[artifacts]] tables at the end of the file"),
                ));
            }
            return Ok(Change {
                manifest_rel: r.rel.clone(),
                manifest_path: r.path.clone(),
                text,
                release,
                before: Some(before),
            });
        }

        let file_name = match &v.build {
            Some(b) if *b != v.version && check_path_version(b).is_ok() => {
                format!("{}-{b}.toml", v.version)
            }
            _ => format!("{}.toml", v.version),
        };
        let manifest_rel = format!("releases/{}/{channel}/{file_name}", am.id);
        let manifest_path = root
            .join("releases")
            .join(am.id.as_str())
            .join(channel.as_str())
            .join(&file_name);
        if manifest_path.exists() {
            return Err(invalid(
                Problem::new(&manifest_rel, "", "this manifest already exists")
                    .hint("release manifests are never overwritten: bump the version or the build"),
            ));
        }
        artifact.file = Some(relative(
            manifest_rel.rsplit_once('/').map_or("", |(d, _)| d),
            dest_rel,
        ));
        let release = ReleaseManifest {
            app: am.id.clone(),
            version: v.version,
            version_code: v.version_code,
            build: v.build,
            release_type: f.release_type,
            channel: Some(channel.clone()),
            published_at: match self.published_at {
                Some(t) => t,
                None => now()?,
            },
            state: self.state.unwrap_or_default(),
            rollout: Rollout::try_from(self.rollout.unwrap_or(100)).map_err(|e| anyhow!(e))?,
            upgrade: self.upgrade.unwrap_or_default(),
            changelog: f.changelog.unwrap_or_default(),
            prompt: f.prompt,
            git: f.git,
            custom_fields: f.custom_fields.unwrap_or_default(),
            content: None,
            minimum_system_version: None,
            artifacts: vec![artifact],
        };
        let text = manifest_text(&release)?;
        if parse_toml::<ReleaseManifest>(&manifest_rel, &text)
            .ok()
            .as_ref()
            != Some(&release)
        {
            return Err(anyhow!(
                "internal error: the manifest written for {manifest_rel} does not read back the same"
            ));
        }
        Ok(Change {
            manifest_rel,
            manifest_path,
            text,
            release,
            before: None,
        })
    }

    /// A build added to an existing release joins it as it is: every release field this
    /// publish sets must already have that value there.
    fn check_same_release(
        &self,
        r: &Sourced<ReleaseManifest>,
        v: &Versions,
        f: &Fields,
    ) -> Result<()> {
        let m = &r.value;
        let mut problems = Vec::new();
        let mut same = |field: &str, ours: Option<String>, theirs: Option<String>| {
            if let Some(ours) = ours
                && theirs.as_ref() != Some(&ours)
            {
                let there = theirs.map_or_else(|| "not set".to_owned(), |t| format!("`{t}`"));
                problems.push(
                    Problem::new(
                        &r.rel,
                        field,
                        format!("{there} in the release, but this publish gives `{ours}`"),
                    )
                    .hint(
                        "a build for another architecture joins the release as it is: give the \
                         same value, or leave it out",
                    ),
                );
            }
        };
        same(
            "version_code",
            v.version_code.map(|c| c.to_string()),
            m.version_code.map(|c| c.to_string()),
        );
        same("build", v.build.clone(), m.build.clone());
        same(
            "release_type",
            f.release_type.clone(),
            m.release_type.clone(),
        );
        same(
            "published_at",
            self.published_at.map(|t| t.to_string()),
            Some(m.published_at.to_string()),
        );
        same("state", self.state.map(|s| json(&s)), Some(json(&m.state)));
        same(
            "rollout",
            self.rollout.map(|p| p.to_string()),
            Some(m.rollout.percent().to_string()),
        );
        same(
            "changelog",
            f.changelog.as_ref().map(json),
            Some(json(&m.changelog)),
        );
        same("prompt", f.prompt.clone(), m.prompt.clone());
        same("git.branch", f.git.branch.clone(), m.git.branch.clone());
        same("git.commit", f.git.commit.clone(), m.git.commit.clone());
        same("git.ci_url", f.git.ci_url.clone(), m.git.ci_url.clone());
        same(
            "custom_fields",
            f.custom_fields.as_ref().map(json),
            Some(json(&m.custom_fields)),
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidInput(problems).into())
        }
    }

    /// Copies the artifact (unless the same bytes are there) and writes the manifest, each
    /// step recorded in `undo`.
    fn write(
        &self,
        undo: &mut Undo,
        copy: bool,
        dest: &Path,
        sha256: &update_protocol::digest::Sha256Digest,
        change: &Change,
    ) -> Result<()> {
        if copy {
            undo.create_dirs(dest.parent().unwrap_or(&self.input.root))?;
            undo.new_file(dest)?;
            let copied =
                crate::hash::hash_file(&self.file, Some(dest), &indicatif::ProgressBar::hidden())?;
            if copied.sha256 != *sha256 {
                return Err(anyhow!(
                    "{} changed while it was being published",
                    self.file.display()
                ));
            }
        }
        match &change.before {
            Some(_) => undo.replace(&change.manifest_path, change.text.as_bytes())?,
            None => {
                undo.create_dirs(change.manifest_path.parent().unwrap_or(&self.input.root))?;
                undo.new_file(&change.manifest_path)?;
                std::fs::write(&change.manifest_path, &change.text).with_context(|| {
                    format!("failed to write {}", change.manifest_path.display())
                })?;
            }
        }
        Ok(())
    }
}

/// A value as text, to compare fields of any type: a string as it is, anything else as
/// compact JSON.
fn json<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}

/// Release fields from the flags.
struct Fields {
    release_type: Option<String>,
    changelog: Option<Changelog>,
    prompt: Option<String>,
    git: GitInfo,
    custom_fields: Option<Vec<CustomField>>,
}

/// A flag's text, trimmed; empty (as unset CI variables give) counts as not given.
fn given(flag: &Option<String>) -> Option<String> {
    flag.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn invalid(p: Problem) -> anyhow::Error {
    InvalidInput(vec![p]).into()
}

fn keys<T: Display>(items: impl Iterator<Item = T>) -> String {
    items
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The current time: the only place the generator reads the clock, for `published_at` when
/// `--published-at` is not given.
fn now() -> Result<Timestamp> {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the system clock is before 1970")?;
    let secs = i64::try_from(d.as_secs()).context("the system clock is out of range")?;
    Timestamp::from_unix(secs, 0).context("the system clock is out of range")
}

fn find_app<'a>(repo: &'a crate::load::Input, id: &AppId) -> Result<&'a Sourced<AppManifest>> {
    if let Some(a) = repo.apps.iter().find(|a| &a.value.id == id) {
        return Ok(a);
    }
    let file = format!("apps/{id}.toml");
    Err(invalid(
        if repo.broken_apps.iter().any(|b| b == id.as_str()) {
            Problem::new(file, "", "the app's manifest does not parse")
                .hint("run `generator validate` and fix it first")
        } else {
            Problem::new(
                COMMAND_LINE,
                "--app",
                format!("no app `{id}` ({file} does not exist)"),
            )
            .hint(format!(
                "use one of: {}",
                keys(repo.apps.iter().map(|a| &a.value.id))
            ))
        },
    ))
}

/// The path of `to` relative to the directory `from_dir` (both root-relative, `/`-separated).
fn relative(from_dir: &str, to: &str) -> String {
    let from: Vec<&str> = from_dir.split('/').filter(|s| !s.is_empty()).collect();
    let to: Vec<&str> = to.split('/').filter(|s| !s.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    parts.join("/")
}

/// `--changelog`: a JSON array is Zealot's entries (objects, or plain strings taken as
/// messages); anything else is text. Empty text is no changelog.
fn parse_changelog(s: &str) -> std::result::Result<Option<Changelog>, String> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(t) else {
        return Ok(Some(Changelog::Text(s.to_owned())));
    };
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let entry = match item {
            serde_json::Value::String(message) => ChangelogEntry {
                message,
                author: None,
                email: None,
                date: None,
            },
            v @ serde_json::Value::Object(_) => serde_json::from_value::<ChangelogEntry>(v)
                .map_err(|e| format!("entry {i}: {e}"))?,
            _ => return Err(format!("entry {i} is neither an object nor a string")),
        };
        if entry.message.trim().is_empty() {
            return Err(format!("entry {i} has an empty message"));
        }
        entries.push(entry);
    }
    Ok(Some(Changelog::Entries(entries)))
}

/// `--custom-fields`: a JSON array of `{name, value, icon}`; Zealot names `name` `title`, and
/// a number or boolean value is taken as its text.
fn parse_custom_fields(s: &str) -> std::result::Result<Vec<CustomField>, String> {
    let v: serde_json::Value =
        serde_json::from_str(s.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let items = v.as_array().ok_or("not a JSON array")?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let obj = item
            .as_object()
            .ok_or_else(|| format!("entry {i} is not an object"))?;
        if let Some(k) = obj
            .keys()
            .find(|k| !["name", "title", "value", "icon"].contains(&k.as_str()))
        {
            return Err(format!(
                "entry {i}: unknown key `{k}` (expected name, value, icon)"
            ));
        }
        let text = |k: &str| -> std::result::Result<Option<String>, String> {
            match obj.get(k) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(n @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                    Ok(Some(n.to_string()))
                }
                Some(_) => Err(format!("entry {i}: `{k}` is not a string")),
            }
        };
        let name = match text("name")? {
            Some(n) => n,
            None => text("title")?.ok_or_else(|| format!("entry {i} has no `name`"))?,
        };
        out.push(CustomField {
            name,
            value: text("value")?.ok_or_else(|| format!("entry {i} has no `value`"))?,
            icon: text("icon")?,
        });
    }
    Ok(out)
}

/// The manifest's text: the types serialized by `toml`, with `published_at` as a TOML
/// datetime (as people write it) and no empty changelog.
fn manifest_text(r: &ReleaseManifest) -> Result<String> {
    let body = toml::to_string(r).context("failed to serialize the release manifest")?;
    // Both keys come before any free text in the serialized order, so the first match is
    // theirs; the caller reads the text back to be sure.
    let quoted = format!("published_at = \"{}\"\n", r.published_at);
    let mut body = body.replacen(&quoted, &format!("published_at = {}\n", r.published_at), 1);
    if r.changelog == Changelog::default() {
        body = body.replacen("changelog = []\n", "", 1);
    }
    Ok(format!("# Written by `generator publish`.\n{body}"))
}

/// What the command wrote, to put the repository back as it was.
#[derive(Default)]
struct Undo {
    /// Directories created, outermost first.
    dirs: Vec<PathBuf>,
    /// Files created.
    files: Vec<PathBuf>,
    /// Files replaced, with their bytes before.
    replaced: Vec<(PathBuf, Vec<u8>)>,
}

impl Undo {
    /// Creates `dir` and its missing parents, recording each.
    fn create_dirs(&mut self, dir: &Path) -> Result<()> {
        let mut missing = Vec::new();
        let mut d = Some(dir);
        while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
            missing.push(p.to_owned());
            d = p.parent();
        }
        for p in missing.into_iter().rev() {
            std::fs::create_dir(&p).with_context(|| format!("failed to create {}", p.display()))?;
            self.dirs.push(p);
        }
        Ok(())
    }

    /// Creates `path`, failing when it exists (never overwrites), and records it.
    fn new_file(&mut self, path: &Path) -> Result<()> {
        std::fs::File::create_new(path)
            .with_context(|| format!("failed to create {}", path.display()))?;
        self.files.push(path.to_owned());
        Ok(())
    }

    /// Replaces `path`'s content atomically (a sibling file renamed over it), recording the
    /// old content.
    fn replace(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let old =
            std::fs::read(path).with_context(|| format!("failed to read {}", path.display()))?;
        crate::atomic_file::write(path, bytes, Mode::Public)?;
        self.replaced.push((path.to_owned(), old));
        Ok(())
    }

    /// Puts everything back: old contents, then created files, then created directories.
    fn undo(self) -> Result<()> {
        let mut first_error = None;
        for (path, old) in self.replaced.iter().rev() {
            if let Err(e) = crate::atomic_file::write(path, old, Mode::Public) {
                first_error.get_or_insert(e);
            }
        }
        for f in self.files.iter().rev() {
            if let Err(e) = std::fs::remove_file(f) {
                first_error
                    .get_or_insert(anyhow!(e).context(format!("failed to remove {}", f.display())));
            }
        }
        for d in self.dirs.iter().rev() {
            if let Err(e) = std::fs::remove_dir(d) {
                first_error
                    .get_or_insert(anyhow!(e).context(format!("failed to remove {}", d.display())));
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_between_release_directories() {
        for (from, to, want) in [
            (
                "releases/a/stable",
                "releases/a/files/x.apk",
                "../files/x.apk",
            ),
            ("releases/a", "releases/a/files/x.apk", "files/x.apk"),
            (
                "releases/a/x/y",
                "releases/a/files/x.apk",
                "../../files/x.apk",
            ),
        ] {
            assert_eq!(relative(from, to), want, "{from} -> {to}");
        }
    }

    #[test]
    fn changelog_json_array_is_entries_else_text() {
        let json = r#"[{"message":"Fix","author":"a","email":"a@x","date":"2026-01-01 10:00:00"},"Plain"]"#;
        let Some(Changelog::Entries(e)) = parse_changelog(json).expect("json") else {
            panic!("entries expected");
        };
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].author.as_deref(), Some("a"));
        assert_eq!(e[1].message, "Plain");
        for text in ["- one\n- two", "[not json", "{\"message\": \"x\"}"] {
            assert_eq!(
                parse_changelog(text).expect("text"),
                Some(Changelog::Text(text.to_owned()))
            );
        }
        assert_eq!(parse_changelog("  "), Ok(None));
        assert!(
            parse_changelog(r#"[{"msg":"x"}]"#)
                .expect_err("unknown")
                .contains("entry 0")
        );
        assert_eq!(
            parse_changelog("[1]"),
            Err("entry 0 is neither an object nor a string".to_owned())
        );
    }

    #[test]
    fn manifest_text_reads_back_the_same() {
        let text = r#"
            app = "a"
            version = "1.0.0+build.7"
            published_at = 2026-06-01T10:00:00.25+02:00
            prompt = """
changelog = []
"quoted" \\ ✓"""
            changelog = "- line one\n- line \"two\"\n"
            [git]
            branch = "feature/x"
            [[custom_fields]]
            name = "a=b"
            value = "[[artifacts]]"
            [[artifacts]]
            file = "../files/x.apk"
        "#;
        let r: ReleaseManifest = toml::from_str(text).expect("fixture");
        let written = manifest_text(&r).expect("text");
        assert!(
            written.contains("\npublished_at = 2026-06-01T08:00:00.25Z\n"),
            "{written}"
        );
        assert_eq!(parse_toml::<ReleaseManifest>("x.toml", &written), Ok(r));
        let mut empty: ReleaseManifest =
            toml::from_str("app = \"a\"\nversion = \"1\"\npublished_at = 2026-01-01T00:00:00Z\n")
                .expect("fixture");
        empty.custom_fields.clear();
        let written = manifest_text(&empty).expect("text");
        assert!(!written.contains("changelog"), "{written}");
        assert_eq!(parse_toml::<ReleaseManifest>("x.toml", &written), Ok(empty));
    }

    #[test]
    fn custom_fields_take_zealot_titles_and_reject_unknown_keys() {
        let f = parse_custom_fields(
            r#"[{"name":"env","value":"staging","icon":"fas fa-flag"},{"title":"API","value":3}]"#,
        )
        .expect("fields");
        assert_eq!(f[0].icon.as_deref(), Some("fas fa-flag"));
        assert_eq!((f[1].name.as_str(), f[1].value.as_str()), ("API", "3"));
        for (bad, why) in [
            ("{}", "not a JSON array"),
            ("[1]", "entry 0 is not an object"),
            (r#"[{"value":"x"}]"#, "entry 0 has no `name`"),
            (r#"[{"name":"x"}]"#, "entry 0 has no `value`"),
            (
                r#"[{"name":"x","value":"y","colour":1}]"#,
                "entry 0: unknown key `colour` (expected name, value, icon)",
            ),
            (
                r#"[{"name":[],"value":"y"}]"#,
                "entry 0: `name` is not a string",
            ),
        ] {
            assert_eq!(
                parse_custom_fields(bad).err().as_deref(),
                Some(why),
                "{bad}"
            );
        }
        let err = parse_custom_fields("nope").expect_err("not JSON");
        assert!(err.starts_with("not JSON: "), "{err}");
    }
}
