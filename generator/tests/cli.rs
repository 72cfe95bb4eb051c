//! The real `generator` binary on broken copies of the example: every rejection names the file
//! and the field, and all problems of a run are reported together.

use e2e_tests::repo::Repo;
use e2e_tests::{example_dir, stdout_json};
use std::path::Path;
use std::process::Command;

/// A copy of the example for the real binary (`e2e_tests::repo`).
fn repo() -> Repo {
    Repo::new(env!("CARGO_BIN_EXE_generator"))
}

#[test]
fn the_example_is_valid() {
    let o = Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(["validate", "--no-cache", "--format", "json", "--root"])
        .arg(example_dir())
        .output()
        .expect("run generator");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = stdout_json(&o);
    assert_eq!(v["counts"]["apps"], 6);
}

#[test]
fn rejects_duplicate_version() {
    let r = repo();
    let text =
        std::fs::read_to_string(r.root.join("releases/android-demo/1.0.0.toml")).expect("read");
    r.write(
        "releases/android-demo/again.toml",
        &text.replace("version_code = 100", "version_code = 101"),
    );
    let problems = r.problems(&[]);
    assert!(
        problems.iter().any(|(f, fi, m)| fi == "version"
            && (f.ends_with("again.toml") || f.ends_with("1.0.0.toml"))
            && m.contains("also released by")),
        "{problems:#?}"
    );
}

#[test]
fn rejects_duplicate_version_code() {
    repo()
        .edit(
            "releases/android-demo/1.2.0.toml",
            "version_code = 120",
            "version_code = 110",
        )
        .expect(
            "releases/android-demo/1.2.0.toml",
            "version_code",
            "also used by",
        );
}

#[test]
fn rejects_missing_artifact_file() {
    repo()
        .edit(
            "releases/windows-tool/1.0.0.toml",
            "windows-tool-1.0.0.exe",
            "nope.exe",
        )
        .expect(
            "releases/windows-tool/1.0.0.toml",
            "artifacts[0].file",
            "does not exist",
        );
}

#[test]
fn rejects_path_traversal() {
    repo()
        .edit(
            "releases/windows-tool/1.0.0.toml",
            "files/windows-tool-1.0.0.exe",
            "../../apps/windows-tool.toml",
        )
        .expect(
            "releases/windows-tool/1.0.0.toml",
            "artifacts[0].file",
            "outside the releases directory",
        );
    repo()
        .edit(
            "releases/windows-tool/1.0.0.toml",
            "files/windows-tool-1.0.0.exe",
            "/etc/hostname",
        )
        .expect(
            "releases/windows-tool/1.0.0.toml",
            "artifacts[0].file",
            "not a relative path",
        );
}

#[test]
fn rejects_symlink_out_of_the_releases_directory() {
    let r = repo();
    let outside = r.root.join("outside.bin");
    std::fs::write(&outside, b"x").expect("write");
    std::os::unix::fs::symlink(
        &outside,
        r.root.join("releases/windows-tool/files/link.exe"),
    )
    .expect("symlink");
    r.edit(
        "releases/windows-tool/1.0.0.toml",
        "windows-tool-1.0.0.exe",
        "link.exe",
    )
    .expect(
        "releases/windows-tool/1.0.0.toml",
        "artifacts[0].file",
        "outside the releases directory",
    );
}

#[test]
fn rejects_versions_bad_for_the_apps_ordering() {
    // Protocol C needs x.y.z.
    repo()
        .edit(
            "releases/desktop-pro/1.0.0.toml",
            "version = \"1.0.0\"",
            "version = \"1.0\"",
        )
        .expect(
            "releases/desktop-pro/1.0.0.toml",
            "version",
            "protocols.license",
        );
    // Protocol E compares numeric components only.
    repo()
        .edit(
            "releases/windows-tool/1.0.0.toml",
            "version = \"1.0.0\"",
            "version = \"1.0.0-beta\"",
        )
        .expect(
            "releases/windows-tool/1.0.0.toml",
            "version",
            "protocols.tinyaii",
        );
    // SemVer apps need SemVer.
    repo()
        .edit(
            "releases/android-demo/1.0.0.toml",
            "version = \"1.0.0\"",
            "version = \"1.0\"",
        )
        .expect("releases/android-demo/1.0.0.toml", "version", "versioning");
    // Versions become path segments.
    repo()
        .edit(
            "releases/ios-demo/adhoc-2.1.0-110.toml",
            "version = \"2.1.0\"",
            "version = \"2.1 0\"",
        )
        .expect(
            "releases/ios-demo/adhoc-2.1.0-110.toml",
            "version",
            "character",
        );
}

#[test]
fn rejects_versions_that_rank_equal() {
    // 1.0 and 1.0.0 are the same version for tinyaii's numeric ordering (without the license
    // protocol, which would refuse `1.0` itself).
    let r = repo();
    r.edit(
        "apps/windows-tool.toml",
        "[protocols.license]\napp_id = \"app_windows_tool\"",
        "",
    );
    let text =
        std::fs::read_to_string(r.root.join("releases/windows-tool/1.0.0.toml")).expect("read");
    r.write(
        "releases/windows-tool/1.0.toml",
        &text.replace("version = \"1.0.0\"", "version = \"1.0\""),
    );
    let problems = r.problems(&[]);
    assert!(
        problems
            .iter()
            .any(|(_, fi, m)| fi == "version" && m.contains("ranks equal")),
        "{problems:#?}"
    );
}

#[test]
fn rejects_unknown_architecture_and_channel() {
    let r = repo();
    r.edit(
        "releases/android-demo/1.0.0.toml",
        "arch = \"armeabi-v7a\"",
        "arch = \"mips\"",
    )
    .edit(
        "releases/ios-demo/release-2.0.0-100.toml",
        "channel = \"release\"",
        "channel = \"nightly\"",
    );
    let problems = r.problems(&[]);
    for (file, field, part) in [
        (
            "releases/android-demo/1.0.0.toml",
            "artifacts[1].arch",
            "unknown architecture `mips`",
        ),
        (
            "releases/ios-demo/release-2.0.0-100.toml",
            "channel",
            "unknown channel `nightly`",
        ),
    ] {
        assert!(
            problems
                .iter()
                .any(|(f, fi, m)| f == file && fi == field && m.contains(part)),
            "missing {file} {field}: {problems:#?}"
        );
    }
}

#[test]
fn rejects_unknown_app_and_misplaced_release() {
    repo()
        .write("releases/ghost/1.0.0.toml", "app = \"ghost\"\nversion = \"1.0.0\"\npublished_at = 2026-01-01T00:00:00Z\ncontent = '{}'\n")
        .expect("releases/ghost/1.0.0.toml", "app", "unknown app `ghost`");
    repo()
        .write("releases/ios-demo/stray.toml", "app = \"windows-tool\"\nversion = \"9.0.0\"\npublished_at = 2026-01-01T00:00:00Z\ncontent = '{}'\n")
        .expect("releases/ios-demo/stray.toml", "app", "not under releases/windows-tool/");
}

#[test]
fn rejects_digest_mismatch_of_a_local_file() {
    repo()
        .edit(
            "releases/windows-tool/1.0.0.toml",
            "[[artifacts]]\n",
            &format!("[[artifacts]]\nmd5 = \"{}\"\n", "0".repeat(32)),
        )
        .expect(
            "releases/windows-tool/1.0.0.toml",
            "artifacts[0].md5",
            "states",
        );
}

#[test]
fn rejects_external_url_without_digest() {
    repo()
        .edit("releases/desktop-pro/1.3.0.toml", "size = 2048\n", "")
        .expect(
            "releases/desktop-pro/1.3.0.toml",
            "artifacts[0].size",
            "required with `url`",
        );
}

#[test]
fn rejects_out_of_range_values_naming_the_field() {
    repo()
        .edit(
            "apps/desktop-pro.toml",
            "offline_ttl_seconds = 3600",
            "offline_ttl_seconds = 30",
        )
        .expect(
            "apps/desktop-pro.toml",
            "policy.offline_ttl_seconds",
            "between 60 and 604800",
        );
    repo()
        .edit(
            "releases/android-demo/1.4.0.toml",
            "rollout = 25",
            "rollout = 150",
        )
        .expect(
            "releases/android-demo/1.4.0.toml",
            "rollout",
            "between 0 and 100",
        );
    repo()
        .edit(
            "releases/android-demo/1.4.0.toml",
            "rollout = 25",
            "rollot = 25",
        )
        .expect(
            "releases/android-demo/1.4.0.toml",
            "rollot",
            "unknown field",
        );
    repo()
        .edit(
            "releases/remote-config/v2.toml",
            "content = '{\"test\"",
            "content = '[\"test\"",
        )
        .expect(
            "releases/remote-config/v2.toml",
            "content",
            "not valid JSON",
        );
}

#[test]
fn rejects_app_problems() {
    repo()
        .edit(
            "apps/windows-tool.toml",
            "id = \"windows-tool\"",
            "id = \"win-tool\"",
        )
        .expect(
            "apps/windows-tool.toml",
            "id",
            "does not match the file name",
        );
    repo()
        .edit("apps/ios-demo.toml", "app_id = 2", "app_id = 1")
        .expect(
            "apps/ios-demo.toml",
            "protocols.zealot.app_id",
            "also used by apps/android-demo.toml",
        );
    repo()
        .edit(
            "apps/desktop-pro.toml",
            "min_version = \"1.1.0\"",
            "min_version = \"1.1\"",
        )
        .expect(
            "apps/desktop-pro.toml",
            "policy.min_version",
            "protocols.license",
        );
}

#[test]
fn reports_every_problem_in_one_run() {
    let r = repo();
    r.edit(
        "releases/windows-tool/1.0.0.toml",
        "windows-tool-1.0.0.exe",
        "nope.exe",
    )
    .edit(
        "releases/android-demo/1.4.0.toml",
        "rollout = 25",
        "rollout = 150",
    )
    .edit(
        "apps/desktop-pro.toml",
        "offline_ttl_seconds = 3600",
        "offline_ttl_seconds = 30",
    )
    .edit(
        "releases/ios-demo/release-2.0.0-100.toml",
        "channel = \"release\"",
        "channel = \"nightly\"",
    );
    let problems = r.problems(&[]);
    let files: std::collections::BTreeSet<&str> = problems.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(files.len(), 4, "{problems:#?}");
}

#[test]
fn committed_schemas_match_the_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(["schema", "--out-dir"])
        .arg(dir.path())
        .output()
        .expect("run generator");
    assert!(o.status.success());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    for name in ["release.schema.json", "app.schema.json", "site.schema.json"] {
        let fresh = std::fs::read_to_string(dir.path().join(name)).expect("fresh schema");
        let old = std::fs::read_to_string(committed.join(name)).unwrap_or_default();
        assert!(
            fresh == old,
            "schemas/{name} is stale: run `cargo run -p generator -- schema --out-dir schemas`"
        );
    }
}

/// Runs `validate --format json` on `root`, expects success, returns the warnings as (file,
/// field, message, hint) and stderr.
fn warnings(root: &Path) -> (Vec<[String; 4]>, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(["validate", "--no-cache", "--format", "json", "--root"])
        .arg(root)
        .output()
        .expect("run generator");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "warnings are not errors: {stderr}");
    let v = stdout_json(&o);
    assert_eq!(v["ok"], true);
    let list = v["warnings"].as_array().cloned().unwrap_or_default();
    let list = list
        .iter()
        .map(|w| {
            ["file", "field", "message", "hint"]
                .map(|k| w[k].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    (list, stderr)
}

#[test]
fn warns_about_private_files_no_route_serves_or_at_external_urls() {
    // The example's private desktop-pro 1.3.0 is an external URL: a warning, not an error.
    let (w, stderr) = warnings(&example_dir());
    assert_eq!(w.len(), 1, "{w:#?}");
    let [file, field, message, hint] = &w[0];
    assert_eq!(
        (file.as_str(), field.as_str()),
        ("releases/desktop-pro/1.3.0.toml", "artifacts[0].url")
    );
    assert!(
        message.contains("https://example.com/download/app-1.3.0.zip") && message.contains("share")
    );
    assert!(hint.contains("file = "), "{hint}");
    assert!(
        stderr.contains("[WARN ] releases/desktop-pro/1.3.0.toml: artifacts[0].url:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: put the file in the repository"),
        "{stderr}"
    );

    // A private app that no protocol serves (remote-config has only a configuration key,
    // which answers without files, so give it one too): its files are unreachable.
    let r = repo();
    r.edit(
        "apps/windows-tool.toml",
        "versioning = \"dotted\"",
        "versioning = \"dotted\"\nvisibility = \"private\"",
    )
    .edit(
        "apps/windows-tool.toml",
        "[protocols.tinyaii]\napp_key = \"534a235d30f13cac\"\n",
        "",
    )
    .edit(
        "apps/windows-tool.toml",
        "[protocols.license]\napp_id = \"app_windows_tool\"",
        "",
    );
    let (w, _) = warnings(&r.root);
    let unserved: Vec<_> = w
        .iter()
        .filter(|[f, ..]| f == "apps/windows-tool.toml")
        .collect();
    assert_eq!(unserved.len(), 1, "{w:#?}");
    let [_, field, message, hint] = unserved[0];
    assert_eq!(field, "protocols");
    assert!(
        message.contains("no route serves this private app's files"),
        "{message}"
    );
    assert!(
        hint.contains("[protocols.") && hint.contains("make the app public"),
        "{hint}"
    );
    // A toolsetlink configuration key alone does not serve files; a file key does.
    r.edit(
        "releases/windows-tool/1.0.0.toml",
        "version = \"1.0.0\"",
        "version = \"1.0.0\"\nversion_code = 100",
    )
    .edit(
        "releases/windows-tool/1.1.0.toml",
        "version = \"1.1.0\"",
        "version = \"1.1.0\"\nversion_code = 110",
    );
    r.write(
        "apps/windows-tool.toml",
        &std::fs::read_to_string(r.root.join("apps/windows-tool.toml")).expect("read")
            .replace("[[channels]]", "[protocols.toolsetlink]\nconfiguration_key = \"cfgKey0000000000000001\"\n\n[[channels]]"),
    );
    let (w, _) = warnings(&r.root);
    assert!(
        w.iter()
            .any(|[f, fi, ..]| f == "apps/windows-tool.toml" && fi == "protocols"),
        "{w:#?}"
    );
    r.edit(
        "apps/windows-tool.toml",
        "configuration_key = ",
        "file_key = ",
    );
    let (w, _) = warnings(&r.root);
    assert!(
        !w.iter().any(|[f, ..]| f == "apps/windows-tool.toml"),
        "{w:#?}"
    );

    // Public apps get no such warning, external URLs included (android-demo 1.4.0 has one).
    assert!(
        !w.iter().any(|[f, ..]| f.contains("android-demo")),
        "{w:#?}"
    );
}
