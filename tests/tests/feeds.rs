//! The feeds of existing updaters, each checked against its format with a real consumer where
//! one installs: electron-updater's own code reads the channel files from the real worker
//! (`tests/clients/electron_updater_feed.mjs`) and every file it resolves is fetched and
//! hashed; Sparkle appcasts are parsed as XML and their EdDSA signatures verified against the
//! archives; Tauri's `latest.json` signatures are verified with `minisign-verify`, the crate
//! the Tauri updater uses. Each feed is also snapshot-tested (`tests/snapshots/`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use e2e_tests::{Edge, example_dir, generator, read_tree, workspace_root};
use sha2::{Digest, Sha512};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const APP: &str = "desktop-editor";
/// `base_url` of `example/site.toml`: Sparkle and Tauri URLs are absolute under it.
const BASE: &str = "http://127.0.0.1:8787";
const SPARKLE_NS: &str = "http://www.andymatuschak.org/xml-namespaces/sparkle";

fn keys_dir() -> PathBuf {
    example_dir().join("keys/feeds")
}

fn signing_time() -> i64 {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *NOW.get_or_init(e2e_tests::unix_now)
}

/// `generator build` of a copy of the example into `out`, with exactly the key variables
/// given (the ones of the environment the test runs in are removed). A copy, because signed
/// feeds change the site's content, and with it the TUF state the build writes back into the
/// repository (`tuf/`): the committed example stays as the unsigned build leaves it.
fn build(out: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let root = out.with_file_name(format!(
        "{}-repo",
        out.file_name().and_then(|n| n.to_str()).unwrap_or("site")
    ));
    e2e_tests::copy_tree(&example_dir(), &root);
    let mut cmd = Command::new(generator());
    cmd.args(["build", "--no-cache", "--root"])
        .arg(&root)
        .arg("--out")
        .arg(out)
        .args(args)
        .env("GENERATOR_LOG", "warn")
        // One signing time for every build of the process, so that the copies' TUF metadata
        // (re-signed in each copy) is the same and builds can be compared byte for byte.
        .env("SOURCE_DATE_EPOCH", signing_time().to_string());
    for var in [
        "SPARKLE_ED_PRIVATE_KEY",
        "TAURI_SIGNING_PRIVATE_KEY",
        "TAURI_SIGNING_PRIVATE_KEY_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let o = cmd.output().expect("run generator");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// A build signed with the demo keys given as files.
fn signed_site() -> (tempfile::TempDir, PathBuf, Output) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("site");
    let sparkle = keys_dir().join("demo-sparkle-ed25519.key");
    let tauri = keys_dir().join("demo-tauri.key");
    let o = build(
        &out,
        &[
            "--sparkle-key",
            sparkle.to_str().expect("utf-8"),
            "--tauri-key",
            tauri.to_str().expect("utf-8"),
        ],
        &[("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "demo")],
    );
    (tmp, out, o)
}

/// The bytes a feed URL under the example's base URL serves: the site file at that path.
fn served(site: &Path, url: &str) -> Vec<u8> {
    let path = url
        .strip_prefix(BASE)
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or_else(|| panic!("{url} is not under {BASE}"));
    std::fs::read(site.join(path)).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One appcast item as a Sparkle client reads it.
#[derive(Debug)]
struct Item {
    version: String,
    short: String,
    minimum_system_version: Option<String>,
    critical: Option<Option<String>>,
    url: String,
    length: u64,
    signature: Option<String>,
}

fn appcast_items(xml: &str) -> Vec<Item> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let rss = doc.root_element();
    assert_eq!(rss.tag_name().name(), "rss");
    assert_eq!(rss.attribute("version"), Some("2.0"));
    let channel = rss
        .children()
        .find(|n| n.has_tag_name("channel"))
        .expect("channel");
    let sparkle = |n: roxmltree::Node<'_, '_>, name: &str| {
        n.children()
            .find(|c| c.has_tag_name((SPARKLE_NS, name)))
            .and_then(|c| c.text())
            .map(str::to_owned)
    };
    channel
        .children()
        .filter(|n| n.has_tag_name("item"))
        .map(|item| {
            let enclosure = item
                .children()
                .find(|c| c.has_tag_name("enclosure"))
                .expect("enclosure");
            Item {
                version: sparkle(item, "version").expect("sparkle:version"),
                short: sparkle(item, "shortVersionString").expect("shortVersionString"),
                minimum_system_version: sparkle(item, "minimumSystemVersion"),
                critical: item
                    .children()
                    .find(|c| c.has_tag_name((SPARKLE_NS, "criticalUpdate")))
                    .map(|c| c.attribute((SPARKLE_NS, "version")).map(str::to_owned)),
                url: enclosure.attribute("url").expect("url").to_owned(),
                length: enclosure
                    .attribute("length")
                    .expect("length")
                    .parse()
                    .expect("number"),
                signature: enclosure
                    .attribute((SPARKLE_NS, "edSignature"))
                    .map(str::to_owned),
            }
        })
        .collect()
}

fn sparkle_public_key() -> ed25519_dalek::VerifyingKey {
    let raw: [u8; 32] = B64
        .decode(text(&keys_dir().join("demo-sparkle-ed25519.pub")).trim())
        .expect("base64")
        .try_into()
        .expect("32 bytes");
    ed25519_dalek::VerifyingKey::from_bytes(&raw).expect("public key")
}

#[test]
fn sparkle_appcasts_parse_and_their_signatures_verify_against_the_archives() {
    let (_tmp, site, _) = signed_site();
    let key = sparkle_public_key();
    for (arch, suffix) in [("mac-arm64", "arm64-mac.zip"), ("mac-x64", "x64-mac.zip")] {
        let xml = text(&site.join(format!("apps/{APP}/stable/{arch}/appcast.xml")));
        let items = appcast_items(&xml);
        // 1.2.0 has no macOS build: the newest first, every ready release at 100%.
        let versions: Vec<(&str, &str)> = items
            .iter()
            .map(|i| (i.short.as_str(), i.version.as_str()))
            .collect();
        assert_eq!(versions, [("1.1.0", "1.1.0"), ("1.0.0", "1.0.0")]);
        // 1.1.0 is forced: critical for everyone; 1.0.0 is below the minimum version.
        assert_eq!(items[0].critical, Some(None));
        assert_eq!(items[1].critical, None);
        assert_eq!(items[0].minimum_system_version.as_deref(), Some("12.0"));
        assert_eq!(items[1].minimum_system_version.as_deref(), Some("11.0"));
        for item in &items {
            assert!(item.url.ends_with(suffix), "{}", item.url);
            let bytes = served(&site, &item.url);
            assert_eq!(item.length, bytes.len() as u64, "{}", item.url);
            let sig = B64
                .decode(item.signature.as_deref().expect("edSignature"))
                .expect("base64");
            let sig = ed25519_dalek::Signature::from_slice(&sig).expect("64 bytes");
            key.verify_strict(&bytes, &sig)
                .unwrap_or_else(|e| panic!("{}: {e}", item.url));
            let mut other = bytes.clone();
            other.push(b'\n');
            assert!(key.verify_strict(&other, &sig).is_err());
        }
        insta::assert_snapshot!(format!("appcast_{arch}"), xml);
    }
}

fn tauri_public_key() -> minisign_verify::PublicKey {
    let boxed = B64
        .decode(text(&keys_dir().join("demo-tauri.key.pub")).trim())
        .expect("base64");
    minisign_verify::PublicKey::decode(&String::from_utf8(boxed).expect("utf-8"))
        .expect("minisign public key")
}

/// Verifies a `latest.json` signature as the Tauri updater does: base64 of a minisign
/// signature file, checked with minisign-verify.
fn tauri_verify(pk: &minisign_verify::PublicKey, signature: &str, bytes: &[u8]) -> bool {
    let text = String::from_utf8(B64.decode(signature).expect("base64")).expect("utf-8");
    let sig = minisign_verify::Signature::decode(&text).expect("minisign signature");
    pk.verify(bytes, &sig, false).is_ok()
}

#[test]
fn tauri_latest_json_has_os_arch_bundle_keys_whose_signatures_verify() {
    let (_tmp, site, _) = signed_site();
    let json = text(&site.join(format!("apps/{APP}/stable/tauri/latest.json")));
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    // 1.2.0 is still rolling out, which the Tauri updater cannot do: 1.1.0 for everyone.
    assert_eq!(v["version"], "1.1.0");
    assert_eq!(v["notes"], "Fix saving files with long names\nFaster start");
    assert_eq!(v["pub_date"], "2026-03-01T10:00:00Z");
    let platforms = v["platforms"].as_object().expect("platforms");
    let keys: BTreeSet<&str> = platforms.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from([
            "darwin-aarch64",
            "darwin-aarch64-app",
            "darwin-x86_64",
            "darwin-x86_64-app",
            "linux-x86_64",
            "linux-x86_64-appimage",
            "windows-x86_64",
            "windows-x86_64-nsis",
        ])
    );
    let pk = tauri_public_key();
    for (key, p) in platforms {
        let url = p["url"].as_str().expect("url");
        let bytes = served(&site, url);
        let signature = p["signature"].as_str().expect("signature");
        assert!(tauri_verify(&pk, signature, &bytes), "{key}: {url}");
        let want = match key.split('-').next() {
            Some("darwin") => ".app.tar.gz",
            Some("windows") => "-setup.exe",
            _ => ".AppImage",
        };
        assert!(url.ends_with(want), "{key}: {url}");
    }
    // A signature is of its own file only.
    let mac = &platforms["darwin-aarch64"];
    let windows = served(
        &site,
        platforms["windows-x86_64"]["url"].as_str().expect("url"),
    );
    assert!(!tauri_verify(
        &pk,
        mac["signature"].as_str().expect("sig"),
        &windows
    ));
    insta::assert_snapshot!("tauri_latest_json", json);
}

#[test]
fn without_keys_appcasts_are_unsigned_and_unsigned_tauri_platforms_are_left_out() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("site");
    let o = build(&out, &[], &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("no sparkle:edSignature"), "{stderr}");
    assert!(
        stderr.contains("desktop-editor_1.1.0_amd64.AppImage left out"),
        "{stderr}"
    );
    let items = appcast_items(&text(
        &out.join(format!("apps/{APP}/stable/mac-arm64/appcast.xml")),
    ));
    assert!(items.iter().all(|i| i.signature.is_none()));
    let v: serde_json::Value = serde_json::from_str(&text(
        &out.join(format!("apps/{APP}/stable/tauri/latest.json")),
    ))
    .expect("JSON");
    let platforms = v["platforms"].as_object().expect("platforms");
    assert!(platforms.keys().all(|k| !k.starts_with("linux")), "{v}");
    // The signatures stated in the manifests are there, and still verify.
    assert!(platforms.contains_key("windows-x86_64"));
    assert!(platforms.contains_key("darwin-aarch64-app"));
}

#[test]
fn keys_from_the_environment_sign_the_same_feeds_and_never_reach_the_site() {
    let (_tmp, from_files, o1) = signed_site();
    let tmp = tempfile::tempdir().expect("tempdir");
    let from_env = tmp.path().join("site");
    let sparkle = text(&keys_dir().join("demo-sparkle-ed25519.key"));
    let tauri_path = keys_dir().join("demo-tauri.key");
    let o2 = build(
        &from_env,
        &[],
        &[
            ("SPARKLE_ED_PRIVATE_KEY", sparkle.trim()),
            // As the Tauri CLI reads it: the key's path (or the key itself).
            (
                "TAURI_SIGNING_PRIVATE_KEY",
                tauri_path.to_str().expect("utf-8"),
            ),
            ("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "demo"),
        ],
    );
    let a = read_tree(&from_files);
    let b = read_tree(&from_env);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(b[path] == *bytes, "{path} differs");
    }
    // The private keys, in every form they were given, appear in no output.
    let tauri_b64 = text(&tauri_path);
    let tauri_box =
        String::from_utf8(B64.decode(tauri_b64.trim()).expect("base64")).expect("utf-8");
    let secret_line = tauri_box.lines().nth(1).expect("key line").to_owned();
    let secrets = [sparkle.trim(), tauri_b64.trim(), secret_line.as_str()];
    for (path, bytes) in &a {
        let text = String::from_utf8_lossy(bytes);
        for s in secrets {
            assert!(!text.contains(s), "{path} contains a private key");
        }
    }
    for o in [&o1, &o2] {
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        for s in secrets {
            assert!(!log.contains(s), "the output shows a private key");
        }
    }
}

fn sha512_base64(bytes: &[u8]) -> String {
    B64.encode(Sha512::digest(bytes))
}

fn get(url: &str) -> Vec<u8> {
    let mut out = Vec::new();
    ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .into_reader()
        .read_to_end(&mut out)
        .expect("read body");
    out
}

/// What electron-updater's code reads from the feed at `feed` (see the script).
fn electron_updater(feed: &str, channel: Option<&str>) -> serde_json::Value {
    let out = Command::new("node")
        .arg(workspace_root().join("tests/clients/electron_updater_feed.mjs"))
        .arg(feed)
        .args(channel)
        .current_dir(workspace_root())
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn electron_updater_reads_the_channel_files_from_the_worker_and_their_files_match() {
    let edge = Edge::start();
    let feed = format!("{}/apps/{APP}/stable/electron/", edge.base);
    let v = electron_updater(&feed, None);
    let results = v["results"].as_array().expect("results");
    let by = |platform: &str, arch: &str| {
        results
            .iter()
            .find(|r| r["platform"] == platform && r["arch"] == arch)
            .unwrap_or_else(|| panic!("no result for {platform} {arch}"))
    };
    let win = by("win32", "x64");
    assert_eq!(
        (
            &win["channelFile"],
            &win["version"],
            &win["stagingPercentage"]
        ),
        (
            &"latest.yml".into(),
            &"1.2.0".into(),
            &serde_json::json!(25)
        ),
        "{win}"
    );
    assert_eq!(win["releaseDate"], "2026-03-20T10:00:00.000Z");
    let mac_arm = by("darwin", "arm64");
    assert_eq!(mac_arm["channelFile"], "latest-mac.yml");
    assert_eq!(mac_arm["version"], "1.1.0");
    assert_eq!(mac_arm["stagingPercentage"], serde_json::Value::Null);
    let chosen = |r: &serde_json::Value| r["chosen"].as_str().expect("chosen").to_owned();
    assert!(chosen(mac_arm).ends_with("-arm64-mac.zip"), "{mac_arm}");
    assert!(chosen(by("darwin", "x64")).ends_with("-x64-mac.zip"));
    let linux = by("linux", "x64");
    assert_eq!(linux["channelFile"], "latest-linux.yml");
    assert!(chosen(linux).ends_with("_amd64.AppImage"), "{linux}");
    // No Linux arm64 build: no channel file, which electron-updater reports as such.
    let arm = by("linux", "arm64");
    assert_eq!(arm["channelFile"], "latest-linux-arm64.yml");
    assert_eq!(arm["error"], "ERR_UPDATER_CHANNEL_FILE_NOT_FOUND", "{arm}");

    // Every file electron-updater resolved is served by the worker with the sha512 and size
    // the channel file states.
    let mut checked = 0;
    for r in results.iter().filter(|r| r.get("error").is_none()) {
        for f in r["files"].as_array().expect("files") {
            let url = f["url"].as_str().expect("url");
            assert!(url.starts_with(&edge.base), "{url} is not on the worker");
            let bytes = get(url);
            assert_eq!(f["size"].as_u64(), Some(bytes.len() as u64), "{url}");
            assert_eq!(
                f["sha512"].as_str(),
                Some(sha512_base64(&bytes).as_str()),
                "{url}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 1 + 2 + 2 + 1);

    for name in ["latest.yml", "latest-mac.yml", "latest-linux.yml"] {
        let yml = String::from_utf8(get(&format!("{feed}{name}"))).expect("utf-8");
        insta::assert_snapshot!(format!("electron_{name}"), yml);
    }

    // An app that sets electron-updater's `channel` to ours reads the same files under the
    // channel's name.
    let named = electron_updater(&feed, Some("stable"));
    for (a, b) in results
        .iter()
        .zip(named["results"].as_array().expect("results"))
    {
        let own = a["channelFile"]
            .as_str()
            .expect("name")
            .replacen("latest", "stable", 1);
        assert_eq!(b["channelFile"], own.as_str());
        for key in ["version", "stagingPercentage", "files", "chosen", "error"] {
            assert_eq!(a.get(key), b.get(key), "{key}: {a} {b}");
        }
    }
}
