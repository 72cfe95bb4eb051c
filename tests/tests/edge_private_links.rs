//! Private apps' downloads over A, B, D and E against the real worker under `wrangler dev`: a
//! copy of the example where android-demo (A, B, D) and windows-tool (E) are private, and
//! desktop-pro (private, external 1.3.0) also has a toolsetlink file key. Each check answer
//! carries a signed `/dl/…` link that a client follows to the exact bytes (or, for an
//! external file, a 302); altered, expired and foreign links get 403 in that protocol's
//! envelope; the unauthenticated A and D download routes reveal nothing. Links are signed here
//! independently of the project's code, with the demo key of `example/keys/secrets.json`.

use e2e_tests::client::Client;
use e2e_tests::signed::{assert_err, signed};
use e2e_tests::{Edge, example_copy, example_dir, unix_now};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const LINK_KEY: &str = "demo-download-link-key";
const FOREIGN_KEY: &str = "another-deployments-download-link-key";
const API_KEY: &str = "demo-project-api-key-android";
const CHANNEL_KEY: &str = "demo-channel-android-stable";
const APK_KEY: &str = "mui2W50H1jOC4xD6PgQagA";
const PRO_FILE_KEY: &str = "dPro0FileToolsetlinkK1";
const TINYAII_KEY: &str = "534a235d30f13cac";
const PRO_EXTERNAL: &str = "https://example.com/download/app-1.3.0.zip";
const DEMO_EXTERNAL: &str = "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk";

/// The example with android-demo and windows-tool private, and desktop-pro served over D's
/// file route too.
fn private_copy() -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = example_copy();
    let edit = |rel: &str, from: &str, to: &str| {
        let p = root.join(rel);
        let text = std::fs::read_to_string(&p).expect("read");
        assert!(text.contains(from), "{rel} lacks {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
    };
    edit(
        "apps/android-demo.toml",
        "versioning = \"semver\"",
        "versioning = \"semver\"\nvisibility = \"private\"",
    );
    edit(
        "apps/windows-tool.toml",
        "versioning = \"dotted\"",
        "versioning = \"dotted\"\nvisibility = \"private\"",
    );
    edit(
        "apps/desktop-pro.toml",
        "[protocols.license]",
        &format!("[protocols.toolsetlink]\nfile_key = \"{PRO_FILE_KEY}\"\n\n[protocols.license]"),
    );
    for (v, code) in [("1.0.0", 100), ("1.1.0", 110), ("1.3.0", 130)] {
        edit(
            &format!("releases/desktop-pro/{v}.toml"),
            &format!("version = \"{v}\""),
            &format!("version = \"{v}\"\nversion_code = {code}"),
        );
    }
    (tmp, root)
}

/// Lowercase hex HMAC-SHA256 of the link message (docs/protocols.md, "Private apps"),
/// computed here without the project's code.
fn sign(key: &str, protocol: &str, id: &str, name: &str, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("dl1\n{protocol}\n{id}\n{name}\n{expires}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A link's parts: protocol tag, artifact id, file name (as in the path), expires, sig.
#[derive(Debug, Clone)]
struct Link {
    protocol: String,
    id: String,
    name: String,
    expires: String,
    sig: String,
}

impl Link {
    fn parse(edge: &Edge, url: &str) -> Link {
        let rest = url
            .strip_prefix(&format!("{}/dl/", edge.base))
            .unwrap_or_else(|| panic!("not a signed link on the worker: {url}"));
        let (path, query) = rest.split_once('?').expect("query");
        let [protocol, id, name] = path.split('/').collect::<Vec<_>>()[..] else {
            panic!("three segments: {url}")
        };
        let get = |n: &str| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix(&format!("{n}=")))
                .unwrap_or_else(|| panic!("{n} in {url}"))
                .to_owned()
        };
        Link {
            protocol: protocol.into(),
            id: id.into(),
            name: name.into(),
            expires: get("expires"),
            sig: get("sig"),
        }
    }

    fn path(&self) -> String {
        format!(
            "/dl/{}/{}/{}?expires={}&sig={}",
            self.protocol, self.id, self.name, self.expires, self.sig
        )
    }

    /// The same link signed here with `key`, to expire at `expires`.
    fn resigned(&self, key: &str, expires: i64) -> Link {
        Link {
            expires: expires.to_string(),
            sig: sign(key, &self.protocol, &self.id, &self.name, expires),
            ..self.clone()
        }
    }
}

/// GET as an installed app sends it, without following redirects: status, headers
/// (lowercase names), body bytes.
fn get(edge: &Edge, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let got = Client::new(&edge.base).get(path, &[]);
    (got.status, got.headers, got.body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn example_file(rel: &str) -> Vec<u8> {
    std::fs::read(example_dir().join("releases").join(rel)).expect("example file")
}

/// Follows `url` as a client would and checks the file: 200, the exact bytes, an attachment
/// named as the file, never cached.
fn assert_serves(edge: &Edge, url: &str, expected: &[u8], name: &str) {
    let link = Link::parse(edge, url);
    let (status, headers, body) = get(edge, &link.path());
    assert_eq!(
        status,
        200,
        "{url}: {}\n{}",
        String::from_utf8_lossy(&body),
        edge.log()
    );
    assert_eq!(sha256_hex(&body), sha256_hex(expected), "{url}");
    assert_eq!(header(&headers, "cache-control"), Some("private, no-store"));
    assert_eq!(
        header(&headers, "content-disposition"),
        Some(format!("attachment; filename*=UTF-8''{name}").as_str())
    );
}

/// The link, altered in each part, expired, and signed with a foreign key: each is 403 with
/// `envelope` as the JSON body and no caching. A fresh link signed here with the demo key
/// works, so the refusals are not an artifact of the signing above.
fn assert_refusals(edge: &Edge, url: &str, other_id: &str, envelope: &Value) {
    let link = Link::parse(edge, url);
    let expires: i64 = link.expires.parse().expect("expires");
    let now = unix_now();
    assert!(
        (now + 3500..=now + 3700).contains(&expires),
        "links live an hour: {expires} vs {now}"
    );
    let mut flipped = link.sig.clone().into_bytes();
    flipped[10] = if flipped[10] == b'a' { b'b' } else { b'a' };
    let cases = [
        (
            "altered id",
            Link {
                id: other_id.into(),
                ..link.clone()
            },
        ),
        (
            "altered expiry",
            Link {
                expires: (expires + 3600).to_string(),
                ..link.clone()
            },
        ),
        (
            "altered sig",
            Link {
                sig: String::from_utf8(flipped).expect("ascii"),
                ..link.clone()
            },
        ),
        (
            "altered name",
            Link {
                name: format!("x{}", link.name),
                ..link.clone()
            },
        ),
        (
            "no sig",
            Link {
                sig: String::new(),
                ..link.clone()
            },
        ),
        ("expired", link.resigned(LINK_KEY, now - 1)),
        ("foreign key", link.resigned(FOREIGN_KEY, now + 600)),
    ];
    for (what, bad) in cases {
        let (status, headers, body) = get(edge, &bad.path());
        let mut v: Value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!("{what}: not JSON ({e}): {}", String::from_utf8_lossy(&body))
        });
        // D's trace id is the request's own (cf-ray), or empty.
        if let Some(t) = v.get_mut("traceId") {
            assert!(t.is_string(), "{what}: {t}");
            *t = json!("");
        }
        assert_eq!((status, &v), (403, envelope), "{what}: {}", bad.path());
        assert_eq!(
            header(&headers, "cache-control"),
            Some("private, no-store"),
            "{what}"
        );
        assert!(
            header(&headers, "content-type").is_some_and(|t| t.contains("json")),
            "{what}"
        );
        assert_eq!(header(&headers, "location"), None, "{what}");
    }
    let fresh = link.resigned(LINK_KEY, now + 600);
    let (status, ..) = get(edge, &fresh.path());
    assert!(
        matches!(status, 200 | 302),
        "signed here with the demo key: {status}"
    );
}

/// The lookup table of the site the edge serves (to find artifact ids).
fn lookup(site: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(site.join("_edge/lookup.json")).expect("lookup"))
        .expect("json")
}

/// The id of the artifact whose URL ends with `suffix`.
fn artifact_id(lookup: &Value, suffix: &str) -> String {
    lookup["artifacts"]
        .as_object()
        .expect("artifacts")
        .iter()
        .find(|(_, a)| a["url"].as_str().is_some_and(|u| u.ends_with(suffix)))
        .map(|(id, _)| id.clone())
        .unwrap_or_else(|| panic!("no artifact ending with {suffix}"))
}

/// sha256(release_id \n device) first 8 bytes big-endian mod 100 (docs/protocols.md).
fn cohort(release_id: &str, device: &str) -> u64 {
    let d = Sha256::digest(format!("{release_id}\n{device}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first) % 100
}

fn hot_check(edge: &Edge, body: &Value) -> Value {
    let r = edge.send(
        "POST",
        "/api/v1/check",
        &[("content-type", "application/json"), ("x-api-key", API_KEY)],
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(r.status, 200, "{}\n{}", r.text, edge.log());
    r.json()
}

fn zealot_latest(edge: &Edge) -> (u16, Value) {
    let r = edge.send(
        "GET",
        &format!("/api/apps/latest?channel_key={CHANNEL_KEY}"),
        &[],
        None,
    );
    (r.status, r.json())
}

fn tinyaii_check(edge: &Edge) -> (u16, Value) {
    edge.post_json(
        "/api/v1/version/check",
        &json!({"app_key": TINYAII_KEY, "current_version": "1.0.0", "platform": "windows"})
            .to_string(),
    )
}

#[test]
fn private_downloads_over_every_protocol() {
    let (_tmp, root) = private_copy();
    let mut table = Value::Null;
    let edge = Edge::start_from(&root, &example_dir().join("keys"), |site, secrets| {
        table = lookup(site);
        assert_eq!(
            secrets["download_link_key"], LINK_KEY,
            "the demo key is deployed"
        );
    });
    let apk_1_2 = example_file("android-demo/files/demo-1.2.0-arm64-v8a.apk");
    let apk_1_1_v7 = artifact_id(&table, "demo-1.1.0-armeabi-v7a.apk");

    // A: the check carries a signed link to the exact bytes.
    let v = hot_check(
        &edge,
        &json!({"currentVersion": "1.0.0", "architecture": "arm64-v8a"}),
    );
    assert_eq!(v["data"]["version"], "1.2.0", "{v}");
    let a_url = v["data"]["downloadUrl"].as_str().expect("url").to_owned();
    assert!(
        a_url.starts_with(&format!("{}/dl/a/", edge.base)),
        "{a_url}"
    );
    assert_serves(&edge, &a_url, &apk_1_2, "demo-1.2.0-arm64-v8a.apk");
    assert_refusals(
        &edge,
        &a_url,
        &apk_1_1_v7,
        &json!({"error": "下载链接无效或已过期"}),
    );
    // An external file of the private app: the link redirects there, the answer never has it.
    let device = (0..1000)
        .map(|i| format!("device-{i}"))
        .find(|d| cohort("android-demo/stable/1.4.0", d) < 25)
        .expect("a device in the 25% cohort");
    let v = hot_check(
        &edge,
        &json!({"currentVersion": "1.2.0", "architecture": "arm64-v8a", "deviceId": device}),
    );
    assert_eq!(v["data"]["version"], "1.4.0", "{v}");
    assert!(!v.to_string().contains("downloads.example.com"), "{v}");
    let link = Link::parse(&edge, v["data"]["downloadUrl"].as_str().expect("url"));
    let (status, headers, _) = get(&edge, &link.path());
    assert_eq!(
        (status, header(&headers, "location")),
        (302, Some(DEMO_EXTERNAL))
    );
    assert_eq!(header(&headers, "cache-control"), Some("private, no-store"));

    // B: install_url of each release is a signed link.
    let (status, v) = zealot_latest(&edge);
    assert_eq!(status, 200, "{v}");
    let release = v["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .find(|r| r["release_version"] == "1.2.0")
        .expect("1.2.0")
        .clone();
    let b_url = release["install_url"]
        .as_str()
        .expect("install_url")
        .to_owned();
    assert!(
        b_url.starts_with(&format!("{}/dl/b/", edge.base)),
        "{b_url}"
    );
    assert!(!v.to_string().contains("/_edge/"), "{v}");
    assert_serves(&edge, &b_url, &apk_1_2, "demo-1.2.0-arm64-v8a.apk");
    assert_refusals(
        &edge,
        &b_url,
        &apk_1_1_v7,
        &json!({"error": "Download link is invalid or expired"}),
    );

    // D: /v1/apk/upgrade's urlPath.
    let r = signed(
        &edge,
        "/v1/apk/upgrade",
        &json!({"apkKey": APK_KEY, "versionCode": 100}).to_string(),
        |_| {},
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["data"]["versionCode"], 120, "{v}");
    let d_url = v["data"]["urlPath"].as_str().expect("urlPath").to_owned();
    assert!(
        d_url.starts_with(&format!("{}/dl/d/", edge.base)),
        "{d_url}"
    );
    assert_serves(&edge, &d_url, &apk_1_2, "demo-1.2.0-arm64-v8a.apk");
    let d_denied =
        json!({"code": 403_001, "msg": "下载链接无效或已过期", "docs": "", "traceId": ""});
    assert_refusals(&edge, &d_url, &apk_1_1_v7, &d_denied);
    // desktop-pro's external 1.3.0 over /v1/file/upgrade: a signed link that redirects.
    let r = signed(
        &edge,
        "/v1/file/upgrade",
        &json!({"fileKey": PRO_FILE_KEY, "versionCode": 110}).to_string(),
        |_| {},
    );
    let v = r.json();
    assert_eq!(
        (r.status, &v["data"]["versionCode"]),
        (200, &json!(130)),
        "{v}"
    );
    assert!(!v.to_string().contains("example.com/download"), "{v}");
    let link = Link::parse(&edge, v["data"]["urlPath"].as_str().expect("urlPath"));
    let (status, headers, _) = get(&edge, &link.path());
    assert_eq!(
        (status, header(&headers, "location")),
        (302, Some(PRO_EXTERNAL))
    );

    // E: download_url.
    let (status, v) = tinyaii_check(&edge);
    assert_eq!(status, 200, "{v}");
    let e_url = v["data"]["download_url"].as_str().expect("url").to_owned();
    assert!(
        e_url.starts_with(&format!("{}/dl/e/", edge.base)),
        "{e_url}"
    );
    assert_serves(
        &edge,
        &e_url,
        &example_file("windows-tool/files/windows-tool-1.1.0.exe"),
        "windows-tool-1.1.0.exe",
    );
    assert_refusals(
        &edge,
        &e_url,
        &apk_1_1_v7,
        &json!({"code": 403, "message": "下载链接无效或已过期", "data": null}),
    );

    // A validly signed link to an id that is not published: 404 in the envelope.
    let gone = Link {
        id: "000000000000000000000000".into(),
        ..Link::parse(&edge, &a_url)
    }
    .resigned(LINK_KEY, unix_now() + 600);
    let (status, _, body) = get(&edge, &gone.path());
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).expect("json"),
        json!({"error": "产物不存在"})
    );
    // A protocol tag that no link is issued for: refused as any altered link.
    let c = Link {
        protocol: "c".into(),
        ..Link::parse(&edge, &a_url)
    };
    let (status, _, body) = get(&edge, &c.path());
    assert_eq!(
        (
            status,
            serde_json::from_slice::<Value>(&body).expect("json")
        ),
        (403, json!({"error": "download link is invalid or expired"}))
    );

    // The unauthenticated routes reveal no private file, site-hosted or external.
    for suffix in [
        "demo-1.2.0-arm64-v8a.apk",
        "android/demo-1.4.0-arm64-v8a.apk",
        "app-1.3.0.zip",
        "desktop-pro-1.1.0.zip",
    ] {
        let id = artifact_id(&table, suffix);
        let (status, headers, body) = get(&edge, &format!("/api/version-artifacts/{id}/download"));
        assert_eq!(
            (
                status,
                header(&headers, "location"),
                String::from_utf8_lossy(&body).as_ref()
            ),
            (404, None, r#"{"error":"产物不存在"}"#),
            "{suffix}"
        );
    }
    for path in [
        format!("/v1/apk/download?apkKey={APK_KEY}"),
        format!("/v1/apk/download?apkKey={APK_KEY}&versionCode=120"),
        format!("/v1/apk/download?apkKey={APK_KEY}&versionCode=140"),
        format!("/v1/file/download?fileKey={PRO_FILE_KEY}&versionCode=130"),
        format!("/v1/file/download?fileKey={PRO_FILE_KEY}&versionId=3"),
    ] {
        let r = edge.send("GET", &path, &[], None);
        assert_eq!(r.header("location"), None, "{path}");
        assert_err(&r, (404, 404_001, "未获取到可使用版本"), &path);
    }
    // The key never reaches the logs.
    assert!(!edge.log().contains(LINK_KEY), "the key is in the log");
}

#[test]
fn the_examples_private_external_url_stays_private() {
    // The example as it is: desktop-pro's 1.3.0 is at an external URL that the unauthenticated
    // A route used to redirect to.
    let mut table = Value::Null;
    let edge = Edge::start_prepared(&example_dir().join("keys"), |site, _| {
        table = lookup(site);
    });
    let id = artifact_id(&table, "app-1.3.0.zip");
    assert_eq!(table["artifacts"][&id]["private"], true);
    let r = edge.send(
        "GET",
        &format!("/api/version-artifacts/{id}/download"),
        &[],
        None,
    );
    assert_eq!((r.status, r.header("location")), (404, None));
    assert!(!r.text.contains("example.com"), "{}", r.text);
    // Public apps keep their direct URLs: android-demo's external 1.4.0 still redirects.
    let id = artifact_id(&table, "android/demo-1.4.0-arm64-v8a.apk");
    let r = edge.send(
        "GET",
        &format!("/api/version-artifacts/{id}/download"),
        &[],
        None,
    );
    assert_eq!((r.status, r.header("location")), (302, Some(DEMO_EXTERNAL)));
}

#[test]
fn without_the_key_private_answers_fail_and_public_ones_do_not() {
    let (_tmp, root) = private_copy();
    let edge = Edge::start_from(&root, &example_dir().join("keys"), |_, secrets| {
        secrets
            .as_object_mut()
            .expect("object")
            .remove("download_link_key");
    });
    // Each protocol's 500, never a dead or unsigned link.
    let r = edge.send(
        "POST",
        "/api/v1/check",
        &[("content-type", "application/json"), ("x-api-key", API_KEY)],
        Some(br#"{"currentVersion":"1.0.0"}"#),
    );
    assert_eq!(
        (r.status, r.json()),
        (500, json!({"error": "Internal server error"}))
    );
    let (status, v) = zealot_latest(&edge);
    assert_eq!(
        (status, v),
        (500, json!({"error": "Internal server error"}))
    );
    let r = signed(
        &edge,
        "/v1/apk/upgrade",
        &json!({"apkKey": APK_KEY, "versionCode": 100}).to_string(),
        |_| {},
    );
    assert_err(&r, (500, 500_001, "服务内部错误"), "apk upgrade");
    let (status, v) = tinyaii_check(&edge);
    assert_eq!(
        (status, v),
        (
            500,
            json!({"code": 500, "message": "服务器内部错误", "data": null})
        )
    );
    // A link signed with the demo key cannot be checked either.
    let (status, _, body) = get(
        &edge,
        &format!(
            "/dl/e/x/y.exe?expires={e}&sig={}",
            sign(LINK_KEY, "e", "x", "y.exe", unix_now() + 600),
            e = unix_now() + 600
        ),
    );
    assert_eq!(status, 500, "{}", String::from_utf8_lossy(&body));
    // Answers without a private file need no key: up to date, and public apps.
    let r = edge.send(
        "POST",
        "/api/v1/check",
        &[("content-type", "application/json"), ("x-api-key", API_KEY)],
        Some(br#"{"currentVersion":"1.2.0","architecture":"arm64-v8a"}"#),
    );
    assert_eq!(
        (r.status, r.json()["hasUpdate"].clone()),
        (200, json!(false))
    );
    let r = edge.send(
        "GET",
        "/api/apps/latest?channel_key=demo-channel-ios-release",
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.text.contains("itms-services://") && !r.text.contains("expires"),
        "{}",
        r.text
    );
    // wrangler writes the worker's console to its log a moment after the answer: wait for it.
    let logged = (0..100).any(|_| {
        let seen = edge.log().contains("download_link_key");
        if !seen {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        seen
    });
    assert!(logged, "the log says what is missing");
}

/// `%XX` sequences decoded (what a device does with the `url` of an `itms-services` link).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .expect("utf-8")
        .into_owned()
}

/// Over-the-air install of a private iOS app, as a device does it: the channel's answer
/// carries an `itms-services` link whose manifest URL is a signed route link; the manifest
/// names a signed download link; the package comes through it. The manifest route refuses
/// a private app's release without its route link, with an altered or foreign one, and with
/// another release's; a route link does not pass as a download link.
#[test]
fn private_ios_installs_over_the_air_with_signed_links_only() {
    let (_tmp, root) = example_copy();
    let toml = root.join("apps/ios-demo.toml");
    let text = std::fs::read_to_string(&toml).expect("read");
    let text = text.replacen(
        "versioning = \"zealot\"",
        "versioning = \"zealot\"\nvisibility = \"private\"",
        1,
    );
    std::fs::write(&toml, text).expect("write");
    let edge = Edge::start_from(&root, &example_dir().join("keys"), |_, _| {});
    let r = edge.send(
        "GET",
        "/api/apps/latest?channel_key=demo-channel-ios-release",
        &[],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert!(!v.to_string().contains("/_edge/"), "{v}");
    let release = &v["releases"][0];
    assert_eq!(release["id"], 3, "{v}");
    let itms = release["install_url"].as_str().expect("install_url");
    let manifest = percent_decode(
        itms.strip_prefix("itms-services://?action=download-manifest&url=")
            .unwrap_or_else(|| panic!("not itms-services: {itms}")),
    );
    let path = manifest
        .strip_prefix(&edge.base)
        .unwrap_or_else(|| panic!("not on the worker: {manifest}"));
    assert!(
        path.starts_with("/api/apps/2/releases/3/install?expires="),
        "{path}"
    );
    // The manifest, with the package behind a download link.
    let (status, headers, body) = get(&edge, path);
    let plist = String::from_utf8(body).expect("utf-8");
    assert_eq!(status, 200, "{plist}\n{}", edge.log());
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/xml; charset=utf-8")
    );
    assert!(!plist.contains("_edge"), "{plist}");
    let package = plist
        .split("<string>")
        .map(|s| s.split("</string>").next().unwrap_or_default())
        .find(|s| s.contains("/dl/b/"))
        .unwrap_or_else(|| panic!("no download link in {plist}"))
        .replace("&amp;", "&");
    assert_serves(
        &edge,
        &package,
        &example_file("ios-demo/files/demo-ios-2.1.0-111.ipa"),
        "demo-ios-2.1.0-111.ipa",
    );
    // Refusals, in Zealot's envelope.
    let denied = json!({"error": "Download link is invalid or expired"});
    let (route, query) = path.split_once('?').expect("query");
    let flipped = {
        let last = query.chars().last().expect("sig");
        let other = if last == '0' { '1' } else { '0' };
        format!("{}{other}", &query[..query.len() - 1])
    };
    let foreign_sig = {
        let expires: i64 = query
            .split('&')
            .find_map(|p| p.strip_prefix("expires="))
            .and_then(|e| e.parse().ok())
            .expect("expires");
        let mut mac = Hmac::<Sha256>::new_from_slice(FOREIGN_KEY.as_bytes()).expect("key");
        mac.update(format!("route1\nb\n{route}\n{expires}").as_bytes());
        format!(
            "expires={expires}&sig={}",
            hex::encode(mac.finalize().into_bytes())
        )
    };
    for bad in [
        route.to_owned(),
        format!("{route}?{flipped}"),
        format!("{route}?{foreign_sig}"),
        format!("/api/apps/2/releases/1/install?{query}"),
    ] {
        let (status, headers, body) = get(&edge, &bad);
        let body: Value = serde_json::from_slice(&body).expect("json body");
        assert_eq!((status, &body), (403, &denied), "{bad}");
        assert!(
            header(&headers, "content-type").is_some_and(|c| c.starts_with("application/json")),
            "{bad}"
        );
    }
    // The route link's signature is no download link's.
    let link = Link::parse(&edge, &package);
    let (status, _, _) = get(&edge, &format!("/dl/b/{}/{}?{query}", link.id, link.name));
    assert_eq!(status, 403);
}
