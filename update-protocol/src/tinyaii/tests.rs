use super::*;
use serde_json::json;

fn links() -> Links {
    let now = crate::time::Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
    Links::new(
        "https://u.example",
        crate::links::Protocol::Tinyaii,
        Some("k"),
        now,
    )
}

/// An app with Windows (default) and Linux architectures and the given releases:
/// (version, rollout, state, upgrade, architectures with a primary artifact).
fn app(releases: &[(&str, u8, &str, &str, &[&str])]) -> EdgeApp {
    let releases: Vec<_> = releases
            .iter()
            .map(|(v, rollout, state, upgrade, archs)| {
                json!({
                    "version": v, "channel": "stable", "published_at": "2026-01-01T00:00:00Z",
                    "state": state, "rollout": rollout, "upgrade": upgrade, "notes": format!("notes {v}"),
                    "release_id": format!("tool/stable/{v}"), "zealot_id": 1, "zealot_version": 1,
                    "artifacts": archs.iter().map(|a| json!({
                        "id": format!("{v}-{a}"), "arch": a, "role": "primary", "name": format!("tool-{v}-{a}.bin"),
                        "size": 1, "sha256": "00".repeat(32), "url": format!("/artifacts/tool/{v}/{a}.bin"),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
    serde_json::from_value(json!({
        "schema_version": 1,
        "app": {
            "id": "tool", "name": "Tool", "platform": "windows",
            "policy": { "min_version": "1.0.0" },
            "architectures": [
                { "key": "x64", "name": "x64", "default": true },
                { "key": "linux-x64", "name": "Linux", "platform": "linux", "order": 1 }
            ],
            "channels": [{ "key": "stable", "name": "Stable" }],
            "protocols": { "tinyaii": { "app_key": "k" } }
        },
        "default_channel": "stable", "default_arch": "x64", "releases": releases,
    }))
    .expect("fixture")
}

fn check(app: &EdgeApp, current: &str, platform: &str, machine: Option<&str>) -> VersionCheck {
    let req = VersionCheckRequest {
        app_key: "k".into(),
        current_version: current.into(),
        platform: Some(platform.into()),
        machine_id: machine.map(str::to_owned),
    };
    version_check(app, &req, &links()).expect("valid request")
}

#[test]
fn offers_the_newest_build_for_the_platform() {
    let a = app(&[
        ("1.2.0", 100, "ready", "prompt", &["x64"]),
        ("1.1.0", 100, "ready", "prompt", &["x64", "linux-x64"]),
        ("1.0.0", 100, "ready", "prompt", &["x64"]),
    ]);
    let w = check(&a, "1.0.0", "windows", None);
    assert!(w.has_update);
    assert_eq!(w.latest_version, "1.2.0");
    assert_eq!(
        w.download_url,
        "https://u.example/artifacts/tool/1.2.0/x64.bin"
    );
    assert_eq!(w.release_notes, "notes 1.2.0");
    let l = check(&a, "1.0.0", "linux", None);
    assert_eq!(
        (l.latest_version.as_str(), l.download_url.as_str()),
        (
            "1.1.0",
            "https://u.example/artifacts/tool/1.1.0/linux-x64.bin"
        )
    );
    // Unknown platforms mean "all".
    assert_eq!(check(&a, "1.0.0", "beos", None).latest_version, "1.2.0");
}

#[test]
fn no_update_shape() {
    let a = app(&[("1.1.0", 100, "ready", "force", &["x64"])]);
    let v = check(&a, "1.1", "windows", None);
    assert_eq!(
        v,
        VersionCheck {
            has_update: false,
            current_version: "1.1".into(),
            latest_version: "1.1.0".into(),
            download_url: String::new(),
            release_notes: String::new(),
            force_update: false,
        }
    );
    let none = app(&[]);
    assert_eq!(check(&none, "2.0", "windows", None).latest_version, "2.0");
}

#[test]
fn force_from_the_release_or_the_minimum_version() {
    let a = app(&[
        ("1.2.0", 100, "ready", "force", &["x64"]),
        ("1.1.0", 100, "ready", "prompt", &["x64"]),
    ]);
    assert!(check(&a, "1.1.0", "windows", None).force_update);
    let b = app(&[("1.2.0", 100, "ready", "prompt", &["x64"])]);
    assert!(!check(&b, "1.1.0", "windows", None).force_update);
    assert!(
        check(&b, "0.9", "windows", None).force_update,
        "below policy.min_version"
    );
}

#[test]
fn never_offers_yanked_and_applies_rollout_by_machine() {
    let a = app(&[
        ("1.3.0", 100, "yanked", "prompt", &["x64"]),
        ("1.2.0", 50, "ready", "prompt", &["x64"]),
        ("1.1.0", 100, "ready", "prompt", &["x64"]),
    ]);
    assert_eq!(
        check(&a, "1.0.0", "windows", None).latest_version,
        "1.1.0",
        "no machine id: only full rollouts"
    );
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200 {
        let m = format!("machine-{i}");
        let v = check(&a, "1.0.0", "windows", Some(&m)).latest_version;
        assert_eq!(
            v,
            check(&a, "1.0.0", "windows", Some(&m)).latest_version,
            "stable per machine"
        );
        seen.insert(v);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["1.1.0", "1.2.0"]);
}

#[test]
fn rejects_bad_requests() {
    for body in [
        &b"{bad"[..],
        br#"{"app_key":"k"}"#,
        br#"{"app_key":5,"current_version":"1.0"}"#,
        br#"{"app_key":"","current_version":"1.0"}"#,
        br#"[1,2]"#,
    ] {
        assert_eq!(
            parse(body).err(),
            Some(Error::BadRequest),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(
        parse(&vec![b' '; MAX_BODY_BYTES + 1]).err(),
        Some(Error::BadRequest)
    );
    let a = app(&[]);
    let req = parse(br#"{"app_key":"k","current_version":"1.0.0-beta"}"#).expect("parses");
    assert_eq!(
        version_check(&a, &req, &links()).err(),
        Some(Error::BadRequest)
    );
}

#[test]
fn private_apps_get_signed_links() {
    let mut a = app(&[("1.1.0", 100, "ready", "prompt", &["x64"])]);
    a.app.visibility = crate::manifest::Visibility::Private;
    let c = check(&a, "1.0.0", "windows", None);
    assert!(
        c.download_url
            .starts_with("https://u.example/dl/e/1.1.0-x64/tool-1.1.0-x64.bin?expires="),
        "{}",
        c.download_url
    );
    let req = VersionCheckRequest {
        app_key: "k".into(),
        current_version: "1.0.0".into(),
        platform: None,
        machine_id: None,
    };
    let now = crate::time::Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
    let no_key = Links::new(
        "https://u.example",
        crate::links::Protocol::Tinyaii,
        None,
        now,
    );
    assert_eq!(version_check(&a, &req, &no_key), Err(Error::Internal));
    assert_eq!(
        serde_json::to_value(Error::LinkDenied.envelope()).expect("json"),
        json!({"code": 403, "message": "下载链接无效或已过期", "data": null})
    );
}
