//! Protocol B (Zealot) read routes against the real worker under `wrangler dev`, with the
//! example's admin token and channel keys loaded into local KV: the app list and one app, a
//! channel's versions (paged), `latest` for an outdated and an up-to-date client,
//! `version_exist`, every credential failure, which releases are listed (never drafts,
//! yanked or staged ones), the channel keys in the app objects, and iOS installs (the
//! `itms-services` link, its manifest and the package it names). One test function shares one
//! worker.

use e2e_tests::{Edge, Reply, example_dir};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const TOKEN: &str = "demo-zealot-admin-token";
const ANDROID: &str = "demo-channel-android-stable";
const IOS: &str = "demo-channel-ios-release";
const ADHOC: &str = "demo-channel-ios-adhoc";
const CACHE_CONTROL: &str = "no-cache, no-store, max-age=0, must-revalidate";
const BAD_TOKEN: &str = "Unauthorized user token";
const BAD_KEY: &str = "Unauthorized channel key";
const COMMIT_1_1_0: &str = "2222222222222222222222222222222222222222";

/// `GET path`: every Zealot answer, errors included, carries Zealot's `Cache-Control`.
fn get(edge: &Edge, path: &str) -> Reply {
    let r = edge.send("GET", path, &[], None);
    assert_eq!(
        r.header("cache-control"),
        Some(CACHE_CONTROL),
        "{path}: {r:?}"
    );
    r
}

fn get_json(edge: &Edge, path: &str) -> (u16, Value) {
    let r = get(edge, path);
    (r.status, r.json())
}

fn error(message: &str) -> Value {
    json!({"error": message})
}

/// A channel slug per `docs/protocols.md`: the first five base64-alphabet alphanumerics picked
/// by the bytes of sha256(`<app id>/<channel key>`), computed independently of the worker.
fn slug(app: &str, channel: &str) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    Sha256::digest(format!("{app}/{channel}").as_bytes())
        .iter()
        .filter_map(|b| ALNUM.get(usize::from(b & 63)))
        .take(5)
        .map(|&c| char::from(c))
        .collect()
}

/// A channel object; `key` is the channel key itself, as Zealot shows it to token holders
/// (from the worker secret's `zealot_channel_keys`).
fn channel(id: u64, slug: String, name: &str, device: &str, bundle: &str, key: &str) -> Value {
    json!({"id": id, "slug": slug, "name": name, "device_type": device, "bundle_id": bundle,
           "git_url": null, "has_password": false, "key": key,
           "download_filename_type": "version_datetime"})
}

fn scheme(id: u64, name: &str) -> Value {
    json!({"id": id, "name": name, "new_build_callout": true, "retained_builds": 0})
}

fn android_app() -> Value {
    let mut release = scheme(1001, "Release");
    release["channels"] = json!([channel(
        1001,
        slug("android-demo", "stable"),
        "Android",
        "android",
        "com.example.*",
        ANDROID
    )]);
    json!({"id": 1, "name": "Demo for Android", "archived": false, "schemes": [release]})
}

fn ios_app() -> Value {
    let mut release = scheme(2001, "Release");
    release["channels"] = json!([channel(
        2001,
        slug("ios-demo", "release"),
        "iOS",
        "ios",
        "*",
        IOS
    )]);
    let mut beta = scheme(2002, "Beta");
    beta["channels"] = json!([channel(
        2002,
        slug("ios-demo", "adhoc"),
        "iOS AdHoc",
        "ios",
        "com.example.demo.ios",
        ADHOC
    )]);
    json!({"id": 2, "name": "Demo for iOS", "archived": false, "schemes": [release, beta]})
}

fn file(app: &str, name: &str) -> Vec<u8> {
    std::fs::read(
        example_dir()
            .join("releases")
            .join(app)
            .join("files")
            .join(name),
    )
    .expect("file")
}

/// What a release object's `install_url` must serve: the primary artifact's bytes (Android:
/// a direct link).
fn check_install(edge: &Edge, r: &Value, app: &str, name: &str) {
    let url = r["install_url"].as_str().expect("install_url");
    assert!(url.starts_with(&edge.base) && url.ends_with(name), "{url}");
    let (status, body) = edge.get(url.trim_start_matches(&edge.base));
    assert_eq!((status, body.into_bytes()), (200, file(app, name)), "{url}");
}

/// Decodes `%XX` escapes.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .expect("utf-8")
        .into_owned()
}

/// The sha256 the site lists for `name` in the channel's history (`/apps/<app>/<channel>/
/// history.json`).
fn listed_sha256(edge: &Edge, app: &str, channel: &str, name: &str) -> String {
    let (status, text) = edge.get(&format!("/apps/{app}/{channel}/history.json"));
    assert_eq!(status, 200, "{text}");
    let history: Value = serde_json::from_str(&text).expect("history.json");
    history["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .flat_map(|r| r["artifacts"].as_array().cloned().unwrap_or_default())
        .find(|a| a["name"] == name)
        .and_then(|a| a["sha256"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("{name} not in {app}/{channel}/history.json"))
}

/// An iOS release's `install_url`: `itms-services://?action=download-manifest&url=<manifest>`,
/// the manifest a plist (`text/xml`) with the app's bundle id, the release version and the
/// release's `app_name`, whose package URL serves the `.ipa` with the sha256 the site lists.
fn check_ios_install(edge: &Edge, r: &Value, channel: &str, name: &str) {
    let url = r["install_url"].as_str().expect("install_url");
    let encoded = url
        .strip_prefix("itms-services://?action=download-manifest&url=")
        .unwrap_or_else(|| panic!("not an itms-services link: {url}"));
    assert!(
        !encoded.contains([':', '/', '?', '&']),
        "percent-encoded: {url}"
    );
    let manifest = percent_decode(encoded);
    let expected = format!("{}/api/apps/2/releases/{}/install", edge.base, r["id"]);
    assert_eq!(manifest, expected, "absolute, on the request's origin");
    let reply = edge.send("GET", &manifest[edge.base.len()..], &[], None);
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(
        reply.header("content-type"),
        Some("text/xml; charset=utf-8")
    );
    let plist = plist::Value::from_reader_xml(reply.text.as_bytes()).expect("plist");
    let item = &plist.as_dictionary().expect("dict")["items"]
        .as_array()
        .expect("items")[0];
    let item = item.as_dictionary().expect("item");
    let asset = item["assets"].as_array().expect("assets")[0]
        .as_dictionary()
        .expect("asset");
    assert_eq!(asset["kind"].as_string(), Some("software-package"));
    let meta = item["metadata"].as_dictionary().expect("metadata");
    let s = |k: &str| meta[k].as_string().map(str::to_owned);
    assert_eq!(
        (
            s("bundle-identifier"),
            s("bundle-version"),
            s("kind"),
            s("title")
        ),
        (
            Some("com.example.demo.ios".to_owned()),
            r["release_version"].as_str().map(str::to_owned),
            Some("software".to_owned()),
            r["app_name"].as_str().map(str::to_owned),
        )
    );
    let package = asset["url"].as_string().expect("package url");
    assert!(
        package.starts_with(&edge.base) && package.ends_with(name),
        "{package}"
    );
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let resp = agent.get(package).call().expect("package");
    assert_eq!(resp.status(), 200);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).expect("read");
    assert_eq!(bytes, file("ios-demo", name));
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        listed_sha256(edge, "ios-demo", channel, name)
    );
}

/// The release object of `example/releases/android-demo/<version>.toml`, with the
/// `install_url` the answer gave (checked by [`check_install`]).
fn android_release(version: &str, install_url: &Value) -> Value {
    let (id, build, git, changelog, text, fields, at) = match version {
        "1.2.0" => (
            3,
            "120",
            (Value::Null, Value::Null, Value::Null),
            json!([{"message": "New settings screen"}, {"message": "Faster start-up"}]),
            "- New settings screen\n- Faster start-up",
            json!([]),
            "2026-03-28T21:00:00.000Z",
        ),
        "1.1.0" => (
            2,
            "110",
            (
                json!("main"),
                json!("2222222222222222222222222222222222222222"),
                json!("https://ci.example.com/builds/110"),
            ),
            json!([{"message": "Fix a crash when resuming", "author": "dev",
                    "email": "dev@example.com", "date": "2026-01-30 10:00:00"},
                   {"message": "Security fix in the login flow"}]),
            "- Fix a crash when resuming\n- Security fix in the login flow",
            json!([{"name": "country", "value": "China", "icon": "fas fa-flag"}]),
            "2026-02-01T01:00:00.000Z",
        ),
        "1.0.0" => (
            1,
            "100",
            (
                json!("main"),
                json!("1111111111111111111111111111111111111111"),
                Value::Null,
            ),
            json!([{"message": "First public release"}]),
            "- First public release",
            json!([]),
            "2026-01-10T09:00:00.000Z",
        ),
        other => panic!("no fixture for {other}"),
    };
    let size = file("android-demo", &format!("demo-{version}-arm64-v8a.apk")).len();
    json!({"id": id, "version": id, "app_name": "Demo for Android Release Android",
           "bundle_id": "com.example.demo", "release_version": version, "build_version": build,
           "source": "api", "branch": git.0, "git_commit": git.1, "ci_url": git.2,
           "size": size, "platform": "Android", "device_type": "Android", "icon_url": null,
           "install_url": install_url, "changelog": changelog, "text_changelog": text,
           "custom_fields": fields, "created_at": at})
}

/// The release objects of ios-demo, by (channel, build).
fn ios_release(build: &str, install_url: &Value) -> Value {
    let (id, version, app_name, release_version, at) = match build {
        "111" => (
            3,
            2,
            "Demo for iOS Release iOS",
            "2.1.0",
            "2026-02-20T02:00:00.000Z",
        ),
        "110" => (
            2,
            1,
            "Demo for iOS Beta iOS AdHoc",
            "2.1.0",
            "2026-02-15T02:00:00.000Z",
        ),
        "100" => (
            1,
            1,
            "Demo for iOS Release iOS",
            "2.0.0",
            "2026-01-05T02:00:00.000Z",
        ),
        other => panic!("no fixture for {other}"),
    };
    let message = format!("Build {build} of {release_version}");
    // 2.0.0 has a second changelog line; 111 its git source and a custom field.
    let mut lines = vec![message];
    if build == "100" {
        lines.push("Second line".to_owned());
    }
    let (branch, commit, fields) = if build == "111" {
        (
            json!("main"),
            json!("abc123"),
            json!([{"name": "country", "value": "China", "icon": "fas fa-flag"}]),
        )
    } else {
        (Value::Null, Value::Null, json!([]))
    };
    let size = file(
        "ios-demo",
        &format!("demo-ios-{release_version}-{build}.ipa"),
    )
    .len();
    let changelog: Vec<Value> = lines.iter().map(|m| json!({"message": m})).collect();
    let text = lines
        .iter()
        .map(|m| format!("- {m}"))
        .collect::<Vec<_>>()
        .join("\n");
    json!({"id": id, "version": version, "app_name": app_name,
           "bundle_id": "com.example.demo.ios", "release_version": release_version,
           "build_version": build, "source": "api", "branch": branch, "git_commit": commit,
           "ci_url": null, "size": size, "platform": "iOS", "device_type": "iOS",
           "icon_url": null, "install_url": install_url, "changelog": changelog,
           "text_changelog": text, "custom_fields": fields, "created_at": at})
}

fn android_envelope(releases: Vec<Value>) -> Value {
    json!({"app_name": "Demo for Android Release Android", "bundle_id": "com.example.*",
           "git_url": null, "app": {"id": 1, "name": "Demo for Android"},
           "scheme": scheme(1001, "Release"), "releases": releases})
}

fn ios_envelope(releases: Vec<Value>) -> Value {
    json!({"app_name": "Demo for iOS Release iOS", "bundle_id": "*", "git_url": null,
           "app": {"id": 2, "name": "Demo for iOS"}, "scheme": scheme(2001, "Release"),
           "releases": releases})
}

/// The versions of an answer's `releases`, in order.
fn versions_of(v: &Value) -> Vec<(String, String)> {
    v["releases"]
        .as_array()
        .unwrap_or_else(|| panic!("releases: {v}"))
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("release_version"), s("build_version"))
        })
        .collect()
}

/// The query of a client build: `&bundle_id&release_version&build_version`.
fn build(bundle: &str, release_version: &str, build_version: &str) -> String {
    format!("&bundle_id={bundle}&release_version={release_version}&build_version={build_version}")
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// `Last-Modified` as Rails' `Time.now.httpdate` writes it: IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn is_http_date(s: &str) -> bool {
    let b = s.as_bytes();
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    s.is_ascii()
        && b.len() == 29
        && days.contains(&&s[..3])
        && &s[3..5] == ", "
        && digits(5..7)
        && months.contains(&&s[8..11])
        && digits(12..16)
        && digits(17..19)
        && digits(20..22)
        && digits(23..25)
        && [(7, b' '), (11, b' '), (16, b' '), (19, b':'), (22, b':')]
            .iter()
            .all(|&(i, c)| b[i] == c)
        && &s[25..] == " GMT"
}

#[test]
fn zealot_end_to_end() {
    assert!(is_http_date("Sun, 06 Nov 1994 08:49:37 GMT"));
    let edge = Edge::start();

    // ---- /api/apps (user token) ----------------------------------------------------------
    // The admin token sees both apps served by Zealot; `page`/`per_page` are ignored.
    for query in ["", "&scope=all", "&scope=active", "&page=2&per_page=1"] {
        let (code, v) = get_json(&edge, &format!("/api/apps?token={TOKEN}{query}"));
        assert_eq!(code, 200, "{v}\n{}", edge.log());
        assert_eq!(v, json!([android_app(), ios_app()]), "{query}");
    }
    assert_eq!(
        get_json(&edge, &format!("/api/apps?token={TOKEN}&scope=archived")),
        (200, json!([]))
    );
    // Bad, missing or empty tokens, and credentials of other kinds: 422.
    for query in [
        "?token=nope",
        "",
        "?token=",
        "?Token=demo-zealot-admin-token",
        "?token=demo-channel-android-stable",
        "?token=demo-project-api-key-android",
    ] {
        for path in ["/api/apps", "/api/apps/1"] {
            assert_eq!(
                get_json(&edge, &format!("{path}{query}")),
                (422, error(BAD_TOKEN)),
                "{path}{query}"
            );
        }
    }
    // One app; unknown and non-numeric ids are 404 with the id as given.
    assert_eq!(
        get_json(&edge, &format!("/api/apps/1?token={TOKEN}")),
        (200, android_app())
    );
    assert_eq!(
        get_json(&edge, &format!("/api/apps/2?token={TOKEN}")),
        (200, ios_app())
    );
    for id in ["99", "0", "abc", "1x", "-1"] {
        assert_eq!(
            get_json(&edge, &format!("/api/apps/{id}?token={TOKEN}")),
            (404, error(&format!("Couldn't find App with 'id'={id}"))),
            "{id}"
        );
    }
    // Not a read route: 404 API not found; a write method on a read route: 405 (uploads go
    // through the generator).
    for (method, path, status, message) in [
        ("GET", "/api/apps/1/schemes", 404, "API not found"),
        ("GET", "/api/apps/versions/1.0.0", 404, "API not found"),
        ("POST", "/api/apps", 405, "Method not allowed"),
        ("DELETE", "/api/apps/1", 405, "Method not allowed"),
        ("POST", "/api/apps/upload", 405, "Method not allowed"),
    ] {
        let r = edge.send(method, &format!("{path}?token={TOKEN}"), &[], None);
        assert_eq!(
            (r.status, r.json()),
            (status, error(message)),
            "{method} {path}"
        );
        assert_eq!(r.header("cache-control"), Some(CACHE_CONTROL));
        if status == 405 {
            assert_eq!(r.header("allow"), Some("GET, HEAD"));
        }
    }

    // ---- /api/apps/versions (channel key) ------------------------------------------------
    // Defaults: page 1, 10 per page, highest id first; 1.5.0 (draft), 1.4.0 (staged) and
    // 1.3.0 (yanked) are not listed.
    let r = get(&edge, &format!("/api/apps/versions?channel_key={ANDROID}"));
    assert_eq!(r.status, 200, "{r:?}\n{}", edge.log());
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{r:?}"
    );
    let v = r.json();
    let releases = v["releases"].as_array().expect("releases").clone();
    assert_eq!(releases.len(), 3, "{v}");
    for (r, version) in releases.iter().zip(["1.2.0", "1.1.0", "1.0.0"]) {
        check_install(
            &edge,
            r,
            "android-demo",
            &format!("demo-{version}-arm64-v8a.apk"),
        );
    }
    let expected: Vec<_> = releases
        .iter()
        .zip(["1.2.0", "1.1.0", "1.0.0"])
        .map(|(r, version)| android_release(version, &r["install_url"]))
        .collect();
    assert_eq!(v, android_envelope(expected.clone()));
    // Paging: per_page=1&page=2 is 1.1.0; past the end is empty; page 0 is page 1.
    let page = |q: &str| {
        let (code, v) = get_json(
            &edge,
            &format!("/api/apps/versions?channel_key={ANDROID}&{q}"),
        );
        assert_eq!(code, 200, "{q}: {v}");
        v
    };
    assert_eq!(
        page("per_page=1&page=2"),
        android_envelope(vec![expected[1].clone()])
    );
    assert_eq!(
        page("per_page=2&page=2"),
        android_envelope(vec![expected[2].clone()])
    );
    assert_eq!(page("per_page=1&page=4"), android_envelope(vec![]));
    assert_eq!(
        page("per_page=2&page=0"),
        android_envelope(expected[..2].to_vec())
    );
    assert_eq!(page("per_page=0"), android_envelope(vec![]));
    // The iOS channels: each its own releases, in its own scheme.
    let (code, v) = get_json(&edge, &format!("/api/apps/versions?channel_key={IOS}"));
    assert_eq!(code, 200, "{v}");
    let releases = v["releases"].as_array().expect("releases").clone();
    assert_eq!(releases.len(), 2, "{v}");
    check_ios_install(&edge, &releases[0], "release", "demo-ios-2.1.0-111.ipa");
    check_ios_install(&edge, &releases[1], "release", "demo-ios-2.0.0-100.ipa");
    let ios_111 = ios_release("111", &releases[0]["install_url"]);
    let ios_100 = ios_release("100", &releases[1]["install_url"]);
    assert_eq!(v, ios_envelope(vec![ios_111.clone(), ios_100.clone()]));
    let (code, v) = get_json(&edge, &format!("/api/apps/versions?channel_key={ADHOC}"));
    assert_eq!(code, 200, "{v}");
    check_ios_install(&edge, &v["releases"][0], "adhoc", "demo-ios-2.1.0-110.ipa");
    assert_eq!(
        v,
        json!({"app_name": "Demo for iOS Beta iOS AdHoc", "bundle_id": "com.example.demo.ios",
               "git_url": null, "app": {"id": 2, "name": "Demo for iOS"},
               "scheme": scheme(2002, "Beta"),
               "releases": [ios_release("110", &v["releases"][0]["install_url"])]})
    );

    // ---- Channel-key failures: 422 on every channel route --------------------------------
    for route in ["versions", "latest", "version_exist"] {
        for query in [
            "channel_key=nope".to_owned(),
            String::new(),
            "channel_key=".to_owned(),
            format!("token={TOKEN}"),
            format!("channel_key={TOKEN}"),
            "channel_key=demo-project-api-key-android".to_owned(),
        ] {
            assert_eq!(
                get_json(
                    &edge,
                    &format!(
                        "/api/apps/{route}?{query}{}",
                        build("com.example.demo", "1.0.0", "100")
                    )
                ),
                (422, error(BAD_KEY)),
                "{route}?{query}"
            );
        }
    }

    // ---- /api/apps/latest ----------------------------------------------------------------
    let latest = |key: &str, q: &str| {
        let r = get(&edge, &format!("/api/apps/latest?channel_key={key}{q}"));
        // Zealot stamps every answer of `latest` with the time (an error may lack it).
        if r.status == 200 {
            let date = r.header("last-modified");
            assert!(
                date.is_some_and(is_http_date),
                "Last-Modified {date:?} is not an HTTP date ({q})"
            );
        }
        (r.status, r.json())
    };
    // An outdated iOS client (2.0.0 build 100, its own build published): the newer build.
    let ios_q = &*build("com.example.demo.ios", "2.0.0", "100");
    assert_eq!(
        latest(IOS, ios_q),
        (200, ios_envelope(vec![ios_111.clone()]))
    );
    // Up to date: an empty list, same envelope.
    for q in [
        &*build("com.example.demo.ios", "2.1.0", "111"),
        &*build("com.example.demo.ios", "3.0", "1"),
        // Another bundle has nothing here.
        &*build("com.other", "1.0", "1"),
    ] {
        assert_eq!(latest(IOS, q), (200, ios_envelope(vec![])), "{q}");
    }
    // Not an exact build: the channel's versions ≥ the given one with a higher build;
    // Zealot's quirk drops a higher release version with a lower build.
    let (_, v) = latest(IOS, &build("com.example.demo.ios", "2.0.0", "99"));
    assert_eq!(
        versions_of(&v),
        pairs(&[("2.1.0", "111"), ("2.0.0", "100")])
    );
    let (_, v) = latest(IOS, &build("com.example.demo.ios", "1.0", "105"));
    assert_eq!(versions_of(&v), pairs(&[("2.1.0", "111")]));
    let (_, v) = latest(IOS, &build("com.example.demo.ios", "2.0.0", "200"));
    assert_eq!(versions_of(&v), Vec::new());
    // No versions: every listed release (also with just a bundle id, as an array).
    assert_eq!(
        latest(IOS, ""),
        (200, ios_envelope(vec![ios_111.clone(), ios_100]))
    );
    let (_, v) = latest(IOS, "&bundle_id=com.example.demo.ios");
    assert_eq!(
        versions_of(&v),
        pairs(&[("2.1.0", "111"), ("2.0.0", "100")])
    );
    // Android from 1.0.0/100: 1.2.0 and 1.1.0, never the staged 1.4.0 or the yanked 1.3.0.
    let android_q = &*build("com.example.demo", "1.0.0", "100");
    assert_eq!(
        latest(ANDROID, android_q),
        (200, android_envelope(expected[..2].to_vec()))
    );
    // A client on the yanked 1.3.0 (its own build is recognised): nothing newer is listed.
    let (code, v) = latest(ANDROID, &build("com.example.demo", "1.3.0", "130"));
    assert_eq!((code, versions_of(&v)), (200, Vec::new()), "{v}");
    let (_, v) = latest(ANDROID, &build("com.example.demo", "1.2.0", "120"));
    assert_eq!(versions_of(&v), Vec::new());
    // Versions without a bundle id (upstream: 500): the same rule without the bundle.
    let (_, v) = latest(ANDROID, "&release_version=1.1.0&build_version=110");
    assert_eq!(versions_of(&v), pairs(&[("1.2.0", "120")]));
    // A version with no digits: 422, never a 500.
    for (q, name) in [
        ("&release_version=abc&build_version=1", "release_version"),
        ("&release_version=1.0&build_version=xyz", "build_version"),
    ] {
        assert_eq!(
            latest(ANDROID, q),
            (
                422,
                error(&format!(
                    "param is missing or the value is empty or invalid: {name}"
                ))
            ),
            "{q}"
        );
    }

    // ---- /api/apps/version_exist ---------------------------------------------------------
    let exist = |key: &str, q: &str| {
        get_json(
            &edge,
            &format!("/api/apps/version_exist?channel_key={key}{q}"),
        )
    };
    assert_eq!(
        exist(IOS, &build("com.example.demo.ios", "2.1.0", "111")),
        (200, ios_111)
    );
    assert_eq!(
        exist(
            ANDROID,
            &format!("&bundle_id=com.example.demo&git_commit={COMMIT_1_1_0}")
        ),
        (200, expected[1].clone())
    );
    assert_eq!(
        exist(ANDROID, &build("com.example.demo", "1.0.0", "100")),
        (200, expected[2].clone())
    );
    // Every published build exists, the yanked 1.3.0 (never offered: no install URL) and the
    // staged 1.4.0 too, as Zealot's `Release.exists?` sees every stored build.
    let external = "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk";
    for (version, build_version, id, install) in [
        ("1.3.0", "130", 4, Value::Null),
        ("1.4.0", "140", 5, json!(external)),
    ] {
        let (code, v) = exist(ANDROID, &build("com.example.demo", version, build_version));
        assert_eq!(code, 200, "{version}: {v}");
        assert_eq!(
            (&v["id"], &v["release_version"], &v["build_version"]),
            (&json!(id), &json!(version), &json!(build_version)),
            "{v}"
        );
        assert_eq!(v["install_url"], install, "{v}");
    }
    // Not found: unknown builds, another channel's build, a draft (never published), a
    // mismatch in any one given key.
    for (key, q) in [
        (IOS, &*build("com.example.demo.ios", "9.9.9", "999")),
        (IOS, &*build("com.example.demo.ios", "2.1.0", "110")),
        (IOS, &*build("com.other", "2.1.0", "111")),
        (ANDROID, &*build("com.example.demo", "1.5.0", "150")),
        (ANDROID, &*build("com.example.demo", "1.2.0", "121")),
        (ANDROID, "&bundle_id=com.example.demo&git_commit=3333"),
        (
            ANDROID,
            &*format!(
                "&git_commit={COMMIT_1_1_0}{}",
                build("com.example.demo", "1.0.0", "100")
            ),
        ),
    ] {
        assert_eq!(exist(key, q), (404, error("Not found release")), "{q}");
    }
    // Without a combination: 422.
    let combo = "param is missing or the value is empty or invalid: combo with bundle_id, \
                 release_version, build_version or bundle_id, git_commit";
    for q in [
        "",
        "&bundle_id=com.example.demo",
        "&bundle_id=com.example.demo&release_version=1.0.0",
        "&bundle_id=com.example.demo&build_version=100",
        "&release_version=1.0.0&build_version=100",
        &*format!("&git_commit={COMMIT_1_1_0}"),
    ] {
        assert_eq!(exist(ANDROID, q), (422, error(combo)), "{q}");
    }
}
