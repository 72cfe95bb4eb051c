//! Protocol D's unsigned updater routes against the real worker under `wrangler dev`, with
//! requests as the real clients send them (lowercase header names, `accept-encoding: gzip`,
//! one kept-alive connection): the Tauri updater's dynamic-server answer (200 or 204), checked
//! against the plugin-updater's schema and its signature verified with `minisign-verify` (the
//! crate the Tauri updater uses) against the example's demo key; electron-updater's own
//! `generic` provider, YAML parser, file resolution and sha512 verification
//! (`tests/clients/electron_updater_upgradelink.mjs`); the download redirects; every error in
//! D's envelope. Every URL an answer gives is followed and its bytes checked.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use e2e_tests::client::{Client, Got};
use e2e_tests::{Edge, example_dir, workspace_root};
use serde_json::Value;
use sha2::{Digest, Sha512};
use std::process::Command;

const TAURI_KEY: &str = "dEdTauri0ToolsetlinkK1";
const ELECTRON_KEY: &str = "dEdElectron0Toolsetlk1";
/// The staged release (25%) and its rollout id.
const STAGED: &str = "desktop-editor/stable/1.2.0";

/// What the Tauri updater sends: its endpoint template filled in, `accept: application/json`.
fn tauri(c: &Client, target: &str, arch: &str, current: &str, extra: &str) -> Got {
    let url = format!(
        "/v1/tauri/upgrade?tauriKey={TAURI_KEY}&target={target}&arch={arch}&versionName={current}{extra}"
    );
    c.get(
        &url,
        &[
            ("accept", "application/json"),
            ("user-agent", "desktop-editor/1.0.0 tauri-plugin-updater"),
        ],
    )
}

/// A device id inside (or outside) the staged 1.2.0's 25%.
fn device(inside: bool) -> String {
    (0..1000)
        .map(|i| format!("device-{i}"))
        .find(|d| (update_protocol::rollout::cohort(STAGED, d) < 25) == inside)
        .expect("a device")
}

fn example_file(name: &str) -> Vec<u8> {
    std::fs::read(
        example_dir()
            .join("releases/desktop-editor/files")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn sha512_base64(bytes: &[u8]) -> String {
    B64.encode(Sha512::digest(bytes))
}

/// D's error envelope with its status `code / 1000`.
fn assert_envelope(got: &Got, code: u64, msg: &str) {
    assert_eq!(u64::from(got.status), code / 1000, "{}", got.text());
    let v = got.json();
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["msg"], msg, "{v}");
    assert_eq!(v["docs"], "", "{v}");
    assert!(v["traceId"].is_string(), "{v}");
    assert_eq!(
        v.as_object().map(|o| o.len()),
        Some(4),
        "exactly code, msg, docs, traceId: {v}"
    );
}

/// The Tauri updater's dynamic-server schema (plugin-updater v2 `RemoteRelease`): `version`
/// SemVer with an optional `v`, `pub_date` RFC 3339, `url` a URL, `signature` required.
#[derive(Debug, serde::Deserialize)]
struct TauriRelease {
    version: String,
    notes: Option<String>,
    pub_date: Option<String>,
    url: String,
    signature: String,
    #[serde(rename = "upgradeType")]
    upgrade_type: u8,
}

fn tauri_release(got: &Got) -> TauriRelease {
    assert_eq!(got.status, 200, "{}", got.text());
    assert!(
        got.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "{:?}",
        got.headers
    );
    let r: TauriRelease = serde_json::from_slice(&got.body).expect("Tauri's schema");
    semver::Version::parse(r.version.trim_start_matches('v')).expect("SemVer version");
    let date = r.pub_date.as_deref().expect("pub_date");
    time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 pub_date");
    url::Url::parse(&r.url).expect("absolute url");
    r
}

fn tauri_public_key() -> minisign_verify::PublicKey {
    let text = std::fs::read_to_string(example_dir().join("keys/feeds/demo-tauri.key.pub"))
        .expect("public key");
    let boxed = B64.decode(text.trim()).expect("base64");
    minisign_verify::PublicKey::decode(&String::from_utf8(boxed).expect("utf-8"))
        .expect("minisign public key")
}

/// The Tauri updater's check of a download: base64 of a minisign signature, verified with
/// minisign-verify.
fn tauri_verifies(signature: &str, bytes: &[u8]) -> bool {
    let text = String::from_utf8(B64.decode(signature).expect("base64")).expect("utf-8");
    let sig = minisign_verify::Signature::decode(&text).expect("minisign signature");
    tauri_public_key().verify(bytes, &sig, true).is_ok()
}

#[test]
fn tauri_updater_gets_signed_bundles_or_204() {
    let edge = Edge::start();
    let c = Client::new(&edge.base);

    // macOS Apple silicon on 1.0.0: 1.1.0's app tarball, forced (1.1.0 is `upgrade = "force"`
    // and the app's min_version).
    let r = tauri_release(&tauri(&c, "darwin", "aarch64", "1.0.0", ""));
    assert_eq!(r.version, "1.1.0");
    assert_eq!(r.pub_date.as_deref(), Some("2026-03-01T10:00:00Z"));
    assert_eq!(
        r.notes.as_deref(),
        Some("Fix saving files with long names\nFaster start")
    );
    assert_eq!(r.upgrade_type, 3);
    let name = "Desktop.Editor_1.1.0_aarch64.app.tar.gz";
    assert!(r.url.ends_with(name), "{}", r.url);
    let sig_file = std::fs::read_to_string(
        example_dir().join(format!("releases/desktop-editor/files/{name}.sig")),
    )
    .expect("sig file");
    assert_eq!(r.signature, sig_file.trim(), "the .sig file's content");
    let file = c.get(&r.url, &[]);
    assert_eq!(file.status, 200);
    assert_eq!(file.body, example_file(name));
    assert!(tauri_verifies(&r.signature, &file.body));
    let mut tampered = file.body.clone();
    tampered.push(0);
    assert!(!tauri_verifies(&r.signature, &tampered));

    // Intel Macs get their own bundle; Windows the NSIS installer, whose signature the manifest
    // states inline; a `v` before the version is accepted.
    for (target, arch, current, want) in [
        (
            "darwin",
            "x86_64",
            "v1.0.0",
            "Desktop.Editor_1.1.0_x64.app.tar.gz",
        ),
        (
            "windows",
            "x86_64",
            "1.0.0",
            "Desktop.Editor_1.1.0_x64-setup.exe",
        ),
    ] {
        let r = tauri_release(&tauri(&c, target, arch, current, ""));
        assert_eq!(r.version, "1.1.0");
        assert!(r.url.ends_with(want), "{}", r.url);
        let file = c.get(&r.url, &[]);
        assert_eq!(file.body, example_file(want));
        assert!(tauri_verifies(&r.signature, &file.body), "{want}");
    }

    // An appointed version, exactly.
    let r = tauri_release(&tauri(
        &c,
        "darwin",
        "aarch64",
        "0.9.0",
        "&appointVersionName=1.0.0&devModelKey=MacBookPro18,1",
    ));
    assert_eq!(r.version, "1.0.0");

    // No update: 204 without a body. Up to date; newer than everything; Linux (its AppImage
    // is unsigned, and Tauri refuses unsigned updates); a processor without builds; 1.2.0 for a
    // device inside its rollout, whose only file (Windows) is unsigned; an appointed version
    // that does not exist.
    let inside = format!("&devKey={}", device(true));
    for (target, arch, current, extra) in [
        ("darwin", "aarch64", "1.1.0", ""),
        ("darwin", "aarch64", "9.0.0", ""),
        ("linux", "x86_64", "1.0.0", ""),
        ("windows", "aarch64", "1.0.0", ""),
        ("windows", "x86_64", "1.1.0", inside.as_str()),
        ("darwin", "aarch64", "1.0.0", "&appointVersionName=1.0.5"),
    ] {
        let got = tauri(&c, target, arch, current, extra);
        assert_eq!(
            got.status,
            204,
            "{target} {arch} {current}{extra}: {}",
            got.text()
        );
        assert!(got.body.is_empty());
    }
    // Inside the rollout the same device still gets 1.1.0 from 1.0.0.
    let r = tauri_release(&tauri(&c, "windows", "x86_64", "1.0.0", &inside));
    assert_eq!(r.version, "1.1.0");

    // Errors, in D's envelope.
    let get = |q: &str| {
        c.get(
            &format!("/v1/tauri/upgrade?{q}"),
            &[("accept", "application/json")],
        )
    };
    assert_envelope(
        &get("target=darwin&arch=aarch64&versionName=1.0.0"),
        400_002,
        "field \"tauriKey\" is not set",
    );
    assert_envelope(
        &get(&format!(
            "tauriKey={TAURI_KEY}&arch=aarch64&versionName=1.0.0"
        )),
        400_002,
        "field \"target\" is not set",
    );
    assert_envelope(
        &get(&format!("tauriKey={TAURI_KEY}&target=darwin&arch=aarch64")),
        400_002,
        "field \"versionName\" is not set",
    );
    assert_envelope(
        &get("tauriKey=&target=darwin&arch=aarch64&versionName=1.0.0"),
        400_003,
        "请求参数tauriKey不能为空",
    );
    assert_envelope(
        &get(&format!(
            "tauriKey={TAURI_KEY}&target=darwin&arch=aarch64&versionName=1.0"
        )),
        400_003,
        "请求参数versionName格式错误",
    );
    assert_envelope(
        &get(&format!(
            "tauriKey={TAURI_KEY}&target=darwin&arch=aarch64&versionName=1.0.0&appointVersionName=latest"
        )),
        400_003,
        "请求参数appointVersionName格式错误",
    );
    for key in ["nope", ELECTRON_KEY] {
        assert_envelope(
            &get(&format!(
                "tauriKey={key}&target=darwin&arch=aarch64&versionName=1.0.0"
            )),
            404_001,
            "请求tauri应用不存在",
        );
    }
}

/// What electron-updater's code makes of the route (see the script).
fn electron_updater(feed: &str, platform: &str, arch: &str, current: &str) -> Value {
    let out = Command::new("node")
        .arg(workspace_root().join("tests/clients/electron_updater_upgradelink.mjs"))
        .args([feed, platform, arch, current])
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
fn electron_updater_reads_the_route_and_verifies_the_files() {
    let edge = Edge::start();
    let c = Client::new(&edge.base);
    let feed = |platform: &str, arch: &str, current: &str, extra: &str| {
        format!(
            "{}/v1/electron/upgrade?electronKey={ELECTRON_KEY}&platform={platform}&arch={arch}&versionName={current}{extra}",
            edge.base
        )
    };
    let inside = format!("&devKey={}", device(true));
    let outside = format!("&devKey={}", device(false));
    for (platform, arch, current, extra, channel_file, version, file) in [
        (
            "darwin",
            "arm64",
            "1.0.0",
            "",
            "latest-mac.yml",
            "1.1.0",
            "desktop-editor-1.1.0-arm64-mac.zip",
        ),
        (
            "darwin",
            "x64",
            "1.0.0",
            "",
            "latest-mac.yml",
            "1.1.0",
            "desktop-editor-1.1.0-x64-mac.zip",
        ),
        (
            "linux",
            "x64",
            "1.0.0",
            "",
            "latest-linux.yml",
            "1.1.0",
            "desktop-editor_1.1.0_amd64.AppImage",
        ),
        (
            "win32",
            "x64",
            "1.1.0",
            inside.as_str(),
            "latest.yml",
            "1.2.0",
            "Desktop.Editor_1.2.0_x64-setup.exe",
        ),
        (
            "win32",
            "x64",
            "1.0.0",
            outside.as_str(),
            "latest.yml",
            "1.1.0",
            "Desktop.Editor_1.1.0_x64-setup.exe",
        ),
    ] {
        let url = feed(platform, arch, current, extra);
        let v = electron_updater(&url, platform, arch, current);
        let what = format!("{platform} {arch} {current}{extra}: {v}");
        assert_eq!(v["channelFile"], channel_file, "{what}");
        // electron-updater asked for its channel file under the route, with the query kept.
        let (_, query) = url.split_once('?').expect("query");
        assert_eq!(
            v["requested"][0],
            format!("{}/v1/electron/upgrade/{channel_file}?{query}", edge.base),
            "{what}"
        );
        assert_eq!(v["version"], version, "{what}");
        assert_eq!(v["update"], true, "{what}");
        // electron-updater puts the feed's query on file URLs too (`newUrlFromBase`).
        let chosen = url::Url::parse(v["chosen"].as_str().expect("chosen")).expect("URL");
        assert!(chosen.path().ends_with(file), "{what}");
        assert_eq!(chosen.query(), Some(query), "{what}");
        let bytes = example_file(file);
        assert_eq!(v["download"]["status"], 200, "{what}");
        assert_eq!(v["download"]["size"], bytes.len(), "{what}");
        assert_eq!(v["download"]["verified"], "ok", "{what}");
        assert_eq!(v["download"]["tampered"], "ERR_CHECKSUM_MISMATCH", "{what}");
        let listed = v["files"].as_array().expect("files");
        assert!(
            listed
                .iter()
                .any(|f| f["sha512"] == sha512_base64(&bytes) && f["size"] == bytes.len()),
            "{what}"
        );
        let forced = current == "1.0.0"; // below min_version 1.1.0
        assert_eq!(v["upgradeType"], if forced { 3 } else { 1 }, "{what}");
    }
    // Up to date, and outside 1.2.0's rollout on 1.1.0: the client's own version, nothing to do.
    for extra in ["", outside.as_str()] {
        let v = electron_updater(
            &feed("win32", "x64", "1.1.0", extra),
            "win32",
            "x64",
            "1.1.0",
        );
        assert_eq!(
            (&v["version"], &v["update"]),
            (&"1.1.0".into(), &false.into()),
            "{v}"
        );
        assert_eq!(v["upgradeType"], 0);
    }
    // Linux arm64 has no build: electron-updater asks for its own channel file, which answers
    // "no update" rather than 404.
    let v = electron_updater(
        &feed("linux", "arm64", "1.0.0", ""),
        "linux",
        "arm64",
        "1.0.0",
    );
    assert_eq!(v["channelFile"], "latest-linux-arm64.yml", "{v}");
    assert_eq!(v["update"], false, "{v}");

    // The route itself, as plain HTTP: YAML, every file URL absolute and serving the bytes the
    // sha512 and size describe; `/upgrade` and its channel files answer the same.
    let q = format!("electronKey={ELECTRON_KEY}&platform=darwin&arch=arm64&versionName=1.0.0");
    let headers = [
        ("accept", "*/*"),
        ("user-agent", "electron-builder"),
        ("cache-control", "no-cache"),
    ];
    let plain = c.get(&format!("/v1/electron/upgrade?{q}"), &headers);
    assert_eq!(plain.status, 200, "{}", plain.text());
    assert!(
        plain
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/yaml")),
        "{:?}",
        plain.headers
    );
    assert_eq!(plain.header("cache-control"), Some("private, no-store"));
    let yaml = plain.text();
    for name in ["latest-mac.yml", "latest.yml", "latest-linux.yml"] {
        let again = c.get(&format!("/v1/electron/upgrade/{name}?{q}"), &headers);
        assert_eq!(again.text(), yaml, "{name}");
    }
    assert!(yaml.starts_with("version: \"1.1.0\"\nfiles:\n"), "{yaml}");
    assert!(yaml.contains("\nupgradeType: 3\n"), "{yaml}");
    assert!(
        yaml.contains(
            "\npromptUpgradeContent: \"Fix saving files with long names\\nFaster start\"\n"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains("\nreleaseDate: \"2026-03-01T10:00:00.000Z\"\n"),
        "{yaml}"
    );
    let field = |line: &str, key: &str| {
        line.trim()
            .trim_start_matches("- ")
            .strip_prefix(key)
            .map(|v| v.trim().trim_matches('"').to_owned())
    };
    let lines: Vec<&str> = yaml.lines().collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(url) = field(line, "url:") else {
            continue;
        };
        let sha = field(lines[i + 1], "sha512:").expect("sha512 line");
        let size: usize = field(lines[i + 2], "size:")
            .expect("size line")
            .parse()
            .expect("size");
        assert!(url.starts_with(&edge.base), "{url}");
        let got = c.get(&url, &[]);
        assert_eq!(got.status, 200, "{url}");
        assert_eq!(
            (sha512_base64(&got.body), got.body.len()),
            (sha, size),
            "{url}"
        );
        checked += 1;
    }
    assert_eq!(checked, 1, "{yaml}");

    // Errors, in D's envelope.
    let get = |q: &str| c.get(&format!("/v1/electron/upgrade/latest.yml?{q}"), &headers);
    assert_envelope(
        &get("platform=win32&arch=x64&versionName=1.0.0"),
        400_002,
        "field \"electronKey\" is not set",
    );
    assert_envelope(
        &get(&format!(
            "electronKey={ELECTRON_KEY}&arch=x64&versionName=1.0.0"
        )),
        400_002,
        "field \"platform\" is not set",
    );
    assert_envelope(
        &get(&format!(
            "electronKey={ELECTRON_KEY}&platform=win32&versionName=1.0.0"
        )),
        400_002,
        "field \"arch\" is not set",
    );
    assert_envelope(
        &get("electronKey=&platform=win32&arch=x64&versionName=1.0.0"),
        400_003,
        "请求参数electronKey不能为空",
    );
    assert_envelope(
        &get(&format!(
            "electronKey={ELECTRON_KEY}&platform=win32&arch=x64&versionName=one"
        )),
        400_003,
        "请求参数versionName格式错误",
    );
    for key in ["nope", TAURI_KEY] {
        assert_envelope(
            &get(&format!(
                "electronKey={key}&platform=win32&arch=x64&versionName=1.0.0"
            )),
            404_001,
            "请求electron应用不存在",
        );
    }
    // A channel file electron-updater never asks for is no route of ours.
    assert_eq!(
        c.get(&format!("/v1/electron/upgrade/beta.yml?{q}"), &headers)
            .status,
        404
    );
}

#[test]
fn download_redirects_lead_to_the_updaters_files() {
    let edge = Edge::start();
    let c = Client::new(&edge.base);
    for (path, file) in [
        // Newest fully rolled out (1.2.0 is at 25%), for the named platform.
        (
            format!("/v1/tauri/download?tauriKey={TAURI_KEY}&target=darwin&arch=aarch64"),
            "Desktop.Editor_1.1.0_aarch64.app.tar.gz",
        ),
        (
            format!(
                "/v1/tauri/download?tauriKey={TAURI_KEY}&target=windows&arch=x86_64&versionCode=1000000"
            ),
            "Desktop.Editor_1.0.0_x64-setup.exe",
        ),
        // Without a platform: the default architecture (mac-arm64).
        (
            format!("/v1/tauri/download?tauriKey={TAURI_KEY}&versionId=1"),
            "Desktop.Editor_1.0.0_aarch64.app.tar.gz",
        ),
        // A named release is served while it rolls out.
        (
            format!(
                "/v1/electron/download?electronKey={ELECTRON_KEY}&platform=win32&arch=x64&versionId=3"
            ),
            "Desktop.Editor_1.2.0_x64-setup.exe",
        ),
        (
            format!("/v1/electron/download?electronKey={ELECTRON_KEY}&platform=darwin&arch=arm64"),
            "desktop-editor-1.1.0-arm64-mac.zip",
        ),
        (
            format!(
                "/v1/electron/download?electronKey={ELECTRON_KEY}&platform=linux&arch=x64&versionCode=1000000&downloadType=2"
            ),
            "desktop-editor_1.0.0_amd64.AppImage",
        ),
        // Upstream's per-type routes: the extension implies the OS.
        (
            format!("/v1/electron/download.exe?electronKey={ELECTRON_KEY}"),
            "Desktop.Editor_1.1.0_x64-setup.exe",
        ),
        (
            format!("/v1/electron/download.zip?electronKey={ELECTRON_KEY}&arch=x64&versionId=1"),
            "desktop-editor-1.0.0-x64-mac.zip",
        ),
        (
            format!("/v1/electron/download.AppImage?electronKey={ELECTRON_KEY}"),
            "desktop-editor_1.1.0_amd64.AppImage",
        ),
    ] {
        let got = c.get(&path, &[]);
        assert_eq!(got.status, 302, "{path}: {}", got.text());
        let location = got.header("location").expect("location");
        assert!(location.starts_with(&edge.base), "{location}");
        assert!(location.ends_with(file), "{path}: {location}");
        let bytes = c.get(location, &[]);
        assert_eq!(bytes.status, 200, "{location}");
        assert_eq!(bytes.body, example_file(file), "{location}");
    }
    for (q, code, msg) in [
        (
            "/v1/tauri/download?versionCode=0",
            400_002,
            "field \"tauriKey\" is not set",
        ),
        (
            "/v1/tauri/download?tauriKey=",
            400_003,
            "请求参数tauriKey不能为空",
        ),
        (
            "/v1/electron/download?electronKey=x&versionCode=new",
            400_003,
            "type mismatch for field \"versionCode\"",
        ),
        (
            "/v1/electron/download?electronKey=x&versionCode=-1",
            400_003,
            "请求参数versionCode格式错误",
        ),
        (
            "/v1/electron/download?electronKey=nope",
            404_001,
            "请求electron应用不存在",
        ),
    ] {
        assert_envelope(&c.get(q, &[]), code, msg);
    }
    // Known keys, nothing servable: no such version code, no Linux arm64 build, and Linux
    // for Tauri (its AppImage is unsigned).
    for q in [
        format!("/v1/electron/download?electronKey={ELECTRON_KEY}&versionCode=42"),
        format!("/v1/electron/download?electronKey={ELECTRON_KEY}&platform=linux&arch=arm64"),
        format!("/v1/tauri/download?tauriKey={TAURI_KEY}&target=linux&arch=x86_64"),
        // The example ships no dmg.
        format!("/v1/electron/download.dmg?electronKey={ELECTRON_KEY}"),
    ] {
        assert_envelope(&c.get(&q, &[]), 404_001, "未获取到可使用版本");
    }
}
