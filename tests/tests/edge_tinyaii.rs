//! Protocol E (tinyaii) against the real worker under `wrangler dev`: an update, no update,
//! each failure in its envelope, the seed's own Python client, and the edge data kept private.
//! One test function shares one worker (starting it takes seconds).

use e2e_tests::{Edge, workspace_root};
use std::process::Command;

const KEY: &str = "534a235d30f13cac";
const ROUTE: &str = "/api/v1/version/check";

#[test]
fn tinyaii_version_check_end_to_end() {
    let edge = Edge::start();

    // An update, per platform, with an absolute download URL that serves the artifact.
    let (code, v) = edge.post_json(
        ROUTE,
        &format!(r#"{{"app_key":"{KEY}","current_version":"1.0.0","platform":"windows"}}"#),
    );
    assert_eq!(code, 200, "{v}\n{}", edge.log());
    assert_eq!(v["code"], 200);
    assert!(v["message"].is_string());
    let d = &v["data"];
    assert_eq!(
        (d["has_update"].as_bool(), d["latest_version"].as_str()),
        (Some(true), Some("1.1.0"))
    );
    assert_eq!(d["current_version"], "1.0.0");
    assert_eq!(d["release_notes"], "更新说明 1.1.0");
    assert_eq!(d["force_update"], false);
    let url = d["download_url"].as_str().expect("url");
    assert!(
        url.starts_with(&edge.base) && url.ends_with(".windows-tool-1.1.0.exe"),
        "{url}"
    );
    let (status, bytes) = edge.get(url.trim_start_matches(&edge.base));
    assert_eq!(
        (status, bytes.as_str()),
        (200, "fake EXE: windows tool 1.1.0\n")
    );

    let (_, linux) = edge.post_json(
        ROUTE,
        &format!(r#"{{"app_key":"{KEY}","current_version":"1.0.0","platform":"linux"}}"#),
    );
    assert!(
        linux["data"]["download_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("linux-x64.tar.gz")),
        "{linux}"
    );

    // Below the app's minimum version: forced.
    let (_, old) = edge.post_json(
        ROUTE,
        &format!(r#"{{"app_key":"{KEY}","current_version":"0.9","platform":"windows"}}"#),
    );
    assert_eq!(old["data"]["force_update"], true, "{old}");

    // No update: the documented zero shape, still 200.
    let (code, v) = edge.post_json(
        ROUTE,
        &format!(r#"{{"app_key":"{KEY}","current_version":"1.1.0","platform":"windows"}}"#),
    );
    assert_eq!(code, 200);
    assert_eq!(
        v["data"],
        serde_json::json!({"has_update": false, "current_version": "1.1.0", "latest_version": "1.1.0",
                           "download_url": "", "release_notes": "", "force_update": false})
    );

    // Failures, each in the envelope with code = HTTP status, never a 500.
    let big = format!(
        r#"{{"app_key":"{KEY}","current_version":"1.0.0","pad":"{}"}}"#,
        "x".repeat(20_000)
    );
    for (body, status) in [
        (
            r#"{"app_key":"nope","current_version":"1.0.0"}"#.to_owned(),
            401,
        ),
        (format!(r#"{{"app_key":"{KEY}"}}"#), 400),
        (
            format!(r#"{{"app_key":{KEY},"current_version":"1.0.0"}}"#),
            400,
        ),
        ("{not json".to_owned(), 400),
        (String::new(), 400),
        (
            format!(r#"{{"app_key":"{KEY}","current_version":"one"}}"#),
            400,
        ),
        (big, 400),
    ] {
        let (code, v) = edge.post_json(ROUTE, &body);
        assert_eq!(code, status, "{body:.80}: {v}");
        assert_eq!(v["code"], status);
        assert!(v["data"].is_null());
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // The seed document's Python client, unchanged but for base URL and key.
    let out = Command::new("python3")
        .arg(workspace_root().join("tests/clients/tinyaii_example.py"))
        .env("BASE_URL", &edge.base)
        .env("APP_KEY", KEY)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["code"], 200, "{v}");
    assert_eq!(v["data"]["has_update"], true, "{v}");

    // The edge data is uploaded for the worker but never served; public files are.
    for path in [
        "/_edge/lookup.json",
        "/_edge/apps/windows-tool.json",
        "/_edge",
    ] {
        assert_eq!(edge.get(path).0, 404, "{path}");
    }
    assert_eq!(edge.get("/index.json").0, 200);
    assert_eq!(edge.get("/no/such/file.json").0, 404);
}
