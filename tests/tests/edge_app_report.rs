//! Protocol D's signed event report `POST /v1/app/report` against the real worker under
//! `wrangler dev` with its local D1: launches, downloads, upgrades and unknown event types
//! counted per app, day, event, version code and code in `update_events` (repeats add up),
//! listed by the admin stats; and every rejection (headers, signature, replay, unknown key,
//! bodies) answered with D.3's envelope without writing anything.

use e2e_tests::signed::{E, Sig, assert_err, fresh_nonce, signed, ts, ts_plus8};
use e2e_tests::{Edge, today};
use serde_json::{Value, json};
const APK_KEY: &str = "mui2W50H1jOC4xD6PgQagA";
const CONFIG_KEY: &str = "q1hfB1VUQaK9VksTZGPU1Q";
const REPORT: &str = "/v1/app/report";
const ADMIN: &str = "demo-admin-token";

const WINDOW: E = (
    401,
    401_001,
    "Invalid X-Timestamp: timestamp is out of allowed window",
);
const BAD_SIG: E = (401, 401_002, "Signature Invalid");
/// An unknown access key answers exactly as a wrong signature (no existence oracle).
const UNKNOWN_AK: E = (401, 401_002, "Signature Invalid");
const USED: E = (401, 401_001, "Invalid X-Nonce: nonce already used");
const MISSING_TS: E = (400, 400_004, "Missing X-Timestamp header");
const NO_APP: E = (404, 404_001, "请求应用不存在");
const NOT_OBJECT: E = (400, 400_005, "Invalid request body: not a JSON object");
const TOO_LARGE: E = (400, 400_005, "Invalid request body: larger than 16 KiB");
const BAD_TIMESTAMP: E = (400, 400_003, "请求参数timestamp格式错误");
const BAD_LAUNCH: E = (400, 400_003, "请求参数launchTime格式错误");

/// Sends a validly signed report that must be accepted with exactly D.5's answer.
#[track_caller]
fn accepted(edge: &Edge, body: &Value) {
    let r = signed(edge, REPORT, &body.to_string(), |_| {});
    assert_eq!(r.status, 200, "{body}: {}\n{}", r.text, edge.log());
    let json_type = r.header("content-type").unwrap_or_default();
    assert!(json_type.starts_with("application/json"), "{json_type}");
    assert_eq!(r.json(), json!({"code": 0, "msg": "上报成功", "docs": ""}));
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

    // Refused reports are never sent to the queue: the exact rows below, counted once the
    // consumer has written the accepted ones, include none of them.
    rejections(&edge);

    // Launches of 1.1.0 (110), three times here (a fourth below), once with the SDKs' +08:00 local time and a
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
    // As the SDKs may send it: no timestamp (optional in their types), a launch without a
    // launchTime.
    let sdk = json!({"eventType": "app_start", "appKey": APK_KEY,
        "eventData": {"versionCode": 110}});
    accepted(&edge, &sdk);

    // A replay of an accepted report is refused and not counted again.
    let body = event("app_upgrade_upgrade", APK_KEY, &upgrade).to_string();
    let (nonce, stamp) = (fresh_nonce(), ts(0));
    let same = |s: &mut Sig| (s.nonce, s.timestamp) = (Some(nonce.clone()), Some(stamp.clone()));
    let r = signed(&edge, REPORT, &body, same);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_err(&signed(&edge, REPORT, &body, same), USED, "replay");
    let r = signed(&edge, REPORT, &body, |s| s.nonce = Some(nonce.clone()));
    assert_err(&r, USED, "nonce with a new timestamp");

    let android = "android-demo";
    let config = "remote-config";
    let counted = edge.eventually("the 12 accepted reports counted", || {
        let rows = rows(&edge);
        let total: i64 = rows.iter().filter_map(|r| r[5].as_i64()).sum();
        (total >= 12).then_some(rows)
    });
    assert_eq!(
        counted,
        [
            json!([android, day, "app_start", 110, 0, 4]),
            json!([android, day, "app_upgrade_download", 120, 0, 2]),
            json!([android, day, "app_upgrade_download", 120, 3, 1]),
            json!([android, day, "app_upgrade_upgrade", 120, 0, 2]),
            json!([android, day, "custom_event", 120, 7, 1]),
            json!([config, day, "app_start", 1, 0, 1]),
            json!([config, day, "app_upgrade_upgrade", 2, 0, 1]),
        ]
    );

    // The admin stats list them, most counted first.
    let stats = |app: &str, token: Option<&str>| edge.admin_stats(app, token);
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
            e("app_start", 110, 0, 4),
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
    let r = signed(edge, REPORT, &valid, |s| s.timestamp = None);
    assert_err(&r, MISSING_TS, "no timestamp");
    // Beyond ±300 s (with margin: the test's clock is read at whole seconds).
    let r = signed(edge, REPORT, &valid, |s| s.timestamp = Some(ts(-360)));
    assert_err(&r, WINDOW, "stale");
    let r = signed(edge, REPORT, &valid, |s| s.timestamp = Some(ts(360)));
    assert_err(&r, WINDOW, "ahead");
    let r = signed(edge, REPORT, &valid, |s| s.secret = "guess".into());
    assert_err(&r, BAD_SIG, "wrong secret");
    let r = signed(edge, REPORT, &valid, |s| {
        s.signature = Some(Some("0".repeat(32)))
    });
    assert_err(&r, BAD_SIG, "forged signature");
    // Signed over another body than the one sent (e.g. re-serialized JSON).
    let r = signed(edge, REPORT, &valid, |s| s.body = Some(format!("{valid} ")));
    assert_err(&r, BAD_SIG, "other body");
    let r = signed(edge, REPORT, &valid, |s| {
        s.access_key = Some("AKnobody".into())
    });
    assert_err(&r, UNKNOWN_AK, "unknown access key");
    // The nonce of a refused request is not burnt; once used it is refused, whatever the body.
    let nonce = fresh_nonce();
    let r = signed(edge, REPORT, &valid, |s| {
        s.nonce = Some(nonce.clone());
        s.secret = "guess".into();
    });
    assert_err(&r, BAD_SIG, "guess with a nonce");
    let unknown = event(
        "app_start",
        "no-such-key",
        &json!({"launchTime": ts(0), "versionCode": 1}),
    );
    let r = signed(edge, REPORT, &unknown.to_string(), |s| {
        s.nonce = Some(nonce.clone())
    });
    assert_err(&r, NO_APP, "unknown appKey");
    let r = signed(edge, REPORT, &valid, |s| s.nonce = Some(nonce.clone()));
    assert_err(&r, USED, "nonce used by a refused report");
    // Unknown or empty app keys.
    let empty = event(
        "app_start",
        "",
        &json!({"launchTime": ts(0), "versionCode": 1}),
    );
    assert_err(
        &signed(edge, REPORT, &empty.to_string(), |_| {}),
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
        assert_err(&signed(edge, REPORT, &body, |_| {}), want, &body);
    }
    // Over the 16 KiB cap (declared or sent), whether or not the signature would match.
    let mut big = event(
        "app_start",
        APK_KEY,
        &json!({"launchTime": ts(0), "versionCode": 1}),
    );
    big["pad"] = json!("x".repeat(16 * 1024));
    let big = big.to_string();
    assert_err(&signed(edge, REPORT, &big, |_| {}), TOO_LARGE, "too large");
}
