//! Protocol C (license-gated updates) against the real worker under `wrangler dev`, with the
//! example's licenses loaded into local KV from the generator's bulk file: updates, every
//! license failure in order, signed packages before and within a signing-secret rotation, the
//! license-checked download, and the seed document's own JavaScript client.

use e2e_tests::{Edge, example_dir, run_generator, unix_now, workspace_root};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::process::Command;

const APP: &str = "app_desktop_pro";
const ACTIVE: &str = "LIC-DEMO0ACTIVE000000000000000000001";
const EXPIRED: &str = "LIC-DEMO0EXPIRED00000000000000000002";
const REVOKED: &str = "LIC-DEMO0REVOKED00000000000000000003";
const FOREIGN: &str = "LIC-DEMO0WINDOWSTOOL000000000000004";
const SECRET: &str = "demo-signing-secret-desktop-pro";
const EXTERNAL_1_3_0: &str = "https://example.com/download/app-1.3.0.zip";

/// hex HMAC-SHA256 of `appId:version:downloadUrl`, computed here independently of the worker.
fn hmac_hex(secret: &str, app: &str, version: &str, url: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{app}:{version}:{url}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn check(edge: &Edge, app: &str, body: &str) -> (u16, Value) {
    edge.post_json(&format!("/api/v1/apps/{app}/update/check"), body)
}

fn package(edge: &Edge, app: &str, version: &str, key: &str) -> (u16, Value) {
    let r = edge.send(
        "GET",
        &format!("/api/v1/apps/{app}/update/package/{version}?licenseKey={key}"),
        &[],
        None,
    );
    (r.status, r.json())
}

#[test]
fn license_protocol_end_to_end() {
    let edge = Edge::start();
    let body = |cur: &str, key: &str| json!({"currentVersion": cur, "licenseKey": key}).to_string();

    // Below the app's minimum version (1.1.0): FORCE, to the most recently published release.
    let (code, v) = check(&edge, APP, &body("1.0.0", ACTIVE));
    assert_eq!(code, 200, "{v}\n{}", edge.log());
    assert_eq!(
        v,
        json!({"hasUpdate": true, "currentVersion": "1.0.0", "targetVersion": "1.3.0",
               "strategy": "FORCE", "note": "修复若干问题", "offlineTtlSeconds": 3600})
    );
    let (_, v) = check(&edge, APP, &body(" v1.2.0 ", ACTIVE));
    assert_eq!(
        (v["strategy"].as_str(), v["currentVersion"].as_str()),
        (Some("OPTIONAL"), Some("v1.2.0"))
    );
    // Up to date: targetVersion null, not the latest.
    let (code, v) = check(&edge, APP, &body("1.3.0", ACTIVE));
    assert_eq!(code, 200);
    assert_eq!(
        v,
        json!({"hasUpdate": false, "currentVersion": "1.3.0", "targetVersion": null,
               "strategy": "OPTIONAL", "note": null, "offlineTtlSeconds": 3600})
    );

    // The license checks, in their order, each in C's envelope. An unknown app answers as
    // an existing one the license does not belong to: no existence oracle.
    for (app, key, status, code, message) in [
        (
            "app_nope",
            ACTIVE,
            403,
            "FORBIDDEN",
            "License does not belong to this app",
        ),
        (
            "app_nope",
            "LIC-UNKNOWN",
            404,
            "NOT_FOUND",
            "License not found",
        ),
        (
            "app_nope",
            REVOKED,
            403,
            "FORBIDDEN",
            "License does not belong to this app",
        ),
        (APP, "LIC-UNKNOWN", 404, "NOT_FOUND", "License not found"),
        (
            APP,
            FOREIGN,
            403,
            "FORBIDDEN",
            "License does not belong to this app",
        ),
        (APP, REVOKED, 403, "FORBIDDEN", "License is not active"),
        (APP, EXPIRED, 403, "FORBIDDEN", "License is expired"),
    ] {
        let (s, v) = check(&edge, app, &body("1.0.0", key));
        assert_eq!(s, status, "{key}: {v}");
        assert_eq!(v, json!({"code": code, "message": message}), "{key}");
    }
    // The version format is checked after the license.
    let (s, v) = check(&edge, APP, &body("1.2", ACTIVE));
    assert_eq!(
        (s, &v),
        (
            400,
            &json!({"code": "VALIDATION_ERROR", "message": "Version must be in x.y.z format"})
        )
    );
    // Malformed bodies: 400 with zod-shaped errors, never a 500.
    let big = json!({"currentVersion": "1.0.0", "licenseKey": ACTIVE, "pad": "x".repeat(20_000)});
    for bad in [
        "{not json".to_owned(),
        String::new(),
        r#"{"currentVersion":1,"licenseKey":"LIC-1"}"#.to_owned(),
        r#"{"currentVersion":"1.0.0"}"#.to_owned(),
        format!(
            r#"{{"currentVersion":"1.0.0","licenseKey":"{}"}}"#,
            "K".repeat(129)
        ),
        big.to_string(),
    ] {
        let (s, v) = check(&edge, APP, &bad);
        assert_eq!(s, 400, "{bad:.60}: {v}");
        assert_eq!(v["message"], "请求参数不合法", "{bad:.60}");
        assert!(v["errors"]["fieldErrors"].is_object(), "{v}");
    }

    // Package of an externally hosted release: signed with the app's secret, no legacy
    // signature before any rotation.
    let (s, v) = package(&edge, APP, "1.3.0", ACTIVE);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v,
        json!({"appId": APP, "version": "1.3.0", "downloadUrl": EXTERNAL_1_3_0,
               "releaseNote": "修复若干问题",
               "signature": hmac_hex(SECRET, APP, "1.3.0", EXTERNAL_1_3_0),
               "legacySignature": null, "signatureGraceExpiresAt": null,
               "publishedAt": "2026-02-24T10:20:00.000Z"})
    );
    // A file the site hosts (privately): the download URL is the license-checked route, it is
    // what the signature covers, and following it as is gives the file.
    let (_, v) = package(&edge, APP, "1.1.0", ACTIVE);
    let url = v["downloadUrl"].as_str().expect("url").to_owned();
    assert_eq!(
        url,
        format!(
            "{}/api/v1/apps/{APP}/update/download/1.1.0?licenseKey={ACTIVE}",
            edge.base
        )
    );
    assert_eq!(v["signature"], hmac_hex(SECRET, APP, "1.1.0", &url));
    let file = edge.send("GET", url.trim_start_matches(&edge.base), &[], None);
    assert_eq!(file.status, 200);
    assert_eq!(file.text, "fake ZIP: desktop pro 1.1.0\n");
    assert!(
        file.header("content-disposition")
            .is_some_and(|d| d.contains("desktop-pro-1.1.0.zip")),
        "{:?}",
        file.headers
    );
    // The same route refuses a revoked license, and the key may come in a header instead.
    let path = format!("/api/v1/apps/{APP}/update/download/1.1.0");
    assert_eq!(
        edge.send("GET", &format!("{path}?licenseKey={REVOKED}"), &[], None)
            .status,
        403
    );
    assert_eq!(
        edge.send("GET", &path, &[("x-license-key", ACTIVE)], None)
            .status,
        200
    );
    // Package failures.
    let r = edge.send(
        "GET",
        &format!("/api/v1/apps/{APP}/update/package/1.3.0"),
        &[],
        None,
    );
    assert_eq!(
        (r.status, r.json()),
        (400, json!({"message": "缺少 licenseKey 参数"}))
    );
    assert_eq!(package(&edge, APP, "9.9.9", ACTIVE).0, 404);
    assert_eq!(package(&edge, APP, "1.3.0", EXPIRED).0, 403);
    assert_eq!(package(&edge, APP, "1.3.0", FOREIGN).0, 403);
    assert_eq!(package(&edge, APP, "1.x", ACTIVE).0, 400);

    // The seed document's JavaScript client, unchanged but for base URL, app id and key.
    let out = Command::new("node")
        .arg(workspace_root().join("tests/clients/license_example.mjs"))
        .env("BASE_URL", &edge.base)
        .env("APP_ID", APP)
        .env("LICENSE_KEY", ACTIVE)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["checkData"]["targetVersion"], "1.3.0", "{v}");
    assert_eq!(
        v["pkgData"]["signature"],
        hmac_hex(SECRET, APP, "1.3.0", EXTERNAL_1_3_0)
    );
}

#[test]
fn signing_secret_rotation() {
    // Rotate desktop-pro's secret now (inside the 24 h window) and windows-tool's 25 hours ago
    // (window over), in a copy of the example's key store, and serve with that store.
    let keys = tempfile::tempdir().expect("tempdir");
    e2e_tests::copy_tree(&example_dir().join("keys"), keys.path());
    let rotate = |app: &str, now: Option<String>| {
        let mut args = vec![
            "keys".to_owned(),
            "--root".into(),
            example_dir().display().to_string(),
            "--dir".into(),
            keys.path().display().to_string(),
            "--format".into(),
            "json".into(),
        ];
        if let Some(n) = now {
            args.extend(["--now".into(), n]);
        }
        args.extend(["rotate".into(), "--app".into(), app.into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_generator(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        e2e_tests::stdout_json(&out)["secret"]
            .as_str()
            .expect("secret")
            .to_owned()
    };
    let new = rotate("desktop-pro", None);
    let day_ago = update_protocol::time::Timestamp::from_unix(unix_now() - 25 * 3600, 0)
        .expect("time")
        .to_seconds_z();
    let new_wt = rotate("windows-tool", Some(day_ago));
    assert_ne!(new, SECRET);

    let edge = Edge::start_with_keys(keys.path());
    let (s, v) = package(&edge, APP, "1.3.0", ACTIVE);
    assert_eq!(s, 200, "{v}\n{}", edge.log());
    assert_eq!(v["signature"], hmac_hex(&new, APP, "1.3.0", EXTERNAL_1_3_0));
    assert_eq!(
        v["legacySignature"],
        hmac_hex(SECRET, APP, "1.3.0", EXTERNAL_1_3_0)
    );
    let until = v["signatureGraceExpiresAt"].as_str().expect("grace end");
    let until = update_protocol::time::Timestamp::parse_rfc3339(until).expect("ISO time");
    let left = until.unix_seconds() - unix_now();
    assert!((24 * 3600 - 600..=24 * 3600).contains(&left), "{left}");

    // After the window only the new secret signs.
    let (s, v) = package(&edge, "app_windows_tool", "1.1.0", FOREIGN);
    assert_eq!(s, 200, "{v}");
    let url = v["downloadUrl"].as_str().expect("url");
    assert_eq!(
        v["signature"],
        hmac_hex(&new_wt, "app_windows_tool", "1.1.0", url)
    );
    assert!(
        v["legacySignature"].is_null() && v["signatureGraceExpiresAt"].is_null(),
        "{v}"
    );
}
