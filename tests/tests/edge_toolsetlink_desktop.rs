//! Protocol D's desktop and SDK routes against the real worker under `wrangler dev`, with real
//! HTTP sent as real clients send it (`x-Timestamp`-style header names, an RFC 3339 timestamp
//! with a fraction, `Accept-Encoding: gzip`): `POST /v1/{win,mac,lnx}/upgrade` by `arch`, the
//! nine `POST /v1/*/version` routes, `GET`/`POST /v1/app/statistics/info` from seeded D1 rows,
//! the upgrade checks counted as `app_get_strategy`, every authentication failure on every new
//! route in D.3's envelope, and the official Python SDK (`tests/clients/toolsetlink_sdk.py`)
//! through all its upgrade, version, report and statistics methods.

use e2e_tests::client::Client;
use e2e_tests::signed::{AK, E, SK, Sig, as_pairs, assert_err, fresh_nonce, md5_sig, ts};
use e2e_tests::{Edge, Reply, example_dir, today, workspace_root};
use md5::{Digest, Md5};
use serde_json::{Value, json};
use std::io::Read;
use std::process::Command;

const WIN_KEY: &str = "dEdWin0ToolsetlinkKey1";
const MAC_KEY: &str = "dEdMac0ToolsetlinkKey1";
const LNX_KEY: &str = "dEdLnx0ToolsetlinkKey1";
const TAURI_KEY: &str = "dEdTauri0ToolsetlinkK1";
const ELECTRON_KEY: &str = "dEdElectron0Toolsetlk1";
const APK_KEY: &str = "mui2W50H1jOC4xD6PgQagA";
const CONFIG_KEY: &str = "q1hfB1VUQaK9VksTZGPU1Q";
const APP: &str = "desktop-editor";
const STATS: &str = "/v1/app/statistics/info";
/// An access key this test adds that may see `android-demo` only.
const LIMITED_AK: &str = "AKlimited0toolsetlink";
const LIMITED_SK: &str = "limited-toolsetlink-secret";

const MISSING_TS: E = (400, 400_004, "Missing X-Timestamp header");
const MISSING_NONCE: E = (400, 400_004, "Missing X-Nonce header");
const MISSING_AK: E = (400, 400_004, "Missing X-AccessKey header");
const MISSING_SIG: E = (400, 400_004, "Missing X-Signature header");
/// An unknown access key answers exactly as a wrong signature (no existence oracle).
const UNKNOWN_AK: E = (401, 401_002, "Signature Invalid");
const BAD_SIG: E = (401, 401_002, "Signature Invalid");
const USED: E = (401, 401_001, "Invalid X-Nonce: nonce already used");
const BAD_ARCH: E = (400, 400_003, "请求参数arch格式错误");
const NOT_FOUND: E = (404, 404_001, "No available version obtained");
const NO_APP: E = (404, 404_001, "请求应用不存在");

/// A timestamp as the Python SDK sends it: UTC with two fraction digits (`…T10:55:01.12Z`).
fn sdk_ts() -> String {
    ts(0).replace('Z', ".12Z")
}

/// `method path` with `body`, signed and sent as the SDKs send it, after `tweak`. The answer is
/// decoded from gzip when the worker compressed it.
fn send(edge: &Edge, method: &str, path: &str, body: &str, tweak: impl FnOnce(&mut Sig)) -> Reply {
    let mut s = Sig::new(path, body);
    s.timestamp = Some(sdk_ts());
    tweak(&mut s);
    let headers = s.headers();
    let body = (method != "GET").then_some(body.as_bytes());
    Client::new(&edge.base)
        .send(method, path, &as_pairs(&headers), body)
        .into()
}

/// A signed `POST` of `body` as the SDKs send it.
fn post(edge: &Edge, path: &str, body: &Value) -> Reply {
    send(edge, "POST", path, &body.to_string(), |_| {})
}

/// The JSON of a 200 answer.
#[track_caller]
fn ok(r: &Reply) -> Value {
    assert_eq!(r.status, 200, "{}", r.text);
    let json_type = r.header("content-type").unwrap_or_default();
    assert!(json_type.starts_with("application/json"), "{json_type}");
    r.json()
}

fn update(data: Value) -> Value {
    json!({"code": 200, "msg": "获取到新版本", "docs": "", "data": data})
}

/// The zeroed "already latest" answer of a desktop route.
fn latest(key_field: &str) -> Value {
    json!({"code": 0, "msg": "已经是最新版本", "docs": "", "data": {key_field: "",
        "packageName": "", "versionName": "", "versionCode": 0, "urlPath": "", "urlFileSize": 0,
        "urlFileMd5": "", "upgradeType": 0, "promptUpgradeContent": ""}})
}

fn version(data: Value) -> Value {
    json!({"code": 200, "msg": "获取到版本信息", "docs": "", "data": data})
}

fn example_file(name: &str) -> Vec<u8> {
    std::fs::read(
        example_dir()
            .join("releases/desktop-editor/files")
            .join(name),
    )
    .expect("file")
}

/// The rollout cohort of `device` for `release_id` (docs/protocols.md), computed here.
fn cohort(release_id: &str, device: &str) -> u64 {
    let d = sha2::Sha256::digest(format!("{release_id}\n{device}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first) % 100
}

/// Checks a desktop update answer: the fields, and that `urlPath` on the worker serves the
/// example's `file` with that size and md5.
#[track_caller]
fn assert_file_answer(
    edge: &Edge,
    r: &Reply,
    key: (&str, &str),
    want: (&str, i64, u8, &str),
    file: &str,
) {
    let v = ok(r);
    let bytes = example_file(file);
    let url = v["data"]["urlPath"].as_str().unwrap_or_default().to_owned();
    let (name, code, upgrade_type, prompt) = want;
    assert_eq!(
        v,
        update(
            json!({key.0: key.1, "packageName": "", "versionName": name, "versionCode": code,
            "urlPath": url, "urlFileSize": bytes.len(),
            "urlFileMd5": hex::encode(Md5::digest(&bytes)), "upgradeType": upgrade_type,
            "promptUpgradeContent": prompt})
        )
    );
    let prefix = format!("{}/artifacts/{APP}/{name}/", edge.base);
    assert!(
        url.starts_with(&prefix) && url.ends_with(&format!(".{file}")),
        "{url}"
    );
    let got = ureq::get(&url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let mut served = Vec::new();
    got.into_reader().read_to_end(&mut served).expect("read");
    assert_eq!(served, bytes, "{url}");
}

#[test]
fn toolsetlink_desktop_version_and_statistics_end_to_end() {
    let edge = Edge::start_prepared(&example_dir().join("keys"), |_, secrets| {
        secrets["toolsetlink"][LIMITED_AK] =
            json!({"secret": LIMITED_SK, "apps": ["android-demo"]});
    });
    let expected = seed_statistics(&edge);
    desktop_upgrades(&edge);
    checks_are_counted(&edge);
    version_routes(&edge);
    statistics(&edge, &expected);
    authentication(&edge);
    official_sdk(&edge, &expected);
}

const NOTES_110: &str = "Fix saving files with long names\nFaster start";

fn desktop_upgrades(edge: &Edge) {
    let win = |code: i64, arch: &str, dev: &str| {
        json!({"winKey": WIN_KEY, "arch": arch, "versionCode": code, "appointVersionCode": 0,
            "devModelKey": "", "devKey": dev})
    };
    let key = ("winKey", WIN_KEY);
    // 1.2.0 is staged at 25 %: without a device id the newest for Windows is 1.1.0, forced
    // (the release says force, and 1.0.0 is below policy.min_version).
    let r = post(edge, "/v1/win/upgrade", &win(1_000_000, "x64", ""));
    let v110 = ("1.1.0", 1_001_000, 3, NOTES_110);
    assert_file_answer(edge, &r, key, v110, "Desktop.Editor_1.1.0_x64-setup.exe");
    for arch in ["amd64", "X64", "x86_64"] {
        let r = post(edge, "/v1/win/upgrade", &win(1_000_000, arch, ""));
        assert_eq!(ok(&r)["data"]["versionCode"], 1_001_000, "{arch}");
    }
    assert_eq!(
        ok(&post(edge, "/v1/win/upgrade", &win(1_001_000, "x64", ""))),
        latest("winKey")
    );
    // No Windows build for arm64 or x86: already latest.
    for arch in ["arm64", "x86"] {
        let r = post(edge, "/v1/win/upgrade", &win(1_000_000, arch, ""));
        assert_eq!(ok(&r), latest("winKey"), "{arch}");
    }
    // A device inside 1.2.0's cohort gets it; one outside does not.
    let release = "desktop-editor/stable/1.2.0";
    let inside = (0..)
        .map(|i| format!("pc-{i}"))
        .find(|d| cohort(release, d) < 25)
        .expect("device");
    let outside = (0..)
        .map(|i| format!("pc-{i}"))
        .find(|d| cohort(release, d) >= 25)
        .expect("device");
    let r = post(edge, "/v1/win/upgrade", &win(1_001_000, "x64", &inside));
    let v120 = ("1.2.0", 1_002_000, 1, "Tabs");
    assert_file_answer(edge, &r, key, v120, "Desktop.Editor_1.2.0_x64-setup.exe");
    let r = post(edge, "/v1/win/upgrade", &win(1_001_000, "x64", &outside));
    assert_eq!(ok(&r), latest("winKey"));

    // macOS: each processor its own build; appointed versions exactly.
    let mac = |code: i64, arch: &str, appoint: i64| {
        json!({"macKey": MAC_KEY, "arch": arch, "versionCode": code,
            "appointVersionCode": appoint})
    };
    let key = ("macKey", MAC_KEY);
    let r = post(edge, "/v1/mac/upgrade", &mac(1_000_000, "arm64", 0));
    assert_file_answer(edge, &r, key, v110, "desktop-editor-1.1.0-arm64-mac.zip");
    let r = post(edge, "/v1/mac/upgrade", &mac(1_000_000, "x64", 0));
    assert_file_answer(edge, &r, key, v110, "desktop-editor-1.1.0-x64-mac.zip");
    let r = post(edge, "/v1/mac/upgrade", &mac(999, "aarch64", 1_000_000));
    let v100 = ("1.0.0", 1_000_000, 3, "First release");
    assert_file_answer(edge, &r, key, v100, "desktop-editor-1.0.0-arm64-mac.zip");
    let r = post(edge, "/v1/mac/upgrade", &mac(1_000_000, "arm64", 1_002_000));
    assert_eq!(ok(&r), latest("macKey"), "1.2.0 has no macOS build");
    let r = post(edge, "/v1/mac/upgrade", &mac(1_001_000, "arm64", 0));
    assert_eq!(ok(&r), latest("macKey"));

    // Linux: x64 only.
    let lnx = |arch: &str| json!({"lnxKey": LNX_KEY, "arch": arch, "versionCode": 1_000_000});
    let r = post(edge, "/v1/lnx/upgrade", &lnx("x64"));
    let key = ("lnxKey", LNX_KEY);
    assert_file_answer(edge, &r, key, v110, "desktop-editor_1.1.0_amd64.AppImage");
    assert_eq!(
        ok(&post(edge, "/v1/lnx/upgrade", &lnx("arm64"))),
        latest("lnxKey")
    );

    // Bodies and keys.
    let cases: [(&str, Value, E); 7] = [
        ("/v1/lnx/upgrade", lnx("sparc"), BAD_ARCH),
        ("/v1/lnx/upgrade", lnx(""), BAD_ARCH),
        (
            "/v1/win/upgrade",
            json!({"winKey": WIN_KEY, "versionCode": 1}),
            (400, 400_002, "field \"arch\" is not set"),
        ),
        (
            "/v1/win/upgrade",
            json!({"winKey": WIN_KEY, "arch": 64, "versionCode": 1}),
            (400, 400_003, "type mismatch for field \"arch\""),
        ),
        (
            "/v1/win/upgrade",
            win(0, "x64", ""),
            (400, 400_003, "请求参数versionCode格式错误"),
        ),
        (
            "/v1/mac/upgrade",
            json!({"macKey": WIN_KEY, "arch": "x64", "versionCode": 1}),
            (404, 404_001, "请求mac应用不存在"),
        ),
        (
            "/v1/lnx/upgrade",
            json!({"lnxKey": "", "arch": "x64", "versionCode": 1}),
            (400, 400_003, "请求参数lnxKey不能为空"),
        ),
    ];
    for (path, body, want) in cases {
        assert_err(&post(edge, path, &body), want, &format!("{path} {body}"));
    }
    // An access key limited to another app does not see the key.
    let r = send(
        edge,
        "POST",
        "/v1/win/upgrade",
        &win(1, "x64", "").to_string(),
        |s| {
            s.access_key = Some(LIMITED_AK.into());
            s.secret = LIMITED_SK.into();
        },
    );
    assert_err(
        &r,
        (404, 404_001, "请求win应用不存在"),
        "limited access key",
    );
}

/// Every `update_events` row of `event` today as `[app, version_code, code, count]`, once
/// the queue's consumer has counted at least `total` of them.
fn counted(edge: &Edge, event: &str, total: i64) -> Vec<Value> {
    edge.eventually(&format!("{total} {event} counted"), || {
        let rows = counted_now(edge, event);
        (sum(&rows) >= total).then_some(rows)
    })
}

/// The sum of [`counted`]'s counts.
fn sum(rows: &[Value]) -> i64 {
    rows.iter().map(|r| r[3].as_i64().unwrap_or(0)).sum()
}

/// [`counted`]'s rows as they are now.
fn counted_now(edge: &Edge, event: &str) -> Vec<Value> {
    let v = edge.d1(&format!(
        "SELECT app, version_code, code, count FROM update_events WHERE day = {} AND event = '{event}' \
         ORDER BY app, version_code, code",
        today()
    ));
    v[0]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {v}"))
        .iter()
        .map(|r| json!([r["app"], r["version_code"], r["code"], r["count"]]))
        .collect()
}

/// Each answered upgrade check of [`desktop_upgrades`] counted once, under the client's
/// version code and the answer's code; refused ones not at all.
fn checks_are_counted(edge: &Edge) {
    assert_eq!(
        counted(edge, "app_get_strategy", 16),
        [
            // mac appointing 1.0.0.
            json!([APP, 999, 200, 1]),
            // Already latest: win arm64 and x86, mac appointing 1.2.0, lnx arm64.
            json!([APP, 1_000_000, 0, 4]),
            // 1.1.0: win x64 and its three aliases, mac arm64 and x64, lnx x64.
            json!([APP, 1_000_000, 200, 7]),
            // Already latest: win without a device and outside the cohort, mac.
            json!([APP, 1_001_000, 0, 3]),
            // 1.2.0 inside the cohort.
            json!([APP, 1_001_000, 200, 1]),
        ]
    );
}

fn version_routes(edge: &Edge) {
    let cases: Vec<(&str, Value, Result<Value, E>)> = vec![
        (
            "/v1/win/version",
            json!({"winKey": WIN_KEY, "versionCode": 1_002_000, "arch": "x64"}),
            Ok(
                json!({"winKey": WIN_KEY, "packageName": "", "versionName": "1.2.0",
                "versionCode": 1_002_000, "description": "Tabs"}),
            ),
        ),
        (
            "/v1/win/version",
            json!({"winKey": WIN_KEY, "versionCode": 1_002_000, "arch": "arm64"}),
            Err(NOT_FOUND),
        ),
        (
            "/v1/win/version",
            json!({"winKey": WIN_KEY, "versionCode": 0, "arch": "x64"}),
            Ok(
                json!({"winKey": WIN_KEY, "packageName": "", "versionName": "1.1.0",
                "versionCode": 1_001_000, "description": NOTES_110}),
            ),
        ),
        (
            "/v1/mac/version",
            json!({"macKey": MAC_KEY, "versionCode": 1_000_000, "arch": "x64"}),
            Ok(
                json!({"macKey": MAC_KEY, "packageName": "", "versionName": "1.0.0",
                "versionCode": 1_000_000, "description": "First release"}),
            ),
        ),
        (
            "/v1/mac/version",
            json!({"macKey": MAC_KEY, "versionCode": 1_002_000, "arch": "arm64"}),
            Err(NOT_FOUND),
        ),
        (
            "/v1/mac/version",
            json!({"macKey": MAC_KEY, "versionCode": 1_000_000, "arch": "ppc"}),
            Err(BAD_ARCH),
        ),
        (
            "/v1/lnx/version",
            json!({"lnxKey": LNX_KEY, "arch": "amd64", "versionCode": 1_001_000}),
            Ok(
                json!({"lnxKey": LNX_KEY, "packageName": "", "versionName": "1.1.0",
                "versionCode": 1_001_000, "description": NOTES_110}),
            ),
        ),
        (
            "/v1/lnx/version",
            json!({"lnxKey": LNX_KEY, "arch": "x64", "versionCode": 1_002_000}),
            Err(NOT_FOUND),
        ),
        (
            "/v1/tauri/version",
            json!({"tauriKey": TAURI_KEY, "versionName": "v1.1.0", "target": "darwin",
                "arch": "aarch64"}),
            Ok(
                json!({"tauriKey": TAURI_KEY, "versionName": "1.1.0", "versionCode": 1_001_000,
                "target": "darwin", "arch": "aarch64", "description": NOTES_110}),
            ),
        ),
        (
            "/v1/tauri/version",
            json!({"tauriKey": TAURI_KEY, "versionName": "1.2.0", "target": "linux",
                "arch": "x86_64"}),
            Err(NOT_FOUND),
        ),
        (
            "/v1/tauri/version",
            json!({"tauriKey": TAURI_KEY, "versionName": "1.2.0", "target": "android",
                "arch": "x86_64"}),
            Err((400, 400_003, "请求参数target格式错误")),
        ),
        (
            "/v1/electron/version",
            json!({"electronKey": ELECTRON_KEY, "versionName": "1.2.0", "platform": "win32",
                "arch": "x64"}),
            Ok(json!({"electronKey": ELECTRON_KEY, "versionName": "1.2.0",
                "versionCode": 1_002_000, "platform": "win32", "arch": "x64",
                "description": "Tabs"})),
        ),
        (
            "/v1/electron/version",
            json!({"electronKey": ELECTRON_KEY, "versionName": "2.0.0", "platform": "darwin",
                "arch": "arm64"}),
            Err(NOT_FOUND),
        ),
        (
            "/v1/electron/version",
            json!({"electronKey": ELECTRON_KEY, "versionName": "1.0.0", "arch": "arm64"}),
            Err((400, 400_002, "field \"platform\" is not set")),
        ),
        (
            "/v1/apk/version",
            json!({"apkKey": APK_KEY, "versionCode": 140}),
            Ok(json!({"apkKey": APK_KEY, "packageName": "com.example.demo",
                "versionName": "1.4.0", "versionCode": 140,
                "description": "Staged: new sync engine"})),
        ),
        (
            "/v1/apk/version",
            json!({"apkKey": APK_KEY, "versionCode": 130}),
            Err(NOT_FOUND),
        ),
        (
            "/v1/apk/version",
            json!({"apkKey": APK_KEY, "versionCode": -1}),
            Err((400, 400_003, "请求参数versionCode格式错误")),
        ),
        (
            "/v1/configuration/version",
            json!({"configurationKey": CONFIG_KEY, "versionCode": 1}),
            Ok(
                json!({"configurationKey": CONFIG_KEY, "versionName": "v1", "versionCode": 1,
                "description": ""}),
            ),
        ),
        (
            "/v1/configuration/version",
            json!({"configurationKey": CONFIG_KEY, "versionCode": 3}),
            Err(NOT_FOUND),
        ),
        (
            "/v1/url/version",
            json!({"urlKey": APK_KEY, "versionCode": 1}),
            Err((404, 404_001, "请求url应用不存在")),
        ),
        (
            "/v1/file/version",
            json!({"fileKey": APK_KEY, "versionCode": 1}),
            Err((404, 404_001, "请求file应用不存在")),
        ),
        (
            "/v1/file/version",
            json!({"fileKey": APK_KEY}),
            Err((400, 400_002, "field \"versionCode\" is not set")),
        ),
    ];
    for (path, body, want) in cases {
        let r = post(edge, path, &body);
        match want {
            Ok(data) => assert_eq!(ok(&r), version(data), "{path} {body}"),
            Err(e) => assert_err(&r, e, &format!("{path} {body}")),
        }
    }
}

/// `YYMMDD` of the UTC day `back` days before today.
fn yymmdd(back: i64) -> String {
    let date = update_protocol::time::Timestamp::from_unix((today() - back) * 86_400, 0)
        .expect("time")
        .to_seconds_z();
    format!("{}{}{}", &date[2..4], &date[5..7], &date[8..10])
}

/// Rows of past days (and of today, which the statistics leave out) for the desktop app,
/// inserted into D1 as earlier days' traffic; returns the `data` the statistics must answer.
fn seed_statistics(edge: &Edge) -> Value {
    let day = today();
    let rows = [
        // (days back, event, version code, code, count)
        (0, "app_upgrade_download", 1_001_000, 0, 100),
        (1, "app_upgrade_download", 1_001_000, 0, 3),
        (1, "app_upgrade_download", 1_001_000, 4, 2),
        (2, "app_upgrade_download", 1_002_000, 0, 4),
        (9, "app_upgrade_download", 1_000_000, 0, 6),
        (1, "app_get_strategy", 1_000_000, 200, 9),
        (7, "app_get_strategy", 1_001_000, 0, 1),
        (3, "app_upgrade_upgrade", 1_001_000, 0, 2),
        (1, "app_start", 1_001_000, 0, 5),
        (6, "app_start", 1_000_000, 0, 8),
        (1, "custom_event", 1_001_000, 0, 1000),
    ];
    let values: Vec<String> = rows
        .iter()
        .map(|(back, event, vc, code, count)| {
            format!(
                "('{APP}', {}, '{event}', {vc}, {code}, {count})",
                day - back
            )
        })
        .collect();
    // Another app's rows never count for this one.
    let sql = format!(
        "INSERT INTO update_events (app, day, event, version_code, code, count) VALUES {}, \
         ('android-demo', {}, 'app_start', 1, 0, 77)",
        values.join(", "),
        day - 1
    );
    edge.d1(&sql);
    let week = |counts: [i64; 7]| {
        (0..7)
            .map(|i| json!({"timeData": yymmdd(7 - i), "data": counts[usize::try_from(i).unwrap_or(0)]}))
            .collect::<Vec<_>>()
    };
    json!({
        "yesterdayDownloadCount": 5, "totalDownloadCount": 15,
        "yesterdayAppGetStrategyCount": 9, "totalAppGetStrategyCount": 10,
        "yesterdayAppUpgradeCount": 0, "totalAppUpgradeCount": 2,
        "yesterdayAppStartCount": 5, "totalAppStartCount": 13,
        // Oldest (7 days back) first.
        "downloadCount7Day": week([0, 0, 0, 0, 0, 4, 5]),
        "appGetStrategyCount7Day": week([1, 0, 0, 0, 0, 0, 9]),
        "appUpgradeCount7Day": week([0, 0, 0, 0, 2, 0, 0]),
        "appStartCount7Day": week([0, 8, 0, 0, 0, 0, 5]),
    })
}

fn statistics(edge: &Edge, expected: &Value) {
    let answer = |data: &Value| json!({"code": 200, "msg": "成功", "docs": "", "data": data});
    // The SDK's form: GET, the key in the query, an empty body signed without `body=`.
    let path = format!("{STATS}?appKey={MAC_KEY}");
    let r = send(edge, "GET", &path, "", |_| {});
    assert_eq!(ok(&r), answer(expected));
    // Any of the app's keys names it; POST with the key in the query or in the body.
    let r = send(
        edge,
        "POST",
        &format!("{STATS}?appKey={TAURI_KEY}"),
        "",
        |_| {},
    );
    assert_eq!(ok(&r), answer(expected));
    let body = json!({"appKey": WIN_KEY}).to_string();
    assert_eq!(
        ok(&send(edge, "POST", STATS, &body, |_| {})),
        answer(expected)
    );
    // Another app: only its own rows.
    let r = send(
        edge,
        "GET",
        &format!("{STATS}?appKey={APK_KEY}"),
        "",
        |_| {},
    );
    let android = ok(&r);
    assert_eq!(android["data"]["yesterdayAppStartCount"], 77, "{android}");
    assert_eq!(android["data"]["totalDownloadCount"], 0, "{android}");
    // Unknown, empty, missing, and a key the access key may not see.
    for path in [format!("{STATS}?appKey=nope"), format!("{STATS}?appKey=")] {
        assert_err(&send(edge, "GET", &path, "", |_| {}), NO_APP, &path);
    }
    let r = send(edge, "GET", STATS, "", |_| {});
    assert_err(
        &r,
        (400, 400_002, "field \"appKey\" is not set"),
        "no appKey",
    );
    let limited = |s: &mut Sig| {
        s.access_key = Some(LIMITED_AK.into());
        s.secret = LIMITED_SK.into();
    };
    assert_err(
        &send(edge, "GET", &path, "", limited),
        NO_APP,
        "limited access key",
    );
    let r = send(
        edge,
        "GET",
        &format!("{STATS}?appKey={APK_KEY}"),
        "",
        limited,
    );
    assert_eq!(ok(&r), android, "the limited key sees its app");
    // The query is signed: another key than the signed one is refused.
    let r = send(edge, "GET", &format!("{STATS}?appKey={WIN_KEY}"), "", |s| {
        s.url = path.clone()
    });
    assert_err(&r, BAD_SIG, "query not signed");
}

/// Every new route refuses each authentication failure in D.3's envelope: each missing
/// header, a bad signature, an unknown access key, and a replayed nonce.
fn authentication(edge: &Edge) {
    let desktop = |k: &str| json!({k: "x", "arch": "x64", "versionCode": 1}).to_string();
    let routes: Vec<(&str, String, String)> = vec![
        ("POST", "/v1/win/upgrade".into(), desktop("winKey")),
        ("POST", "/v1/mac/upgrade".into(), desktop("macKey")),
        ("POST", "/v1/lnx/upgrade".into(), desktop("lnxKey")),
        ("POST", "/v1/url/version".into(), json!({"urlKey": "x", "versionCode": 1}).to_string()),
        ("POST", "/v1/file/version".into(), json!({"fileKey": "x", "versionCode": 1}).to_string()),
        ("POST", "/v1/apk/version".into(), json!({"apkKey": APK_KEY, "versionCode": 1}).to_string()),
        (
            "POST",
            "/v1/configuration/version".into(),
            json!({"configurationKey": CONFIG_KEY, "versionCode": 1}).to_string(),
        ),
        ("POST", "/v1/win/version".into(), desktop("winKey")),
        ("POST", "/v1/mac/version".into(), desktop("macKey")),
        ("POST", "/v1/lnx/version".into(), desktop("lnxKey")),
        (
            "POST",
            "/v1/tauri/version".into(),
            json!({"tauriKey": TAURI_KEY, "versionName": "1.0.0", "target": "linux", "arch": "x86_64"})
                .to_string(),
        ),
        (
            "POST",
            "/v1/electron/version".into(),
            json!({"electronKey": ELECTRON_KEY, "versionName": "1.0.0", "platform": "linux", "arch": "x64"})
                .to_string(),
        ),
        ("GET", format!("{STATS}?appKey={MAC_KEY}"), String::new()),
        ("POST", STATS.into(), json!({"appKey": MAC_KEY}).to_string()),
    ];
    type Tweak = fn(&mut Sig);
    let cases: [(&str, Tweak, E); 7] = [
        ("no timestamp", |s| s.drop_from(0), MISSING_TS),
        ("no nonce", |s| s.drop_from(1), MISSING_NONCE),
        ("no access key", |s| s.drop_from(2), MISSING_AK),
        ("no signature", |s| s.signature = Some(None), MISSING_SIG),
        ("wrong secret", |s| s.secret = "guess".into(), BAD_SIG),
        (
            "forged",
            |s| s.signature = Some(Some("0".repeat(32))),
            BAD_SIG,
        ),
        (
            "unknown access key",
            |s| s.access_key = Some("AKnobody".into()),
            UNKNOWN_AK,
        ),
    ];
    for (method, path, body) in &routes {
        for (name, tweak, want) in &cases {
            let r = send(edge, method, path, body, tweak);
            assert_err(&r, *want, &format!("{method} {path}: {name}"));
        }
        // A validly signed request passes; the same nonce again is a replay.
        let nonce = fresh_nonce();
        let first = send(edge, method, path, body, |s| s.nonce = Some(nonce.clone()));
        assert!(
            matches!(first.status, 200 | 400 | 404) && first.json()["code"] != 401_001,
            "{method} {path}: {}",
            first.text
        );
        let r = send(edge, method, path, body, |s| s.nonce = Some(nonce.clone()));
        assert_err(&r, USED, &format!("{method} {path}: replay"));
    }
    // The independent signer still matches the spec's vector (D.1).
    let vector = md5_sig(
        None,
        "0123456789abcdef",
        "s3cr3t",
        "2025-02-17T10:34:55+08:00",
        "/v1/configuration/upgrade",
    );
    assert_eq!(vector, "5778b53f54f5e84734ae901117968a29");
}

/// The official SDK, unchanged but for its endpoint and credentials, through every upgrade and
/// version method, the report and the statistics; what it reported is counted.
fn official_sdk(edge: &Edge, expected: &Value) {
    let before = sum(&counted_now(edge, "app_get_strategy"));
    let out = Command::new("python3")
        .arg(workspace_root().join("tests/clients/toolsetlink_sdk.py"))
        .env("ENDPOINT", edge.base.trim_start_matches("http://"))
        .env("ACCESS_KEY", AK)
        .env("ACCESS_SECRET", SK)
        .env("EXPECT_STATISTICS", expected.to_string())
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "toolsetlink_sdk.py failed:\n{}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        edge.log()
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    assert_eq!(
        summary["win_upgrade"]["versionCode"], 1_001_000,
        "{summary}"
    );
    assert_eq!(summary["app_statistics_info"], *expected);
    assert_eq!(
        summary["url_upgrade"],
        json!({"code": "404001", "message": "请求url应用不存在"})
    );
    // Its reports, counted under today's day.
    assert_eq!(
        counted(edge, "app_start", 2),
        [json!([APP, 1_000_000, 0, 1]), json!([APP, 1_001_000, 0, 1])]
    );
    assert_eq!(
        counted(edge, "app_upgrade_download", 101),
        [json!([APP, 1_001_000, 0, 101])]
    );
    // Its upgrade checks: win x64 ×2, mac ×2, lnx ×2 on the desktop app, apk and configuration.
    let after = counted(edge, "app_get_strategy", before + 8);
    assert_eq!(sum(&after) - before, 8, "{after:?}");
}
