//! The feed rules on copies of the example, through the real binary: which release each feed
//! offers (staged, yanked, drafts), and every rejection with the file, the field and the fix.

use e2e_tests::repo::Repo;
use e2e_tests::{example_dir, stdout_json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of the example for the real binary (`e2e_tests::repo`).
fn repo() -> Repo {
    Repo::new(env!("CARGO_BIN_EXE_generator"))
}

/// Builds `repo` into a fresh directory and returns it.
fn build(repo: &Repo) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("site");
    let o = repo.run("build", &["--out", out.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (tmp, out)
}

const APP_FILE: &str = "apps/desktop-editor.toml";
const R110: &str = "releases/desktop-editor/1.1.0.toml";

fn read(site: &Path, rel: &str) -> String {
    std::fs::read_to_string(site.join("apps/desktop-editor/stable").join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn appcast_versions(site: &Path) -> Vec<String> {
    read(site, "mac-arm64/appcast.xml")
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("<sparkle:shortVersionString>")?
                .strip_suffix("</sparkle:shortVersionString>")
                .map(str::to_owned)
        })
        .collect()
}

fn tauri_version(site: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&read(site, "tauri/latest.json")).expect("JSON");
    v["version"].as_str().expect("version").to_owned()
}

#[test]
fn a_staged_release_is_only_in_electron_updater_files_with_its_percentage() {
    let r = repo();
    r.edit(R110, "upgrade = \"force\"", "rollout = 40");
    let (_t, site) = build(&r);
    // Sparkle and Tauri have no percentage rollout: they keep offering 1.0.0.
    assert_eq!(appcast_versions(&site), ["1.0.0"]);
    assert_eq!(tauri_version(&site), "1.0.0");
    let mac = read(&site, "electron/latest-mac.yml");
    assert!(mac.starts_with("version: \"1.1.0\"\n"), "{mac}");
    assert!(mac.contains("\nstagingPercentage: 40\n"), "{mac}");
    // Without the force, 1.1.0 is critical only below the minimum version.
    r.edit(R110, "rollout = 40", "");
    let (_t, site) = build(&r);
    let xml = read(&site, "mac-arm64/appcast.xml");
    assert!(
        xml.contains("<sparkle:criticalUpdate sparkle:version=\"1.1.0\"/>"),
        "{xml}"
    );
    assert!(!read(&site, "electron/latest-mac.yml").contains("stagingPercentage"));
}

#[test]
fn paused_yanked_and_draft_releases_are_never_offered() {
    for change in ["rollout = 0", "state = \"yanked\"", "state = \"draft\""] {
        let r = repo();
        r.edit(R110, "upgrade = \"force\"", change);
        let (_t, site) = build(&r);
        assert_eq!(appcast_versions(&site), ["1.0.0"], "{change}");
        assert_eq!(tauri_version(&site), "1.0.0", "{change}");
        for file in ["latest-mac.yml", "latest-linux.yml"] {
            let yml = read(&site, &format!("electron/{file}"));
            assert!(yml.starts_with("version: \"1.0.0\"\n"), "{change}: {yml}");
        }
    }
}

#[test]
fn a_private_app_gets_no_feeds() {
    let r = repo();
    r.append("apps/desktop-pro.toml", "\n[feeds]\nelectron = true\n");
    r.expect("apps/desktop-pro.toml", "feeds", "private app");
}

#[test]
fn sparkle_and_tauri_need_a_base_url() {
    let r = repo();
    r.edit("site.toml", "base_url = \"http://127.0.0.1:8787\"", "");
    let problems = r.problems(&[]);
    for feed in ["Sparkle", "Tauri"] {
        assert!(
            problems
                .iter()
                .any(|(f, fi, m)| f == "site.toml" && fi == "base_url" && m.contains(feed)),
            "{feed}: {problems:#?}"
        );
    }
    // electron-updater resolves site-relative URLs against the channel file's own URL.
    assert!(!problems.iter().any(|(_, _, m)| m.contains("electron")));
}

#[test]
fn a_feed_needs_an_architecture_of_its_platform() {
    let r = repo();
    r.append(
        "apps/android-demo.toml",
        "\n[feeds]\nsparkle = true\nelectron = true\ntauri = true\n",
    );
    let problems = r.problems(&[]);
    for feed in ["sparkle", "electron", "tauri"] {
        let field = format!("feeds.{feed}");
        assert!(
            problems
                .iter()
                .any(|(f, fi, _)| f == "apps/android-demo.toml" && *fi == field),
            "{feed}: {problems:#?}"
        );
    }
}

#[test]
fn a_linux_architecture_of_unknown_processor_is_rejected() {
    let r = repo();
    r.edit(APP_FILE, "cpu = \"x86_64\"\n", "");
    r.edit(APP_FILE, "key = \"linux-x64\"", "key = \"linux-desktop\"");
    for f in ["1.0.0", "1.1.0"] {
        r.edit(
            &format!("releases/desktop-editor/{f}.toml"),
            "arch = \"linux-x64\"",
            "arch = \"linux-desktop\"",
        );
    }
    r.expect(APP_FILE, "architectures[3].cpu", "processor");
}

#[test]
fn feed_directory_names_are_not_architecture_keys() {
    let r = repo();
    r.append(
        APP_FILE,
        "\n[[architectures]]\nkey = \"tauri\"\nname = \"Clash\"\nplatform = \"linux\"\n",
    );
    // The appended table lands after [feeds]: move [feeds] to the end again.
    r.edit(
        APP_FILE,
        "[feeds]\nsparkle = true\nelectron = true\ntauri = true\n",
        "",
    );
    r.append(
        APP_FILE,
        "\n[feeds]\nsparkle = true\nelectron = true\ntauri = true\n",
    );
    r.expect(APP_FILE, "architectures[4].key", "feed directory");
}

#[test]
fn a_stated_tauri_signature_must_be_one() {
    let r = repo();
    let text = std::fs::read_to_string(r.root.join(R110)).expect("read");
    let start = text.find("signature = \"").expect("inline signature") + "signature = \"".len();
    let end = start + text[start..].find('"').expect("end quote");
    r.edit(R110, &text[start..end], "bm90IGEgc2lnbmF0dXJl");
    r.expect(R110, "artifacts[4].signature", "not a Tauri signature");
}

#[test]
fn signature_and_signature_file_together_are_rejected() {
    let r = repo();
    r.edit(
        "releases/desktop-editor/1.0.0.toml",
        "signature_file = \"files/Desktop.Editor_1.0.0_x64-setup.exe.sig\"",
        "signature_file = \"files/Desktop.Editor_1.0.0_x64-setup.exe.sig\"\nsignature = \"x\"",
    );
    r.expect(
        "releases/desktop-editor/1.0.0.toml",
        "artifacts[4].signature_file",
        "not both",
    );
    let r = repo();
    r.edit(
        "releases/desktop-editor/1.0.0.toml",
        "files/Desktop.Editor_1.0.0_x64-setup.exe.sig",
        "files/missing.sig",
    );
    r.expect(
        "releases/desktop-editor/1.0.0.toml",
        "artifacts[4].signature_file",
        "does not exist",
    );
}

#[test]
fn electron_and_tauri_need_semver_versions() {
    let r = repo();
    r.edit(
        APP_FILE,
        "versioning = \"semver\"",
        "versioning = \"dotted\"",
    );
    r.edit(
        "releases/desktop-editor/1.2.0.toml",
        "version = \"1.2.0\"\npublished_at = 2026-03-20T10:00:00Z\nrollout = 25",
        "version = \"1.2\"\npublished_at = 2026-03-20T10:00:00Z",
    );
    r.edit(
        "releases/desktop-editor/1.2.0.toml",
        "files/Desktop.Editor_1.2.0_x64-setup.exe\"",
        "files/Desktop.Editor_1.2.0_x64-setup.exe\"\nsignature_file = \"files/Desktop.Editor_1.0.0_x64-setup.exe.sig\"",
    );
    let problems = r.problems(&[]);
    for consumer in ["electron-updater", "Tauri updater"] {
        assert!(
            problems
                .iter()
                .any(|(f, fi, m)| f == "releases/desktop-editor/1.2.0.toml"
                    && fi == "version"
                    && m.contains(consumer)),
            "{consumer}: {problems:#?}"
        );
    }
}

#[test]
fn an_unusable_key_is_reported_by_where_it_came_from_never_by_its_content() {
    let r = repo();
    let key = r.root.join("not-a-key");
    std::fs::write(&key, "secret-words-not-a-key-1234").expect("write");
    let key = key.to_str().expect("utf-8");
    let o = r.run("validate", &["--sparkle-key", key]);
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    let p = &v["problems"][0];
    assert_eq!(p["file"], format!("--sparkle-key {key}"));
    assert!(
        p["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not base64"),
        "{v}"
    );
    // A Tauri key with the wrong password.
    let tauri = example_dir().join("keys/feeds/demo-tauri.key");
    let o = Command::new(env!("CARGO_BIN_EXE_generator"))
        .args(["validate", "--no-cache", "--format", "json", "--root"])
        .arg(&r.root)
        .arg("--tauri-key")
        .arg(&tauri)
        .env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "wrong")
        .output()
        .expect("run generator");
    assert_eq!(o.status.code(), Some(1));
    let v = stdout_json(&o);
    assert!(
        v["problems"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Wrong password"),
        "{v}"
    );
    let secret = std::fs::read_to_string(&tauri).expect("key");
    for out in [&o.stdout, &o.stderr] {
        let text = String::from_utf8_lossy(out);
        assert!(!text.contains("secret-words"));
        assert!(!text.contains(secret.trim()));
    }
}

const REMOTE_SHA512: &str =
    "7iaw3Ur350mqGo7jwQrpkj9hiYB3Lkc/iBml1JQODbJ6wYX4oOHV+E+IvIh/1nsUNzLDBMxfqa2Ob1f1ACio/w==";
const REMOTE_SIG: &str =
    "p14f9KF7p2C5bgjGCh515fF8/M4/aG5afk+MFc7laNwgd+LyuGoZy1HGi3nYH0BHXf9uRkNzfnfszdcJ3XCAAw==";

fn remote_release(r: &Repo, sha512: &str, ed_signature: &str) {
    let text = format!(
        r#"app = "desktop-editor"
version = "1.3.0"
version_code = 1003000
published_at = 2026-04-01T10:00:00Z

[[artifacts]]
arch = "mac-arm64"
url = "https://cdn.example.com/desktop-editor-1.3.0-arm64-mac.zip"
sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
size = 3
sha512 = "{sha512}"
ed_signature = "{ed_signature}"
"#
    );
    std::fs::write(r.root.join("releases/desktop-editor/1.3.0.toml"), text).expect("write");
}

#[test]
fn a_remote_file_joins_the_feeds_with_its_stated_sha512_and_signature() {
    let r = repo();
    remote_release(&r, REMOTE_SHA512, REMOTE_SIG);
    let (_t, site) = build(&r);
    assert_eq!(appcast_versions(&site), ["1.3.0", "1.1.0", "1.0.0"]);
    let xml = read(&site, "mac-arm64/appcast.xml");
    assert!(
        xml.contains(&format!(
            "url=\"https://cdn.example.com/desktop-editor-1.3.0-arm64-mac.zip\" length=\"3\" \
             type=\"application/octet-stream\" sparkle:edSignature=\"{REMOTE_SIG}\""
        )),
        "{xml}"
    );
    let mac = read(&site, "electron/latest-mac.yml");
    assert!(mac.starts_with("version: \"1.3.0\"\n"), "{mac}");
    assert!(
        mac.contains(&format!(
            "  - url: \"https://cdn.example.com/desktop-editor-1.3.0-arm64-mac.zip\"\n    sha512: \"{REMOTE_SHA512}\"\n    size: 3\n"
        )),
        "{mac}"
    );
    // Not a Tauri bundle: the Tauri feed keeps 1.1.0.
    assert_eq!(tauri_version(&site), "1.1.0");
}

#[test]
fn stated_sha512_and_ed_signature_are_checked() {
    let r = repo();
    remote_release(&r, "c2hvcnQ=", "bm90IGEgc2lnbmF0dXJl");
    let rel = "releases/desktop-editor/1.3.0.toml";
    let problems = r.problems(&[]);
    for (field, part) in [
        ("artifacts[0].sha512", "SHA-512"),
        ("artifacts[0].ed_signature", "Ed25519"),
    ] {
        assert!(
            problems
                .iter()
                .any(|(f, fi, m)| f == rel && fi == field && m.contains(part)),
            "{field}: {problems:#?}"
        );
    }
    // With a local file, a stated sha512 must be the file's.
    let r = repo();
    r.edit(
        "releases/desktop-editor/1.0.0.toml",
        "file = \"files/desktop-editor_1.0.0_amd64.AppImage\"",
        &format!(
            "file = \"files/desktop-editor_1.0.0_amd64.AppImage\"\nsha512 = \"{REMOTE_SHA512}\""
        ),
    );
    r.expect(
        "releases/desktop-editor/1.0.0.toml",
        "artifacts[5].sha512",
        "but the file has",
    );
}

/// The edge data's artifacts, from the worker tree beside the site (`site` → `site-edge`).
fn edge_artifacts(site: &Path) -> Vec<serde_json::Value> {
    let worker = generator::layout::worker_tree_for(site);
    let edge: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(worker.join("_edge/apps/desktop-editor.json")).expect("edge data"),
    )
    .expect("JSON");
    edge["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .flat_map(|r| r["artifacts"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn example_file(name: &str) -> Vec<u8> {
    std::fs::read(
        example_dir()
            .join("releases/desktop-editor/files")
            .join(name),
    )
    .expect(name)
}

/// The toolsetlink updater routes read the sha512, bundle type and Tauri signature from the
/// edge data; the build computes them once, for the feeds and the edge, and only the edge data
/// carries them.
#[test]
fn updater_facts_are_edge_data_the_feeds_share() {
    use base64::Engine;
    use sha2::Digest;
    let r = repo();
    let (_t, site) = build(&r);
    let artifacts = edge_artifacts(&site);
    assert_eq!(artifacts.len(), 13);
    for a in &artifacts {
        let name = a["name"].as_str().expect("name");
        let sha512 = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha512::digest(example_file(name)));
        let electron = [".zip", ".exe", ".AppImage"]
            .iter()
            .any(|e| name.ends_with(e));
        assert_eq!(
            a["sha512"].as_str(),
            electron.then_some(sha512.as_str()),
            "{name}"
        );
        let bundle = if name.ends_with(".app.tar.gz") {
            Some("app")
        } else if name.ends_with(".exe") {
            Some("nsis")
        } else if name.ends_with(".AppImage") {
            Some("appimage")
        } else {
            None
        };
        assert_eq!(a["bundle"].as_str(), bundle, "{name}");
        // Stated signatures only (no build key): the .sig files and 1.1.0's inline one.
        let sig_file = example_dir().join(format!("releases/desktop-editor/files/{name}.sig"));
        if let Ok(sig) = std::fs::read_to_string(&sig_file) {
            assert_eq!(a["signature"].as_str(), Some(sig.trim()), "{name}");
        }
        let signed = sig_file.exists() || name == "Desktop.Editor_1.1.0_x64-setup.exe";
        assert_eq!(a["signature"].is_string(), signed, "{name}");
    }
    // The Tauri feed offers the same signatures.
    let latest: serde_json::Value =
        serde_json::from_str(&read(&site, "tauri/latest.json")).expect("JSON");
    let mac = &latest["platforms"]["darwin-aarch64"];
    let url = mac["url"].as_str().expect("url");
    let edge = artifacts
        .iter()
        .find(|a| url.ends_with(a["name"].as_str().unwrap_or("-")))
        .expect("the feed's file is in the edge data");
    assert_eq!(edge["signature"], mac["signature"]);
    // The public index files are unchanged by them.
    for rel in [
        "history.json",
        "mac-arm64/latest.json",
        "win-x64/history.json",
    ] {
        let text = read(&site, rel);
        for field in ["\"sha512\"", "\"signature\"", "\"bundle\""] {
            assert!(!text.contains(field), "{rel} has {field}");
        }
    }
    // Without feeds, the toolsetlink keys alone still make the build compute them.
    r.edit(
        APP_FILE,
        "sparkle = true\nelectron = true\ntauri = true\n",
        "",
    );
    let (_t, site) = build(&r);
    assert!(
        !site
            .join("apps/desktop-editor/stable/tauri/latest.json")
            .exists()
    );
    assert_eq!(edge_artifacts(&site), artifacts);
}

/// Builds with the demo feed keys and the hash cache (in the repository), into a fresh
/// directory; returns it and the JSON summary.
fn signed_build(r: &Repo, cache: bool) -> (tempfile::TempDir, PathBuf, serde_json::Value) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("site");
    let keys = example_dir().join("keys/feeds");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_generator"));
    cmd.args(["build", "--format", "json", "--root"])
        .arg(&r.root)
        .arg("--out")
        .arg(&out)
        .arg("--sparkle-key")
        .arg(keys.join("demo-sparkle-ed25519.key"))
        .arg("--tauri-key")
        .arg(keys.join("demo-tauri.key"))
        .env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "demo")
        .env("GENERATOR_LOG", "warn")
        .env_remove("SPARKLE_ED_PRIVATE_KEY")
        .env_remove("TAURI_SIGNING_PRIVATE_KEY");
    if !cache {
        cmd.arg("--no-cache");
    }
    let o = cmd.output().expect("run generator");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = stdout_json(&o);
    (tmp, out, summary)
}

/// Every feed file of the desktop app (appcasts, electron-updater files, `latest.json`), by
/// path, with the edge data's artifacts (their sha512 and Tauri signatures).
fn feeds_and_edge(site: &Path) -> (Vec<(String, Vec<u8>)>, Vec<serde_json::Value>) {
    let dir = site.join("apps/desktop-editor");
    let mut feeds = Vec::new();
    let mut todo = vec![dir.clone()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(&dir).expect("under").display().to_string();
            if p.is_dir() {
                todo.push(p);
            } else if rel.ends_with("appcast.xml")
                || rel.contains("/electron/")
                || rel.contains("/tauri/")
            {
                feeds.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    feeds.sort();
    (feeds, edge_artifacts(site))
}

/// Issue 19: the feeds take the SHA-512 and the signatures from the hash pass and its cache,
/// so a rebuild with no change reads no artifact. The artifacts' bytes are replaced behind the
/// cache's back (same size, same modification time): a build that read a file again would
/// sign or hash the new bytes and change the feeds.
#[test]
fn a_no_change_rebuild_reads_no_artifact_and_makes_the_same_feeds() {
    let r = repo();
    let (_t1, first, summary) = signed_build(&r, true);
    assert!(
        summary["hashed"]["files_hashed"].as_u64() > Some(0),
        "{summary}"
    );
    let before = feeds_and_edge(&first);
    let appcast = String::from_utf8_lossy(
        &before
            .0
            .iter()
            .find(|(p, _)| p.ends_with("mac-arm64/appcast.xml"))
            .expect("appcast")
            .1,
    )
    .into_owned();
    assert!(appcast.contains("sparkle:edSignature="), "{appcast}");

    let files = r.root.join("releases/desktop-editor/files");
    for e in std::fs::read_dir(&files).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "sig") {
            continue;
        }
        let mtime = std::fs::metadata(&p)
            .and_then(|m| m.modified())
            .expect("mtime");
        let flipped: Vec<u8> = std::fs::read(&p)
            .expect("read")
            .iter()
            .map(|b| !b)
            .collect();
        std::fs::write(&p, flipped).expect("write");
        std::fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(mtime))
            .expect("set mtime");
    }

    let (_t2, second, summary) = signed_build(&r, true);
    assert_eq!(summary["hashed"]["files_hashed"], 0, "{summary}");
    let after = feeds_and_edge(&second);
    assert!(after.1 == before.1, "the edge data changed");
    assert_eq!(after.0.len(), before.0.len());
    for ((path, a), (_, b)) in after.0.iter().zip(&before.0) {
        assert!(a == b, "{path} changed");
    }
    // Without the cache the new bytes are read, and the feeds change: the test can fail.
    let (_t3, third, _) = signed_build(&r, false);
    let fresh = feeds_and_edge(&third);
    assert!(fresh.1 != before.1, "the edge data did not change");
    for name in [
        "stable/mac-arm64/appcast.xml",
        "stable/electron/latest-mac.yml",
        "stable/tauri/latest.json",
    ] {
        let of = |f: &(Vec<(String, Vec<u8>)>, _)| {
            f.0.iter().find(|(p, _)| p == name).map(|(_, b)| b.clone())
        };
        assert!(of(&fresh).is_some(), "{name}");
        assert_ne!(of(&fresh), of(&before), "{name}");
    }
}
