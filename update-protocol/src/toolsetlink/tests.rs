use super::*;
use crate::digest::to_hex;
use crate::index::ToolsetlinkRef;
use crate::keys::EdgeSecrets;
use md5::{Digest, Md5};
use serde::Serialize;
use serde_json::json;

const BODY: &[u8] = br#"{"configurationKey":"k","versionCode":1}"#;
const NONCE: &str = "0123456789abcdef";
const TS: &str = "2025-02-17T10:34:55+08:00";
const ORIGIN: &str = "https://u.example";

/// [`super::upgrade`] with the links of `origin` and a key.
fn upgrade(app: &EdgeApp, endpoint: Endpoint, req: &UpgradeRequest, origin: &str) -> Answer {
    let now = ts("2026-06-01T00:00:00Z");
    let links = Links::new(origin, crate::links::Protocol::Toolsetlink, Some("k"), now);
    super::upgrade(app, endpoint, req, &links).expect("answer")
}

/// [`super::download_target`] with the public links of `origin`, as the route has.
fn download_target(app: &EdgeApp, req: &DownloadRequest, origin: &str) -> Result<String, Error> {
    let links = Links::public_only(origin);
    super::download_target(app, req, &links)
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("timestamp")
}

fn headers(signature: &str) -> SignedHeaders<'_> {
    SignedHeaders {
        timestamp: TS,
        nonce: NONCE,
        access_key: "ak",
        signature,
    }
}

/// `_edge/apps/remote-config.json` of the example's build (`fixtures/edge/`, kept equal to
/// the build by `generator/tests/edge_fixtures.rs`).
pub(crate) const REMOTE_CONFIG: &str = include_str!("../../fixtures/edge/apps/remote-config.json");

/// Releases of the example's `android-demo`, newest first: (version, code, state, rollout,
/// upgrade, prompt, primary artifacts as (arch, url, md5, upgrade override)).
type Rel<'a> = (
    &'a str,
    i64,
    &'a str,
    u8,
    &'a str,
    Option<&'a str>,
    &'a [(&'a str, &'a str, Option<&'a str>, Option<&'a str>)],
);

fn android(releases: &[Rel<'_>]) -> EdgeApp {
    let n = releases.len();
    let releases: Vec<_> = releases
        .iter()
        .enumerate()
        .map(|(i, (v, code, state, rollout, upgrade, prompt, files))| {
            json!({
                "version": v, "version_code": code, "channel": "stable",
                "published_at": "2026-01-01T00:00:00Z", "state": state, "rollout": rollout,
                "upgrade": upgrade, "notes": format!("notes {v}"), "prompt": prompt,
                "release_id": format!("android-demo/stable/{v}"),
                "zealot_id": n - i, "zealot_version": n - i,
                "artifacts": files.iter().map(|(arch, url, md5, up)| json!({
                    "id": format!("{v}-{arch}"), "arch": arch, "role": "primary",
                    "name": format!("demo-{v}-{arch}.apk"), "size": 43, "sha256": "00".repeat(32),
                    "md5": md5, "url": url, "upgrade": up,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::from_value(json!({
        "schema_version": 1,
        "app": {
            "id": "android-demo", "name": "Demo for Android", "platform": "android",
            "bundle_id": "com.example.demo", "versioning": "semver",
            "policy": { "min_version": "1.1.0" },
            "architectures": [
                { "key": "arm64-v8a", "name": "ARM64", "default": true },
                { "key": "armeabi-v7a", "name": "ARMv7", "order": 1 }
            ],
            "channels": [{ "key": "stable", "name": "Android", "default": true }],
            "protocols": { "toolsetlink": { "apk_key": "mui2W50H1jOC4xD6PgQagA" } }
        },
        "default_channel": "stable", "default_arch": "arm64-v8a", "releases": releases,
    }))
    .expect("fixture")
}

/// The example's android-demo: 1.4.0 staged at 25 % with an external file, 1.3.0 yanked,
/// 1.2.0 silent on arm64, 1.1.0 force with a prompt, 1.0.0.
pub(super) fn demo() -> EdgeApp {
    android(&[
        (
            "1.4.0",
            140,
            "ready",
            25,
            "prompt",
            None,
            &[(
                "arm64-v8a",
                "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk",
                Some("0123456789abcdef0123456789abcdef"),
                None,
            )],
        ),
        (
            "1.3.0",
            130,
            "yanked",
            100,
            "prompt",
            None,
            &[(
                "arm64-v8a",
                "/artifacts/android-demo/1.3.0/x.apk",
                None,
                None,
            )],
        ),
        (
            "1.2.0",
            120,
            "ready",
            100,
            "prompt",
            None,
            &[(
                "arm64-v8a",
                "/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk",
                Some("8e3d6b065f93ba0d7b6210ab3f7801ff"),
                Some("silent"),
            )],
        ),
        (
            "1.1.0",
            110,
            "ready",
            100,
            "force",
            Some("A security fix: please update now."),
            &[
                (
                    "armeabi-v7a",
                    "/artifacts/android-demo/1.1.0/v7.apk",
                    None,
                    None,
                ),
                (
                    "arm64-v8a",
                    "/artifacts/android-demo/1.1.0/arm64.apk",
                    None,
                    None,
                ),
            ],
        ),
        (
            "1.0.0",
            100,
            "ready",
            100,
            "prompt",
            None,
            &[(
                "arm64-v8a",
                "/artifacts/android-demo/1.0.0/arm64.apk",
                None,
                None,
            )],
        ),
    ])
}

fn req(key: &str, code: i64, appoint: i64, dev: Option<&str>) -> UpgradeRequest {
    UpgradeRequest {
        key: key.into(),
        version_code: code,
        appoint_version_code: appoint,
        dev_model_key: None,
        dev_key: dev.map(str::to_owned),
        cpu: None,
    }
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("serializes")
}

#[test]
fn signature_test_vectors() {
    let url = "/v1/configuration/upgrade";
    assert_eq!(
        signature(BODY, NONCE, "s3cr3t", TS, url),
        "b92f76544cd580eb8da069a329072aa5"
    );
    assert_eq!(
        signature(b"", NONCE, "s3cr3t", TS, url),
        "5778b53f54f5e84734ae901117968a29"
    );
}

#[test]
fn verifies_in_any_case_and_both_empty_body_forms() {
    let uri = "/v1/configuration/upgrade";
    let good = "b92f76544cd580eb8da069a329072aa5";
    assert_eq!(
        verify_signature(&headers(good), "s3cr3t", BODY, uri),
        Ok(())
    );
    let upper = good.to_ascii_uppercase();
    assert_eq!(
        verify_signature(&headers(&upper), "s3cr3t", BODY, uri),
        Ok(())
    );
    let bad = "b92f76544cd580eb8da069a329072aa6";
    assert_eq!(
        verify_signature(&headers(bad), "s3cr3t", BODY, uri),
        Err(Error::SignatureInvalid)
    );
    assert_eq!(
        verify_signature(&headers(good), "other", BODY, uri),
        Err(Error::SignatureInvalid)
    );
    // Empty body: the SDKs' form (no `body=`) and the server's (`body=&`).
    let sdk = "5778b53f54f5e84734ae901117968a29";
    assert_eq!(verify_signature(&headers(sdk), "s3cr3t", b"", uri), Ok(()));
    let server = to_hex(&Md5::digest(
        format!("body=&nonce={NONCE}&secretKey=s3cr3t&timestamp={TS}&url={uri}").as_bytes(),
    ));
    assert_ne!(server, sdk);
    assert_eq!(
        verify_signature(&headers(&server), "s3cr3t", b"", uri),
        Ok(())
    );
    // A non-empty body is never signed as empty.
    assert_eq!(
        verify_signature(&headers(sdk), "s3cr3t", b" ", uri),
        Err(Error::SignatureInvalid)
    );
}

#[test]
fn signs_the_decoded_path_and_query() {
    assert_eq!(
        query_unescape("/a%2Fb+c%e4%B8%AD?x=1").as_deref(),
        Some("/a/b c中?x=1".as_bytes())
    );
    assert_eq!(query_unescape("100%"), None);
    assert_eq!(query_unescape("%4"), None);
    assert_eq!(query_unescape("%zz"), None);
    assert_eq!(query_unescape("%ff").as_deref(), Some(&[0xff_u8][..]));
    let decoded = "/v1/url/upgrade?name=a b/中";
    let sig = signature(BODY, NONCE, "s", TS, decoded);
    let raw = "/v1/url/upgrade?name=a+b%2F%E4%B8%AD";
    assert_eq!(verify_signature(&headers(&sig), "s", BODY, raw), Ok(()));
    assert_eq!(
        verify_signature(
            &headers(&sig),
            "s",
            BODY,
            "/v1/url/upgrade?name=a+b%2F%E4%B8%A"
        ),
        Err(Error::SignatureInvalid),
        "an invalid escape never matches"
    );
    // Upstream trims trailing `&` from the joined string, so from the url.
    let plain = signature(BODY, NONCE, "s", TS, "/v1/url/upgrade?a=1");
    assert_eq!(
        plain,
        signature(BODY, NONCE, "s", TS, "/v1/url/upgrade?a=1&&")
    );
    assert_eq!(
        verify_signature(&headers(&plain), "s", BODY, "/v1/url/upgrade?a=1&"),
        Ok(())
    );
}

#[test]
fn authenticates_known_access_keys_only() {
    let mut secrets = EdgeSecrets::default();
    secrets.toolsetlink.insert(
        "ak".into(),
        AccessSecret {
            secret: "s3cr3t".into(),
            apps: vec![],
        },
    );
    let uri = "/v1/configuration/upgrade";
    let good = "b92f76544cd580eb8da069a329072aa5";
    assert_eq!(
        authenticate(&headers(good), &secrets, BODY, uri).map(|s| s.secret.as_str()),
        Ok("s3cr3t")
    );
    let h = SignedHeaders {
        access_key: "other",
        ..headers(good)
    };
    // An unknown access key answers exactly as a wrong signature: no existence oracle.
    assert_eq!(
        authenticate(&h, &secrets, BODY, uri).err(),
        Some(Error::SignatureInvalid)
    );
    let body = |e: Option<Error>| e.map(|e| serde_json::to_string(&e.envelope("t")).ok());
    assert_eq!(
        body(authenticate(&h, &secrets, BODY, uri).err()),
        body(authenticate(&headers(&good.replace('b', "c")), &secrets, BODY, uri).err())
    );
    assert_eq!(
        authenticate(&headers(&good.replace('b', "c")), &secrets, BODY, uri).err(),
        Some(Error::SignatureInvalid)
    );
}

#[test]
fn header_errors_come_in_upstream_order() {
    let now = ts("2025-02-17T02:34:55Z");
    let check = |t, n, a, s| check_headers(t, n, a, s, now).map(|_| ()).err();
    let (t, n, a, s) = (Some(TS), Some(NONCE), Some("ak"), Some("sig"));
    assert_eq!(check(t, n, a, s), None);
    assert_eq!(check(None, None, None, None), Some(Error::MissingTimestamp));
    assert_eq!(check(Some(""), n, a, s), Some(Error::MissingTimestamp));
    for bad in [
        "1739759695",
        "2025-02-17",
        "2025-02-17T10:34:55",
        "2025-02-17t10:34:55+08:00",
        "2025-02-17 10:34:55+08:00",
        "2025-02-17T02:34:55z",
        "2025-02-30T10:34:55+08:00",
    ] {
        assert_eq!(
            check(Some(bad), None, None, None),
            Some(Error::InvalidTimestamp),
            "{bad}"
        );
    }
    assert_eq!(
        check(Some("2025-02-17T02:44:55Z"), None, None, None),
        Some(Error::TimestampOutOfWindow)
    );
    assert_eq!(check(t, None, a, s), Some(Error::MissingNonce));
    assert_eq!(check(t, Some(""), a, s), Some(Error::MissingNonce));
    assert_eq!(
        check(t, Some("0123456789abcde"), a, s),
        Some(Error::InvalidNonce)
    );
    assert_eq!(
        check(t, Some("中文中文中文中文中文中文中文中文"), a, s),
        None,
        "length in characters"
    );
    assert_eq!(check(t, n, None, None), Some(Error::MissingAccessKey));
    assert_eq!(check(t, n, Some(""), s), Some(Error::MissingAccessKey));
    assert_eq!(check(t, n, a, None), Some(Error::MissingSignature));
    let h = check_headers(t, n, a, s, now).expect("valid");
    assert_eq!(
        h,
        SignedHeaders {
            timestamp: TS,
            nonce: NONCE,
            access_key: "ak",
            signature: "sig"
        }
    );
}

#[test]
fn timestamp_window_is_300_seconds_inclusive() {
    let now = ts("2026-01-01T12:00:00Z");
    let ok = |t: &str| check_headers(Some(t), Some(NONCE), Some("a"), Some("s"), now).is_ok();
    assert!(ok("2026-01-01T11:55:00Z"));
    assert!(ok("2026-01-01T12:05:00Z"));
    assert!(ok("2026-01-01T20:05:00+08:00"));
    assert!(!ok("2026-01-01T11:54:59Z"));
    assert!(!ok("2026-01-01T12:05:01Z"));
    assert!(
        !ok("2026-01-01T12:05:00.001Z"),
        "sub-second precision, as Go"
    );
    assert!(ok("2026-01-01T11:55:00.5Z"));
}

#[test]
fn nonce_keys_are_hashed_per_access_key() {
    let k = nonce_key("ak", NONCE);
    assert!(k.starts_with(NONCE_KEY_PREFIX));
    assert_eq!(k.len(), NONCE_KEY_PREFIX.len() + 64);
    assert_eq!(k, nonce_key("ak", NONCE));
    assert_ne!(k, nonce_key("ak2", NONCE));
    assert_ne!(nonce_key("a", "bc"), nonce_key("ab", "c"));
    assert_eq!(nonce_key("ak", &"x".repeat(10_000)).len(), k.len());
    const { assert!(NONCE_TTL_SECONDS >= 600) };
}

#[test]
fn nonces_spread_over_every_shard() {
    // One access key's nonces reach every shard, about evenly (10,000 over 128: ~78 each).
    let mut hits = vec![0u32; NONCE_SHARDS as usize];
    for i in 0..10_000 {
        let shard = nonce_shard(&nonce_key("one-busy-key", &format!("nonce-{i:016}")));
        hits[shard as usize] += 1;
    }
    assert!(hits.iter().all(|&n| (30..=150).contains(&n)), "{hits:?}");
    // The shard is the key's own hash prefix; anything else is hashed into range.
    let k = nonce_key("ak", NONCE);
    let lead = u32::from_str_radix(&k[NONCE_KEY_PREFIX.len()..][..8], 16).expect("hex");
    assert_eq!(nonce_shard(&k), lead % NONCE_SHARDS);
    assert!(nonce_shard("not a key") < NONCE_SHARDS);
    assert!(nonce_shard("") < NONCE_SHARDS);
}

#[test]
fn error_envelopes_and_statuses() {
    let cases = [
        (Error::MissingTimestamp, 400_004, 400),
        (Error::TimestampOutOfWindow, 401_001, 401),
        (Error::SignatureInvalid, 401_002, 401),
        (Error::NonceUsed, 401_001, 401),
        (Error::BodyInvalid, 400_005, 400),
        (Error::FieldNotSet("apkKey"), 400_002, 400),
        (Error::FieldTypeMismatch("versionCode"), 400_003, 400),
        (Error::EmptyKey(Endpoint::Url), 400_003, 400),
        (Error::AppNotFound(Endpoint::File), 404_001, 404),
        (Error::NoVersion, 404_001, 404),
        (Error::Internal, 500_001, 500),
    ];
    for (e, code, status) in cases {
        assert_eq!((e.code(), e.status()), (code, status), "{e:?}");
    }
    assert_eq!(
        to_json(&Error::SignatureInvalid.envelope("")),
        r#"{"code":401002,"msg":"Signature Invalid","docs":"","traceId":""}"#
    );
    assert_eq!(
        to_json(&Error::NonceUsed.envelope("8f1c")),
        r#"{"code":401001,"msg":"Invalid X-Nonce: nonce already used","docs":"","traceId":"8f1c"}"#
    );
    assert_eq!(
        Error::FieldNotSet("apkKey").message(),
        r#"field "apkKey" is not set"#
    );
    assert_eq!(
        Error::FieldTypeMismatch("devKey").message(),
        r#"type mismatch for field "devKey""#
    );
    assert_eq!(
        Error::EmptyKey(Endpoint::Configuration).message(),
        "请求参数configurationKey不能为空"
    );
    assert_eq!(
        Error::AppNotFound(Endpoint::Url).message(),
        "请求url应用不存在"
    );
}

#[test]
fn routes() {
    for e in Endpoint::ALL {
        let signed = Endpoint::SIGNED_UPGRADE.contains(&e).then_some(e);
        assert_eq!(Endpoint::from_upgrade_path(e.upgrade_path()), signed);
        assert_eq!(Endpoint::from_version_path(e.version_path()), Some(e));
        if let Some(p) = e.download_path() {
            assert_eq!(Endpoint::from_download_path(p), Some(e));
        }
    }
    let paths = [
        ("/v1/win/upgrade", Some(Endpoint::Win)),
        ("/v1/mac/upgrade", Some(Endpoint::Mac)),
        ("/v1/lnx/upgrade", Some(Endpoint::Lnx)),
        ("/v1/tauri/upgrade", None),
        ("/v1/electron/upgrade", None),
        ("/v1/linux/upgrade", None),
    ];
    for (path, want) in paths {
        assert_eq!(Endpoint::from_upgrade_path(path), want, "{path}");
    }
    assert_eq!(
        Endpoint::from_version_path("/v1/electron/version"),
        Some(Endpoint::Electron)
    );
    assert_eq!(Endpoint::from_version_path("/v1/app/version"), None);
    let keys: Vec<_> = Endpoint::ALL.iter().map(|e| e.key_field()).collect();
    assert_eq!(
        keys,
        [
            "configurationKey",
            "apkKey",
            "urlKey",
            "fileKey",
            "winKey",
            "macKey",
            "lnxKey",
            "tauriKey",
            "electronKey"
        ]
    );
    assert_eq!(Endpoint::Win.platform(), Some(Platform::Windows));
    assert_eq!(Endpoint::Mac.platform(), Some(Platform::Macos));
    assert_eq!(Endpoint::Lnx.platform(), Some(Platform::Linux));
    assert_eq!(Endpoint::Tauri.platform(), None);
    assert_eq!(Endpoint::from_upgrade_path("/v1/app/upgrade"), None);
    assert_eq!(
        Endpoint::from_download_path("/v1/configuration/download"),
        None
    );
    assert_eq!(Endpoint::from_upgrade_path("/v1/apk/upgrade/"), None);
}

#[test]
fn parses_bodies_like_go_zero() {
    let p = |e, b: &str| parse_upgrade(e, b.as_bytes());
    assert_eq!(
        p(
            Endpoint::Apk,
            r#"{"apkKey":"k","versionCode":5,"appointVersionCode":7,"devModelKey":"m","devKey":"d","x":[1]}"#
        ),
        Ok(UpgradeRequest {
            key: "k".into(),
            version_code: 5,
            appoint_version_code: 7,
            dev_model_key: Some("m".into()),
            dev_key: Some("d".into()),
            cpu: None,
        })
    );
    assert_eq!(
        p(
            Endpoint::Url,
            r#"{"urlKey":"k","versionCode":-1,"devKey":null}"#
        ),
        Ok(req("k", -1, 0, None))
    );
    let cases = [
        (
            Endpoint::Url,
            r#"{"versionCode":1}"#,
            Error::FieldNotSet("urlKey"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":null,"versionCode":1}"#,
            Error::FieldNotSet("urlKey"),
        ),
        (
            Endpoint::Url,
            r#"{"apkKey":"k","versionCode":1}"#,
            Error::FieldNotSet("urlKey"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"k"}"#,
            Error::FieldNotSet("versionCode"),
        ),
        (Endpoint::Url, r#"{}"#, Error::FieldNotSet("urlKey")),
        (
            Endpoint::Url,
            r#"{"urlKey":1,"versionCode":1}"#,
            Error::FieldTypeMismatch("urlKey"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"k","versionCode":"1"}"#,
            Error::FieldTypeMismatch("versionCode"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"k","versionCode":1.5}"#,
            Error::FieldTypeMismatch("versionCode"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"k","versionCode":9223372036854775808}"#,
            Error::FieldTypeMismatch("versionCode"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"k","versionCode":1,"appointVersionCode":"2"}"#,
            Error::FieldTypeMismatch("appointVersionCode"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"k","versionCode":1,"devModelKey":3}"#,
            Error::FieldTypeMismatch("devModelKey"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"k","versionCode":1,"devKey":{}}"#,
            Error::FieldTypeMismatch("devKey"),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"","versionCode":0}"#,
            Error::EmptyKey(Endpoint::Url),
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"k","versionCode":0}"#,
            Error::InvalidVersionCode,
        ),
        (
            Endpoint::File,
            r#"{"fileKey":"k"}"#,
            Error::InvalidVersionCode,
        ),
        (
            Endpoint::Configuration,
            r#"{"configurationKey":"k","versionCode":1"#,
            Error::BodyInvalid,
        ),
        (Endpoint::Configuration, "", Error::BodyInvalid),
        (Endpoint::Configuration, "[1]", Error::BodyInvalid),
        (Endpoint::Configuration, "null", Error::BodyInvalid),
    ];
    for (e, body, want) in cases {
        assert_eq!(p(e, body).err(), Some(want), "{body}");
    }
    assert_eq!(
        Error::InvalidVersionCode.message(),
        "请求参数versionCode格式错误"
    );
    let mut big = br#"{"urlKey":"k","versionCode":1,"pad":""#.to_vec();
    big.resize(MAX_BODY_BYTES - 2, b'x');
    big.extend_from_slice(br#""}"#);
    assert!(
        parse_upgrade(Endpoint::Url, &big).is_ok(),
        "exactly the cap"
    );
    big.insert(40, b'x');
    assert_eq!(
        parse_upgrade(Endpoint::Url, &big).err(),
        Some(Error::BodyTooLarge)
    );
}

#[test]
fn resolves_keys_per_endpoint_and_access_key() {
    let mut lookup = EdgeLookup::default();
    let app = AppId::new("android-demo").expect("id");
    lookup.toolsetlink.insert(
        "apk1".into(),
        ToolsetlinkRef {
            app: app.clone(),
            field: "apkKey".into(),
        },
    );
    assert_eq!(resolve(&lookup, Endpoint::Apk, "apk1", None), Ok(&app));
    assert_eq!(
        resolve(&lookup, Endpoint::Url, "apk1", None),
        Err(Error::AppNotFound(Endpoint::Url))
    );
    assert_eq!(
        resolve(&lookup, Endpoint::Apk, "nope", None),
        Err(Error::AppNotFound(Endpoint::Apk))
    );
    let all = AccessSecret {
        secret: "s".into(),
        apps: vec![],
    };
    let other = AccessSecret {
        secret: "s".into(),
        apps: vec![AppId::new("other").expect("id")],
    };
    assert_eq!(
        resolve(&lookup, Endpoint::Apk, "apk1", Some(&all)),
        Ok(&app)
    );
    assert_eq!(
        resolve(&lookup, Endpoint::Apk, "apk1", Some(&other)),
        Err(Error::AppNotFound(Endpoint::Apk))
    );
}

#[test]
fn configuration_update_and_latest_shapes() {
    let app: EdgeApp = serde_json::from_str(REMOTE_CONFIG).expect("fixture");
    let key = "q1hfB1VUQaK9VksTZGPU1Q";
    let a = upgrade(&app, Endpoint::Configuration, &req(key, 1, 0, None), ORIGIN);
    assert!(a.has_update());
    assert_eq!(
        to_json(&a),
        r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"configurationKey":"q1hfB1VUQaK9VksTZGPU1Q","versionName":"v2","versionCode":2,"upgradeType":1,"promptUpgradeContent":"Содержимое подсказки","content":{"features":{"dark_mode":true},"servers":["a.example.com","b.example.com"],"test":1}}}"#
    );
    let latest = upgrade(&app, Endpoint::Configuration, &req(key, 2, 0, None), ORIGIN);
    assert_eq!(latest, Answer::latest(Endpoint::Configuration));
    assert!(!latest.has_update());
    assert_eq!(
        to_json(&latest),
        r#"{"code":0,"msg":"已经是最新版本","docs":"","data":{"configurationKey":"","versionName":"","versionCode":0,"upgradeType":0,"promptUpgradeContent":"","content":null}}"#
    );
    // Notes stand in for a missing prompt; appointing v1 gets v1's content.
    let v1 = upgrade(
        &app,
        Endpoint::Configuration,
        &req(key, -5, 1, None),
        ORIGIN,
    );
    let UpgradeData::Configuration(d) = v1.data else {
        panic!("shape")
    };
    assert_eq!((d.version_code, d.content), (1, Some(json!({"test": 0}))));
    assert_eq!(d.prompt_upgrade_content, "");
}

#[test]
fn zeroed_data_per_endpoint() {
    let shapes = [
        (
            Endpoint::Apk,
            r#"{"apkKey":"","packageName":"","versionName":"","versionCode":0,"urlPath":"","urlFileSize":0,"urlFileMd5":"","upgradeType":0,"promptUpgradeContent":""}"#,
        ),
        (
            Endpoint::Url,
            r#"{"urlKey":"","versionName":"","versionCode":0,"urlPath":"","upgradeType":0,"promptUpgradeContent":""}"#,
        ),
        (
            Endpoint::File,
            r#"{"fileKey":"","versionName":"","versionCode":0,"urlPath":"","urlFileSize":0,"upgradeType":0,"promptUpgradeContent":""}"#,
        ),
    ];
    for (e, data) in shapes {
        assert_eq!(
            to_json(&Answer::latest(e)),
            format!(r#"{{"code":0,"msg":"已经是最新版本","docs":"","data":{data}}}"#)
        );
    }
}

#[test]
fn apk_answer_fields() {
    let app = demo();
    let a = upgrade(
        &app,
        Endpoint::Apk,
        &req("mui2W50H1jOC4xD6PgQagA", 110, 0, None),
        ORIGIN,
    );
    assert_eq!(
        to_json(&a),
        r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"apkKey":"mui2W50H1jOC4xD6PgQagA","packageName":"com.example.demo","versionName":"1.2.0","versionCode":120,"urlPath":"https://u.example/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk","urlFileSize":43,"urlFileMd5":"8e3d6b065f93ba0d7b6210ab3f7801ff","upgradeType":2,"promptUpgradeContent":"notes 1.2.0"}}"#,
        "no devKey: the staged 1.4.0 is skipped, the yanked 1.3.0 never offered; arm64 is silent"
    );
    // Below min_version (1.1.0 = code 110): force, whatever the release says.
    let UpgradeData::Apk(d) = upgrade(&app, Endpoint::Apk, &req("k", 100, 0, None), ORIGIN).data
    else {
        panic!("shape")
    };
    assert_eq!((d.version_code, d.upgrade_type), (120, 3));
    // The default architecture's file first, whatever the artifact order; a prompt wins over notes.
    let UpgradeData::Apk(d) = upgrade(&app, Endpoint::Apk, &req("k", 100, 110, None), ORIGIN).data
    else {
        panic!("shape")
    };
    assert_eq!(
        d.url_path,
        "https://u.example/artifacts/android-demo/1.1.0/arm64.apk"
    );
    assert_eq!((d.url_file_md5.as_str(), d.upgrade_type), ("", 3));
    assert_eq!(
        d.prompt_upgrade_content,
        "A security fix: please update now."
    );
    // An unresolvable min_version is skipped.
    let mut app2 = demo();
    app2.app.policy.min_version = Some("9.9.9".into());
    let UpgradeData::Apk(d) = upgrade(&app2, Endpoint::Apk, &req("k", 100, 0, None), ORIGIN).data
    else {
        panic!("shape")
    };
    assert_eq!(d.upgrade_type, 2);
    // A disabled architecture's file is never offered.
    app2.app.architectures[0].enabled = false;
    let UpgradeData::Apk(d) = upgrade(&app2, Endpoint::Apk, &req("k", 100, 110, None), ORIGIN).data
    else {
        panic!("shape")
    };
    assert_eq!(
        d.url_path,
        "https://u.example/artifacts/android-demo/1.1.0/v7.apk"
    );
    assert!(!upgrade(&app2, Endpoint::Apk, &req("k", 110, 0, None), ORIGIN).has_update());
}

#[test]
fn appoint_version_code_is_exact_without_fallback() {
    let app = demo();
    let code =
        |appoint, have| match upgrade(&app, Endpoint::Apk, &req("k", have, appoint, None), ORIGIN)
            .data
        {
            UpgradeData::Apk(d) => d.version_code,
            _ => -1,
        };
    assert_eq!(code(110, 100), 110);
    assert_eq!(code(120, 100), 120);
    assert_eq!(
        code(130, 100),
        0,
        "yanked: already latest, no fallback to 120"
    );
    assert_eq!(code(140, 100), 0, "staged and no devKey");
    assert_eq!(code(110, 110), 0, "not above the client's code");
    assert_eq!(code(115, 100), 0, "no such code");
    assert_eq!(code(-3, 100), 120, "negative means newest");
}

#[test]
fn rollout_by_dev_key() {
    let app = demo();
    let mut seen = std::collections::BTreeMap::new();
    for i in 0..400 {
        let dev = format!("device-{i}");
        let pick = |d: &str| upgrade(&app, Endpoint::Apk, &req("k", 120, 0, Some(d)), ORIGIN);
        let a = pick(&dev);
        assert_eq!(a, pick(&dev), "stable per device");
        *seen.entry(a.has_update()).or_insert(0) += 1;
        if let UpgradeData::Apk(d) = a.data {
            assert!(
                d.version_code == 0
                    || (d.version_code == 140
                        && d.url_path.starts_with("https://downloads.example.com/"))
            );
        }
    }
    let got = seen.get(&true).copied().unwrap_or(0);
    assert!((60..140).contains(&got), "about 25 % of 400: {got}");
    // An empty devKey is no device.
    assert!(!upgrade(&app, Endpoint::Apk, &req("k", 120, 0, Some(" ")), ORIGIN).has_update());
}

#[test]
fn url_and_file_answers_need_a_file() {
    let mut app: EdgeApp = serde_json::from_str(REMOTE_CONFIG).expect("fixture");
    // Configurations carry no file: the file endpoints see nothing to offer.
    assert_eq!(
        upgrade(&app, Endpoint::Url, &req("u", 1, 0, None), ORIGIN),
        Answer::latest(Endpoint::Url)
    );
    let demo = demo();
    app.releases[0].release.artifacts = demo.releases[2].release.artifacts.clone();
    app.releases[0].release.artifacts[0].arch = "default".parse().expect("arch");
    app.releases[0].release.artifacts[0].url = "https://cdn.example/f.bin".into();
    assert_eq!(
        to_json(&upgrade(
            &app,
            Endpoint::File,
            &req("f", 1, 0, None),
            ORIGIN
        )),
        r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"fileKey":"f","versionName":"v2","versionCode":2,"urlPath":"https://cdn.example/f.bin","urlFileSize":43,"upgradeType":2,"promptUpgradeContent":"Содержимое подсказки"}}"#
    );
    assert_eq!(
        to_json(&upgrade(&app, Endpoint::Url, &req("u", 1, 0, None), ORIGIN)),
        r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"urlKey":"u","versionName":"v2","versionCode":2,"urlPath":"https://cdn.example/f.bin","upgradeType":2,"promptUpgradeContent":"Содержимое подсказки"}}"#
    );
}

#[test]
fn serves_the_protocols_channel() {
    let mut app = demo();
    app.app.protocols.toolsetlink = Some(crate::manifest::ToolsetlinkIds {
        apk_key: Some("k".into()),
        channel: Some("beta".parse().expect("channel")),
        ..Default::default()
    });
    assert!(!upgrade(&app, Endpoint::Apk, &req("k", 100, 0, None), ORIGIN).has_update());
    app.releases[4].release.channel = "beta".parse().expect("channel");
    assert!(
        !upgrade(&app, Endpoint::Apk, &req("k", 100, 0, None), ORIGIN).has_update(),
        "1.0.0 is not above 100"
    );
    assert!(upgrade(&app, Endpoint::Apk, &req("k", 99, 0, None), ORIGIN).has_update());
}

#[test]
fn download_queries() {
    assert_eq!(
        parse_download_query(
            Endpoint::Apk,
            "apkKey=a%2Bb+c&versionCode=120&versionId=0&apkKey=x&other"
        ),
        Ok(DownloadRequest {
            key: "a+b c".into(),
            version_code: 120,
            version_id: 0
        })
    );
    assert_eq!(
        parse_download_query(Endpoint::Url, "urlKey=k"),
        Ok(DownloadRequest {
            key: "k".into(),
            version_code: 0,
            version_id: 0
        })
    );
    let err = |e, q| parse_download_query(e, q).err();
    assert_eq!(err(Endpoint::Url, ""), Some(Error::FieldNotSet("urlKey")));
    assert_eq!(
        err(Endpoint::Url, "urlKey=%zz"),
        Some(Error::FieldNotSet("urlKey")),
        "bad pair dropped"
    );
    assert_eq!(
        err(Endpoint::Url, "urlKey="),
        Some(Error::EmptyKey(Endpoint::Url))
    );
    assert_eq!(
        err(Endpoint::File, "fileKey=k&versionCode=x"),
        Some(Error::FieldTypeMismatch("versionCode"))
    );
    assert_eq!(
        err(Endpoint::File, "fileKey=k&versionId=1.0"),
        Some(Error::FieldTypeMismatch("versionId"))
    );
    assert_eq!(
        err(Endpoint::File, "fileKey=k&versionCode=-1"),
        Some(Error::InvalidVersionCode)
    );
}

#[test]
fn download_targets() {
    let app = demo();
    let target = |code, id| {
        download_target(
            &app,
            &DownloadRequest {
                key: "k".into(),
                version_code: code,
                version_id: id,
            },
            ORIGIN,
        )
    };
    assert_eq!(
        target(0, 0),
        Ok("https://u.example/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk".into()),
        "newest fully rolled-out"
    );
    assert_eq!(
        target(140, 0),
        Ok("https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk".into()),
        "named: staged is fine"
    );
    assert_eq!(target(130, 0), Err(Error::NoVersion), "yanked never");
    assert_eq!(target(999, 0), Err(Error::NoVersion));
    assert_eq!(
        target(999, 1),
        Ok("https://u.example/artifacts/android-demo/1.0.0/arm64.apk".into()),
        "versionId (zealot_id) wins"
    );
    assert_eq!(target(0, 42), Err(Error::NoVersion));
    let config: EdgeApp = serde_json::from_str(REMOTE_CONFIG).expect("fixture");
    assert_eq!(
        download_target(
            &config,
            &DownloadRequest {
                key: "k".into(),
                version_code: 0,
                version_id: 0
            },
            ORIGIN
        ),
        Err(Error::NoVersion)
    );
}

/// The example's desktop-editor, trimmed: 1.2.0 (Windows only) staged at 25 %, 1.1.0 force
/// for every architecture, 1.0.0; plus a disabled `mac-old` (x64) architecture.
pub(super) fn desktop() -> EdgeApp {
    let file = |v: &str, arch: &str, name: &str| {
        json!({"id": format!("{v}-{arch}"), "arch": arch, "role": "primary", "name": name,
                "size": 50, "sha256": "11".repeat(32), "md5": "0123456789abcdef0123456789abcdef",
                "url": format!("/artifacts/desktop-editor/{v}/{name}")})
    };
    let attachment = |v: &str, arch: &str, name: &str| {
        let mut a = file(v, arch, name);
        a["role"] = json!("attachment");
        a
    };
    let release = |v: &str, code: i64, rollout: u8, upgrade: &str, files: Vec<Value>| {
        json!({"version": v, "version_code": code, "channel": "stable",
                "published_at": "2026-02-01T10:00:00Z", "state": "ready", "rollout": rollout,
                "upgrade": upgrade, "notes": format!("notes {v}"),
                "release_id": format!("desktop-editor/stable/{v}"), "zealot_id": 1,
                "zealot_version": 1, "artifacts": files})
    };
    serde_json::from_value(json!({
            "schema_version": 1,
            "app": {
                "id": "desktop-editor", "name": "Desktop Editor", "platform": "macos",
                "versioning": "semver", "policy": {"min_version": "1.1.0"},
                "architectures": [
                    {"key": "mac-arm64", "name": "macOS (Apple silicon)", "default": true},
                    {"key": "mac-x64", "name": "macOS (Intel)", "order": 1},
                    {"key": "win-x64", "name": "Windows x64", "platform": "windows", "order": 2},
                    {"key": "linux-x64", "name": "Linux x64", "platform": "linux", "cpu": "x86_64", "order": 3},
                    {"key": "mac-old", "name": "old", "cpu": "x86_64", "enabled": false, "order": -1}
                ],
                "channels": [{"key": "stable", "name": "Stable"}],
                "protocols": {"toolsetlink": {"win_key": "W", "mac_key": "M", "lnx_key": "L",
                    "tauri_key": "T", "electron_key": "E"}}
            },
            "default_channel": "stable", "default_arch": "mac-arm64",
            "releases": [
                release("1.2.0", 1_002_000, 25, "prompt", vec![file("1.2.0", "win-x64", "e-1.2.0.exe")]),
                release("1.1.0", 1_001_000, 100, "force", vec![
                    attachment("1.1.0", "mac-arm64", "e-1.1.0-arm64.app.tar.gz"),
                    file("1.1.0", "mac-arm64", "e-1.1.0-arm64.zip"),
                    file("1.1.0", "mac-old", "e-1.1.0-old.zip"),
                    file("1.1.0", "mac-x64", "e-1.1.0-x64.zip"),
                    file("1.1.0", "win-x64", "e-1.1.0.exe"),
                    file("1.1.0", "linux-x64", "e-1.1.0.AppImage"),
                ]),
                release("1.0.0", 1_000_000, 100, "prompt", vec![
                    file("1.0.0", "mac-arm64", "e-1.0.0-arm64.zip"),
                    file("1.0.0", "mac-x64", "e-1.0.0-x64.zip"),
                    file("1.0.0", "win-x64", "e-1.0.0.exe"),
                    file("1.0.0", "linux-x64", "e-1.0.0.AppImage"),
                ]),
            ],
        }))
        .expect("fixture")
}

fn desktop_req(code: i64, cpu: Cpu, dev: Option<&str>) -> UpgradeRequest {
    UpgradeRequest {
        cpu: Some(cpu),
        ..req("K", code, 0, dev)
    }
}

/// (version code, file name) of a desktop answer; (0, "") when already latest.
fn desktop_pick(app: &EdgeApp, e: Endpoint, r: &UpgradeRequest) -> (i64, String) {
    match upgrade(app, e, r, ORIGIN).data {
        UpgradeData::Desktop(d) => (
            d.version_code,
            d.url_path.rsplit('/').next().unwrap_or_default().to_owned(),
        ),
        other => panic!("shape {other:?}"),
    }
}

#[test]
fn names_of_client_processors_and_platforms() {
    let cpus = [
        ("x64", Some(Cpu::X86_64)),
        ("X64", Some(Cpu::X86_64)),
        ("amd64", Some(Cpu::X86_64)),
        ("x86_64", Some(Cpu::X86_64)),
        ("arm64", Some(Cpu::Aarch64)),
        ("aarch64", Some(Cpu::Aarch64)),
        ("x86", Some(Cpu::I686)),
        ("ia32", Some(Cpu::I686)),
        ("i386", Some(Cpu::I686)),
        ("i686", Some(Cpu::I686)),
        ("armv7", Some(Cpu::Armv7)),
        ("armv7l", Some(Cpu::Armv7)),
        ("armhf", Some(Cpu::Armv7)),
        ("universal", None),
        ("mac-arm64", None),
        ("x64 ", None),
        ("", None),
        ("sparc", None),
    ];
    for (arch, want) in cpus {
        assert_eq!(cpu_named(arch), want, "{arch:?}");
    }
    let platforms = [
        ("windows", Some(Platform::Windows)),
        ("win32", Some(Platform::Windows)),
        ("Win", Some(Platform::Windows)),
        ("darwin", Some(Platform::Macos)),
        ("macos", Some(Platform::Macos)),
        ("mac", Some(Platform::Macos)),
        ("osx", Some(Platform::Macos)),
        ("linux", Some(Platform::Linux)),
        ("android", None),
        ("", None),
    ];
    for (name, want) in platforms {
        assert_eq!(platform_named(name), want, "{name:?}");
    }
}

#[test]
fn parses_desktop_upgrade_bodies() {
    let p = |e, b: &str| parse_upgrade(e, b.as_bytes());
    assert_eq!(
        p(
            Endpoint::Win,
            r#"{"winKey":"k","arch":"x64","versionCode":5,"appointVersionCode":0,"devModelKey":"","devKey":""}"#
        ),
        Ok(UpgradeRequest {
            key: "k".into(),
            version_code: 5,
            appoint_version_code: 0,
            dev_model_key: Some(String::new()),
            dev_key: Some(String::new()),
            cpu: Some(Cpu::X86_64),
        })
    );
    assert_eq!(
        p(
            Endpoint::Lnx,
            r#"{"lnxKey":"k","arch":"AARCH64","versionCode":1}"#
        )
        .map(|r| r.cpu),
        Ok(Some(Cpu::Aarch64))
    );
    assert_eq!(
        p(
            Endpoint::Apk,
            r#"{"apkKey":"k","arch":"x64","versionCode":1}"#
        )
        .map(|r| r.cpu),
        Ok(None),
        "arch means nothing on apk"
    );
    let cases = [
        (
            Endpoint::Win,
            r#"{"arch":"x64","versionCode":1}"#,
            Error::FieldNotSet("winKey"),
        ),
        (
            Endpoint::Win,
            r#"{"winKey":"k","versionCode":1}"#,
            Error::FieldNotSet("arch"),
        ),
        (
            Endpoint::Mac,
            r#"{"macKey":"k","arch":null,"versionCode":1}"#,
            Error::FieldNotSet("arch"),
        ),
        (
            Endpoint::Mac,
            r#"{"macKey":"k","arch":64,"versionCode":1}"#,
            Error::FieldTypeMismatch("arch"),
        ),
        (
            Endpoint::Lnx,
            r#"{"lnxKey":"k","arch":"x64"}"#,
            Error::FieldNotSet("versionCode"),
        ),
        (
            Endpoint::Lnx,
            r#"{"lnxKey":"k","versionCode":"1"}"#,
            Error::FieldNotSet("arch"),
        ),
        (
            Endpoint::Win,
            r#"{"winKey":"","arch":"sparc","versionCode":0}"#,
            Error::EmptyKey(Endpoint::Win),
        ),
        (
            Endpoint::Win,
            r#"{"winKey":"k","arch":"sparc","versionCode":0}"#,
            Error::InvalidField("arch"),
        ),
        (
            Endpoint::Win,
            r#"{"winKey":"k","arch":"","versionCode":1}"#,
            Error::InvalidField("arch"),
        ),
        (
            Endpoint::Mac,
            r#"{"macKey":"k","arch":"universal","versionCode":1}"#,
            Error::InvalidField("arch"),
        ),
        (
            Endpoint::Mac,
            r#"{"macKey":"k","arch":"arm64","versionCode":0}"#,
            Error::InvalidVersionCode,
        ),
        (Endpoint::Lnx, "[]", Error::BodyInvalid),
    ];
    for (e, body, want) in cases {
        assert_eq!(p(e, body).err(), Some(want), "{e:?} {body}");
    }
    assert_eq!(
        Error::InvalidField("arch").message(),
        "请求参数arch格式错误"
    );
    assert_eq!(
        Error::EmptyKey(Endpoint::Lnx).message(),
        "请求参数lnxKey不能为空"
    );
}

#[test]
fn desktop_upgrades_pick_the_platform_and_processor() {
    let app = desktop();
    let pick =
        |e, code, cpu, dev: Option<&str>| desktop_pick(&app, e, &desktop_req(code, cpu, dev));
    let cases = [
        // (endpoint, client code, cpu, devKey) → (code, file)
        (
            Endpoint::Win,
            1_000_000,
            Cpu::X86_64,
            None,
            (1_001_000, "e-1.1.0.exe"),
        ),
        (Endpoint::Win, 1_001_000, Cpu::X86_64, None, (0, "")),
        (Endpoint::Win, 1_000_000, Cpu::Aarch64, None, (0, "")),
        (Endpoint::Win, 1_000_000, Cpu::I686, None, (0, "")),
        (
            Endpoint::Mac,
            1_000_000,
            Cpu::Aarch64,
            None,
            (1_001_000, "e-1.1.0-arm64.zip"),
        ),
        (
            Endpoint::Mac,
            1_000_000,
            Cpu::X86_64,
            None,
            (1_001_000, "e-1.1.0-x64.zip"),
        ),
        (Endpoint::Mac, 1_001_000, Cpu::Aarch64, Some("any"), (0, "")),
        (
            Endpoint::Lnx,
            999,
            Cpu::X86_64,
            None,
            (1_001_000, "e-1.1.0.AppImage"),
        ),
        (Endpoint::Lnx, 1_000_000, Cpu::Aarch64, None, (0, "")),
    ];
    for (e, code, cpu, dev, (want_code, want_file)) in cases {
        assert_eq!(
            pick(e, code, cpu, dev),
            (want_code, want_file.to_owned()),
            "{e:?} {code} {cpu:?}"
        );
    }
    // 1.2.0 (Windows only) is staged at 25 %: offered to the devices in its cohort.
    let mut offered = 0;
    for i in 0..200 {
        let dev = format!("pc-{i}");
        let (code, file) = pick(Endpoint::Win, 1_001_000, Cpu::X86_64, Some(&dev));
        let inside = rollout::cohort("desktop-editor/stable/1.2.0", &dev) < 25;
        assert_eq!(code == 1_002_000, inside, "{dev}");
        if inside {
            assert_eq!(file, "e-1.2.0.exe");
            offered += 1;
        }
        // On macOS nothing is newer than 1.1.0 for any device.
        assert_eq!(
            pick(Endpoint::Mac, 1_001_000, Cpu::Aarch64, Some(&dev)).0,
            0
        );
    }
    assert!((20..80).contains(&offered), "{offered}");
}

#[test]
fn desktop_answer_shapes() {
    let app = desktop();
    let r = UpgradeRequest {
        key: "W".into(),
        ..desktop_req(1_000_000, Cpu::X86_64, None)
    };
    assert_eq!(
        to_json(&upgrade(&app, Endpoint::Win, &r, ORIGIN)),
        r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"winKey":"W","packageName":"","versionName":"1.1.0","versionCode":1001000,"urlPath":"https://u.example/artifacts/desktop-editor/1.1.0/e-1.1.0.exe","urlFileSize":50,"urlFileMd5":"0123456789abcdef0123456789abcdef","upgradeType":3,"promptUpgradeContent":"notes 1.1.0"}}"#
    );
    for (e, key) in [
        (Endpoint::Win, "winKey"),
        (Endpoint::Mac, "macKey"),
        (Endpoint::Lnx, "lnxKey"),
    ] {
        assert_eq!(
            to_json(&Answer::latest(e)),
            format!(
                r#"{{"code":0,"msg":"已经是最新版本","docs":"","data":{{"{key}":"","packageName":"","versionName":"","versionCode":0,"urlPath":"","urlFileSize":0,"urlFileMd5":"","upgradeType":0,"promptUpgradeContent":""}}}}"#
            )
        );
    }
    // Appointed: exactly that code, for that platform; the bundle id is the package name.
    let mut app = desktop();
    app.app.bundle_id = Some("com.example.editor".into());
    let appoint = |code| UpgradeRequest {
        appoint_version_code: code,
        ..desktop_req(1, Cpu::Aarch64, None)
    };
    let UpgradeData::Desktop(d) = upgrade(&app, Endpoint::Mac, &appoint(1_000_000), ORIGIN).data
    else {
        panic!("shape")
    };
    assert_eq!(
        (d.version_code, d.package_name.as_str(), d.upgrade_type),
        (1_000_000, "com.example.editor", 3),
        "below min_version 1.1.0: force"
    );
    assert_eq!(
        desktop_pick(&app, Endpoint::Mac, &appoint(1_002_000)),
        (0, String::new()),
        "1.2.0 has no macOS build"
    );
}

#[test]
fn desktop_builds_fall_back_to_universal_and_skip_disabled() {
    let mut app = desktop();
    // The disabled x64 architecture comes first in order but is never offered.
    let (_, file) = desktop_pick(&app, Endpoint::Mac, &desktop_req(1, Cpu::X86_64, None));
    assert_eq!(file, "e-1.1.0-x64.zip");
    // A universal build serves both processors when no exact one exists.
    app.app.architectures.push(
        serde_json::from_value(json!({"key": "mac-universal", "name": "Universal", "order": 9}))
            .expect("arch"),
    );
    app.releases[1]
        .release
        .artifacts
        .retain(|a| a.arch.as_str() != "mac-x64");
    let mut universal = app.releases[1].release.artifacts[1].clone();
    universal.arch = "mac-universal".parse().expect("arch");
    universal.url = "/u.zip".into();
    app.releases[1].release.artifacts.push(universal);
    let pick = |cpu| desktop_pick(&app, Endpoint::Mac, &desktop_req(1_000_000, cpu, None));
    assert_eq!(pick(Cpu::X86_64), (1_001_000, "u.zip".into()));
    assert_eq!(
        pick(Cpu::Aarch64),
        (1_001_000, "e-1.1.0-arm64.zip".into()),
        "the exact processor wins"
    );
    assert_eq!(pick(Cpu::I686), (0, String::new()));
}

#[test]
fn desktop_errors() {
    let cases = [
        (Error::AppNotFound(Endpoint::Win), "请求win应用不存在"),
        (Error::AppNotFound(Endpoint::Mac), "请求mac应用不存在"),
        (Error::AppNotFound(Endpoint::Lnx), "请求lnx应用不存在"),
        (Error::AppNotFound(Endpoint::Tauri), "请求tauri应用不存在"),
        (
            Error::AppNotFound(Endpoint::Electron),
            "请求electron应用不存在",
        ),
        (Error::VersionNotFound, "No available version obtained"),
    ];
    for (e, msg) in cases {
        assert_eq!(
            (e.code(), e.status(), e.message()),
            (404_001, 404, msg.into())
        );
    }
    let mut lookup = EdgeLookup::default();
    let app = AppId::new("desktop-editor").expect("id");
    for (key, field) in [("W", "winKey"), ("T", "tauriKey")] {
        lookup.toolsetlink.insert(
            key.into(),
            ToolsetlinkRef {
                app: app.clone(),
                field: field.into(),
            },
        );
    }
    assert_eq!(resolve(&lookup, Endpoint::Win, "W", None), Ok(&app));
    assert_eq!(resolve(&lookup, Endpoint::Tauri, "T", None), Ok(&app));
    assert_eq!(
        resolve(&lookup, Endpoint::Mac, "W", None),
        Err(Error::AppNotFound(Endpoint::Mac))
    );
    assert_eq!(
        resolve_report(
            &lookup,
            "W",
            &AccessSecret {
                secret: "s".into(),
                apps: vec![]
            }
        ),
        Ok(&app)
    );
}

fn report(body: &Value) -> Result<Report, Error> {
    parse_report(body.to_string().as_bytes())
}

#[test]
fn parses_reports() {
    let start = json!({"eventType": "app_start", "appKey": "k",
            "timestamp": "2025-02-17T10:34:55+08:00",
            "eventData": {"launchTime": "2025-02-17T02:34:50.25Z", "versionCode": 110,
                "devModelKey": "Pixel 8", "devKey": "d1", "target": "android", "arch": "arm64-v8a",
                "downloadVersionCode": 9, "upgradeVersionCode": 8, "code": 0, "extra": [1]}});
    assert_eq!(
        report(&start),
        Ok(Report {
            event_type: "app_start".into(),
            app_key: "k".into(),
            timestamp: Some(ts("2025-02-17T02:34:55Z")),
            launch_time: Some(ts("2025-02-17T02:34:50.25Z")),
            version_code: 110,
            code: 0,
            client_version_code: 110,
            dev_model_key: Some("Pixel 8".into()),
            dev_key: Some("d1".into()),
            target: Some("android".into()),
            arch: Some("arm64-v8a".into()),
        })
    );
    // Which code each type counts under; absent optional numbers are 0.
    let event = |t: &str, data: Value| {
        report(&json!({"eventType": t, "appKey": "k", "timestamp": TS, "eventData": data}))
            .map(|r| (r.version_code, r.code, r.client_version_code, r.launch_time))
    };
    let data = json!({"versionCode": 110, "downloadVersionCode": 120,
            "upgradeVersionCode": 130, "code": 7});
    assert_eq!(
        event(EVENT_UPGRADE_DOWNLOAD, data.clone()),
        Ok((120, 7, 110, None))
    );
    assert_eq!(
        event(EVENT_UPGRADE_UPGRADE, data.clone()),
        Ok((130, 7, 110, None))
    );
    assert_eq!(event("custom_event", data), Ok((110, 7, 110, None)));
    assert_eq!(
        event(EVENT_UPGRADE_DOWNLOAD, json!({"versionCode": 1})),
        Ok((0, 0, 1, None))
    );
    assert_eq!(
        event(
            EVENT_UPGRADE_UPGRADE,
            json!({"versionCode": -3, "code": null})
        ),
        Ok((0, 0, -3, None))
    );
    // A bad launchTime is refused on any type; none is needed, even on app_start.
    assert_eq!(
        event(
            "custom_event",
            json!({"versionCode": 1, "launchTime": "yesterday"})
        ),
        Err(Error::InvalidField("launchTime"))
    );
    assert_eq!(
        event(EVENT_APP_START, json!({"versionCode": 1})),
        Ok((1, 0, 1, None))
    );
    // The SDKs' bodies: no timestamp (optional there), only the set eventData fields.
    let sdk = json!({"eventType": "app_start", "appKey": "k",
            "eventData": {"launchTime": "2025-02-17T02:34:50.12Z", "versionCode": 3}});
    assert_eq!(
        report(&sdk).map(|r| (r.timestamp, r.launch_time, r.version_code)),
        Ok((None, Some(ts("2025-02-17T02:34:50.12Z")), 3))
    );
    let null_ts = json!({"eventType": "x", "appKey": "k", "timestamp": null,
            "eventData": {"versionCode": 1}});
    assert_eq!(report(&null_ts).map(|r| r.timestamp), Ok(None));
    let long = "e".repeat(MAX_EVENT_TYPE_CHARS);
    assert!(event(&long, json!({"versionCode": 1})).is_ok());
    let cases = [
        (
            json!({"appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
            Error::FieldNotSet("eventType"),
        ),
        (
            json!({"eventType": null, "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
            Error::FieldNotSet("eventType"),
        ),
        (
            json!({"eventType": "x", "timestamp": TS, "eventData": {"versionCode": 1}}),
            Error::FieldNotSet("appKey"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS}),
            Error::FieldNotSet("eventData"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {}}),
            Error::FieldNotSet("eventData.versionCode"),
        ),
        (
            json!({"eventType": 1, "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
            Error::FieldTypeMismatch("eventType"),
        ),
        (
            json!({"eventType": "x", "appKey": ["k"], "timestamp": TS, "eventData": {"versionCode": 1}}),
            Error::FieldTypeMismatch("appKey"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": 1_739_759_695, "eventData": {"versionCode": 1}}),
            Error::FieldTypeMismatch("timestamp"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": "v"}),
            Error::FieldTypeMismatch("eventData"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": "1"}}),
            Error::FieldTypeMismatch("eventData.versionCode"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1.5}}),
            Error::FieldTypeMismatch("eventData.versionCode"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "code": "0"}}),
            Error::FieldTypeMismatch("eventData.code"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "downloadVersionCode": true}}),
            Error::FieldTypeMismatch("eventData.downloadVersionCode"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "devKey": 5}}),
            Error::FieldTypeMismatch("eventData.devKey"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "launchTime": 5}}),
            Error::FieldTypeMismatch("eventData.launchTime"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": "2025-02-17 10:34:55", "eventData": {"versionCode": 1}}),
            Error::InvalidField("timestamp"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": "2025-02-17t10:34:55z", "eventData": {"versionCode": 1}}),
            Error::InvalidField("timestamp"),
        ),
        (
            json!({"eventType": "x", "appKey": "k", "timestamp": "2025-02-30T10:34:55Z", "eventData": {"versionCode": 1}}),
            Error::InvalidField("timestamp"),
        ),
        (
            json!({"eventType": "app_start", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "launchTime": ""}}),
            Error::InvalidField("launchTime"),
        ),
        (
            json!({"eventType": "app_start", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "launchTime": "1739759695"}}),
            Error::InvalidField("launchTime"),
        ),
        (
            json!({"eventType": "", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
            Error::InvalidField("eventType"),
        ),
        (
            json!({"eventType": format!("{long}e"), "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
            Error::InvalidField("eventType"),
        ),
        (json!([1]), Error::BodyInvalid),
        (json!(null), Error::BodyInvalid),
    ];
    for (body, want) in cases {
        assert_eq!(report(&body).err(), Some(want), "{body}");
    }
    for raw in ["", "{", r#"{"eventType":"x""#, "nope"] {
        assert_eq!(
            parse_report(raw.as_bytes()).err(),
            Some(Error::BodyInvalid),
            "{raw}"
        );
    }
    // An empty appKey parses; the lookup finds nothing for it.
    let empty_key = json!({"eventType": "x", "appKey": "", "timestamp": TS,
            "eventData": {"versionCode": 1}});
    assert_eq!(report(&empty_key).map(|r| r.app_key), Ok(String::new()));
    let mut big = br#"{"eventType":"x","appKey":"k","timestamp":"2025-02-17T10:34:55Z","eventData":{"versionCode":1},"pad":""#.to_vec();
    big.resize(MAX_BODY_BYTES - 2, b'x');
    big.extend_from_slice(br#""}"#);
    assert!(parse_report(&big).is_ok(), "exactly the cap");
    big.insert(100, b'x');
    assert_eq!(parse_report(&big).err(), Some(Error::BodyTooLarge));
}

#[test]
fn report_errors_and_answer() {
    let cases = [
        (
            Error::InvalidField("timestamp"),
            400_003,
            400,
            "请求参数timestamp格式错误",
        ),
        (
            Error::InvalidField("launchTime"),
            400_003,
            400,
            "请求参数launchTime格式错误",
        ),
        (Error::AppKeyNotFound, 404_001, 404, "请求应用不存在"),
        (
            Error::FieldNotSet("eventData.versionCode"),
            400_002,
            400,
            r#"field "eventData.versionCode" is not set"#,
        ),
    ];
    for (e, code, status, msg) in cases {
        assert_eq!(
            (e.code(), e.status(), e.message()),
            (code, status, msg.into()),
            "{e:?}"
        );
    }
    assert_eq!(
        to_json(&ReportAnswer::OK),
        r#"{"code":0,"msg":"上报成功","docs":""}"#
    );
    assert_eq!(ReportAnswer::STATUS, 200);
    assert_eq!(REPORT_PATH, "/v1/app/report");
    assert_eq!(Endpoint::from_upgrade_path(REPORT_PATH), None);
}

#[test]
fn resolves_report_keys_of_any_kind() {
    let mut lookup = EdgeLookup::default();
    let android = AppId::new("android-demo").expect("id");
    let config = AppId::new("remote-config").expect("id");
    for (key, app, field) in [
        ("apk1", &android, "apkKey"),
        ("url1", &android, "urlKey"),
        ("cfg1", &config, "configurationKey"),
    ] {
        lookup.toolsetlink.insert(
            key.into(),
            ToolsetlinkRef {
                app: app.clone(),
                field: field.into(),
            },
        );
    }
    let all = AccessSecret {
        secret: "s".into(),
        apps: vec![],
    };
    let only_config = AccessSecret {
        secret: "s".into(),
        apps: vec![config.clone()],
    };
    assert_eq!(resolve_report(&lookup, "apk1", &all), Ok(&android));
    assert_eq!(resolve_report(&lookup, "url1", &all), Ok(&android));
    assert_eq!(resolve_report(&lookup, "cfg1", &all), Ok(&config));
    assert_eq!(resolve_report(&lookup, "cfg1", &only_config), Ok(&config));
    for key in ["apk1", "nope", ""] {
        assert_eq!(
            resolve_report(&lookup, key, &only_config),
            Err(Error::AppKeyNotFound),
            "{key}"
        );
    }
    assert_eq!(
        resolve_report(&lookup, "nope", &all),
        Err(Error::AppKeyNotFound)
    );
}

#[test]
fn private_apps_get_signed_links_on_signed_routes_only() {
    let mut app = demo();
    app.app.visibility = crate::manifest::Visibility::Private;
    let a = upgrade(&app, Endpoint::Apk, &req("k", 100, 120, None), ORIGIN);
    let UpgradeData::Apk(d) = a.data else {
        panic!("shape")
    };
    assert!(
        d.url_path.starts_with("https://u.example/dl/d/")
            && d.url_path.contains("/demo-1.2.0-arm64-v8a.apk?expires="),
        "{}",
        d.url_path
    );
    let no_key = Links::new(ORIGIN, crate::links::Protocol::Toolsetlink, None, ts(TS));
    assert_eq!(
        super::upgrade(&app, Endpoint::Apk, &req("k", 100, 120, None), &no_key),
        Err(Error::Internal)
    );
    // No file in the answer, no key needed.
    assert!(super::upgrade(&app, Endpoint::Apk, &req("k", 999, 0, None), &no_key).is_ok());
    // The unsigned download route hands out nothing, site-hosted or external.
    for (code, id) in [(0, 0), (140, 0), (0, 1)] {
        let r = DownloadRequest {
            key: "k".into(),
            version_code: code,
            version_id: id,
        };
        assert_eq!(download_target(&app, &r, ORIGIN), Err(Error::NoVersion));
    }
    let e = Error::LinkDenied;
    assert_eq!(
        (e.status(), e.envelope("").msg.as_ref()),
        (403, "下载链接无效或已过期")
    );
}
