use super::*;
use crate::index::ArtifactRef;
use crate::links::Protocol;

/// [`super::check`] with the links of `https://u.example` and a key.
fn check(app: &EdgeApp, route: Route, req: &CheckRequest) -> Result<Answer, Error> {
    let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
    let links = Links::new("https://u.example", Protocol::HotUpdate, Some("k"), now);
    super::check(app, route, req, &links)
}
use serde_json::{Value, json};

/// `_edge/apps/android-demo.json` of the example's build (`fixtures/edge/`, kept equal to the
/// build by `generator/tests/edge_fixtures.rs`).
const ANDROID_DEMO: &str = include_str!("../../fixtures/edge/apps/android-demo.json");

fn fixture() -> Value {
    serde_json::from_str(ANDROID_DEMO).expect("fixture")
}

fn app_from(v: Value) -> EdgeApp {
    serde_json::from_value(v).expect("edge app")
}

fn demo() -> EdgeApp {
    app_from(fixture())
}

fn req(current: Option<&str>, arch: Option<&str>, device: Option<&str>) -> CheckRequest {
    CheckRequest {
        current_version: current.map(str::to_owned),
        architecture: arch.map(str::to_owned),
        device_id: device.map(str::to_owned),
        ..CheckRequest::default()
    }
}

fn json_of(a: &Answer) -> Value {
    serde_json::to_value(a).expect("json")
}

/// The version a POST v1 check offers, `None` for "no update".
fn offered(
    app: &EdgeApp,
    current: Option<&str>,
    arch: Option<&str>,
    device: Option<&str>,
) -> Option<String> {
    let a = check(app, Route::Check, &req(current, arch, device)).expect("v1 never errs");
    a.data.flatten().map(|d| d.version)
}

fn data(app: &EdgeApp, route: Route, r: &CheckRequest) -> VersionInfo {
    check(app, route, r)
        .expect("answer")
        .data
        .flatten()
        .expect("data")
}

#[test]
fn update_answer_matches_the_wire_shape() {
    let a = check(
        &demo(),
        Route::Check,
        &req(Some("1.1.0"), Some("arm64-v8a"), None),
    )
    .expect("answer");
    assert_eq!(
        serde_json::to_string(&a).expect("json"),
        concat!(
            r#"{"success":true,"hasUpdate":true,"data":{"version":"1.2.0","#,
            r#""downloadUrl":"/api/version-artifacts/f2c16718084d2c7cbb29a8c8/download","#,
            r#""md5":"8e3d6b065f93ba0d7b6210ab3f7801ff","size":43,"forceUpdate":false,"#,
            r#""changelog":"- New settings screen\n- Faster start-up","#,
            r#""createdAt":"2026-03-28T21:00:00.000Z","updatedAt":"2026-03-28T21:00:00.000Z","#,
            r#""timestamp":1774731600000,"publishState":"PARTIAL","architectureKey":"arm64-v8a","#,
            r#""architectureName":"ARM64","artifactId":"f2c16718084d2c7cbb29a8c8"}}"#
        )
    );
}

#[test]
fn no_update_and_no_current_version() {
    let app = demo();
    let a = check(
        &app,
        Route::Check,
        &req(Some("1.2.0"), Some("arm64-v8a"), None),
    )
    .expect("answer");
    assert_eq!(
        json_of(&a),
        json!({"success": true, "hasUpdate": false, "data": null})
    );
    // A-token comparison: a newer client is up to date too.
    assert_eq!(offered(&app, Some("9"), None, None), None);
    // Without currentVersion the latest is offered; without arch, the default one.
    let d = data(&app, Route::Check, &req(None, None, None));
    assert_eq!(
        (d.version.as_str(), d.architecture_key.as_str()),
        ("1.2.0", "arm64-v8a")
    );
    // The highest newer version, not the next one.
    assert_eq!(
        offered(&app, Some("1.0.0"), Some("arm64-v8a"), None).as_deref(),
        Some("1.2.0")
    );
    // READY when every enabled architecture has a primary build.
    let d = data(
        &app,
        Route::Check,
        &req(Some("1.0.0"), Some("armeabi-v7a"), None),
    );
    assert_eq!(
        (d.version.as_str(), d.publish_state),
        ("1.1.0", PublishState::Ready)
    );
}

#[test]
fn architecture_not_published() {
    let app = demo();
    // armeabi-v7a has no 1.2.0: it stays on 1.1.0.
    assert_eq!(
        offered(&app, Some("1.1.0"), Some("armeabi-v7a"), None),
        None
    );
    let a = check(&app, Route::Check, &req(Some("1.1.0"), Some("mips"), None)).expect("answer");
    assert_eq!(
        json_of(&a),
        json!({"success": true, "hasUpdate": false, "code": "ARCH_NOT_PUBLISHED", "message": "架构 mips 尚未发布任何可用版本"})
    );
    let g = check(&app, Route::CheckGet, &req(None, Some("mips"), None)).expect("answer");
    assert_eq!(
        json_of(&g),
        json!({"success": true, "data": null, "code": "ARCH_NOT_PUBLISHED", "message": "架构 mips 尚未发布任何可用版本"})
    );
    let e = check(&app, Route::Latest, &req(None, Some("mips"), None)).expect_err("404");
    assert_eq!(e.status(), 404);
    assert_eq!(
        serde_json::to_value(e.body()).expect("json"),
        json!({"error": "ARCH_NOT_PUBLISHED", "message": "架构 mips 尚未发布任何可用版本"})
    );
    // A disabled architecture is never offered, and no longer counts for publishState;
    // the fallback moves to the first enabled one.
    let mut v = fixture();
    v["app"]["architectures"][1]["enabled"] = json!(false);
    let app = app_from(v.clone());
    assert_eq!(
        check(&app, Route::Check, &req(None, Some("armeabi-v7a"), None))
            .expect("answer")
            .code,
        Some(ARCH_NOT_PUBLISHED)
    );
    assert_eq!(
        data(&app, Route::Check, &req(None, None, None)).publish_state,
        PublishState::Ready
    );
    v["app"]["architectures"][0]["enabled"] = json!(false);
    v["app"]["architectures"][1]["enabled"] = json!(true);
    let d = data(&app_from(v), Route::Check, &req(None, None, None));
    assert_eq!(
        (d.version.as_str(), d.architecture_key.as_str()),
        ("1.1.0", "armeabi-v7a")
    );
}

#[test]
fn no_versions() {
    let mut v = fixture();
    v["releases"] = json!([]);
    let app = app_from(v);
    assert_eq!(
        json_of(&check(&app, Route::Check, &req(Some("1.0"), None, None)).expect("answer")),
        json!({"success": true, "hasUpdate": false, "message": "No versions available"})
    );
    assert_eq!(
        json_of(&check(&app, Route::CheckGet, &req(None, None, None)).expect("answer")),
        json!({"success": true, "data": null, "message": "No versions available"})
    );
    let e = check(&app, Route::Latest, &req(None, None, None)).expect_err("404");
    assert_eq!((e.status(), e.body().error), (404, "No versions available"));
}

#[test]
fn fallback_architecture_follows_order() {
    // No default: the first enabled by `order` (armeabi-v7a, order 1, before arm64 at 5).
    let mut v = fixture();
    v["app"]["architectures"][0]["default"] = json!(false);
    v["app"]["architectures"][0]["order"] = json!(5);
    let d = data(&app_from(v), Route::CheckGet, &req(None, None, None));
    assert_eq!(
        (d.version.as_str(), d.architecture_name.as_str()),
        ("1.1.0", "ARMv7")
    );
}

#[test]
fn app_without_architectures_has_default() {
    let mut v = fixture();
    v["app"]["architectures"] = json!([]);
    v["default_arch"] = json!("default");
    for r in v["releases"].as_array_mut().expect("releases") {
        r["artifacts"]
            .as_array_mut()
            .expect("artifacts")
            .retain(|a| a["arch"] == "arm64-v8a");
        for a in r["artifacts"].as_array_mut().expect("artifacts") {
            a["arch"] = json!("default");
        }
    }
    let app = app_from(v);
    let d = data(&app, Route::Check, &req(None, None, None));
    assert_eq!(
        (
            d.architecture_key.as_str(),
            d.architecture_name.as_str(),
            d.publish_state
        ),
        ("default", "默认架构", PublishState::Ready)
    );
    assert_eq!(offered(&app, None, Some("arm64-v8a"), None), None);
}

#[test]
fn force_update_rules() {
    let app = demo();
    // The target's flag: 1.1.0 is forced (armeabi-v7a client on 1.0.0)...
    assert!(
        data(
            &app,
            Route::Check,
            &req(Some("1.0.0"), Some("armeabi-v7a"), None)
        )
        .force_update
    );
    // ...but a skipped forced version does not force 1.2.0 (silent for arm64)...
    let mut v = fixture();
    v["app"]["policy"] = json!({});
    assert!(
        !data(
            &app_from(v.clone()),
            Route::Check,
            &req(Some("1.0.0"), None, None)
        )
        .force_update
    );
    // ...unless the client is below policy.min_version (1.1.0): our minimum-version rule.
    assert!(data(&app, Route::Check, &req(Some("1.0.0"), None, None)).force_update);
    assert!(!data(&app, Route::Check, &req(Some("1.1.0"), None, None)).force_update);
    // The per-architecture override wins over the release's flag, both ways.
    v["releases"][2]["upgrade"] = json!("force");
    assert!(
        !data(
            &app_from(v.clone()),
            Route::Check,
            &req(Some("1.1.0"), None, None)
        )
        .force_update
    );
    v["releases"][2]["artifacts"][0]
        .as_object_mut()
        .expect("artifact")
        .remove("upgrade");
    assert!(
        data(
            &app_from(v.clone()),
            Route::Check,
            &req(Some("1.1.0"), None, None)
        )
        .force_update
    );
    v["releases"][2]["upgrade"] = json!("prompt");
    v["releases"][2]["artifacts"][0]["upgrade"] = json!("force");
    assert!(data(&app_from(v), Route::Check, &req(Some("1.1.0"), None, None)).force_update);
}

#[test]
fn yanked_is_never_offered() {
    let mut v = fixture();
    v["releases"][0]["rollout"] = json!(100);
    v["releases"][1]["version"] = json!("1.5.0");
    let app = app_from(v);
    for device in [None, Some("d-1"), Some("d-2")] {
        assert_eq!(
            offered(&app, Some("1.0.0"), None, device).as_deref(),
            Some("1.4.0")
        );
    }
}

/// Devices 0..400 whose v1 check offers 1.4.0.
fn in_cohort(app: &EdgeApp) -> Vec<String> {
    (0..400)
        .map(|i| format!("device-{i}"))
        .filter(|d| offered(app, Some("1.2.0"), None, Some(d)).as_deref() == Some("1.4.0"))
        .collect()
}

#[test]
fn staged_rollout_by_device() {
    let app = demo();
    assert_eq!(
        offered(&app, Some("1.2.0"), None, None),
        None,
        "no device id: full rollouts only"
    );
    let at25 = in_cohort(&app);
    assert!(
        (60..140).contains(&at25.len()),
        "about a quarter: {}",
        at25.len()
    );
    for d in &at25 {
        assert!(rollout::cohort("android-demo/stable/1.4.0", d) < 25);
    }
    // The external URL is given as is, with its real md5 and size.
    let r = CheckRequest {
        device_id: at25.first().cloned(),
        ..req(Some("1.2.0"), None, None)
    };
    let d = data(&app, Route::Check, &r);
    assert_eq!(
        d.download_url,
        "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk"
    );
    assert_eq!(
        (d.md5.map(|m| m.to_hex()), d.size),
        (Some("0123456789abcdef0123456789abcdef".into()), 123456)
    );
    // machineId is an alias; outside the cohort the device stays on 1.2.0.
    let out = (0..400)
        .map(|i| format!("device-{i}"))
        .find(|d| !at25.contains(d))
        .expect("someone out");
    let body = format!(r#"{{"currentVersion":"1.2.0","machineId":"{out}"}}"#);
    let parsed = parse_body(body.as_bytes()).expect("parses");
    assert_eq!(parsed.device_id.as_deref(), Some(out.as_str()));
    assert_eq!(
        check(&app, Route::Check, &parsed).expect("answer").data,
        Some(None)
    );
    // Growing the rollout keeps every device that was in.
    let mut v = fixture();
    v["releases"][0]["rollout"] = json!(50);
    let at50 = in_cohort(&app_from(v));
    assert!(at25.iter().all(|d| at50.contains(d)) && at50.len() > at25.len());
}

#[test]
fn hot_update_version_order() {
    let mut v = fixture();
    let template = v["releases"][2].clone(); // 1.2.0, arm64, fully rolled out
    let add = |v: &mut Value, version: &str, published: &str| {
        let mut r = template.clone();
        r["version"] = json!(version);
        r["release_id"] = json!(format!("android-demo/stable/{version}"));
        r["published_at"] = json!(published);
        v["releases"].as_array_mut().expect("releases").insert(0, r);
    };
    // Newest-first in semver order, as the generator writes them for this app.
    add(&mut v, "2.0.0-beta", "2026-05-01T00:00:00Z");
    add(&mut v, "2.0.0", "2026-05-02T00:00:00Z");
    let app = app_from(v.clone());
    assert_eq!(
        offered(&app, Some("1.2.0"), None, None).as_deref(),
        Some("2.0.0-beta")
    );
    assert_eq!(
        offered(&app, Some("2.0.0"), None, None).as_deref(),
        Some("2.0.0-beta")
    );
    assert_eq!(offered(&app, Some("2.0.0-beta"), None, None), None);
    // Equal under A's order (`3.0` = `3.00`): the later publication wins, either way round.
    let mut w = v.clone();
    add(&mut v, "3.00", "2026-06-02T00:00:00Z");
    add(&mut v, "3.0", "2026-06-01T00:00:00Z");
    assert_eq!(
        offered(&app_from(v), None, None, None).as_deref(),
        Some("3.00")
    );
    add(&mut w, "3.0", "2026-06-02T00:00:00Z");
    add(&mut w, "3.00", "2026-06-01T00:00:00Z");
    assert_eq!(
        offered(&app_from(w), None, None, None).as_deref(),
        Some("3.0")
    );
}

#[test]
fn get_and_legacy_shapes() {
    let app = demo();
    let g = check(
        &app,
        Route::CheckGet,
        &parse_query([
            ("projectId", "clx0demo0android"),
            ("architecture", "armeabi-v7a"),
        ]),
    )
    .expect("answer");
    let j = json_of(&g);
    assert_eq!(j.get("hasUpdate"), None);
    assert_eq!(j["data"]["version"], "1.1.0");
    assert_eq!(j["data"].get("isCurrent"), None);
    // Legacy: data even without an update; isCurrent only for the channel's newest.
    let l = check(
        &app,
        Route::Latest,
        &req(Some("1.2.0"), Some("arm64-v8a"), None),
    )
    .expect("answer");
    let j = json_of(&l);
    assert_eq!(
        (
            j["hasUpdate"].clone(),
            j["data"]["version"].clone(),
            j["data"]["isCurrent"].clone()
        ),
        (json!(false), json!("1.2.0"), json!(true))
    );
    assert!(
        serde_json::to_string(&l)
            .expect("json")
            .contains(r#""timestamp":1774731600000,"isCurrent":true,"publishState""#),
        "isCurrent sits between timestamp and publishState"
    );
    let l = data(
        &app,
        Route::Latest,
        &req(Some("1.0.0"), Some("armeabi-v7a"), None),
    );
    assert_eq!(
        (l.version.as_str(), l.is_current, l.force_update),
        ("1.1.0", Some(false), true)
    );
    let l = check(&app, Route::Latest, &req(None, Some("armeabi-v7a"), None)).expect("answer");
    assert_eq!(l.has_update, Some(true));
    // Up to date: the latest available is the data, with its own force flag.
    let l = check(
        &app,
        Route::Latest,
        &req(Some("1.1.0"), Some("armeabi-v7a"), None),
    )
    .expect("answer");
    assert_eq!(l.has_update, Some(false));
    assert!(
        l.data.flatten().is_some_and(|d| d.force_update),
        "1.1.0 is itself a forced release"
    );
}

#[test]
fn parses_bodies_leniently_but_not_blindly() {
    assert_eq!(parse_body(b""), Ok(CheckRequest::default()));
    assert_eq!(parse_body(b" \n"), Ok(CheckRequest::default()));
    for bad in [
        &b"{bad"[..],
        b"[1]",
        b"null",
        b"\"x\"",
        br#"{"currentVersion":1}"#,
        br#"{"architecture":["a"]}"#,
    ] {
        assert_eq!(
            parse_body(bad),
            Err(Error::BadRequest),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert_eq!(
        parse_body(&vec![b' '; MAX_BODY_BYTES + 1]),
        Err(Error::TooLarge)
    );
    let r = parse_body(
            br#"{"currentVersion":" ","architectureKey":"","architecture":" armeabi-v7a ","arch":"x",
                "projectId":"p","apiKey":"k","deviceId":"d","machineId":"m","other":{"x":1},"arch2":null}"#,
        )
        .expect("parses");
    assert_eq!(
        r,
        CheckRequest {
            current_version: None,
            architecture: Some("armeabi-v7a".into()),
            project_id: Some("p".into()),
            device_id: Some("d".into()),
            api_key: Some("k".into()),
        }
    );
    // A blank but non-empty architectureKey wins `||` and then means "none".
    let r = parse_body(
        br#"{"architectureKey":"  ","architecture":"x","projectId":"","currentVersion":null}"#,
    )
    .expect("parses");
    assert_eq!(r, CheckRequest::default());
    let q = parse_query([
        ("arch", "a"),
        ("architecture", ""),
        ("arch", "b"),
        ("machineId", "m"),
        ("currentVersion", "1"),
    ]);
    assert_eq!(
        q,
        CheckRequest {
            architecture: Some("a".into()),
            device_id: Some("m".into()),
            ..CheckRequest::default()
        }
    );
}

fn record(kind: KeyKind, apps: &[&str]) -> KeyRecord {
    KeyRecord {
        id: "k-1".into(),
        kind,
        apps: apps.iter().map(|a| AppId::new(*a).expect("id")).collect(),
        channel: None,
        status: KeyStatus::Active,
        expires_at: Some(Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").expect("ts")),
        created_at: Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").expect("ts"),
        label: None,
    }
}

fn lookup() -> EdgeLookup {
    let mut l = EdgeLookup::default();
    for (project, app) in [
        ("clx0demo0android", "android-demo"),
        ("other-project", "other-app"),
    ] {
        l.hot_update
            .insert(project.into(), AppId::new(app).expect("id"));
    }
    for (id, app, url) in [
        (
            "f2c16718084d2c7cbb29a8c8",
            "android-demo",
            "/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk",
        ),
        (
            "a8f99105de136518b50b648f",
            "android-demo",
            "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk",
        ),
        (
            "8440c6577ec8bc6ebde095af",
            "desktop-pro",
            "/_edge/artifacts/desktop-pro/1.0.0/eea1.desktop-pro-1.0.0.zip",
        ),
        (
            "5d1b3c1e2c7b0a9f8e6d4c2b",
            "desktop-pro",
            "https://example.com/download/app-1.3.0.zip",
        ),
    ] {
        l.artifacts.insert(
            id.into(),
            ArtifactRef {
                app: AppId::new(app).expect("id"),
                url: url.into(),
                private: app == "desktop-pro",
            },
        );
    }
    l
}

#[test]
fn bearer_then_api_key() {
    let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
    let l = lookup();
    let demo = AppId::new("android-demo").expect("id");
    let token = record(KeyKind::HotToken, &["android-demo"]);
    let key = record(KeyKind::ApiKey, &["android-demo"]);
    let auth = |bearer, api_key, project: Option<&str>, route| {
        authorize(bearer, api_key, project, &l, route, now)
    };
    for route in [Route::Check, Route::CheckGet, Route::Latest] {
        assert_eq!(
            auth(
                Some(&token),
                ApiKey::Missing,
                Some("clx0demo0android"),
                route
            ),
            Ok(demo.clone())
        );
        assert_eq!(
            auth(Some(&token), ApiKey::Found(&key), None, route),
            Err(Error::ProjectIdRequired(route))
        );
        assert_eq!(
            auth(Some(&token), ApiKey::Missing, Some(""), route),
            Err(Error::ProjectIdRequired(route))
        );
        for p in ["nope", "other-project"] {
            assert_eq!(
                auth(Some(&token), ApiKey::Found(&key), Some(p), route),
                Err(Error::ProjectNotFound)
            );
        }
        assert_eq!(
            auth(None, ApiKey::Found(&key), None, route),
            Ok(demo.clone())
        );
    }
    assert_eq!(
        Error::ProjectIdRequired(Route::Check).body().error,
        "Project ID is required when using Bearer token authentication"
    );
    assert_eq!(
        Error::ProjectIdRequired(Route::Latest).body().error,
        "Project ID is required when using Bearer token"
    );
    // An unusable bearer falls back to the API key.
    let mut revoked = token.clone();
    revoked.status = KeyStatus::Revoked;
    let mut expired = token.clone();
    expired.expires_at = Some(now);
    for bad in [&revoked, &expired, &key] {
        assert_eq!(
            auth(Some(bad), ApiKey::Found(&key), None, Route::Check),
            Ok(demo.clone())
        );
        assert_eq!(
            auth(
                Some(bad),
                ApiKey::Missing,
                Some("clx0demo0android"),
                Route::Check
            ),
            Err(Error::Unauthorized(Route::Check))
        );
    }
    // Bad API keys: 401 on v1, 404 on the legacy route; no key at all is 401 on both.
    let mut expired_key = key.clone();
    expired_key.expires_at = Some(now);
    let not_served = record(KeyKind::ApiKey, &["desktop-pro"]);
    let two_apps = record(KeyKind::ApiKey, &["android-demo", "other-app"]);
    for bad in [
        ApiKey::Unknown,
        ApiKey::Found(&expired_key),
        ApiKey::Found(&not_served),
        ApiKey::Found(&two_apps),
        ApiKey::Found(&token),
    ] {
        assert_eq!(
            auth(None, bad, None, Route::Check),
            Err(Error::Unauthorized(Route::Check))
        );
        assert_eq!(
            auth(None, bad, None, Route::Latest),
            Err(Error::ProjectNotFound)
        );
    }
    let e = auth(None, ApiKey::Missing, None, Route::Latest).expect_err("401");
    assert_eq!(
        (e.status(), e.body().error),
        (
            401,
            "Authentication required - provide Bearer token or X-API-Key"
        )
    );
    let e = auth(None, ApiKey::Missing, None, Route::CheckGet).expect_err("401");
    assert_eq!(
        (e.status(), e.body().error),
        (401, "Unauthorized - Invalid or missing authentication")
    );
}

#[test]
fn credential_extraction() {
    assert_eq!(bearer_token(Some("Bearer hot_abc")), Some("hot_abc"));
    for h in [
        None,
        Some("bearer hot_abc"),
        Some("Bearer "),
        Some("Basic x"),
    ] {
        assert_eq!(bearer_token(h), None);
    }
    let body = CheckRequest {
        api_key: Some("body".into()),
        ..CheckRequest::default()
    };
    assert_eq!(
        api_key_secret(Route::Latest, Some("hdr"), &body),
        Some("hdr")
    );
    assert_eq!(api_key_secret(Route::Latest, Some(""), &body), Some("body"));
    assert_eq!(api_key_secret(Route::Check, None, &body), None);
    assert_eq!(api_key_secret(Route::Check, Some(""), &body), None);
}

#[test]
fn downloads() {
    let l = lookup();
    assert_eq!(
        download_target(&l, "f2c16718084d2c7cbb29a8c8"),
        Ok("/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk")
    );
    assert_eq!(
        download_target(&l, "a8f99105de136518b50b648f"),
        Ok("https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk")
    );
    // A private app's files, site-hosted or external, are not revealed here.
    for id in [
        "8440c6577ec8bc6ebde095af",
        "5d1b3c1e2c7b0a9f8e6d4c2b",
        "nope",
        "",
    ] {
        let e = download_target(&l, id).expect_err("404");
        assert_eq!(
            (e.status(), serde_json::to_string(&e.body()).expect("json")),
            (404, r#"{"error":"产物不存在"}"#.to_owned())
        );
    }
}

#[test]
fn private_apps_get_signed_links_or_internal() {
    let mut v = fixture();
    v["app"]["visibility"] = json!("private");
    let app = app_from(v);
    let d = data(
        &app,
        Route::Check,
        &req(Some("1.0.0"), Some("arm64-v8a"), None),
    );
    assert!(
        d.download_url.starts_with(&format!(
            "https://u.example/dl/a/{}/demo-1.2.0-arm64-v8a.apk?expires=",
            d.artifact_id
        )),
        "{}",
        d.download_url
    );
    let now = Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
    let no_key = Links::new("https://u.example", Protocol::HotUpdate, None, now);
    for route in [Route::Check, Route::CheckGet, Route::Latest] {
        let r = req(Some("1.0.0"), Some("arm64-v8a"), None);
        assert_eq!(
            super::check(&app, route, &r, &no_key),
            Err(Error::Internal),
            "{route:?}"
        );
    }
    // Without a file in the answer, no key is needed.
    let r = req(Some("1.2.0"), Some("arm64-v8a"), None);
    assert!(super::check(&app, Route::Check, &r, &no_key).is_ok());
    let e = Error::LinkDenied;
    assert_eq!(
        (e.status(), serde_json::to_string(&e.body()).expect("json")),
        (403, r#"{"error":"下载链接无效或已过期"}"#.to_owned())
    );
}
