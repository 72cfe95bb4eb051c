use super::*;
use serde_json::{Value, json};

/// `_edge/apps/ios-demo.json` of the example's build (`fixtures/edge/`, kept equal to the
/// build by `generator/tests/edge_fixtures.rs`).
const IOS_DEMO: &str = include_str!("../../fixtures/edge/apps/ios-demo.json");

const ORIGIN: &str = "https://u.example";

/// The links of [`ORIGIN`], with a key.
fn links() -> Links {
    let now = crate::time::Timestamp::parse_rfc3339("2026-06-01T00:00:00Z").expect("ts");
    Links::new(ORIGIN, crate::links::Protocol::Zealot, Some("k"), now)
}

fn ios_demo() -> EdgeApp {
    serde_json::from_str(IOS_DEMO).expect("fixture")
}

/// ios-demo with these releases of channel `release`, oldest first:
/// (version, build, state, rollout). Ids follow the given order.
fn app(releases: &[(&str, &str, &str, u8)]) -> EdgeApp {
    let mut v: Value = serde_json::from_str(IOS_DEMO).expect("fixture");
    let releases: Vec<_> = releases
        .iter()
        .enumerate()
        .rev()
        .map(|(i, (version, build, state, rollout))| {
            json!({
                "version": version, "build": build, "channel": "release",
                "published_at": "2026-01-01T00:00:00Z", "state": state, "rollout": rollout,
                "upgrade": "prompt", "release_id": format!("ios-demo/release/{version}/{build}"),
                "zealot_id": i + 1, "zealot_version": i + 1,
            })
        })
        .collect();
    v["releases"] = Value::Array(releases);
    serde_json::from_value(v).expect("fixture")
}

fn ch(k: &str) -> ChannelKey {
    serde_json::from_value(json!(k)).expect("channel key")
}

fn q(pairs: &[(&str, &str)]) -> Query {
    Query::from_pairs(pairs.iter().copied())
}

fn ids(r: &ChannelReleases) -> Vec<u32> {
    r.releases.iter().map(|r| r.id).collect()
}

fn latest_ids(a: &EdgeApp, pairs: &[(&str, &str)]) -> Vec<u32> {
    ids(&latest(a, &ch("release"), &q(pairs), &links()).expect("latest"))
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("timestamp")
}

fn record(kind: KeyKind, apps: &[&str], channel: Option<&str>) -> KeyRecord {
    KeyRecord {
        id: "k-1".into(),
        kind,
        apps: apps
            .iter()
            .map(|a| AppId::new(*a).expect("app id"))
            .collect(),
        channel: channel.map(ch),
        status: KeyStatus::Active,
        expires_at: Some(ts("2027-01-01T00:00:00Z")),
        created_at: ts("2026-01-01T00:00:00Z"),
        label: None,
    }
}

fn lookup() -> EdgeLookup {
    serde_json::from_value(json!({
        "schema_version": 1, "hot_update": {}, "license": {}, "toolsetlink": {},
        "tinyaii": {}, "artifacts": {},
        "zealot": { "1": "android-demo", "2": "ios-demo" },
    }))
    .expect("lookup")
}

#[test]
fn tokens_and_channel_keys_are_checked() {
    let now = ts("2026-06-01T00:00:00Z");
    let token = record(KeyKind::ZealotToken, &[], None);
    assert_eq!(authorize_token(Some(&token), now), Ok(Grant::All));
    let mut bad = vec![
        None,
        Some(record(KeyKind::ChannelKey, &[], None)),
        Some(KeyRecord {
            status: KeyStatus::Suspended,
            ..token.clone()
        }),
        Some(KeyRecord {
            status: KeyStatus::Revoked,
            ..token.clone()
        }),
    ];
    assert_eq!(
        authorize_token(Some(&token), ts("2027-01-01T00:00:00Z")),
        Err(Error::UnauthorizedToken),
        "expired"
    );
    for r in &bad {
        let e = authorize_token(r.as_ref(), now).expect_err("refused");
        assert_eq!(
            (e.status(), e.body().error.as_str()),
            (422, "Unauthorized user token")
        );
    }

    let key = record(KeyKind::ChannelKey, &["ios-demo"], Some("adhoc"));
    let (app, channel) = authorize_channel_key(Some(&key), now).expect("valid key");
    assert_eq!((app.as_str(), channel.as_str()), ("ios-demo", "adhoc"));
    bad.push(Some(record(
        KeyKind::ZealotToken,
        &["ios-demo"],
        Some("adhoc"),
    )));
    bad.push(Some(record(KeyKind::ChannelKey, &["ios-demo"], None)));
    bad.push(Some(record(
        KeyKind::ChannelKey,
        &["ios-demo", "x"],
        Some("adhoc"),
    )));
    for r in &bad {
        let e = authorize_channel_key(r.as_ref(), now).expect_err("refused");
        assert_eq!(
            serde_json::to_value(e.body()).expect("json"),
            json!({"error": "Unauthorized channel key"})
        );
        assert_eq!(e.status(), 422);
    }
    // A key for a channel the app no longer has, or an app not served by Zealot.
    let a = ios_demo();
    let e = versions(&a, &ch("gone"), &Query::default(), &links()).expect_err("no channel");
    assert_eq!(e, Error::UnauthorizedChannelKey);
    let mut plain = ios_demo();
    plain.app.protocols.zealot = None;
    let e = latest(&plain, &ch("release"), &Query::default(), &links()).expect_err("no zealot");
    assert_eq!(e, Error::UnauthorizedChannelKey);
}

#[test]
fn admin_and_scoped_tokens() {
    let l = lookup();
    let names = |v: Vec<&AppId>| v.iter().map(|a| a.as_str().to_owned()).collect::<Vec<_>>();
    let scoped = [AppId::new("ios-demo").expect("id")];
    let all = Query::default();
    assert_eq!(
        names(visible_apps(&l, Grant::All, &all)),
        ["android-demo", "ios-demo"]
    );
    assert_eq!(
        names(visible_apps(&l, Grant::Apps(&scoped), &all)),
        ["ios-demo"]
    );
    for scope in ["all", "active", "bogus"] {
        assert_eq!(
            visible_apps(&l, Grant::All, &q(&[("scope", scope)])).len(),
            2
        );
    }
    assert!(visible_apps(&l, Grant::All, &q(&[("scope", "archived")])).is_empty());

    assert_eq!(
        find_app(&l, Grant::All, "1").map(AppId::as_str),
        Ok("android-demo")
    );
    assert_eq!(
        find_app(&l, Grant::Apps(&scoped), "2").map(AppId::as_str),
        Ok("ios-demo")
    );
    let e = find_app(&l, Grant::Apps(&scoped), "1").expect_err("not granted");
    assert_eq!(
        (e.status(), e.message().as_str()),
        (
            403,
            "The current user does not have the permission to perform this action."
        )
    );
    for id in ["9", "abc", "", "-1", "1.0", "99999999999"] {
        let e = find_app(&l, Grant::Apps(&scoped), id).expect_err("unknown");
        assert_eq!(e.status(), 404);
        assert_eq!(e.message(), format!("Couldn't find App with 'id'={id}"));
    }
}

#[test]
fn app_object_groups_channels_by_scheme() {
    let mut a = ios_demo();
    a.app.channels[0].slug = Some("X1IXN".into());
    let keys = BTreeMap::from([(
        a.app.id.clone(),
        BTreeMap::from([(ch("adhoc"), "k-adhoc".to_owned())]),
    )]);
    let v = serde_json::to_value(list_apps([&a], &keys)).expect("json");
    let slug = channel_slug(&a.app.id, &a.app.channels[1]);
    assert_eq!(slug.len(), 5);
    assert!(slug.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(slug, channel_slug(&a.app.id, &a.app.channels[1]), "stable");
    let channel = |id: u64, slug: &str, name: &str, bundle: &str, key: Value| {
        json!({
            "id": id, "slug": slug, "name": name, "device_type": "ios", "bundle_id": bundle,
            "git_url": null, "has_password": false, "key": key,
            "download_filename_type": "version_datetime",
        })
    };
    assert_eq!(
        v,
        json!([{
            "id": 2, "name": "Demo for iOS", "archived": false,
            "schemes": [
                { "id": 2001, "name": "Release", "new_build_callout": true, "retained_builds": 0,
                  "channels": [channel(2001, "X1IXN", "iOS", "*", Value::Null)] },
                { "id": 2002, "name": "Beta", "new_build_callout": true, "retained_builds": 0,
                  "channels": [channel(2002, &slug, "iOS AdHoc", "com.example.demo.ios", json!("k-adhoc"))] },
            ],
        }])
    );
    // A channel without a scheme joins "Release".
    a.app.channels[1].scheme = None;
    let o = app_object(&a, None).expect("zealot app");
    assert_eq!(o.schemes.len(), 1);
    assert_eq!(o.schemes[0].channels.as_ref().map(Vec::len), Some(2));
}

#[test]
fn release_object_json() {
    let a = ios_demo();
    let r = versions(
        &a,
        &ch("release"),
        &Query::default(),
        &Links::public_only("https://u.example/"),
    )
    .expect("ok");
    assert_eq!(
            serde_json::to_value(&r.releases[0]).expect("json").to_string(),
            json!({
                "id": 3, "version": 2, "app_name": "Demo for iOS Release iOS",
                "bundle_id": "com.example.demo.ios", "release_version": "2.1.0",
                "build_version": "111", "source": "api", "branch": "main", "git_commit": "abc123",
                "ci_url": null, "size": 41, "platform": "iOS", "device_type": "iOS",
                "icon_url": null,
                "install_url": "itms-services://?action=download-manifest&url=https%3A%2F%2Fu.example%2Fapi%2Fapps%2F2%2Freleases%2F3%2Finstall",
                "changelog": [{ "message": "Build 111 of 2.1.0" }],
                "text_changelog": "- Build 111 of 2.1.0",
                "custom_fields": [{ "name": "country", "value": "China", "icon": "fas fa-flag" }],
                "created_at": "2026-02-20T02:00:00.000Z",
            })
            .to_string(),
            "field order too"
        );
    assert_eq!(
        r.releases[1].text_changelog,
        "- Build 100 of 2.0.0\n- Second line"
    );
    let v = serde_json::to_value(&r).expect("json");
    assert_eq!(
        (
            &v["app_name"],
            &v["bundle_id"],
            &v["git_url"],
            &v["app"],
            &v["scheme"]
        ),
        (
            &json!("Demo for iOS Release iOS"),
            &json!("*"),
            &Value::Null,
            &json!({"id": 2, "name": "Demo for iOS"}),
            &json!({"id": 2001, "name": "Release", "new_build_callout": true, "retained_builds": 0}),
        )
    );
    // The adhoc build: its own size, install URL and changelog.
    let adhoc = versions(&a, &ch("adhoc"), &Query::default(), &links()).expect("ok");
    let r = &adhoc.releases[0];
    assert_eq!(
        (r.size, r.install_url.as_deref(), r.text_changelog.as_str()),
        (
            Some(41),
            Some(
                "itms-services://?action=download-manifest&url=https%3A%2F%2Fu.example%2Fapi%2Fapps%2F2%2Freleases%2F2%2Finstall"
            ),
            "- Build 110 of 2.1.0"
        )
    );
    // Without an artifact: no size or install URL; without a changelog: empty text.
    let mut bare = a.clone();
    let release = &mut bare.releases[1].release;
    assert_eq!(release.channel.as_str(), "adhoc");
    release.artifacts.clear();
    release.changelog.clear();
    release.notes.clear();
    let adhoc = versions(&bare, &ch("adhoc"), &Query::default(), &links()).expect("ok");
    let r = &adhoc.releases[0];
    assert_eq!(
        (r.size, &r.install_url, r.text_changelog.as_str()),
        (None, &None, "")
    );
    assert_eq!(adhoc.app_name, "Demo for iOS Beta iOS AdHoc");
    assert_eq!(adhoc.scheme.id, 2002);
}

#[test]
fn versions_pages() {
    let many: Vec<_> = (0..120).map(|i| format!("1.0.{i}")).collect();
    let a = app(&many
        .iter()
        .map(|v| (v.as_str(), "1", "ready", 100))
        .collect::<Vec<_>>());
    let page = |pairs: &[(&str, &str)]| {
        ids(&versions(&a, &ch("release"), &q(pairs), &links()).expect("versions"))
    };
    assert_eq!(
        page(&[]),
        (111..=120).rev().collect::<Vec<_>>(),
        "page 1, 10, id desc"
    );
    assert_eq!(
        page(&[("page", "2")]),
        (101..=110).rev().collect::<Vec<_>>()
    );
    assert_eq!(
        page(&[("page", "2"), ("per_page", "25")]).first(),
        Some(&95)
    );
    assert_eq!(page(&[("per_page", "1000")]).len(), 100, "capped");
    assert_eq!(
        page(&[("per_page", "-3")]).len(),
        50,
        "kaminari: paginates_per"
    );
    assert!(page(&[("per_page", "0")]).is_empty(), "kaminari: limit 0");
    assert!(page(&[("per_page", "")]).is_empty(), "\"\".to_i is 0");
    for p in ["0", "-4", "abc", ""] {
        assert_eq!(page(&[("page", p)]).first(), Some(&120), "page {p:?} is 1");
    }
    assert_eq!(
        page(&[("page", " 2x"), ("per_page", "1_0")]).first(),
        Some(&110)
    );
    assert!(page(&[("page", "99999999999999999999")]).is_empty());
    assert_eq!(
        (ruby_to_i("+7"), ruby_to_i("1__2"), ruby_to_i("_1")),
        (7, 1, 0)
    );
}

#[test]
fn yanked_and_staged_releases_are_not_listed() {
    let a = app(&[
        ("1.0", "1", "ready", 100),
        ("1.1", "2", "yanked", 100),
        ("1.2", "3", "ready", 50),
        ("1.3", "4", "ready", 100),
    ]);
    assert_eq!(latest_ids(&a, &[]), [4, 1]);
    let v = versions(&a, &ch("release"), &Query::default(), &links()).expect("ok");
    assert_eq!(ids(&v), [4, 1]);
    // The client's own yanked build still anchors the search.
    assert_eq!(
        latest_ids(
            &a,
            &[
                ("bundle_id", "com.example.demo.ios"),
                ("release_version", "1.1"),
                ("build_version", "2")
            ]
        ),
        [4]
    );
}

#[test]
fn latest_cases() {
    let a = app(&[
        ("1.0.0.rc1", "1", "ready", 100),
        ("1.0.0", "2", "ready", 100),
        ("1.9", "3", "ready", 100),
        ("1.10", "4", "ready", 100),
        ("2.0", "3", "ready", 100), // higher release version, lower build: excluded
    ]);
    let bundle = ("bundle_id", "com.example.demo.ios");
    // 1. Nothing: all, newest first. 2. Bundle only: an array of that bundle's releases.
    assert_eq!(latest_ids(&a, &[]), [5, 4, 3, 2, 1]);
    assert_eq!(latest_ids(&a, &[bundle]), [5, 4, 3, 2, 1]);
    assert!(latest_ids(&a, &[("bundle_id", "other")]).is_empty());
    assert_eq!(
        latest_ids(&a, &[("bundle_id", " ")]).len(),
        5,
        "blank is absent"
    );
    // 3. An exact match anchors: later ids, then release >= and build >.
    let since = |rv: &str, bv: &str| {
        latest_ids(
            &a,
            &[bundle, ("release_version", rv), ("build_version", bv)],
        )
    };
    assert_eq!(
        since("1.9", "3"),
        [4],
        "1.10 > 1.9; 2.0 has build 3, not above 3"
    );
    assert_eq!(since("1.0.0.rc1", "1"), [5, 4, 3, 2]);
    // No exact match: the newest release versions >= the given one, same bundle.
    assert_eq!(since("1.0.0", "0"), [5, 4, 3, 2]);
    assert_eq!(
        since("1.5", "3"),
        [4],
        "the quirk: 2.0 with build 3 is excluded"
    );
    assert!(
        since("2.0", "3").is_empty(),
        "the client's own build is not newer"
    );
    assert!(since("9", "1").is_empty());
    assert!(
        latest_ids(
            &a,
            &[
                ("bundle_id", "other"),
                ("release_version", "1.0"),
                ("build_version", "0")
            ]
        )
        .is_empty()
    );
    // A missing build version counts as 0.
    assert_eq!(
        latest_ids(&a, &[bundle, ("release_version", "1.9")]),
        [5, 4, 3]
    );
    // 4. Versions without a bundle id: the same rules over the whole channel.
    let no_bundle =
        |rv: &str, bv: &str| latest_ids(&a, &[("release_version", rv), ("build_version", bv)]);
    assert_eq!(no_bundle("1.9", "3"), [4]);
    assert_eq!(no_bundle("1.0.0", "0"), [5, 4, 3, 2], "1.0.0.rc1 < 1.0.0");
    assert_eq!(
        no_bundle("v1.0", "0"),
        [5, 4, 3, 2],
        "prefix stripped, 1.0 = 1.0.0"
    );
    assert_eq!(no_bundle("1.0.0.rc1", "0"), [5, 4, 3, 2, 1]);
    // Only the 10 highest distinct release versions are searched without an anchor.
    let many: Vec<_> = (1..=12).map(|i| format!("1.{i}")).collect();
    let b = app(&many
        .iter()
        .map(|v| (v.as_str(), "5", "ready", 100))
        .collect::<Vec<_>>());
    assert_eq!(
        ids(&latest(
            &b,
            &ch("release"),
            &q(&[bundle, ("release_version", "1.0"), ("build_version", "1")]),
            &links()
        )
        .expect("ok")),
        (3..=12).rev().collect::<Vec<_>>()
    );
    // Not a version: 422 instead of upstream's 500.
    let e = latest(
        &a,
        &ch("release"),
        &q(&[("release_version", "abc")]),
        &links(),
    );
    let e = e.expect_err("invalid");
    assert_eq!(e.status(), 422);
    assert_eq!(
        e.message(),
        "param is missing or the value is empty or invalid: release_version"
    );
}

#[test]
fn version_exist_answers() {
    let mut a = app(&[("1.0", "1", "ready", 100), ("1.1", "2", "ready", 100)]);
    a.releases[0].release.git.commit = Some("c0ffee".into());
    let exist = |pairs: &[(&str, &str)]| version_exist(&a, &ch("release"), &q(pairs), &links());
    let b = ("bundle_id", "com.example.demo.ios");
    let found = exist(&[b, ("release_version", "1.0"), ("build_version", "1")]).expect("found");
    assert_eq!((found.id, found.release_version.as_str()), (1, "1.0"));
    assert_eq!(exist(&[b, ("git_commit", "c0ffee")]).map(|r| r.id), Ok(2));
    // Every given key must match.
    let e = exist(&[b, ("git_commit", "c0ffee"), ("release_version", "1.0")]).expect_err("no");
    assert_eq!(
        (e.status(), e.message().as_str()),
        (404, "Not found release")
    );
    assert_eq!(
        exist(&[b, ("release_version", "1.0"), ("build_version", "2")]),
        Err(Error::ReleaseNotFound)
    );
    assert_eq!(
        exist(&[("bundle_id", "x"), ("git_commit", "c0ffee")]),
        Err(Error::ReleaseNotFound)
    );
    for pairs in [
        &[("release_version", "1.0"), ("build_version", "1")][..],
        &[b, ("release_version", "1.0")],
        &[b],
        &[],
    ] {
        let e = exist(pairs).expect_err("missing combo");
        assert_eq!(e.status(), 422);
        assert_eq!(
            e.message(),
            "param is missing or the value is empty or invalid: combo with bundle_id, release_version, build_version or bundle_id, git_commit"
        );
    }
}

#[test]
fn version_exist_sees_staged_and_yanked_builds() {
    let a = app(&[("1.0", "1", "yanked", 100), ("1.1", "2", "ready", 20)]);
    let exist = |rv: &str, bv: &str| {
        let pairs = [
            ("bundle_id", "com.example.demo.ios"),
            ("release_version", rv),
            ("build_version", bv),
        ];
        version_exist(&a, &ch("release"), &q(&pairs), &links())
    };
    assert_eq!(exist("1.1", "2").map(|r| r.id), Ok(2), "staged");
    let yanked = exist("1.0", "1").expect("yanked exists");
    assert_eq!((yanked.id, yanked.install_url), (1, None), "never offered");
    // Another channel's build does not exist in this one.
    let adhoc = [
        ("bundle_id", "com.example.demo.ios"),
        ("release_version", "2.1.0"),
        ("build_version", "110"),
    ];
    let a = ios_demo();
    assert_eq!(
        version_exist(&a, &ch("release"), &q(&adhoc), &links()),
        Err(Error::ReleaseNotFound)
    );
    assert_eq!(
        version_exist(&a, &ch("adhoc"), &q(&adhoc), &links()).map(|r| r.id),
        Ok(2)
    );
}

#[test]
fn install_url_is_itms_for_ios_and_direct_elsewhere() {
    let mut a = ios_demo();
    let url = |a: &EdgeApp| {
        versions(a, &ch("release"), &Query::default(), &links())
            .expect("ok")
            .releases[0]
            .install_url
            .clone()
    };
    assert_eq!(
        url(&a).as_deref(),
        Some(
            "itms-services://?action=download-manifest&url=https%3A%2F%2Fu.example%2Fapi%2Fapps%2F2%2Freleases%2F3%2Finstall"
        )
    );
    let direct = "https://u.example/artifacts/ios-demo/2.1.0/41d824c2c93bb7dc46dbe9fbffcb462a57a38a2f08de52a0c38e498eeb761a9c.demo-ios-2.1.0-111.ipa";
    // Android (the app's platform, or the artifact's architecture's) is a direct link.
    a.app.platform = Platform::Android;
    assert_eq!(url(&a).as_deref(), Some(direct));
    a.app.platform = Platform::Harmonyos;
    assert_eq!(url(&a).as_deref(), Some(direct));
    // No bundle id: no manifest to offer, the file.
    let mut a = ios_demo();
    a.app.bundle_id = None;
    assert_eq!(url(&a).as_deref(), Some(direct));
    // A private app: the manifest route behind a route link, whose plist names a
    // download link; without a valid route link the worker passes unsigned links.
    let mut a = ios_demo();
    a.app.visibility = crate::manifest::Visibility::Private;
    a.releases[0].release.artifacts[0].url = "/_edge/artifacts/x.ipa".into();
    let itms = url(&a).expect("install url");
    let manifest = itms
        .strip_prefix("itms-services://?action=download-manifest&url=")
        .expect("itms");
    assert!(
        manifest.starts_with(
            "https%3A%2F%2Fu.example%2Fapi%2Fapps%2F2%2Freleases%2F3%2Finstall%3Fexpires%3D"
        ),
        "{manifest}"
    );
    assert!(manifest.contains("%26sig%3D"), "{manifest}");
    let plist = install_manifest(&a, "3", &links()).expect("manifest");
    assert!(plist.contains("<string>https://u.example/dl/b/"), "{plist}");
    assert!(!plist.contains("_edge"), "{plist}");
    assert_eq!(
        install_manifest(&a, "3", &Links::public_only(ORIGIN)),
        Err(Error::LinkDenied)
    );
    // An absolute file is given as is, in the manifest too.
    let mut a = ios_demo();
    a.releases[0].release.artifacts[0].url = "https://cdn.example/x.ipa".into();
    assert!(url(&a).is_some_and(|u| u.starts_with("itms-services://")));
    let plist = install_manifest(&a, "3", &links()).expect("manifest");
    assert!(
        plist.contains("<string>https://cdn.example/x.ipa</string>"),
        "{plist}"
    );
}

#[test]
fn install_manifest_plist() {
    let a = ios_demo();
    let plist =
        install_manifest(&a, "3", &Links::public_only("http://127.0.0.1:8787")).expect("manifest");
    assert_eq!(
        plist,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>items</key>
  <array>
    <dict>
      <key>assets</key>
      <array>
        <dict>
          <key>kind</key>
          <string>software-package</string>
          <key>url</key>
          <string>http://127.0.0.1:8787/artifacts/ios-demo/2.1.0/41d824c2c93bb7dc46dbe9fbffcb462a57a38a2f08de52a0c38e498eeb761a9c.demo-ios-2.1.0-111.ipa</string>
        </dict>
      </array>
      <key>metadata</key>
      <dict>
        <key>bundle-identifier</key>
        <string>com.example.demo.ios</string>
        <key>bundle-version</key>
        <string>2.1.0</string>
        <key>kind</key>
        <string>software</string>
        <key>title</key>
        <string>Demo for iOS Release iOS</string>
      </dict>
    </dict>
  </array>
</dict>
</plist>
"#
    );
    // Text is escaped.
    let mut b = ios_demo();
    b.app.name = "A & <B>".into();
    let plist = install_manifest(&b, "1", &links()).expect("manifest");
    assert!(
        plist.contains("<string>A &amp; &lt;B&gt; Release iOS</string>"),
        "{plist}"
    );
    // Unknown, not digits, without an artifact (2), yanked, not iOS: 404.
    let mut yanked = ios_demo();
    yanked.releases[0].release.state = ReleaseState::Yanked;
    let mut android = ios_demo();
    android.app.platform = Platform::Android;
    // The adhoc build (id 2) without its file.
    let mut bare = ios_demo();
    bare.releases[1].release.artifacts.clear();
    for (app, id) in [
        (&a, "9"),
        (&a, "x"),
        (&a, ""),
        (&bare, "2"),
        (&yanked, "3"),
        (&android, "3"),
    ] {
        let e = install_manifest(app, id, &links()).expect_err("not installable");
        assert_eq!(
            (e.status(), e.message()),
            (404, format!("Couldn't find Release with 'id'={id}"))
        );
    }
}

#[test]
fn build_version_falls_back() {
    let mut r = ios_demo().releases[0].release.clone();
    assert_eq!(build_version(&r), "111");
    r.build = None;
    r.version_code = Some(42);
    assert_eq!(build_version(&r), "42");
    r.version_code = None;
    assert_eq!(build_version(&r), "2.1.0");
}

#[test]
fn internal_error_leaks_nothing() {
    assert_eq!(Error::Internal.status(), 500);
    assert_eq!(
        serde_json::to_value(Error::Internal.body()).expect("json"),
        json!({"error": "Internal server error"})
    );
    assert_eq!(Error::ApiNotFound.status(), 404);
}
