//! Protocol D (toolsetlink) against the real worker under `wrangler dev`, with real HTTP:
//! requests signed here with an independent MD5 of the D.1 string; the signed upgrade routes
//! (update, already latest, appointed versions, rollout, yanked, forced, wrong-kind keys);
//! every header and signature failure in order on every route; nonce replay; the body checks;
//! and the unsigned download redirects, followed to the example's bytes.

use e2e_tests::signed::{E, Sig, assert_err, fresh_nonce, md5_sig, signed, ts, ts_plus8};
use e2e_tests::{Edge, Reply, example_dir, unix_now};
use md5::{Digest, Md5};
use serde_json::{Value, json};
const CONFIG_KEY: &str = "q1hfB1VUQaK9VksTZGPU1Q";
const APK_KEY: &str = "mui2W50H1jOC4xD6PgQagA";
const CONFIG: &str = "/v1/configuration/upgrade";
const APK: &str = "/v1/apk/upgrade";
const URL: &str = "/v1/url/upgrade";
const FILE: &str = "/v1/file/upgrade";

/// A change to a signed request before it is sent.
type Tweak = fn(&mut Sig);
const MISSING_TS: E = (400, 400_004, "Missing X-Timestamp header");
const MISSING_NONCE: E = (400, 400_004, "Missing X-Nonce header");
const MISSING_AK: E = (400, 400_004, "Missing X-AccessKey header");
const MISSING_SIG: E = (400, 400_004, "Missing X-Signature header");
const BAD_TS: E = (400, 400_004, "Invalid X-Timestamp format");
const SHORT_NONCE: E = (400, 400_004, "Invalid X-Nonce header");
const WINDOW: E = (
    401,
    401_001,
    "Invalid X-Timestamp: timestamp is out of allowed window",
);
/// An unknown access key answers exactly as a wrong signature (no existence oracle).
const UNKNOWN_AK: E = (401, 401_002, "Signature Invalid");
const BAD_SIG: E = (401, 401_002, "Signature Invalid");
const USED: E = (401, 401_001, "Invalid X-Nonce: nonce already used");
const NOT_OBJECT: E = (400, 400_005, "Invalid request body: not a JSON object");
const TOO_LARGE: E = (400, 400_005, "Invalid request body: larger than 16 KiB");
const BAD_CODE: E = (400, 400_003, "请求参数versionCode格式错误");
const NO_VERSION: E = (404, 404_001, "未获取到可使用版本");
const NO_APK: E = (404, 404_001, "请求安卓应用不存在");

/// The JSON answer to a validly signed request, which must be HTTP 200.
fn ok(edge: &Edge, path: &str, body: &Value) -> Value {
    let r = signed(edge, path, &body.to_string(), |_| {});
    assert_eq!(r.status, 200, "{path} {body}: {}\n{}", r.text, edge.log());
    r.json()
}

/// The `code` of a 200 answer (200 update, 0 already latest).
fn code_200(r: &Reply) -> Value {
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["code"].clone()
}

fn update(data: Value) -> Value {
    json!({"code": 200, "msg": "获取到新版本", "docs": "", "data": data})
}

fn latest(data: Value) -> Value {
    json!({"code": 0, "msg": "已经是最新版本", "docs": "", "data": data})
}

/// The rollout cohort of `device` for a release (docs/protocols.md): sha256 of
/// `release_id \n device`, first 8 bytes big-endian, modulo 100.
fn cohort(release_id: &str, device: &str) -> u64 {
    let d = sha2::Sha256::digest(format!("{release_id}\n{device}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    u64::from_be_bytes(first) % 100
}

fn example_file(name: &str) -> Vec<u8> {
    std::fs::read(example_dir().join("releases/android-demo/files").join(name)).expect("file")
}

/// The bytes of an absolute URL on the worker.
fn fetch_bytes(edge: &Edge, url: &str) -> Vec<u8> {
    assert!(url.starts_with(&edge.base), "not on the worker: {url}");
    let r = ureq::get(url)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut r.into_reader(), &mut bytes).expect("read body");
    bytes
}

#[test]
fn signer_matches_the_spec_vectors() {
    let body = r#"{"configurationKey":"k","versionCode":1}"#;
    let (nonce, ts, url) = ("0123456789abcdef", "2025-02-17T10:34:55+08:00", CONFIG);
    let vector = "b92f76544cd580eb8da069a329072aa5";
    assert_eq!(md5_sig(Some(body), nonce, "s3cr3t", ts, url), vector);
    let vector = "5778b53f54f5e84734ae901117968a29";
    assert_eq!(md5_sig(None, nonce, "s3cr3t", ts, url), vector);
}

#[test]
fn toolsetlink_protocol_end_to_end() {
    let edge = Edge::start();
    configuration_upgrades(&edge);
    apk_upgrades(&edge);
    wrong_kind_and_unknown_keys(&edge);
    headers_and_signature(&edge);
    replay(&edge);
    bodies(&edge);
    downloads(&edge);
}

fn configuration_upgrades(edge: &Edge) {
    let v2 = json!({"configurationKey": CONFIG_KEY, "versionName": "v2", "versionCode": 2,
        "upgradeType": 1, "promptUpgradeContent": "Содержимое подсказки",
        "content": {"test": 1, "features": {"dark_mode": true},
                    "servers": ["a.example.com", "b.example.com"]}});
    let zero = latest(
        json!({"configurationKey": "", "versionName": "", "versionCode": 0,
        "upgradeType": 0, "promptUpgradeContent": "", "content": null}),
    );
    let body = |code: i64, appoint: i64| json!({"configurationKey": CONFIG_KEY, "versionCode": code, "appointVersionCode": appoint});
    // Compact JSON as the SDKs send it, without appointVersionCode.
    let r = signed(
        edge,
        CONFIG,
        &format!(r#"{{"configurationKey":"{CONFIG_KEY}","versionCode":1}}"#),
        |_| {},
    );
    assert_eq!(r.status, 200, "{}\n{}", r.text, edge.log());
    let json_type = r.header("content-type").unwrap_or_default();
    assert!(json_type.starts_with("application/json"), "{json_type}");
    assert_eq!(r.json(), update(v2.clone()));
    assert_eq!(ok(edge, CONFIG, &body(2, 0)), zero);
    assert_eq!(ok(edge, CONFIG, &body(7, 0)), zero);
    // appointVersionCode: exactly that version, else already latest (no fallback); ≤ 0 newest.
    assert_eq!(ok(edge, CONFIG, &body(1, 2)), update(v2.clone()));
    assert_eq!(ok(edge, CONFIG, &body(1, -1)), update(v2));
    assert_eq!(ok(edge, CONFIG, &body(1, 3)), zero);
    assert_eq!(ok(edge, CONFIG, &body(2, 2)), zero);
    // A negative code passes (as upstream), and v1 can be appointed: no prompt, no notes.
    assert_eq!(
        ok(edge, CONFIG, &body(-5, 1)),
        update(
            json!({"configurationKey": CONFIG_KEY, "versionName": "v1", "versionCode": 1,
            "upgradeType": 1, "promptUpgradeContent": "", "content": {"test": 0}})
        )
    );
}

fn apk_upgrades(edge: &Edge) {
    let apk = |code: i64, appoint: i64, dev: Option<&str>| {
        let mut b = json!({"apkKey": APK_KEY, "versionCode": code, "appointVersionCode": appoint,
                           "devModelKey": "Pixel 8"});
        if let Some(d) = dev {
            b["devKey"] = json!(d);
        }
        ok(edge, APK, &b)
    };
    let zero = latest(json!({"apkKey": "", "packageName": "", "versionName": "",
        "versionCode": 0, "urlPath": "", "urlFileSize": 0, "urlFileMd5": "", "upgradeType": 0,
        "promptUpgradeContent": ""}));
    // A device inside 1.4.0's 25 % rollout and one outside, found independently.
    let devices: Vec<String> = (0..200).map(|i| format!("device-{i}")).collect();
    let in_1_4 = |d: &&String| cohort("android-demo/stable/1.4.0", d) < 25;
    let inside = devices.iter().find(in_1_4).map(String::as_str);
    let outside = devices.iter().find(|d| !in_1_4(d)).map(String::as_str);
    assert!(inside.is_some() && outside.is_some());

    // From 1.1.0 (110, the minimum) without a device: 1.2.0 with its arm64 file's silent
    // override, the hosted file made absolute, its size and md5; the URL gives the file.
    let v = apk(110, 0, None);
    let url = v["data"]["urlPath"].as_str().unwrap_or_default().to_owned();
    let file = example_file("demo-1.2.0-arm64-v8a.apk");
    let v120 = |upgrade_type: u8| {
        update(json!({"apkKey": APK_KEY, "packageName": "com.example.demo",
            "versionName": "1.2.0", "versionCode": 120, "urlPath": url,
            "urlFileSize": file.len(), "urlFileMd5": hex::encode(Md5::digest(&file)),
            "upgradeType": upgrade_type,
            "promptUpgradeContent": "- New settings screen\n- Faster start-up"}))
    };
    assert_eq!(v, v120(2));
    let prefix = format!("{}/artifacts/android-demo/1.2.0/", edge.base);
    assert!(
        url.starts_with(&prefix) && url.ends_with("demo-1.2.0-arm64-v8a.apk"),
        "{url}"
    );
    assert_eq!(fetch_bytes(edge, &url), file);
    // Below the minimum version (1.1.0 = 110): forced (3), whatever the release says.
    assert_eq!(apk(100, 0, None), v120(3));
    assert_eq!(apk(109, 0, None), v120(3));
    // 1.1.0 appointed from 1.0.0: its own prompt text, forced, its arm64 file.
    let v = apk(100, 110, None);
    let d = &v["data"];
    let got = (
        &v["code"],
        &d["versionCode"],
        &d["upgradeType"],
        &d["promptUpgradeContent"],
    );
    let prompt = json!("A security fix: please update now.");
    assert_eq!(got, (&json!(200), &json!(110), &json!(3), &prompt), "{v}");
    let url110 = d["urlPath"].as_str().unwrap_or_default();
    assert_eq!(
        fetch_bytes(edge, url110),
        example_file("demo-1.1.0-arm64-v8a.apk")
    );
    // Nothing newer is offered: 1.3.0 yanked, 1.4.0 staged (no device), 1.5.0 a draft.
    assert_eq!(apk(120, 0, None), zero);
    assert_eq!(apk(150, 0, None), zero);
    // Yanked is never offered: not appointed, not to a device inside every rollout, not
    // skipped to from below.
    assert_eq!(apk(120, 130, inside), zero);
    assert_eq!(apk(120, 0, outside), zero);
    assert_eq!(apk(100, 0, outside), v120(3));
    // The staged 1.4.0, to the device inside only: an external file with its declared fields.
    let v140 = |upgrade_type: u8| {
        update(json!({"apkKey": APK_KEY, "packageName": "com.example.demo",
            "versionName": "1.4.0", "versionCode": 140,
            "urlPath": "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk",
            "urlFileSize": 123_456, "urlFileMd5": "0123456789abcdef0123456789abcdef",
            "upgradeType": upgrade_type, "promptUpgradeContent": "Staged: new sync engine"}))
    };
    assert_eq!(apk(120, 0, inside), v140(1));
    assert_eq!(apk(100, 0, inside), v140(3));
    assert_eq!(apk(120, 140, outside), zero);
    // The draft 1.5.0 is not offered, even appointed.
    assert_eq!(apk(140, 0, inside), zero);
    assert_eq!(apk(140, 150, inside), zero);
}

fn wrong_kind_and_unknown_keys(edge: &Edge) {
    let url = (404, 404_001, "请求url应用不存在");
    let file = (404, 404_001, "请求file应用不存在");
    let config = (404, 404_001, "请求configuration应用不存在");
    for (path, field, key, want) in [
        (URL, "urlKey", APK_KEY, url),
        (URL, "urlKey", CONFIG_KEY, url),
        (FILE, "fileKey", APK_KEY, file),
        (FILE, "fileKey", CONFIG_KEY, file),
        (APK, "apkKey", CONFIG_KEY, NO_APK),
        (APK, "apkKey", "nope", NO_APK),
        (CONFIG, "configurationKey", APK_KEY, config),
    ] {
        let body = json!({field: key, "versionCode": 1}).to_string();
        assert_err(&signed(edge, path, &body, |_| {}), want, &body);
    }
    // No `/v1/app/upgrade` upstream, and nothing aliases it.
    let r = signed(
        edge,
        "/v1/app/upgrade",
        r#"{"appKey":"x","versionCode":1}"#,
        |_| {},
    );
    assert_eq!(r.status, 404, "{}", r.text);
}

fn headers_and_signature(edge: &Edge) {
    let cases: [(&str, Tweak, E); 25] = [
        // Presence, in order: each one alone, then with everything after it missing too.
        ("no headers", |s| s.drop_from(0), MISSING_TS),
        ("no timestamp", |s| s.timestamp = None, MISSING_TS),
        (
            "empty timestamp",
            |s| s.timestamp = Some(String::new()),
            MISSING_TS,
        ),
        ("no nonce", |s| s.nonce = None, MISSING_NONCE),
        (
            "no nonce, key, signature",
            |s| s.drop_from(1),
            MISSING_NONCE,
        ),
        ("no access key", |s| s.access_key = None, MISSING_AK),
        ("no key, signature", |s| s.drop_from(2), MISSING_AK),
        ("no signature", |s| s.drop_from(3), MISSING_SIG),
        (
            "empty signature",
            |s| s.signature = Some(Some(String::new())),
            MISSING_SIG,
        ),
        // Shapes.
        (
            "15-char nonce",
            |s| s.nonce = Some("0123456789abcde".into()),
            SHORT_NONCE,
        ),
        (
            "space for T",
            |s| s.timestamp = Some(ts(0).replace('T', " ")),
            BAD_TS,
        ),
        (
            "lower-case z",
            |s| s.timestamp = Some(ts(0).replace('Z', "z")),
            BAD_TS,
        ),
        (
            "unix seconds",
            |s| s.timestamp = Some(unix_now().to_string()),
            BAD_TS,
        ),
        // The window, validly signed otherwise; checked before the nonce's presence.
        ("stale -6 min", |s| s.timestamp = Some(ts(-360)), WINDOW),
        ("future +6 min", |s| s.timestamp = Some(ts(360)), WINDOW),
        // -300 s to the second is more than 300 s old by the time it arrives.
        ("-300 s", |s| s.timestamp = Some(ts(-300)), WINDOW),
        (
            "stale, no nonce",
            |s| (s.timestamp, s.nonce) = (Some(ts(-360)), None),
            WINDOW,
        ),
        // Credentials and signature.
        (
            "unknown access key",
            |s| s.access_key = Some("AKnobody".into()),
            UNKNOWN_AK,
        ),
        (
            "wrong secret",
            |s| s.secret = "not-the-secret".into(),
            BAD_SIG,
        ),
        (
            "zero signature",
            |s| s.signature = Some(Some("0".repeat(32))),
            BAD_SIG,
        ),
        (
            "signed another body",
            |s| s.body = Some("{}".into()),
            BAD_SIG,
        ),
        ("body left out of the string", |s| s.body = None, BAD_SIG),
        (
            "signed another route",
            |s| s.url = "/v1/other/upgrade".into(),
            BAD_SIG,
        ),
        // The upstream back door is not there.
        (
            "test: test, no headers",
            |s| {
                s.drop_from(0);
                s.extra.push(("test", "test".into()));
            },
            MISSING_TS,
        ),
        (
            "test: test, bad signature",
            |s| {
                s.signature = Some(Some("0".repeat(32)));
                s.extra.push(("test", "test".into()));
            },
            BAD_SIG,
        ),
    ];
    for (path, field, key) in [
        (CONFIG, "configurationKey", CONFIG_KEY),
        (APK, "apkKey", APK_KEY),
        (URL, "urlKey", APK_KEY),
        (FILE, "fileKey", APK_KEY),
    ] {
        let body = json!({field: key, "versionCode": 1}).to_string();
        for (name, tweak, want) in &cases {
            assert_err(
                &signed(edge, path, &body, tweak),
                *want,
                &format!("{path}: {name}"),
            );
        }
        // A validly signed request to the same route passes authentication.
        let r = signed(edge, path, &body, |_| {});
        assert!(matches!(r.status, 200 | 404), "{path}: {}", r.text);
    }
    // Accepted: `+08:00` and fractional timestamps, 4 min and 300 s off, an uppercase-hex
    // signature, a 16-character nonce.
    let body = json!({"configurationKey": CONFIG_KEY, "versionCode": 2}).to_string();
    let accepted: [(&str, Tweak); 7] = [
        ("+08:00", |s| s.timestamp = Some(ts_plus8())),
        ("fraction", |s| {
            s.timestamp = Some(ts(0).replace('Z', ".250Z"))
        }),
        ("-4 min", |s| s.timestamp = Some(ts(-240))),
        ("+4 min", |s| s.timestamp = Some(ts(240))),
        ("+300 s", |s| s.timestamp = Some(ts(300))),
        ("16-char nonce", |s| {
            s.nonce = Some(fresh_nonce()[2..].to_owned())
        }),
        ("uppercase hex", |s| {
            s.signature = Some(Some(s.sig().to_ascii_uppercase()))
        }),
    ];
    for (name, tweak) in accepted {
        assert_eq!(code_200(&signed(edge, CONFIG, &body, tweak)), 0, "{name}");
    }
    // The query string is part of the signed url, decoded as Go's QueryUnescape (`+` is a
    // space); trailing `&` are trimmed from the string; a bad escape never matches.
    let path = format!("{CONFIG}?src=a%2Fb+c&n=1");
    let decoded = format!("{CONFIG}?src=a/b c&n=1");
    assert_eq!(
        code_200(&signed(edge, &path, &body, |s| s.url = decoded)),
        0
    );
    let r = signed(edge, &path, &body, |s| s.url = CONFIG.into());
    assert_err(&r, BAD_SIG, "query left out");
    assert_err(
        &signed(edge, &path, &body, |_| {}),
        BAD_SIG,
        "query not decoded",
    );
    let r = signed(edge, &format!("{CONFIG}?n=1&"), &body, |s| {
        s.url = format!("{CONFIG}?n=1")
    });
    assert_eq!(code_200(&r), 0);
    let r = signed(edge, &format!("{CONFIG}?x=%zz"), &body, |_| {});
    assert_err(&r, BAD_SIG, "bad escape");
}

fn replay(edge: &Edge) {
    let body = json!({"configurationKey": CONFIG_KEY, "versionCode": 1}).to_string();
    let (nonce, stamp) = (fresh_nonce(), ts(0));
    let same = |s: &mut Sig| (s.nonce, s.timestamp) = (Some(nonce.clone()), Some(stamp.clone()));
    // A wrongly signed attempt with the nonce does not burn it.
    let r = signed(edge, CONFIG, &body, |s| {
        same(s);
        s.secret = "guess".into();
    });
    assert_err(&r, BAD_SIG, "guess");
    assert_eq!(code_200(&signed(edge, CONFIG, &body, same)), 200);
    // The same request again; the nonce with another body and timestamp; on another route.
    assert_err(&signed(edge, CONFIG, &body, same), USED, "replay");
    let other = json!({"configurationKey": CONFIG_KEY, "versionCode": 2}).to_string();
    let r = signed(edge, CONFIG, &other, |s| s.nonce = Some(nonce.clone()));
    assert_err(&r, USED, "other body");
    let apk = json!({"apkKey": APK_KEY, "versionCode": 100}).to_string();
    let r = signed(edge, APK, &apk, |s| s.nonce = Some(nonce.clone()));
    assert_err(&r, USED, "other route");
    // A validly signed request that fails on its body still uses its nonce.
    let n2 = fresh_nonce();
    let r = signed(edge, CONFIG, "{}", |s| s.nonce = Some(n2.clone()));
    assert_err(
        &r,
        (400, 400_002, "field \"configurationKey\" is not set"),
        "{}",
    );
    assert_err(
        &signed(edge, CONFIG, &body, |s| s.nonce = Some(n2)),
        USED,
        "after 400",
    );
    // A fresh nonce still works.
    assert_eq!(code_200(&signed(edge, CONFIG, &body, |_| {})), 200);
}

fn bodies(edge: &Edge) {
    // An empty body signed without `body=` (SDKs) or with `body=&` (upstream's server) passes
    // the signature and fails as a body; signed as anything else, it fails the signature.
    assert_err(
        &signed(edge, CONFIG, "", |_| {}),
        NOT_OBJECT,
        "empty, no body=",
    );
    let r = signed(edge, CONFIG, "", |s| s.body = Some(String::new()));
    assert_err(&r, NOT_OBJECT, "empty, body=&");
    let r = signed(edge, CONFIG, "", |s| s.body = Some("{}".into()));
    assert_err(&r, BAD_SIG, "empty, signed as {}");
    let not_set_vc = (400, 400_002, "field \"versionCode\" is not set");
    let mismatch_vc = (400, 400_003, "type mismatch for field \"versionCode\"");
    let empty_key = (400, 400_003, "请求参数configurationKey不能为空");
    // `$K`: the configuration key, `$A`: the apk key.
    for (path, body, want) in [
        (CONFIG, "{not json", NOT_OBJECT),
        (CONFIG, "[1,2]", NOT_OBJECT),
        (CONFIG, "null", NOT_OBJECT),
        (
            CONFIG,
            "\u{feff}{\"configurationKey\":\"$K\",\"versionCode\":1}",
            NOT_OBJECT,
        ),
        (CONFIG, r#"{"configurationKey":"$K"}"#, not_set_vc),
        (
            CONFIG,
            r#"{"configurationKey":"$K","versionCode":null}"#,
            not_set_vc,
        ),
        (URL, r#"{"urlKey":"x"}"#, not_set_vc),
        (
            CONFIG,
            r#"{"versionCode":1}"#,
            (400, 400_002, "field \"configurationKey\" is not set"),
        ),
        (
            APK,
            r#"{"configurationKey":"$K","versionCode":1}"#,
            (400, 400_002, "field \"apkKey\" is not set"),
        ),
        (
            CONFIG,
            r#"{"configurationKey":"$K","versionCode":0}"#,
            BAD_CODE,
        ),
        (APK, r#"{"apkKey":"$A","versionCode":0}"#, BAD_CODE),
        // versionCode is optional on /v1/file/upgrade upstream: absent reads as 0.
        (FILE, r#"{"fileKey":"x"}"#, BAD_CODE),
        (
            CONFIG,
            r#"{"configurationKey":"$K","versionCode":"1"}"#,
            mismatch_vc,
        ),
        (
            CONFIG,
            r#"{"configurationKey":"$K","versionCode":1.5}"#,
            mismatch_vc,
        ),
        (
            CONFIG,
            r#"{"configurationKey":"$K","versionCode":99999999999999999999}"#,
            mismatch_vc,
        ),
        (
            CONFIG,
            r#"{"configurationKey":1,"versionCode":1}"#,
            (400, 400_003, "type mismatch for field \"configurationKey\""),
        ),
        (
            CONFIG,
            r#"{"configurationKey":"$K","versionCode":1,"appointVersionCode":"2"}"#,
            (
                400,
                400_003,
                "type mismatch for field \"appointVersionCode\"",
            ),
        ),
        (
            CONFIG,
            r#"{"configurationKey":"$K","versionCode":1,"devModelKey":7}"#,
            (400, 400_003, "type mismatch for field \"devModelKey\""),
        ),
        (
            APK,
            r#"{"apkKey":"$A","versionCode":1,"devKey":[]}"#,
            (400, 400_003, "type mismatch for field \"devKey\""),
        ),
        (
            CONFIG,
            r#"{"configurationKey":"","versionCode":1}"#,
            empty_key,
        ),
        (
            APK,
            r#"{"apkKey":"","versionCode":1}"#,
            (400, 400_003, "请求参数apkKey不能为空"),
        ),
        // Types first, in field order; then the empty key; then the zero code.
        (
            CONFIG,
            r#"{"configurationKey":"","versionCode":"x"}"#,
            mismatch_vc,
        ),
        (
            CONFIG,
            r#"{"configurationKey":"","versionCode":0}"#,
            empty_key,
        ),
    ] {
        let body = body.replace("$K", CONFIG_KEY).replace("$A", APK_KEY);
        assert_err(
            &signed(edge, path, &body, |_| {}),
            want,
            &format!("{path} {body}"),
        );
    }
    // The 16 KiB cap: one byte over is refused, exactly 16 KiB passes (unknown fields ignored).
    let sized = |n: usize| {
        let empty = json!({"configurationKey": CONFIG_KEY, "versionCode": 2, "pad": ""});
        let pad = "x".repeat(n - empty.to_string().len());
        json!({"configurationKey": CONFIG_KEY, "versionCode": 2, "pad": pad}).to_string()
    };
    let body = sized(16 * 1024 + 1);
    assert_err(
        &signed(edge, CONFIG, &body, |_| {}),
        TOO_LARGE,
        "16 KiB + 1",
    );
    assert_err(
        &signed(edge, CONFIG, &sized(40_000), |_| {}),
        TOO_LARGE,
        "40 kB",
    );
    let body = sized(16 * 1024);
    assert_eq!(body.len(), 16 * 1024);
    assert_eq!(code_200(&signed(edge, CONFIG, &body, |_| {})), 0);
}

fn downloads(edge: &Edge) {
    let get = |q: &str| edge.send("GET", &format!("/v1/apk/download?{q}"), &[], None);
    let location = |q: &str| {
        let r = get(&q.replace("$A", APK_KEY));
        assert_eq!(r.status, 302, "{q}: {}", r.text);
        r.header("location").unwrap_or_default().to_owned()
    };
    let artifacts = format!("{}/artifacts/android-demo/", edge.base);
    // The newest fully rolled-out release with a file: 1.2.0 (1.3.0 yanked, 1.4.0 staged).
    let l = location("apkKey=$A");
    assert!(l.starts_with(&format!("{artifacts}1.2.0/")), "{l}");
    assert_eq!(
        fetch_bytes(edge, &l),
        example_file("demo-1.2.0-arm64-v8a.apk")
    );
    assert_eq!(location("apkKey=$A&versionCode=0"), l);
    assert_eq!(location("apkKey=$A&versionId=-1"), l);
    // HEAD is answered as GET, without a body.
    let head = edge.send(
        "HEAD",
        &format!("/v1/apk/download?apkKey={APK_KEY}"),
        &[],
        None,
    );
    assert_eq!(
        (head.status, head.header("location")),
        (302, Some(l.as_str()))
    );
    // A named version.
    let l = location("apkKey=$A&versionCode=110");
    assert!(l.starts_with(&format!("{artifacts}1.1.0/")), "{l}");
    assert_eq!(
        fetch_bytes(edge, &l),
        example_file("demo-1.1.0-arm64-v8a.apk")
    );
    let l100 = location("apkKey=$A&versionCode=100");
    assert_eq!(
        fetch_bytes(edge, &l100),
        example_file("demo-1.0.0-arm64-v8a.apk")
    );
    // versionId (the Zealot id: 1.0.0 is 1) wins over versionCode.
    assert_eq!(location("apkKey=$A&versionCode=110&versionId=1"), l100);
    // A named staged release is served; its file is external.
    let external = "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk";
    assert_eq!(location("apkKey=$A&versionCode=140"), external);
    assert_eq!(location("apkKey=$A&versionId=5"), external);
    for (q, want) in [
        // Yanked (by code and by id), draft, unknown.
        ("apkKey=$A&versionCode=130", NO_VERSION),
        ("apkKey=$A&versionId=4", NO_VERSION),
        ("apkKey=$A&versionCode=150", NO_VERSION),
        ("apkKey=$A&versionCode=999", NO_VERSION),
        ("apkKey=nope", NO_APK),
        ("apkKey=$K", NO_APK),
        ("", (400, 400_002, "field \"apkKey\" is not set")),
        (
            "versionCode=110",
            (400, 400_002, "field \"apkKey\" is not set"),
        ),
        ("apkKey=", (400, 400_003, "请求参数apkKey不能为空")),
        (
            "apkKey=$A&versionCode=abc",
            (400, 400_003, "type mismatch for field \"versionCode\""),
        ),
        ("apkKey=$A&versionCode=-1", BAD_CODE),
    ] {
        let q = q.replace("$A", APK_KEY).replace("$K", CONFIG_KEY);
        assert_err(&get(&q), want, &q);
    }
    // The other kinds' redirects do not know an apk key.
    let r = edge.send(
        "GET",
        &format!("/v1/url/download?urlKey={APK_KEY}"),
        &[],
        None,
    );
    assert_err(&r, (404, 404_001, "请求url应用不存在"), "url");
    let r = edge.send(
        "GET",
        &format!("/v1/file/download?fileKey={APK_KEY}"),
        &[],
        None,
    );
    assert_err(&r, (404, 404_001, "请求file应用不存在"), "file");
}

/// Each nonce is claimed in one Durable Object, which handles one claim at a time: of parallel
/// identical requests exactly one passes (`edge_nonces.rs` runs a thousand of these).
#[test]
fn concurrent_replays_are_refused() {
    let edge = Edge::start();
    let body = json!({"configurationKey": CONFIG_KEY, "versionCode": 1}).to_string();
    for _ in 0..5 {
        let (nonce, stamp) = (fresh_nonce(), ts(0));
        let passed = std::thread::scope(|scope| {
            let send = || {
                let r = signed(&edge, CONFIG, &body, |s| {
                    (s.nonce, s.timestamp) = (Some(nonce.clone()), Some(stamp.clone()));
                });
                r.status == 200
            };
            let threads: Vec<_> = (0..6).map(|_| scope.spawn(send)).collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("thread"))
                .filter(|&ok| ok)
                .count()
        });
        assert_eq!(passed, 1, "one nonce, six concurrent uses");
    }
}
