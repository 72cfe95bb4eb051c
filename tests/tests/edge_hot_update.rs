//! Protocol A (hot update) against the real worker under `wrangler dev`, with the example's
//! project key and user token loaded into local KV: `POST`/`GET /api/v1/check`, the legacy
//! `POST /api/versions/latest` and the artifact download, for an update, no update, each auth
//! failure, per-architecture availability, forced updates, the staged rollout, bad bodies, and
//! the seed document's own JavaScript client. One test function shares one worker.

use e2e_tests::{Edge, Reply, example_dir, run_generator, workspace_root};
use md5::{Digest, Md5};
use serde_json::{Value, json};
use std::process::Command;

const KEY: &str = "demo-project-api-key-android";
const TOKEN: &str = "hot_demo_user_token_android";
const PROJECT: &str = "clx0demo0android";
const V1: &str = "/api/v1/check";
const LEGACY: &str = "/api/versions/latest";
const UNAUTHORIZED: &str = "Unauthorized - Invalid or missing authentication";
const NOT_FOUND: &str = "Project not found or access denied";
/// Release 1.4.0 (25 %, externally hosted) of `example/releases/android-demo/1.4.0.toml`.
const EXTERNAL_1_4_0: &str = "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk";

/// A POST with a JSON body (given as text, so malformed ones can be sent) and `headers`.
fn post(edge: &Edge, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    edge.send("POST", path, &h, Some(body.as_bytes()))
}

/// `POST /api/v1/check` with the project key: (status, body).
fn check(edge: &Edge, body: &Value) -> (u16, Value) {
    let r = post(edge, V1, &[("x-api-key", KEY)], &body.to_string());
    (r.status, r.json())
}

/// A check body: `currentVersion` and `architecture`.
fn req(current: &str, arch: &str) -> Value {
    json!({"currentVersion": current, "architecture": arch})
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(example_dir().join("releases/android-demo/files").join(name)).expect("file")
}

/// The `data` the spec fixes for 1.2.0 on arm64-v8a or 1.1.0 on armeabi-v7a, with md5 and size
/// computed here from the file. The artifact id is the worker's (checked separately: the
/// download route must serve that file).
fn data(version: &str, id: &Value, force: bool) -> Value {
    let (arch, name, state, notes, at, millis) = match version {
        "1.2.0" => (
            "arm64-v8a",
            "ARM64",
            "PARTIAL",
            "- New settings screen\n- Faster start-up",
            "2026-03-28T21:00:00.000Z",
            1_774_731_600_000_i64,
        ),
        "1.1.0" => (
            "armeabi-v7a",
            "ARMv7",
            "READY",
            "Fix a crash when resuming\nSecurity fix in the login flow",
            "2026-02-01T01:00:00.000Z",
            1_769_907_600_000,
        ),
        other => panic!("no fixture for {other}"),
    };
    let bytes = file(&format!("demo-{version}-{arch}.apk"));
    let id = id.as_str().expect("artifactId");
    json!({"version": version, "downloadUrl": format!("/api/version-artifacts/{id}/download"),
           "md5": hex::encode(Md5::digest(&bytes)), "size": bytes.len(), "forceUpdate": force,
           "changelog": notes, "createdAt": at, "updatedAt": at, "timestamp": millis,
           "publishState": state, "architectureKey": arch, "architectureName": name,
           "artifactId": id})
}

fn v1_2_0(id: &Value, force: bool) -> Value {
    data("1.2.0", id, force)
}

fn v1_1_0_armv7(id: &Value, force: bool) -> Value {
    data("1.1.0", id, force)
}

/// `data` plus the legacy route's `isCurrent`.
fn with_is_current(mut data: Value, is_current: bool) -> Value {
    data["isCurrent"] = json!(is_current);
    data
}

/// Asserts that `keys` appear in this order in the answer's text (the documented field order).
fn assert_order(text: &str, keys: &str) {
    let pos: Vec<_> = keys
        .split_whitespace()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("{k}: {text}"))
        })
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "{keys}: {text}");
}

/// The cohort of `docs/protocols.md` ("Rollout"), computed independently of the worker.
fn in_rollout(release_id: &str, device: &str, percent: u64) -> bool {
    let d = sha2::Sha256::digest(format!("{release_id}\n{device}").as_bytes());
    let first = u64::from_be_bytes(d[..8].try_into().expect("8 bytes"));
    first % 100 < percent
}

/// Follows a download redirect; returns the target and, for a site URL, the bytes it serves.
fn follow(edge: &Edge, id: &str) -> (String, Option<String>) {
    let r = edge.send(
        "GET",
        &format!("/api/version-artifacts/{id}/download"),
        &[],
        None,
    );
    assert_eq!(r.status, 302, "{id}: {r:?}");
    let to = r.header("location").expect("location").to_owned();
    let body = to.strip_prefix(&edge.base).map(|path| {
        let (status, text) = edge.get(path);
        assert_eq!(status, 200, "{to}");
        text
    });
    (to, body)
}

#[test]
fn hot_update_end_to_end() {
    let edge = Edge::start();

    // ---- POST /api/v1/check with X-API-Key -------------------------------------------------
    // arm64 from 1.0.0: the highest version available for the architecture, 1.2.0 (1.3.0 is
    // yanked, 1.4.0 staged and this client sends no device id, 1.5.0 a draft). 1.2.0's own
    // upgrade is `silent` (per-architecture override), yet forced: 1.0.0 < min_version 1.1.0.
    let (code, v) = check(&edge, &req("1.0.0", "arm64-v8a"));
    assert_eq!(code, 200, "{v}\n{}", edge.log());
    let id_1_2_0 = v["data"]["artifactId"].clone();
    assert_eq!(
        v,
        json!({"success": true, "hasUpdate": true, "data": v1_2_0(&id_1_2_0, true)})
    );
    // The download route serves exactly that file, from the site.
    let id = id_1_2_0.as_str().expect("id");
    assert!(
        id.len() >= 8 && id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{id}"
    );
    let (to, body) = follow(&edge, id);
    assert!(to.ends_with("demo-1.2.0-arm64-v8a.apk"), "{to}");
    assert_eq!(
        body.as_deref().map(str::as_bytes),
        Some(&file("demo-1.2.0-arm64-v8a.apk")[..])
    );

    // The same key as `architectureKey` or `arch`, padded: the same answer.
    for body in [
        json!({"currentVersion": "1.0.0", "architectureKey": " arm64-v8a "}),
        json!({"currentVersion": "1.0.0", "arch": "arm64-v8a", "unknownField": 1}),
    ] {
        assert_eq!(check(&edge, &body).1["data"], v["data"], "{body}");
    }
    // From 1.1.0 (not below the minimum): the silent override, not forced.
    let (_, v) = check(&edge, &req("1.1.0", "arm64-v8a"));
    assert_eq!(v["data"], v1_2_0(&id_1_2_0, false), "{v}");
    // No currentVersion (and an empty body, which is `{}`): the latest of the default
    // architecture (arm64-v8a), hasUpdate true, and no minimum-version rule.
    for body in [
        json!({}),
        json!({"currentVersion": "  ", "architecture": ""}),
    ] {
        let (code, v) = check(&edge, &body);
        assert_eq!(
            (code, &v),
            (
                200,
                &json!({"success": true, "hasUpdate": true, "data": v1_2_0(&id_1_2_0, false)})
            ),
            "{body}"
        );
    }
    let r = edge.send("POST", V1, &[("x-api-key", KEY)], Some(&[][..]));
    assert_eq!(r.json()["data"]["version"], "1.2.0", "{r:?}");

    // armeabi-v7a has no 1.2.0: it stays on 1.1.0, forced by the release itself.
    let (_, v) = check(&edge, &req("1.0.0", "armeabi-v7a"));
    let id_armv7 = v["data"]["artifactId"].clone();
    assert_eq!(
        v,
        json!({"success": true, "hasUpdate": true, "data": v1_1_0_armv7(&id_armv7, true)})
    );
    let (_, body) = follow(&edge, id_armv7.as_str().expect("id"));
    assert_eq!(
        body.map(String::into_bytes),
        Some(file("demo-1.1.0-armeabi-v7a.apk"))
    );

    // No update: 1.2.0 on arm64, 1.1.0 on armv7, and a newer-than-anything client; the
    // yanked 1.3.0 is never offered (its own client gets nothing either).
    for (current, arch) in [
        ("1.2.0", "arm64-v8a"),
        ("1.1.0", "armeabi-v7a"),
        ("9.0.0", "arm64-v8a"),
        ("1.2.5", "arm64-v8a"),
        ("1.3.0", "arm64-v8a"),
    ] {
        let (code, v) = check(&edge, &req(current, arch));
        assert_eq!(
            (code, v),
            (
                200,
                json!({"success": true, "hasUpdate": false, "data": null})
            ),
            "{current} {arch}"
        );
    }
    // A's ordering: `1.2.0-beta` sorts above 1.2.0 (the longer token list wins).
    let (_, v) = check(&edge, &req("1.1.0-beta", "arm64-v8a"));
    assert_eq!(v["data"]["version"], "1.2.0", "{v}");
    assert_eq!(v["data"]["forceUpdate"], false, "1.1.0-beta > 1.1.0: {v}");
    let (_, v) = check(&edge, &req("1.2.0-beta", "arm64-v8a"));
    assert_eq!(v["data"], Value::Null, "{v}");

    // Unknown architecture: ARCH_NOT_PUBLISHED, echoing the key, HTTP 200.
    let (code, v) = check(&edge, &req("1.0.0", "x86_64"));
    assert_eq!(
        (code, v),
        (
            200,
            json!({"success": true, "hasUpdate": false, "code": "ARCH_NOT_PUBLISHED",
                   "message": "架构 x86_64 尚未发布任何可用版本"})
        )
    );

    // ---- Staged rollout (1.4.0 at 25 %) ----------------------------------------------------
    // Try device ids until one is inside and one outside; the worker must agree with the
    // documented cohort rule on every one tried.
    let (mut inside, mut outside) = (None, None);
    for i in 0..200 {
        let device = format!("device-{i}");
        let (_, v) = check(
            &edge,
            &json!({"currentVersion": "1.2.0", "architecture": "arm64-v8a", "deviceId": device}),
        );
        let got = v["data"]["version"].as_str() == Some("1.4.0");
        assert!(got || v["data"].is_null(), "{device}: {v}");
        assert_eq!(
            got,
            in_rollout("android-demo/stable/1.4.0", &device, 25),
            "{device}: {v}"
        );
        let slot = if got { &mut inside } else { &mut outside };
        slot.get_or_insert(device);
        if inside.is_some() && outside.is_some() {
            break;
        }
    }
    let (inside, outside) = (
        inside.expect("a device inside"),
        outside.expect("one outside"),
    );
    let staged = |device: &str, current: &str| {
        check(
            &edge,
            &json!({"currentVersion": current, "architecture": "arm64-v8a", "deviceId": device}),
        )
        .1
    };
    let v = staged(&inside, "1.2.0");
    let id_1_4_0 = v["data"]["artifactId"].as_str().expect("id").to_owned();
    assert_eq!(
        v,
        json!({"success": true, "hasUpdate": true, "data": {
            "version": "1.4.0", "downloadUrl": EXTERNAL_1_4_0,
            "md5": "0123456789abcdef0123456789abcdef", "size": 123_456, "forceUpdate": false,
            "changelog": "Staged: new sync engine",
            "createdAt": "2026-04-10T08:00:00.000Z", "updatedAt": "2026-04-10T08:00:00.000Z",
            "timestamp": 1_775_808_000_000_i64, "publishState": "PARTIAL",
            "architectureKey": "arm64-v8a", "architectureName": "ARM64", "artifactId": id_1_4_0}})
    );
    // A device inside stays inside (same answer again), also under the `machineId` name;
    // from 1.0.0 it skips to 1.4.0, forced by the minimum version.
    assert_eq!(staged(&inside, "1.2.0"), v);
    let (_, again) = check(
        &edge,
        &json!({"currentVersion": "1.2.0", "architecture": "arm64-v8a", "machineId": inside}),
    );
    assert_eq!(again, v);
    let v = staged(&inside, "1.0.0");
    assert_eq!(
        (
            v["data"]["version"].as_str(),
            v["data"]["forceUpdate"].as_bool()
        ),
        (Some("1.4.0"), Some(true)),
        "{v}"
    );
    // Outside: still nothing newer than 1.2.0, and 1.2.0 from 1.0.0.
    assert_eq!(staged(&outside, "1.2.0")["data"], Value::Null);
    assert_eq!(staged(&outside, "1.0.0")["data"], v1_2_0(&id_1_2_0, true));
    // armv7 has no 1.4.0 build: inside or not, it stays on 1.1.0.
    let (_, v) = check(
        &edge,
        &json!({"currentVersion": "1.1.0", "architecture": "armeabi-v7a", "deviceId": inside}),
    );
    assert_eq!(v["data"], Value::Null, "{v}");
    // The external artifact redirects to its own URL.
    assert_eq!(follow(&edge, &id_1_4_0), (EXTERNAL_1_4_0.to_owned(), None));

    // ---- Auth ----------------------------------------------------------------------------
    let body =
        json!({"currentVersion": "1.0.0", "architecture": "arm64-v8a", "projectId": PROJECT});
    let expected = json!({"success": true, "hasUpdate": true, "data": v1_2_0(&id_1_2_0, true)});
    let bearer_header = format!("Bearer {TOKEN}");
    let bearer = bearer_header.as_str();
    let lower = format!("bearer {TOKEN}");
    let no_project = req("1.0.0", "arm64-v8a");
    let other_project = json!({"currentVersion": "1.0.0", "projectId": "clx0nope"});
    let license = "Bearer LIC-DEMO0ACTIVE000000000000000000001";
    let project_id_required = "Project ID is required when using Bearer token authentication";
    let empty_project = json!({"currentVersion": "1.0.0", "projectId": ""});
    let body_key = json!({"currentVersion": "1.0.0", "apiKey": KEY});
    // (headers, body, status, error; "" is the update above)
    for (headers, body, status, error) in [
        // A user token with its project: OK, the X-API-Key is not needed; a bad one is ignored.
        (vec![("authorization", bearer)], &body, 200, ""),
        (
            vec![("authorization", bearer), ("x-api-key", "nope")],
            &body,
            200,
            "",
        ),
        (
            vec![("authorization", bearer)],
            &no_project,
            400,
            project_id_required,
        ),
        (
            vec![("authorization", bearer), ("x-api-key", KEY)],
            &empty_project,
            400,
            project_id_required,
        ),
        (
            vec![("authorization", bearer)],
            &other_project,
            404,
            NOT_FOUND,
        ),
        // A bad bearer falls back to the key: OK with one, 401 without.
        (
            vec![("authorization", "Bearer hot_nope"), ("x-api-key", KEY)],
            &no_project,
            200,
            "",
        ),
        (
            vec![("authorization", "Bearer hot_nope")],
            &body,
            401,
            UNAUTHORIZED,
        ),
        (
            vec![("authorization", "Bearer "), ("x-api-key", KEY)],
            &no_project,
            200,
            "",
        ),
        // A credential of another kind is no bearer token either.
        (vec![("authorization", license)], &body, 401, UNAUTHORIZED),
        // The prefix is exact: `bearer` is not `Bearer`.
        (
            vec![("authorization", lower.as_str())],
            &body,
            401,
            UNAUTHORIZED,
        ),
        (vec![("x-api-key", "nope")], &body, 401, UNAUTHORIZED),
        // The user token is not a project key.
        (vec![("x-api-key", TOKEN)], &body, 401, UNAUTHORIZED),
        (vec![], &body, 401, UNAUTHORIZED),
        (vec![("x-api-key", "")], &body, 401, UNAUTHORIZED),
        // v1 ignores `apiKey` in the body.
        (vec![], &body_key, 401, UNAUTHORIZED),
    ] {
        let want = if error.is_empty() {
            expected.clone()
        } else {
            json!({"error": error})
        };
        let r = post(&edge, V1, &headers, &body.to_string());
        assert_eq!((r.status, r.json()), (status, want), "{headers:?} {body}");
    }

    // ---- GET /api/v1/check ---------------------------------------------------------------
    let get = |query: &str, headers: &[(&str, &str)]| {
        let r = edge.send("GET", &format!("{V1}?{query}"), headers, None);
        (r.status, r.json())
    };
    let latest = json!({"success": true, "data": v1_2_0(&id_1_2_0, false)});
    let query = format!("projectId={PROJECT}&architecture=arm64-v8a");
    assert_eq!(get(&query, &[("x-api-key", KEY)]), (200, latest.clone()));
    assert_eq!(
        get(&query, &[("authorization", bearer)]),
        (200, latest.clone())
    );
    // currentVersion is ignored, as upstream; architectureKey is read too.
    assert_eq!(
        get(
            "architectureKey=arm64-v8a&currentVersion=1.2.0",
            &[("x-api-key", KEY)]
        ),
        (200, latest.clone())
    );
    assert_eq!(get("", &[("x-api-key", KEY)]), (200, latest));
    assert_eq!(
        get("arch=armeabi-v7a", &[("x-api-key", KEY)]),
        (
            200,
            json!({"success": true, "data": v1_1_0_armv7(&id_armv7, true)})
        )
    );
    assert_eq!(
        get("architecture=mips", &[("x-api-key", KEY)]),
        (
            200,
            json!({"success": true, "data": null, "code": "ARCH_NOT_PUBLISHED",
                   "message": "架构 mips 尚未发布任何可用版本"})
        )
    );
    let (_, v) = get(
        &format!("architecture=arm64-v8a&deviceId={inside}"),
        &[("x-api-key", KEY)],
    );
    assert_eq!(v["data"]["version"], "1.4.0", "{v}");
    assert!(v.get("hasUpdate").is_none(), "{v}");
    assert_eq!(get(&query, &[]), (401, json!({"error": UNAUTHORIZED})));
    assert_eq!(
        get("architecture=arm64-v8a", &[("authorization", bearer)]),
        (
            400,
            json!({"error": "Project ID is required when using Bearer token authentication"})
        )
    );
    assert_eq!(
        get("projectId=clx0nope", &[("authorization", bearer)]),
        (404, json!({"error": NOT_FOUND}))
    );
    assert_eq!(
        get(&query, &[("x-api-key", "nope")]),
        (401, json!({"error": UNAUTHORIZED}))
    );

    // ---- POST /api/versions/latest (legacy) ----------------------------------------------
    let legacy = |headers: &[(&str, &str)], body: Value| {
        let r = post(&edge, LEGACY, headers, &body.to_string());
        (r.status, r.json())
    };
    let update = json!({"success": true, "hasUpdate": true,
                        "data": with_is_current(v1_2_0(&id_1_2_0, true), true)});
    let from_1_0_0 = req("1.0.0", "arm64-v8a");
    let r = post(
        &edge,
        LEGACY,
        &[("x-api-key", KEY)],
        &from_1_0_0.to_string(),
    );
    assert_eq!((r.status, r.json()), (200, update.clone()));
    assert_order(
        &r.text,
        "success hasUpdate data version downloadUrl md5 size forceUpdate \
         changelog createdAt updatedAt timestamp isCurrent publishState architectureKey \
         architectureName artifactId",
    );
    // `apiKey` in the body, when the header is missing or empty.
    let in_body = json!({"currentVersion": "1.0.0", "architecture": "arm64-v8a", "apiKey": KEY});
    assert_eq!(legacy(&[], in_body.clone()), (200, update.clone()));
    assert_eq!(legacy(&[("x-api-key", "")], in_body), (200, update.clone()));
    assert_eq!(
        legacy(&[("authorization", bearer)], body.clone()),
        (200, update)
    );
    // Up to date: still the latest data, with hasUpdate false and the release's own flag.
    assert_eq!(
        legacy(
            &[("x-api-key", KEY)],
            json!({"currentVersion": "1.2.0", "arch": "arm64-v8a"})
        ),
        (
            200,
            json!({"success": true, "hasUpdate": false,
                   "data": with_is_current(v1_2_0(&id_1_2_0, false), true)})
        )
    );
    // armv7's latest is not the channel's newest: isCurrent false; 1.1.0 is forced itself.
    for current in ["1.0.0", "1.1.0"] {
        assert_eq!(
            legacy(
                &[("x-api-key", KEY)],
                json!({"currentVersion": current, "architecture": "armeabi-v7a"})
            ),
            (
                200,
                json!({"success": true, "hasUpdate": current == "1.0.0",
                       "data": with_is_current(v1_1_0_armv7(&id_armv7, true), false)})
            ),
            "{current}"
        );
    }
    // Without currentVersion: hasUpdate true.
    let (_, v) = legacy(&[("x-api-key", KEY)], json!({}));
    assert_eq!(
        (v["hasUpdate"].as_bool(), v["data"]["version"].as_str()),
        (Some(true), Some("1.2.0"))
    );
    // A device inside the rollout: 1.4.0 is the newest, so isCurrent; 1.2.0 no longer is.
    let (_, v) = legacy(
        &[("x-api-key", KEY)],
        json!({"currentVersion": "1.0.0", "deviceId": inside}),
    );
    assert_eq!(
        (
            v["data"]["version"].as_str(),
            v["data"]["isCurrent"].as_bool()
        ),
        (Some("1.4.0"), Some(true)),
        "{v}"
    );
    let legacy_errors = [
        (
            vec![],
            from_1_0_0.clone(),
            401,
            json!({"error": "Authentication required - provide Bearer token or X-API-Key"}),
        ),
        (
            vec![("x-api-key", "nope")],
            from_1_0_0.clone(),
            404,
            json!({"error": NOT_FOUND}),
        ),
        (
            vec![],
            json!({"currentVersion": "1.0.0", "apiKey": "nope"}),
            404,
            json!({"error": NOT_FOUND}),
        ),
        (
            vec![("x-api-key", TOKEN)],
            from_1_0_0.clone(),
            404,
            json!({"error": NOT_FOUND}),
        ),
        (
            vec![("authorization", bearer)],
            from_1_0_0.clone(),
            400,
            json!({"error": "Project ID is required when using Bearer token"}),
        ),
        (
            vec![("authorization", bearer)],
            json!({"projectId": "clx0nope"}),
            404,
            json!({"error": NOT_FOUND}),
        ),
        (
            vec![("x-api-key", KEY)],
            json!({"currentVersion": "1.0.0", "architecture": "x86"}),
            404,
            json!({"error": "ARCH_NOT_PUBLISHED", "message": "架构 x86 尚未发布任何可用版本"}),
        ),
    ];
    for (headers, body, status, want) in legacy_errors {
        assert_eq!(
            legacy(&headers, body.clone()),
            (status, want),
            "{headers:?} {body}"
        );
    }

    // ---- Download route ------------------------------------------------------------------
    let r = edge.send("GET", "/api/version-artifacts/nope/download", &[], None);
    assert_eq!((r.status, r.json()), (404, json!({"error": "产物不存在"})));
    // The yanked release's file is still downloadable by id (history), the site's own bytes.
    // A private app's artifact (under /_edge/) is not: the route has no authentication.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = run_generator(&[
        "build",
        "--root",
        example_dir().to_str().expect("utf-8"),
        "--out",
        tmp.path().join("site").to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The edge data is in the worker tree beside the site (docs/site-layout.md).
    let lookup: Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("site-edge/_edge/lookup.json")).expect("lookup"),
    )
    .expect("json");
    let artifacts = lookup["artifacts"].as_object().expect("artifacts");
    let private: Vec<_> = artifacts
        .iter()
        .filter(|(_, a)| a["url"].as_str().is_some_and(|u| u.starts_with("/_edge/")))
        .collect();
    assert!(!private.is_empty(), "the example has a private app");
    for (id, _) in private {
        let r = edge.send(
            "GET",
            &format!("/api/version-artifacts/{id}/download"),
            &[],
            None,
        );
        assert_eq!(
            (r.status, r.json()),
            (404, json!({"error": "产物不存在"})),
            "{id}"
        );
    }
    let (yanked, _) = artifacts
        .iter()
        .find(|(_, a)| {
            a["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("demo-1.3.0-arm64-v8a.apk"))
        })
        .expect("1.3.0 artifact");
    let (_, body) = follow(&edge, yanked);
    assert_eq!(
        body.map(String::into_bytes),
        Some(file("demo-1.3.0-arm64-v8a.apk"))
    );

    // ---- Bad bodies: A's envelope, 4xx, never a 500 (before auth, on both POST routes) ----
    let big = json!({"currentVersion": "1.0.0", "pad": "x".repeat(17 * 1024)}).to_string();
    for path in [V1, LEGACY] {
        for (body, status, error) in [
            ("{not json", 400, "Invalid request body"),
            ("[]", 400, "Invalid request body"),
            ("\"1.0.0\"", 400, "Invalid request body"),
            ("null", 400, "Invalid request body"),
            (r#"{"currentVersion": 1}"#, 400, "Invalid request body"),
            (
                r#"{"architecture": ["arm64-v8a"]}"#,
                400,
                "Invalid request body",
            ),
            (r#"{"projectId": 7}"#, 400, "Invalid request body"),
            (r#"{"deviceId": true}"#, 400, "Invalid request body"),
            (big.as_str(), 413, "Request body too large"),
        ] {
            for headers in [vec![("x-api-key", KEY)], vec![]] {
                let r = post(&edge, path, &headers, body);
                assert_eq!(
                    (r.status, r.json()),
                    (status, json!({"error": error})),
                    "{path} {body:.40} {headers:?}"
                );
            }
        }
    }
    // An oversized body without a declared length (chunked) is refused the same way.
    let chunked = ureq::post(&format!("{}{V1}", edge.base))
        .set("content-type", "application/json")
        .set("x-api-key", KEY)
        .send(std::io::Cursor::new(big.clone().into_bytes()));
    match chunked {
        Err(ureq::Error::Status(413, r)) => assert_eq!(
            r.into_json::<Value>().expect("json"),
            json!({"error": "Request body too large"})
        ),
        other => panic!("chunked oversized body: {other:?}"),
    }
    // `null` fields are absent, not errors.
    let (code, v) = check(
        &edge,
        &json!({"currentVersion": null, "architecture": null}),
    );
    assert_eq!(
        (code, v["data"]["version"].as_str()),
        (200, Some("1.2.0")),
        "{v}"
    );

    // ---- The seed document's JavaScript client -------------------------------------------
    let out = Command::new("node")
        .arg(workspace_root().join("tests/clients/hot_update_example.mjs"))
        .env("BASE_URL", &edge.base)
        .env("API_KEY", KEY)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for needle in [
        "success: true",
        "hasUpdate: true",
        "version: '1.2.0'",
        "forceUpdate: true",
    ] {
        assert!(stdout.contains(needle), "{needle} not in {stdout}");
    }
}
