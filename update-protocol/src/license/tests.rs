use super::*;
use crate::names::AppId;
use serde_json::json;

const APP_ID: &str = "app_desktop_pro";
const ORIGIN: &str = "https://u.example";

fn links() -> Links {
    Links::public_only(ORIGIN)
}
const EDGE_1_1: &str = "/_edge/artifacts/desktop-pro/1.1.0/759e.desktop-pro-1.1.0.zip";

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("timestamp")
}

fn now() -> Timestamp {
    ts("2026-03-01T00:00:00Z")
}

/// A release as in the example's `_edge/apps/desktop-pro.json`.
fn release(version: &str, published: &str, url: &str) -> Value {
    json!({
        "version": version, "channel": "stable", "published_at": published, "state": "ready",
        "rollout": 100, "upgrade": "prompt", "notes": format!("notes {version}"),
        "release_id": format!("desktop-pro/stable/{version}"), "zealot_id": 1, "zealot_version": 1,
        "artifacts": [{
            "id": format!("id-{version}"), "arch": "x64", "role": "primary",
            "name": format!("desktop-pro-{version}.zip"), "size": 28, "sha256": "00".repeat(32),
            "url": url,
        }],
    })
}

/// The example app (trimmed), with extra releases appended.
fn app_with(extra: Vec<Value>) -> EdgeApp {
    let mut releases = vec![
        release(
            "1.3.0",
            "2026-02-24T10:20:00Z",
            "https://example.com/download/app-1.3.0.zip",
        ),
        release("1.1.0", "2026-02-15T12:00:00Z", EDGE_1_1),
        release(
            "1.0.0",
            "2026-01-15T12:00:00Z",
            "/_edge/artifacts/desktop-pro/1.0.0/eea1.desktop-pro-1.0.0.zip",
        ),
    ];
    releases[0]["notes"] = json!("修复若干问题");
    releases.extend(extra);
    serde_json::from_value(json!({
        "schema_version": 1,
        "app": {
            "id": "desktop-pro", "name": "Desktop Pro", "platform": "windows",
            "visibility": "private", "versioning": "license",
            "policy": { "min_version": "1.1.0", "offline_ttl_seconds": 3600 },
            "architectures": [{ "key": "x64", "name": "x64", "default": true }],
            "channels": [{ "key": "stable", "name": "Stable" }, { "key": "beta", "name": "Beta" }],
            "protocols": { "license": { "app_id": APP_ID } }
        },
        "default_channel": "stable", "default_arch": "x64", "releases": releases,
    }))
    .expect("fixture")
}

fn app() -> EdgeApp {
    app_with(Vec::new())
}

fn license() -> KeyRecord {
    KeyRecord {
        id: "k-1".into(),
        kind: KeyKind::License,
        apps: vec![AppId::new("desktop-pro").expect("id")],
        channel: None,
        status: KeyStatus::Active,
        expires_at: Some(ts("2027-01-01T00:00:00Z")),
        created_at: ts("2026-01-01T00:00:00Z"),
        label: None,
    }
}

fn req(current: &str) -> CheckRequest {
    CheckRequest {
        current_version: current.into(),
        license_key: "LIC-1".into(),
        device_id: None,
    }
}

fn checked(app: &EdgeApp, current: &str) -> CheckResponse {
    check(Some(app), Some(&license()), &req(current), now()).expect("check")
}

fn secret(previous_until: Option<&str>) -> SigningSecret {
    SigningSecret {
        current: "new-secret".into(),
        previous: previous_until.map(|_| "old-secret".into()),
        previous_expires_at: previous_until.map(ts),
    }
}

fn pkg(version: &str) -> PackageRequest {
    parse_package(version, Some("LIC-1")).expect("valid")
}

fn body(e: &Error) -> String {
    serde_json::to_string(e).expect("json")
}

#[test]
fn hmac_test_vector() {
    assert_eq!(
        sign(
            "secret",
            "app_xxx",
            "1.3.0",
            "https://example.com/download/app-1.3.0.zip"
        ),
        "32ca4b63f4834150983d64fde64f6507b1dbcad449895359b2ca75c9f8a27584"
    );
}

#[test]
fn package_answer_and_field_order() {
    let a = app();
    let p = package(
        Some(&a),
        Some(&license()),
        &pkg("1.3.0"),
        Some(&secret(None)),
        &links(),
        now(),
    )
    .expect("package");
    let url = "https://example.com/download/app-1.3.0.zip";
    let sig = sign("new-secret", APP_ID, "1.3.0", url);
    assert_eq!(
        serde_json::to_string(&p).expect("json"),
        format!(
            r#"{{"appId":"app_desktop_pro","version":"1.3.0","downloadUrl":"{url}","releaseNote":"修复若干问题","signature":"{sig}","legacySignature":null,"signatureGraceExpiresAt":null,"publishedAt":"2026-02-24T10:20:00.000Z"}}"#
        )
    );
    // Site-hosted files go through the license-checked download route.
    let p = package(
        Some(&a),
        Some(&license()),
        &pkg(" 1.1.0 "),
        Some(&secret(None)),
        &Links::public_only("https://u.example/"),
        now(),
    )
    .expect("package");
    let route =
        "https://u.example/api/v1/apps/app_desktop_pro/update/download/1.1.0?licenseKey=LIC-1";
    assert_eq!(p.download_url, route);
    assert_eq!(p.signature, sign("new-secret", APP_ID, "1.1.0", route));
    assert_eq!(p.release_note.as_deref(), Some("notes 1.1.0"));
}

#[test]
fn signatures_across_a_rotation() {
    let a = app();
    let at = |now: &str, s: &SigningSecret| {
        package(
            Some(&a),
            Some(&license()),
            &pkg("1.3.0"),
            Some(s),
            &links(),
            ts(now),
        )
        .expect("package")
    };
    let url = "https://example.com/download/app-1.3.0.zip";
    let rotated = secret(Some("2026-02-28T12:00:00.5Z"));
    // Before any rotation: no legacy signature.
    let before = at("2026-02-27T00:00:00Z", &secret(None));
    assert_eq!(before.legacy_signature, None);
    assert_eq!(before.signature_grace_expires_at, None);
    // Within the 24 h window: the previous secret signs too.
    let within = at("2026-02-28T12:00:00Z", &rotated);
    assert_eq!(within.signature, sign("new-secret", APP_ID, "1.3.0", url));
    assert_eq!(before.signature, within.signature);
    assert_eq!(
        within.legacy_signature,
        Some(sign("old-secret", APP_ID, "1.3.0", url))
    );
    assert_eq!(
        within.signature_grace_expires_at.as_deref(),
        Some("2026-02-28T12:00:00.500Z")
    );
    // From the expiry instant on: gone.
    for t in ["2026-02-28T12:00:00.5Z", "2026-03-01T00:00:00Z"] {
        let after = at(t, &rotated);
        assert_eq!(
            (after.legacy_signature, after.signature_grace_expires_at),
            (None, None)
        );
    }
    // A missing secret is the operator's fault, not the client's.
    let e = package(
        Some(&a),
        Some(&license()),
        &pkg("1.3.0"),
        None,
        &links(),
        now(),
    )
    .expect_err("no secret");
    assert_eq!(e.status(), 500);
    assert_eq!(
        body(&e),
        r#"{"code":"INTERNAL_ERROR","message":"Internal server error"}"#
    );
}

#[test]
fn license_failures_in_order() {
    let a = app();
    let with = |f: fn(&mut KeyRecord)| {
        let mut l = license();
        f(&mut l);
        check(Some(&a), Some(&l), &req("1.0.0"), now()).expect_err("refused")
    };
    type Edit = fn(&mut KeyRecord);
    let cases: [(Error, Edit); 8] = [
        (Error::LicenseNotFound, |l| l.kind = KeyKind::ApiKey),
        (Error::LicenseForeign, |l| {
            l.apps = vec![AppId::new("other").expect("id")]
        }),
        (Error::LicenseInactive, |l| l.status = KeyStatus::Suspended),
        (Error::LicenseInactive, |l| l.status = KeyStatus::Revoked),
        (Error::LicenseExpired, |l| l.expires_at = Some(now())),
        // Several at once: the first in upstream's order wins.
        (Error::LicenseForeign, |l| {
            l.apps.clear();
            l.status = KeyStatus::Revoked;
            l.expires_at = Some(now());
        }),
        (Error::LicenseInactive, |l| {
            l.status = KeyStatus::Suspended;
            l.expires_at = Some(now());
        }),
        (Error::LicenseNotFound, |l| {
            l.kind = KeyKind::HotToken;
            l.status = KeyStatus::Revoked;
        }),
    ];
    for (want, f) in cases {
        assert_eq!(with(f), want);
    }
    assert_eq!(
        check(Some(&a), None, &req("1.0.0"), now()),
        Err(Error::LicenseNotFound)
    );
    // An unknown app answers as an existing one the license does not belong to (no
    // existence oracle), and the version format comes only after the license.
    assert_eq!(
        check(None, None, &req("bad"), now()),
        Err(Error::LicenseNotFound)
    );
    assert_eq!(
        check(Some(&a), None, &req("bad"), now()),
        Err(Error::LicenseNotFound)
    );
    let mut no_c = app();
    no_c.app.protocols.license = None;
    let mut other = app();
    other.app.id = AppId::new("other").expect("id");
    for unknown in [None, Some(&no_c)] {
        for l in [None, Some(license())] {
            // Exactly what the same key gets from an existing app it is not for.
            assert_eq!(
                check(unknown, l.as_ref(), &req("1.0.0"), now()),
                check(Some(&other), l.as_ref(), &req("1.0.0"), now()),
            );
        }
        let mut revoked = license();
        revoked.status = KeyStatus::Revoked;
        assert_eq!(
            check(unknown, Some(&revoked), &req("1.0.0"), now()),
            Err(Error::LicenseForeign)
        );
    }
    // No expiry never expires.
    let mut forever = license();
    forever.expires_at = None;
    assert!(check(Some(&a), Some(&forever), &req("1.0.0"), now()).is_ok());

    let bodies = [
        (
            Error::LicenseNotFound,
            404,
            r#"{"code":"NOT_FOUND","message":"License not found"}"#,
        ),
        (
            Error::LicenseForeign,
            403,
            r#"{"code":"FORBIDDEN","message":"License does not belong to this app"}"#,
        ),
        (
            Error::LicenseInactive,
            403,
            r#"{"code":"FORBIDDEN","message":"License is not active"}"#,
        ),
        (
            Error::LicenseExpired,
            403,
            r#"{"code":"FORBIDDEN","message":"License is expired"}"#,
        ),
        (
            Error::InvalidVersion,
            400,
            r#"{"code":"VALIDATION_ERROR","message":"Version must be in x.y.z format"}"#,
        ),
        (
            Error::VersionNotFound,
            404,
            r#"{"code":"NOT_FOUND","message":"Version not found"}"#,
        ),
        (
            Error::MissingLicenseKey,
            400,
            r#"{"message":"缺少 licenseKey 参数"}"#,
        ),
    ];
    for (e, status, json) in bodies {
        assert_eq!((e.status(), body(&e).as_str()), (status, json));
    }
}

#[test]
fn package_route_order_and_lookup() {
    let a = app();
    // The license key, then the version format, both before the app and license.
    assert_eq!(parse_package("bad", None), Err(Error::MissingLicenseKey));
    assert_eq!(
        parse_package("bad", Some(" \t")),
        Err(Error::MissingLicenseKey)
    );
    assert_eq!(parse_package("1.2", Some("k")), Err(Error::InvalidVersion));
    assert_eq!(
        parse_package(" v1.3.0\n", Some(" LIC-1 ")),
        Ok(PackageRequest {
            version: "v1.3.0".into(),
            license_key: "LIC-1".into()
        })
    );
    let s = secret(None);
    let get = |a: Option<&EdgeApp>, l: Option<&KeyRecord>, v: &str| {
        package(a, l, &pkg(v), Some(&s), &links(), now()).map(|p| p.version)
    };
    assert_eq!(
        get(None, Some(&license()), "1.3.0"),
        Err(Error::LicenseForeign)
    );
    assert_eq!(get(None, None, "1.3.0"), Err(Error::LicenseNotFound));
    assert_eq!(get(Some(&a), None, "9.9.9"), Err(Error::LicenseNotFound));
    assert_eq!(
        get(Some(&a), Some(&license()), "9.9.9"),
        Err(Error::VersionNotFound)
    );
    // Any servable version, old ones included; exact text only.
    assert_eq!(get(Some(&a), Some(&license()), "1.0.0"), Ok("1.0.0".into()));
    assert_eq!(
        get(Some(&a), Some(&license()), "v1.0.0"),
        Err(Error::VersionNotFound)
    );
    // Yanked, other channels and staged (no gate here) releases.
    let mut yanked = release("1.4.0", "2026-02-26T00:00:00Z", "/x.zip");
    yanked["state"] = json!("yanked");
    let mut beta = release("1.5.0", "2026-02-26T00:00:00Z", "/y.zip");
    beta["channel"] = json!("beta");
    let mut staged = release("1.6.0", "2026-02-26T00:00:00Z", "/z.zip");
    staged["rollout"] = json!(10);
    let b = app_with(vec![yanked, beta, staged]);
    assert_eq!(
        get(Some(&b), Some(&license()), "1.4.0"),
        Err(Error::VersionNotFound)
    );
    assert_eq!(
        get(Some(&b), Some(&license()), "1.5.0"),
        Err(Error::VersionNotFound)
    );
    assert_eq!(get(Some(&b), Some(&license()), "1.6.0"), Ok("1.6.0".into()));
}

#[test]
fn download_targets() {
    let a = app();
    let l = license();
    match download_target(Some(&a), Some(&l), &pkg("1.1.0"), now()) {
        Ok(Download::Site { path, artifact }) => {
            assert_eq!(path, &EDGE_1_1[1..]);
            assert_eq!(artifact.name.as_str(), "desktop-pro-1.1.0.zip");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        download_target(Some(&a), Some(&l), &pkg("1.3.0"), now()),
        Ok(Download::Redirect(
            "https://example.com/download/app-1.3.0.zip"
        ))
    );
    let mut revoked = license();
    revoked.status = KeyStatus::Revoked;
    assert_eq!(
        download_target(Some(&a), Some(&revoked), &pkg("1.1.0"), now()),
        Err(Error::LicenseInactive)
    );
}

#[test]
fn force_optional_and_up_to_date() {
    let a = app();
    let force = checked(&a, "1.0.0");
    assert_eq!(
        serde_json::to_string(&force).expect("json"),
        r#"{"hasUpdate":true,"currentVersion":"1.0.0","targetVersion":"1.3.0","strategy":"FORCE","note":"修复若干问题","offlineTtlSeconds":3600}"#
    );
    let optional = checked(&a, "1.1.0");
    assert_eq!(
        (optional.has_update, optional.strategy),
        (true, Strategy::Optional)
    );
    let none = r#"{"hasUpdate":false,"currentVersion":"1.3.0","targetVersion":null,"strategy":"OPTIONAL","note":null,"offlineTtlSeconds":3600}"#;
    assert_eq!(
        serde_json::to_string(&checked(&a, "1.3.0")).expect("json"),
        none
    );
    // Newer than anything published, or nothing published: the same shape.
    assert_eq!(checked(&a, "2.0.0").target_version, None);
    let mut empty = app();
    empty.releases.clear();
    let e = checked(&empty, "0.1.0");
    assert_eq!(
        (e.has_update, e.target_version, e.strategy, e.note),
        (false, None, Strategy::Optional, None)
    );
    // No policy minimum: never FORCE.
    let mut lax = app();
    lax.app.policy.min_version = None;
    assert_eq!(checked(&lax, "1.0.0").strategy, Strategy::Optional);
}

#[test]
fn latest_by_publication_not_by_version() {
    let a = app_with(vec![release("1.2.5", "2026-02-25T00:00:00Z", "/a.zip")]);
    assert_eq!(
        checked(&a, "1.0.0").target_version.as_deref(),
        Some("1.2.5")
    );
    // 1.3.0 exists, but the newest publication is not above 1.2.6: no update.
    assert_eq!(checked(&a, "1.2.6").target_version, None);
}

#[test]
fn rollout_and_yanked_in_checks() {
    let mut yanked = release("1.9.0", "2026-02-28T00:00:00Z", "/y.zip");
    yanked["state"] = json!("yanked");
    let mut staged = release("1.4.0", "2026-02-27T00:00:00Z", "/s.zip");
    staged["rollout"] = json!(50);
    let a = app_with(vec![yanked, staged]);
    assert_eq!(
        checked(&a, "1.0.0").target_version.as_deref(),
        Some("1.3.0")
    );
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..100 {
        let mut r = req("1.0.0");
        r.device_id = Some(format!("machine-{i}"));
        let got = check(Some(&a), Some(&license()), &r, now()).expect("check");
        seen.insert(got.target_version.expect("update"));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["1.3.0", "1.4.0"]);
}

#[test]
fn current_version_forms() {
    let a = app();
    assert_eq!(checked(&a, "v1.1.0").current_version, "v1.1.0");
    assert_eq!(checked(&a, "V1.3.0").target_version, None);
    assert_eq!(checked(&a, " 1.0.0\n").current_version, "1.0.0");
    for bad in ["1.2", "1.2.3.4", "1.2.3-beta", " "] {
        assert_eq!(
            check(Some(&a), Some(&license()), &req(bad), now()),
            Err(Error::InvalidVersion),
            "{bad:?}"
        );
    }
}

#[test]
fn zod_shaped_body_errors() {
    let errors = |b: &[u8]| match parse_check(b) {
        Err(e @ Error::InvalidBody(_)) => {
            assert_eq!(e.status(), 400);
            body(&e)
        }
        other => panic!("{other:?}"),
    };
    let missing = "Invalid input: expected string, received undefined";
    let both_missing = format!(
        r#"{{"message":"请求参数不合法","errors":{{"formErrors":[],"fieldErrors":{{"currentVersion":["{missing}"],"licenseKey":["{missing}"]}}}}}}"#
    );
    assert_eq!(errors(b"{}"), both_missing);
    // Not JSON at all reads as `{}` upstream.
    assert_eq!(errors(b"{bad"), both_missing);
    assert_eq!(errors(b""), both_missing);
    let field = |b: &[u8], f: &str| match parse_check(b) {
        Err(Error::InvalidBody(flat)) => {
            assert!(flat.form_errors.is_empty());
            assert_eq!(flat.field_errors.len(), 1, "{flat:?}");
            flat.field_errors[f].join("|")
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(field(br#"{"licenseKey":"k"}"#, "currentVersion"), missing);
    assert_eq!(
        field(
            br#"{"currentVersion":1,"licenseKey":"k"}"#,
            "currentVersion"
        ),
        "Invalid input: expected string, received number"
    );
    assert_eq!(
        field(
            br#"{"currentVersion":"1.0.0","licenseKey":null}"#,
            "licenseKey"
        ),
        "Invalid input: expected string, received null"
    );
    assert_eq!(
        field(
            br#"{"currentVersion":"","licenseKey":"k"}"#,
            "currentVersion"
        ),
        "Too small: expected string to have >=1 characters"
    );
    let long = format!(
        r#"{{"currentVersion":"1.0.0","licenseKey":"{}"}}"#,
        "K".repeat(129)
    );
    assert_eq!(
        field(long.as_bytes(), "licenseKey"),
        "Too big: expected string to have <=128 characters"
    );
    // JavaScript counts UTF-16 units: 64 emoji fit, 65 do not.
    let emoji = |n: usize| {
        format!(
            r#"{{"currentVersion":"1.0.0","licenseKey":"{}"}}"#,
            "😀".repeat(n)
        )
    };
    assert!(parse_check(emoji(64).as_bytes()).is_ok());
    assert_eq!(
        field(emoji(65).as_bytes(), "licenseKey"),
        "Too big: expected string to have <=128 characters"
    );
    assert_eq!(
        errors(b"[1]"),
        r#"{"message":"请求参数不合法","errors":{"formErrors":["Invalid input: expected object, received array"],"fieldErrors":{}}}"#
    );
    assert!(errors(&vec![b' '; MAX_BODY_BYTES + 1]).contains(r#""formErrors":["Too big"#));
}

#[test]
fn parses_valid_bodies() {
    let ok = parse_check(
            "\u{feff}{\"currentVersion\":\" 1.0.0\",\"licenseKey\":\"LIC-1\",\"extra\":1,\"machineId\":\"m\"}"
                .as_bytes(),
        )
        .expect("valid");
    assert_eq!(
        ok,
        CheckRequest {
            current_version: " 1.0.0".into(),
            license_key: "LIC-1".into(),
            device_id: Some("m".into()),
        }
    );
    let ok = parse_check(
        br#"{"currentVersion":"1.0.0","licenseKey":"k","deviceId":"d","machineId":"m"}"#,
    )
    .expect("valid");
    assert_eq!(ok.device_id.as_deref(), Some("d"));
    let ok = parse_check(br#"{"currentVersion":"1.0.0","licenseKey":"k","deviceId":5}"#)
        .expect("a mistyped device id is ignored");
    assert_eq!(ok.device_id, None);
}
