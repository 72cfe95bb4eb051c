//! `generator publish` on copies of the example with APK and IPA fixtures the harness writes:
//! what it reads from the package, the manifest and file it writes, that `build` then
//! publishes the release, and that every refusal leaves the repository byte for byte as it
//! was.

use e2e_tests::packages::{self as fx, InfoPlist, Manifest};
use e2e_tests::repo::Repo;
use e2e_tests::stdout_json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Output;
use update_protocol::manifest::{ArtifactRole, Changelog, ReleaseManifest, ReleaseState};

/// `publish` and its checks on the shared repository harness (`e2e_tests::repo`).
trait PublishRepo {
    fn build_file(&self, name: &str, bytes: &[u8]) -> PathBuf;
    fn publish(&self, file: &Path, args: &[&str]) -> Output;
    fn publish_ok(&self, file: &Path, args: &[&str]) -> serde_json::Value;
    fn publish_refused(&self, file: &Path, args: &[&str]) -> String;
    fn dirs(&self) -> Vec<PathBuf>;
    fn manifest(&self, rel: &str) -> (String, ReleaseManifest);
    fn history(&self, app: &str, channel: &str) -> serde_json::Value;
}

/// A copy of the example, and a place beside it for the builds to publish.
fn repo() -> Repo {
    Repo::new(env!("CARGO_BIN_EXE_generator"))
}

impl PublishRepo for Repo {
    /// Writes a build outside the repository, as CI has it.
    fn build_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.tmp.path().join("out").join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, bytes).expect("write build");
        p
    }

    fn publish(&self, file: &Path, args: &[&str]) -> Output {
        self.generator()
            .arg("publish")
            .arg(file)
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .output()
            .expect("run generator")
    }

    /// Publishes and expects success; returns the JSON report.
    fn publish_ok(&self, file: &Path, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let o = self.publish(file, &all);
        assert!(
            o.status.success(),
            "publish failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let v = stdout_json(&o);
        assert_eq!(v["ok"], true);
        v
    }

    /// Publishes, expects a refusal (exit 1) that leaves the repository as it was, and
    /// returns stderr.
    fn publish_refused(&self, file: &Path, args: &[&str]) -> String {
        let before = self.tree();
        let dirs_before = self.dirs();
        let o = self.publish(file, args);
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(1), "expected a refusal: {stderr}");
        assert!(
            stderr.contains("hint:"),
            "every refusal says how to fix it: {stderr}"
        );
        let after = self.tree();
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "files appeared or disappeared: {stderr}"
        );
        for (path, bytes) in &before {
            assert!(after[path] == *bytes, "{path} changed: {stderr}");
        }
        assert_eq!(
            self.dirs(),
            dirs_before,
            "directories left behind: {stderr}"
        );
        stderr
    }

    /// Every directory under the root (the tree comparison sees only files).
    fn dirs(&self) -> Vec<PathBuf> {
        walkdir::WalkDir::new(&self.root)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.expect("walk").into_path())
            .filter(|p| p.is_dir())
            .collect()
    }

    fn manifest(&self, rel: &str) -> (String, ReleaseManifest) {
        let text = std::fs::read_to_string(self.root.join(rel)).expect("read manifest");
        let m = toml::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}\n{text}"));
        (text, m)
    }

    /// Builds the site and returns a channel's history.
    fn history(&self, app: &str, channel: &str) -> serde_json::Value {
        let out = self.tmp.path().join("site");
        let o = self
            .generator()
            .args(["build", "--no-cache", "--root"])
            .arg(&self.root)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("run build");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let p = out.join(format!("apps/{app}/{channel}/history.json"));
        serde_json::from_slice(&std::fs::read(p).expect("history")).expect("json")
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn release<'a>(history: &'a serde_json::Value, version: &str) -> &'a serde_json::Value {
    history["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .find(|r| r["version"] == version)
        .unwrap_or_else(|| panic!("no {version} in {history:#}"))
}

#[test]
fn apk_is_published_with_what_it_says_and_build_serves_it() {
    let r = repo();
    let apk = fx::apk(&Manifest::new("com.example.demo", "1.6.0", 160), "Demo");
    let file = r.build_file("demo-1.6.0-arm64-v8a.apk", &apk);
    let changelog = r#"[{"message":"New sync","author":"dev","email":"dev@example.com","date":"2026-05-30 10:00:00"},{"message":"Fix login"}]"#;
    let v = r.publish_ok(
        &file,
        &[
            "--app",
            "android-demo",
            "--published-at",
            "2026-06-01T10:00:00+02:00",
            "--release-type",
            "release",
            "--changelog",
            changelog,
            "--branch",
            "origin/release/1.6",
            "--git-commit",
            "3333333333333333333333333333333333333333",
            "--ci-url",
            "https://ci.example.com/builds/160",
            "--custom-fields",
            r#"[{"name":"country","value":"China","icon":"fas fa-flag"},{"title":"API","value":"prod"}]"#,
        ],
    );
    assert_eq!(v["manifest"], "releases/android-demo/stable/1.6.0-160.toml");
    assert_eq!(v["appended"], false);
    assert_eq!(
        v["artifact"]["path"],
        "releases/android-demo/files/demo-1.6.0-arm64-v8a.apk"
    );
    assert_eq!(v["artifact"]["sha256"], sha256_hex(&apk));
    assert_eq!(v["artifact"]["copied"], true);
    assert_eq!(v["package"]["kind"], "apk");
    assert_eq!(v["package"]["id"], "com.example.demo");
    assert_eq!(v["package"]["label"], "Demo");
    assert_eq!(v["release"]["version"], "1.6.0");

    // The file is in place, byte for byte.
    let stored = std::fs::read(
        r.root
            .join("releases/android-demo/files/demo-1.6.0-arm64-v8a.apk"),
    )
    .expect("stored");
    assert!(stored == apk);

    let (text, m) = r.manifest("releases/android-demo/stable/1.6.0-160.toml");
    assert!(
        text.contains("published_at = 2026-06-01T08:00:00Z\n"),
        "{text}"
    );
    assert_eq!(m.app.as_str(), "android-demo");
    assert_eq!(m.version, "1.6.0");
    assert_eq!(m.version_code, Some(160));
    assert_eq!(m.build.as_deref(), Some("160"));
    assert_eq!(m.channel.as_ref().map(|c| c.as_str()), Some("stable"));
    assert_eq!(m.release_type.as_deref(), Some("release"));
    assert_eq!(m.state, ReleaseState::Ready);
    assert_eq!(m.published_at.to_rfc3339(), "2026-06-01T08:00:00Z");
    let Changelog::Entries(entries) = &m.changelog else {
        panic!("a JSON changelog gives entries: {:?}", m.changelog);
    };
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].email.as_deref(), Some("dev@example.com"));
    assert_eq!(entries[1].message, "Fix login");
    assert_eq!(m.git.branch.as_deref(), Some("release/1.6"));
    assert_eq!(
        m.git.commit.as_deref(),
        Some("3333333333333333333333333333333333333333")
    );
    assert_eq!(
        m.git.ci_url.as_deref(),
        Some("https://ci.example.com/builds/160")
    );
    assert_eq!(m.custom_fields.len(), 2);
    assert_eq!(m.custom_fields[1].name, "API");
    assert_eq!(m.custom_fields[0].icon.as_deref(), Some("fas fa-flag"));
    assert_eq!(m.artifacts.len(), 1);
    let a = &m.artifacts[0];
    assert_eq!(a.file.as_deref(), Some("../files/demo-1.6.0-arm64-v8a.apk"));
    assert_eq!(a.role, ArtifactRole::Primary);
    assert_eq!(a.sha256.map(|d| d.to_hex()), Some(sha256_hex(&apk)));
    assert_eq!(a.size, Some(apk.len() as u64));

    // The site publishes it.
    let h = r.history("android-demo", "stable");
    let rel = release(&h, "1.6.0");
    assert_eq!(rel["version_code"], 160);
    assert_eq!(rel["git"]["branch"], "release/1.6");
    assert_eq!(rel["changelog"][0]["author"], "dev");
    assert_eq!(rel["artifacts"][0]["arch"], "arm64-v8a");
    assert_eq!(rel["artifacts"][0]["sha256"], sha256_hex(&apk));
    assert_eq!(rel["artifacts"][0]["size"], apk.len());
    // Newest first: the new release leads the history.
    assert_eq!(h["releases"][0]["version"], "1.6.0");
}

#[test]
fn ipa_binary_and_xml_plists_are_published_with_text_changelogs() {
    let r = repo();
    let binary = fx::ipa(&InfoPlist::new(
        "com.example.demo.ios",
        "2.2.0",
        "120",
        true,
    ));
    let file = r.build_file("demo-ios-2.2.0-120.ipa", &binary);
    let v = r.publish_ok(
        &file,
        &[
            "--app",
            "ios-demo",
            "--published-at",
            "2026-06-02T00:00:00Z",
            "--changelog",
            "- Dark mode\n- Faster sync",
            "--branch",
            "main",
        ],
    );
    assert_eq!(v["manifest"], "releases/ios-demo/release/2.2.0-120.toml");
    assert_eq!(v["package"]["kind"], "ipa");
    assert_eq!(v["package"]["label"], "Demo");
    let (_, m) = r.manifest("releases/ios-demo/release/2.2.0-120.toml");
    assert_eq!(
        (m.version.as_str(), m.build.as_deref(), m.version_code),
        ("2.2.0", Some("120"), None)
    );
    assert_eq!(
        m.changelog,
        Changelog::Text("- Dark mode\n- Faster sync".into())
    );
    // Without `origin/`, the branch is kept as given.
    assert_eq!(m.git.branch.as_deref(), Some("main"));

    let xml = fx::ipa(&InfoPlist::new(
        "com.example.demo.ios",
        "2.3.0",
        "130",
        false,
    ));
    let file = r.build_file("demo-ios-2.3.0-130.ipa", &xml);
    let v = r.publish_ok(
        &file,
        &[
            "--app",
            "ios-demo",
            "--channel",
            "adhoc",
            "--release-type",
            "adhoc",
            "--published-at",
            "2026-06-03T00:00:00Z",
        ],
    );
    assert_eq!(v["manifest"], "releases/ios-demo/adhoc/2.3.0-130.toml");

    let h = r.history("ios-demo", "release");
    let rel = release(&h, "2.2.0");
    assert_eq!(rel["build"], "120");
    assert_eq!(rel["notes"], "- Dark mode\n- Faster sync");
    assert_eq!(
        rel["changelog"][1]["message"], "Faster sync",
        "text changelogs split into entries per line"
    );
    assert_eq!(rel["artifacts"][0]["sha256"], sha256_hex(&binary));
    let h = r.history("ios-demo", "adhoc");
    assert_eq!(
        release(&h, "2.3.0")["artifacts"][0]["sha256"],
        sha256_hex(&xml)
    );
}

#[test]
fn bundle_id_mismatch_names_both_ids_and_changes_nothing() {
    let r = repo();
    let apk = fx::apk(&Manifest::new("com.other.app", "1.6.0", 160), "Other");
    let file = r.build_file("other-1.6.0.apk", &apk);
    let err = r.publish_refused(&file, &["--app", "android-demo"]);
    assert!(err.contains("`com.other.app`"), "{err}");
    assert!(err.contains("`com.example.demo`"), "{err}");
    assert!(err.contains("apps/android-demo.toml"), "{err}");
    let ipa = fx::ipa(&InfoPlist::new("com.example.demo", "2.2.0", "1", true));
    let file = r.build_file("wrong.ipa", &ipa);
    let err = r.publish_refused(&file, &["--app", "ios-demo"]);
    assert!(err.contains("CFBundleIdentifier"), "{err}");
    assert!(err.contains("`com.example.demo.ios`"), "{err}");
}

#[test]
fn validation_failure_undoes_every_write() {
    let r = repo();
    // 1.6.0 with the version code of 1.2.0: only the repository-wide validation sees it.
    let apk = fx::apk(&Manifest::new("com.example.demo", "1.6.0", 120), "Demo");
    let file = r.build_file("demo-1.6.0.apk", &apk);
    let err = r.publish_refused(&file, &["--app", "android-demo", "--channel", "stable"]);
    assert!(
        err.contains("releases/android-demo/stable/1.6.0-120.toml: version_code"),
        "{err}"
    );
    // The same through JSON: the problems are on stdout.
    let o = r.publish(&file, &["--app", "android-demo", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["field"], "version_code");
}

#[test]
fn a_published_version_is_refused_and_another_architecture_joins_it() {
    let r = repo();
    // 1.2.0 has an arm64-v8a build already (releases/android-demo/1.2.0.toml).
    let apk = fx::apk(&Manifest::new("com.example.demo", "1.2.0", 120), "Demo");
    let file = r.build_file("demo-1.2.0-arm64-v8a-again.apk", &apk);
    let err = r.publish_refused(&file, &["--app", "android-demo"]);
    assert!(
        err.contains("releases/android-demo/1.2.0.toml: version: version `1.2.0` of channel `stable` is already published"),
        "{err}"
    );
    // A release field that differs from the release's is refused too.
    let v7 = r.build_file("demo-1.2.0-armeabi-v7a.apk", &apk);
    let err = r.publish_refused(
        &v7,
        &[
            "--app",
            "android-demo",
            "--arch",
            "armeabi-v7a",
            "--release-type",
            "beta",
        ],
    );
    assert!(
        err.contains("release_type: `release` in the release, but this publish gives `beta`"),
        "{err}"
    );

    // The armeabi-v7a build is added to the release's manifest, which keeps its text.
    let (before, _) = r.manifest("releases/android-demo/1.2.0.toml");
    let v = r.publish_ok(
        &v7,
        &[
            "--app",
            "android-demo",
            "--arch",
            "armeabi-v7a",
            "--upgrade",
            "force",
        ],
    );
    assert_eq!(v["appended"], true);
    assert_eq!(v["manifest"], "releases/android-demo/1.2.0.toml");
    let (after, m) = r.manifest("releases/android-demo/1.2.0.toml");
    assert!(
        after.starts_with(&before),
        "the existing text is kept:\n{after}"
    );
    let a = m.artifacts.last().expect("artifact");
    assert_eq!(a.arch.as_ref().map(|k| k.as_str()), Some("armeabi-v7a"));
    assert_eq!(a.file.as_deref(), Some("files/demo-1.2.0-armeabi-v7a.apk"));
    // `--upgrade` other than the release's becomes the architecture's override.
    assert_eq!(
        a.upgrade,
        Some(update_protocol::manifest::UpgradeType::Force)
    );
    let h = r.history("android-demo", "stable");
    let archs: Vec<&str> = release(&h, "1.2.0")["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter(|a| a["role"] == "primary")
        .map(|a| a["arch"].as_str().expect("arch"))
        .collect();
    assert_eq!(archs, ["arm64-v8a", "armeabi-v7a"]);

    // A new manifest is never written over an existing one, and a different file is never
    // written over a published one of the same name.
    let other = fx::apk(&Manifest::new("com.example.demo", "1.7.0", 170), "Demo");
    let clash = r.build_file("demo-1.2.0-armeabi-v7a.apk", &other);
    let err = r.publish_refused(&clash, &["--app", "android-demo"]);
    assert!(
        err.contains("releases/android-demo/files/demo-1.2.0-armeabi-v7a.apk: a different file of this name is already published"),
        "{err}"
    );
}

#[test]
fn other_files_need_their_version_from_flags() {
    let r = repo();
    let exe = r.build_file("windows-tool-1.2.0.exe", b"MZ tool 1.2.0");
    let err = r.publish_refused(&exe, &["--app", "windows-tool"]);
    assert!(
        err.contains("--version: ") && err.contains("is not an APK or IPA"),
        "{err}"
    );
    let v = r.publish_ok(
        &exe,
        &[
            "--app",
            "windows-tool",
            "--version",
            "1.2.0",
            "--published-at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert_eq!(v["manifest"], "releases/windows-tool/stable/1.2.0.toml");
    assert_eq!(v["package"], serde_json::Value::Null);
    // toolsetlink apps order by version code: without one, the flag is named.
    let tgz = r.build_file("demo-1.7.0.tar.gz", b"not an apk");
    let err = r.publish_refused(&tgz, &["--app", "android-demo", "--version", "1.7.0"]);
    assert!(err.contains("--version-code"), "{err}");
}

#[test]
fn corrupt_packages_are_refused_naming_the_file_and_the_fault() {
    let r = repo();
    let apk = fx::apk(&Manifest::new("com.example.demo", "1.6.0", 160), "Demo");
    let half = r.build_file("half.apk", &apk[..apk.len() / 2]);
    let err = r.publish_refused(&half, &["--app", "android-demo"]);
    assert!(
        err.contains("half.apk: not a readable zip archive"),
        "{err}"
    );

    let manifest = fx::android_manifest(&Manifest::new("com.example.demo", "1.6.0", 160));
    let cut = fx::zip(&[("AndroidManifest.xml", &manifest[..manifest.len() - 30])]);
    let cut = r.build_file("cut.apk", &cut);
    let err = r.publish_refused(&cut, &["--app", "android-demo"]);
    assert!(
        err.contains("cut.apk: AndroidManifest.xml: truncated"),
        "{err}"
    );

    let empty = r.build_file("empty.ipa", &fx::zip(&[("Payload/", b"")]));
    let err = r.publish_refused(&empty, &["--app", "ios-demo"]);
    assert!(
        err.contains("empty.ipa: no Payload/<Name>.app/Info.plist in the archive"),
        "{err}"
    );
}

#[test]
fn a_flag_that_contradicts_the_package_needs_force() {
    let r = repo();
    let apk = fx::apk(&Manifest::new("com.example.demo", "1.6.0", 160), "Demo");
    let file = r.build_file("demo-1.6.0.apk", &apk);
    let err = r.publish_refused(
        &file,
        &[
            "--app",
            "android-demo",
            "--version",
            "2.0.0",
            "--version-code",
            "200",
        ],
    );
    assert!(
        err.contains("--version: `2.0.0` contradicts the package's versionName `1.6.0`"),
        "{err}"
    );
    assert!(
        err.contains("--version-code: `200` contradicts the package's versionCode `160`"),
        "{err}"
    );
    // Agreeing flags are fine; --force takes the flag's value.
    let v = r.publish_ok(
        &file,
        &[
            "--app",
            "android-demo",
            "--version",
            "2.0.0",
            "--version-code",
            "160",
            "--force",
            "--state",
            "draft",
            "--rollout",
            "10",
        ],
    );
    assert_eq!(v["release"]["version"], "2.0.0");
    assert_eq!(v["release"]["state"], "draft");
    assert_eq!(v["release"]["rollout"], 10);
    assert!(
        v["warnings"][0]
            .as_str()
            .expect("warning")
            .contains("--force")
    );
    // Without --published-at the time is now: a valid RFC 3339 time.
    let t = v["release"]["published_at"].as_str().expect("time");
    assert!(
        update_protocol::time::Timestamp::parse_rfc3339(t).is_ok(),
        "{t}"
    );
}

#[test]
fn dry_run_writes_nothing() {
    let r = repo();
    let apk = fx::apk(&Manifest::new("com.example.demo", "1.6.0", 160), "Demo");
    let file = r.build_file("demo-1.6.0.apk", &apk);
    let before = r.tree();
    let o = r.publish(
        &file,
        &[
            "--app",
            "android-demo",
            "--dry-run",
            "--published-at",
            "2026-06-01T00:00:00Z",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("would publish android-demo 1.6.0 build 160"),
        "{out}"
    );
    assert!(out.contains("version_code = 160\n"), "{out}");
    assert!(r.tree() == before, "a dry run wrote something");
}

/// The example workflow in `docs/` runs only generator commands and flags the real CLI
/// accepts, and does what `docs/publishing.md` says it does.
#[test]
fn the_example_workflow_uses_real_commands() {
    use clap::Parser;
    let path = e2e_tests::workspace_root().join("docs/github-actions-publish.yml");
    let text = std::fs::read_to_string(&path).expect("read the workflow");
    let wf: serde_norway::Value = serde_norway::from_str(&text).expect("the workflow is YAML");
    let on = &wf["on"];
    assert!(
        on["push"]["tags"]
            .as_sequence()
            .is_some_and(|t| !t.is_empty())
    );
    assert!(on.get("workflow_dispatch").is_some());
    let steps: Vec<&serde_norway::Value> = wf["jobs"]
        .as_mapping()
        .expect("jobs")
        .values()
        .flat_map(|j| j["steps"].as_sequence().expect("steps"))
        .collect();
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    for action in ["actions/checkout@", "actions/upload-artifact@"] {
        assert!(
            uses.iter().any(|u| u.starts_with(action)),
            "no {action}: {uses:?}"
        );
    }
    let deploy = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("npx wrangler deploy"))
        })
        .expect("a step runs npx wrangler deploy");
    assert_eq!(
        deploy["env"]["CLOUDFLARE_API_TOKEN"].as_str(),
        Some("${{ secrets.CLOUDFLARE_API_TOKEN }}")
    );

    let mut seen = Vec::new();
    for script in steps.iter().filter_map(|s| s["run"].as_str()) {
        for words in generator_commands(script) {
            let args: Vec<String> = std::iter::once("generator".to_owned())
                .chain(placeholders(&words))
                .collect();
            if let Err(e) = generator::cli::Cli::try_parse_from(&args) {
                panic!(
                    "the workflow runs `{}`, which the CLI refuses:\n{e}",
                    words.join(" ")
                );
            }
            seen.push(words[0].clone());
        }
    }
    for sub in ["publish", "build"] {
        assert!(
            seen.iter().any(|s| s == sub),
            "the workflow never runs generator {sub}"
        );
    }
}

/// The words of each `generator ...` command in a shell script: lines joined at a trailing
/// backslash, words split as the shell does for quotes (`$VAR`s are kept as written), up to
/// a redirection, pipe or command separator.
fn generator_commands(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines() {
        let words = shell_words(line);
        let mut i = 0;
        while i < words.len() {
            let starts_command = i == 0
                || matches!(
                    words[i - 1].as_str(),
                    "&&" | "||" | ";" | "|" | "then" | "do"
                );
            if words[i] == "generator" && starts_command {
                let cmd: Vec<String> = words[i + 1..]
                    .iter()
                    .take_while(|w| {
                        !matches!(w.as_str(), ">" | ">>" | "|" | "&&" | "||" | ";" | "2>")
                    })
                    .cloned()
                    .collect();
                i += cmd.len();
                out.push(cmd);
            }
            i += 1;
        }
    }
    out
}

fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' if !in_word => break,
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        c => cur.push(c),
                    }
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Replaces values the shell or GitHub fills in at run time by a valid value for the flag.
fn placeholders(words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut flag = "";
    for w in words {
        if w.contains('$') {
            out.push(
                match flag {
                    "--published-at" => "2026-01-01T00:00:00Z",
                    "--version-code" | "--rollout" => "1",
                    "--format" => "json",
                    _ => "placeholder",
                }
                .to_owned(),
            );
        } else {
            out.push(w.clone());
        }
        flag = if w.starts_with("--") { w } else { "" };
    }
    out
}
