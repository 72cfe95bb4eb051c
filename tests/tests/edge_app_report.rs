//! Protocol D's signed event report `POST /v1/app/report` against the real worker under
//! `wrangler dev` with its local D1: launches, downloads, upgrades and unknown event types
//! counted per app, day, event, version code and code in `update_events` (repeats add up),
//! listed by the admin stats; and every rejection (headers, signature, replay, unknown key,
//! bodies) answered with D.3's envelope without writing anything.

use e2e_tests::{Edge, Reply};
use md5::{Digest, Md5};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};

const AK: &str = "AKdemo0toolsetlink";
const SK: &str = "demo-toolsetlink-secret-key";
const APK_KEY: &str = "mui2W50H1jOC4xD6PgQagA";
const CONFIG_KEY: &str = "q1hfB1VUQaK9VksTZGPU1Q";
const REPORT: &str = "/v1/app/report";
const ADMIN: &str = "demo-admin-token";

/// An expected error answer: HTTP status, envelope `code`, envelope `msg`.
type E = (u16, u64, &'static str);
const WINDOW: E = (
    401,
    401_001,
    "Invalid X-Timestamp: timestamp is out of allowed window",
);
const BAD_SIG: E = (401, 401_002, "Signature Invalid");
const UNKNOWN_AK: E = (401, 401_001, "X-AccessKey is error");
const USED: E = (401, 401_001, "Invalid X-Nonce: nonce already used");
const MISSING_TS: E = (400, 400_004, "Missing X-Timestamp header");
const NO_APP: E = (404, 404_001, "请求应用不存在");
const NOT_OBJECT: E = (400, 400_005, "Invalid request body: not a JSON object");
const TOO_LARGE: E = (400, 400_005, "Invalid request body: larger than 16 KiB");
const BAD_TIMESTAMP: E = (400, 400_003, "请求参数timestamp格式错误");
const BAD_LAUNCH: E = (400, 400_003, "请求参数launchTime格式错误");

/// Lowercase hex MD5 of `[body=…&]nonce=…&secretKey=…&timestamp=…&url=…` (D.1), computed here
/// independently of the project's code.
fn md5_sig(body: Option<&str>, nonce: &str, secret: &str, ts: &str, url: &str) -> String {
    let body = body.map(|b| format!("body={b}&")).unwrap_or_default();
    let s = format!("{body}nonce={nonce}&secretKey={secret}&timestamp={ts}&url={url}");
    hex::encode(Md5::digest(s.as_bytes()))
}

fn unix_now() -> i64 {
    let s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    i64::try_from(s).expect("i64")
}

fn today() -> i64 {
    unix_now().div_euclid(86_400)
}

/// `now + offset` seconds, RFC 3339 in UTC (`…Z`).
fn ts(offset: i64) -> String {
    update_protocol::time::Timestamp::from_unix(unix_now() + offset, 0)
        .expect("time")
        .to_seconds_z()
}

/// Now at `+08:00`, as the SDKs send local time.
fn ts_plus8() -> String {
    format!("{}+08:00", ts(8 * 3600).trim_end_matches('Z'))
}

/// A fresh 21-character nonce.
fn fresh_nonce() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("report-nonce-{:08}", N.fetch_add(1, Ordering::Relaxed))
}

/// What a signed request sends; [`signed`] fills it with valid values and the test's tweak
/// changes it before the signature is computed (unless `signature` is set).
struct Sig {
    timestamp: Option<String>,
    nonce: String,
    access_key: String,
    secret: String,
    /// The body that is signed; `None` omits `body=` (the default for an empty body).
    body: Option<String>,
    signature: Option<String>,
}

/// `POST /v1/app/report` with `body`, signed as an SDK does (header names as the SDKs spell
/// them), after `tweak`.
fn signed(edge: &Edge, body: &str, tweak: impl FnOnce(&mut Sig)) -> Reply {
    let mut s = Sig {
        timestamp: Some(ts(0)),
        nonce: fresh_nonce(),
        access_key: AK.to_owned(),
        secret: SK.to_owned(),
        body: (!body.is_empty()).then(|| body.to_owned()),
        signature: None,
    };
    tweak(&mut s);
    let stamp = s.timestamp.clone().unwrap_or_default();
    let sig = s
        .signature
        .clone()
        .unwrap_or_else(|| md5_sig(s.body.as_deref(), &s.nonce, &s.secret, &stamp, REPORT));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(t) = &s.timestamp {
        headers.push(("x-Timestamp", t.as_str()));
    }
    headers.extend([
        ("x-Nonce", s.nonce.as_str()),
        ("x-AccessKey", s.access_key.as_str()),
        ("x-Signature", sig.as_str()),
    ]);
    edge.send("POST", REPORT, &headers, Some(body.as_bytes()))
}

/// Sends a validly signed report that must be accepted with exactly D.5's answer.
#[track_caller]
fn accepted(edge: &Edge, body: &Value) {
    let r = signed(edge, &body.to_string(), |_| {});
    assert_eq!(r.status, 200, "{body}: {}\n{}", r.text, edge.log());
    let json_type = r.header("content-type").unwrap_or_default();
    assert!(json_type.starts_with("application/json"), "{json_type}");
    assert_eq!(r.json(), json!({"code": 0, "msg": "上报成功", "docs": ""}));
}

/// Checks an error answer: D.3's envelope (exactly `code`, `msg`, `docs` empty and `traceId`
/// a string), and its status, code and message.
#[track_caller]
fn assert_err(r: &Reply, want: E, ctx: &str) {
    let v = r.json();
    let mut keys: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("{ctx}: not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "docs", "msg", "traceId"], "{ctx}: {v}");
    assert!(v["docs"] == "" && v["traceId"].is_string(), "{ctx}: {v}");
    let got = (r.status, v["code"].as_u64().unwrap_or(0), v["msg"].as_str());
    assert_eq!(got, (want.0, want.1, Some(want.2)), "{ctx}");
}

/// A report of `event` for `key` at now, with `data` as `eventData`.
fn event(event: &str, key: &str, data: &Value) -> Value {
    json!({"eventType": event, "appKey": key, "timestamp": ts(0), "eventData": data})
}

/// Every `update_events` row as `[app, day, event, version_code, code, count]`, in key order.
fn rows(edge: &Edge) -> Vec<Value> {
    let v = edge.d1(
        "SELECT app, day, event, version_code, code, count FROM update_events \
         ORDER BY app, day, event, version_code, code",
    );
    v[0]["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {v}"))
        .iter()
        .map(|r| {
            json!([
                r["app"],
                r["day"],
                r["event"],
                r["version_code"],
                r["code"],
                r["count"]
            ])
        })
        .collect()
}

#[test]
fn app_report_end_to_end() {
    let edge = Edge::start();
    let day = today();
    assert_eq!(rows(&edge), Vec::<Value>::new());

    rejections(&edge);
    assert_eq!(rows(&edge), Vec::<Value>::new(), "a rejection wrote a row");

    // Launches of 1.1.0 (110), three times, once with the SDKs' +08:00 local time and a
    // fractional launch time; a launch of the configuration app through its key.
    let start = json!({"launchTime": ts(-30), "versionCode": 110, "devModelKey": "Pixel 8",
        "devKey": "device-1", "target": "android", "arch": "arm64-v8a"});
    accepted(&edge, &event("app_start", APK_KEY, &start));
    accepted(&edge, &event("app_start", APK_KEY, &start));
    let mut local = event(
        "app_start",
        APK_KEY,
        &json!({"versionCode": 110,
        "launchTime": format!("{}.5Z", ts(-5).trim_end_matches('Z'))}),
    );
    local["timestamp"] = json!(ts_plus8());
    accepted(&edge, &local);
    let config_start = json!({"launchTime": ts(0), "versionCode": 1});
    accepted(&edge, &event("app_start", CONFIG_KEY, &config_start));
    // Downloads of 1.2.0 (120) from 110: two successes, one failure with code 3; counted
    // under downloadVersionCode.
    let download = |code: i64| {
        json!({"versionCode": 110, "downloadVersionCode": 120, "code": code,
            "target": "android", "arch": "arm64-v8a"})
    };
    accepted(&edge, &event("app_upgrade_download", APK_KEY, &download(0)));
    accepted(&edge, &event("app_upgrade_download", APK_KEY, &download(0)));
    accepted(&edge, &event("app_upgrade_download", APK_KEY, &download(3)));
    // The upgrade to 120, counted under upgradeVersionCode; code absent is 0.
    let upgrade = json!({"versionCode": 110, "upgradeVersionCode": 120});
    accepted(&edge, &event("app_upgrade_upgrade", APK_KEY, &upgrade));
    // The configuration's update from v1 to v2.
    let config_upgrade = json!({"versionCode": 1, "upgradeVersionCode": 2, "code": 0});
    accepted(
        &edge,
        &event("app_upgrade_upgrade", CONFIG_KEY, &config_upgrade),
    );
    // An unknown type is accepted, counted under versionCode.
    let custom = json!({"versionCode": 120, "code": 7});
    accepted(&edge, &event("custom_event", APK_KEY, &custom));

    // A replay of an accepted report is refused and not counted again.
    let body = event("app_upgrade_upgrade", APK_KEY, &upgrade).to_string();
    let (nonce, stamp) = (fresh_nonce(), ts(0));
    let same = |s: &mut Sig| (s.nonce, s.timestamp) = (nonce.clone(), Some(stamp.clone()));
    let r = signed(&edge, &body, same);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_err(&signed(&edge, &body, same), USED, "replay");
    let r = signed(&edge, &body, |s| s.nonce = nonce.clone());
    assert_err(&r, USED, "nonce with a new timestamp");

    let android = "android-demo";
    let config = "remote-config";
    assert_eq!(
        rows(&edge),
        [
            json!([android, day, "app_start", 110, 0, 3]),
            json!([android, day, "app_upgrade_download", 120, 0, 2]),
            json!([android, day, "app_upgrade_download", 120, 3, 1]),
            json!([android, day, "app_upgrade_upgrade", 120, 0, 2]),
            json!([android, day, "custom_event", 120, 7, 1]),
            json!([config, day, "app_start", 1, 0, 1]),
            json!([config, day, "app_upgrade_upgrade", 2, 0, 1]),
        ]
    );

    // The admin stats list them, most counted first.
    let stats = |app: &str, token: Option<&str>| {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth
            .as_deref()
            .map(|a| vec![("authorization", a)])
            .unwrap_or_default();
        let r = edge.send(
            "GET",
            &format!("/api/admin/stats?app={app}"),
            &headers,
            None,
        );
        (r.status, r.json())
    };
    assert_eq!(stats(android, None).0, 401);
    let (status, v) = stats(android, Some(ADMIN));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["day"], day);
    assert_eq!(v["apps"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["apps"][0]["app"], android);
    let e = |event: &str, version_code: i64, code: i64, count: i64| json!({"event": event, "version_code": version_code, "code": code, "count": count});
    assert_eq!(
        v["apps"][0]["update_events"],
        json!([
            e("app_start", 110, 0, 3),
            e("app_upgrade_download", 120, 0, 2),
            e("app_upgrade_upgrade", 120, 0, 2),
            e("app_upgrade_download", 120, 3, 1),
            e("custom_event", 120, 7, 1),
        ])
    );
    let (status, v) = stats(config, Some(ADMIN));
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["apps"][0]["update_events"],
        json!([e("app_start", 1, 0, 1), e("app_upgrade_upgrade", 2, 0, 1)])
    );
}

/// Requests that must be refused; none may write a row.
fn rejections(edge: &Edge) {
    let valid = event(
        "app_start",
        APK_KEY,
        &json!({"launchTime": ts(0), "versionCode": 110}),
    )
    .to_string();
    // Headers, signature and replay window.
    let r = signed(edge, &valid, |s| s.timestamp = None);
    assert_err(&r, MISSING_TS, "no timestamp");
    // Beyond ±300 s (with margin: the test's clock is read at whole seconds).
    let r = signed(edge, &valid, |s| s.timestamp = Some(ts(-360)));
    assert_err(&r, WINDOW, "stale");
    let r = signed(edge, &valid, |s| s.timestamp = Some(ts(360)));
    assert_err(&r, WINDOW, "ahead");
    let r = signed(edge, &valid, |s| s.secret = "guess".into());
    assert_err(&r, BAD_SIG, "wrong secret");
    let r = signed(edge, &valid, |s| s.signature = Some("0".repeat(32)));
    assert_err(&r, BAD_SIG, "forged signature");
    // Signed over another body than the one sent (e.g. re-serialized JSON).
    let r = signed(edge, &valid, |s| s.body = Some(format!("{valid} ")));
    assert_err(&r, BAD_SIG, "other body");
    let r = signed(edge, &valid, |s| s.access_key = "AKnobody".into());
    assert_err(&r, UNKNOWN_AK, "unknown access key");
    // The nonce of a refused request is not burnt; once used it is refused, whatever the body.
    let nonce = fresh_nonce();
    let r = signed(edge, &valid, |s| {
        s.nonce = nonce.clone();
        s.secret = "guess".into();
    });
    assert_err(&r, BAD_SIG, "guess with a nonce");
    let unknown = event(
        "app_start",
        "no-such-key",
        &json!({"launchTime": ts(0), "versionCode": 1}),
    );
    let r = signed(edge, &unknown.to_string(), |s| s.nonce = nonce.clone());
    assert_err(&r, NO_APP, "unknown appKey");
    let r = signed(edge, &valid, |s| s.nonce = nonce.clone());
    assert_err(&r, USED, "nonce used by a refused report");
    // Unknown or empty app keys.
    let empty = event(
        "app_start",
        "",
        &json!({"launchTime": ts(0), "versionCode": 1}),
    );
    assert_err(
        &signed(edge, &empty.to_string(), |_| {}),
        NO_APP,
        "empty appKey",
    );

    // Bodies.
    let not_set = |f: &'static str| (400, 400_002, f);
    let cases: Vec<(String, E)> = vec![
        ("{not json".into(), NOT_OBJECT),
        (String::new(), NOT_OBJECT),
        ("[1]".into(), NOT_OBJECT),
        (
            format!(
                r#"{{"appKey":"{APK_KEY}","timestamp":"{}","eventData":{{"versionCode":1}}}}"#,
                ts(0)
            ),
            not_set(r#"field "eventType" is not set"#),
        ),
        (
            format!(
                r#"{{"eventType":"app_start","timestamp":"{}","eventData":{{"versionCode":1}}}}"#,
                ts(0)
            ),
            not_set(r#"field "appKey" is not set"#),
        ),
        (
            format!(r#"{{"eventType":"x","appKey":"{APK_KEY}","eventData":{{"versionCode":1}}}}"#),
            not_set(r#"field "timestamp" is not set"#),
        ),
        (
            format!(
                r#"{{"eventType":"x","appKey":"{APK_KEY}","timestamp":"{}"}}"#,
                ts(0)
            ),
            not_set(r#"field "eventData" is not set"#),
        ),
        (
            format!(
                r#"{{"eventType":"x","appKey":"{APK_KEY}","timestamp":"{}","eventData":{{}}}}"#,
                ts(0)
            ),
            not_set(r#"field "eventData.versionCode" is not set"#),
        ),
        (
            format!(
                r#"{{"eventType":"x","appKey":"{APK_KEY}","timestamp":"{}","eventData":{{"versionCode":"110"}}}}"#,
                ts(0)
            ),
            (
                400,
                400_003,
                r#"type mismatch for field "eventData.versionCode""#,
            ),
        ),
        (
            format!(
                r#"{{"eventType":7,"appKey":"{APK_KEY}","timestamp":"{}","eventData":{{"versionCode":1}}}}"#,
                ts(0)
            ),
            (400, 400_003, r#"type mismatch for field "eventType""#),
        ),
        (
            format!(
                r#"{{"eventType":"x","appKey":"{APK_KEY}","timestamp":"yesterday","eventData":{{"versionCode":1}}}}"#
            ),
            BAD_TIMESTAMP,
        ),
        (
            format!(
                r#"{{"eventType":"x","appKey":"{APK_KEY}","timestamp":"2026-01-01 00:00:00","eventData":{{"versionCode":1}}}}"#
            ),
            BAD_TIMESTAMP,
        ),
        (
            format!(
                r#"{{"eventType":"app_start","appKey":"{APK_KEY}","timestamp":"{}","eventData":{{"versionCode":1}}}}"#,
                ts(0)
            ),
            BAD_LAUNCH,
        ),
        (
            format!(
                r#"{{"eventType":"app_start","appKey":"{APK_KEY}","timestamp":"{}","eventData":{{"versionCode":1,"launchTime":"1739759695"}}}}"#,
                ts(0)
            ),
            BAD_LAUNCH,
        ),
        (
            format!(
                r#"{{"eventType":"","appKey":"{APK_KEY}","timestamp":"{}","eventData":{{"versionCode":1}}}}"#,
                ts(0)
            ),
            (400, 400_003, "请求参数eventType格式错误"),
        ),
    ];
    for (body, want) in cases {
        assert_err(&signed(edge, &body, |_| {}), want, &body);
    }
    // Over the 16 KiB cap (declared or sent), whether or not the signature would match.
    let mut big = event(
        "app_start",
        APK_KEY,
        &json!({"launchTime": ts(0), "versionCode": 1}),
    );
    big["pad"] = json!("x".repeat(16 * 1024));
    let big = big.to_string();
    assert_err(&signed(edge, &big, |_| {}), TOO_LARGE, "too large");
}
