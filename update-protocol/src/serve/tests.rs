//! The handlers against in-memory stores: the order of D's checks, single use of nonces, and
//! every protocol's answer when a store fails (each in its own envelope, the reason logged and
//! never sent).

use super::*;
use crate::keys::AccessSecret;
use crate::routes::Match;
use crate::toolsetlink::{self as tl, statistics::EventCount};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Which store fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fails {
    Nothing,
    EdgeData,
    Nonces,
    Telemetry,
    Rollouts,
}

/// Every store in memory; `fails` makes one of them fail.
struct Memory {
    lookup: Rc<EdgeLookup>,
    apps: HashMap<AppId, Rc<EdgeApp>>,
    secrets: Rc<EdgeSecrets>,
    nonces: RefCell<HashSet<String>>,
    events: RefCell<Vec<EventRow>>,
    fails: Cell<Fails>,
    /// Requests each limiter let through, by limit and key; a key reaching `over` is refused.
    counted: RefCell<HashMap<(limits::Limit, String), u32>>,
    over: Cell<u32>,
    controls: RefCell<HashMap<AppId, crate::rollout_control::Controls>>,
}

fn failing(what: &str) -> StoreError {
    StoreError(format!("{what} is down"))
}

impl Memory {
    fn check(&self, which: Fails, what: &str) -> Stored<()> {
        if self.fails.get() == which {
            Err(failing(what))
        } else {
            Ok(())
        }
    }
}

impl EdgeData for Memory {
    async fn lookup(&self) -> Stored<Rc<EdgeLookup>> {
        self.check(Fails::EdgeData, "the assets binding")?;
        Ok(self.lookup.clone())
    }
    async fn app(&self, id: &AppId) -> Stored<Option<Rc<EdgeApp>>> {
        self.check(Fails::EdgeData, "the assets binding")?;
        Ok(self.apps.get(id).cloned())
    }
    fn secrets(&self) -> Stored<Rc<EdgeSecrets>> {
        Ok(self.secrets.clone())
    }
    async fn site_file(&self, _path: &str) -> Stored<Option<Vec<u8>>> {
        self.check(Fails::EdgeData, "the assets binding")?;
        Ok(None)
    }
}

impl Rollouts for Memory {
    async fn controls(&self, app: &AppId) -> Stored<Rc<crate::rollout_control::Controls>> {
        self.check(Fails::Rollouts, "the rollout objects")?;
        Ok(Rc::new(
            self.controls.borrow().get(app).cloned().unwrap_or_default(),
        ))
    }

    async fn act(
        &self,
        app: &AppId,
        version: &str,
        action: &crate::rollout_control::Action,
        by: &str,
        at: i64,
    ) -> Stored<Result<crate::rollout_control::Controls, crate::rollout_control::Refused>> {
        self.check(Fails::Rollouts, "the rollout objects")?;
        let mut all = self.controls.borrow_mut();
        let c = all.entry(app.clone()).or_default();
        Ok(c.act(version, action.clone(), by, at)
            .map(|_| ())
            .map(|()| c.clone()))
    }
}

impl Credentials for Memory {
    async fn record(&self, _secret: &str) -> Stored<Option<Rc<KeyRecord>>> {
        Ok(None)
    }
}

impl Nonces for Memory {
    async fn first_use(&self, key: &str, _ttl_seconds: u64) -> Stored<bool> {
        self.check(Fails::Nonces, "KV")?;
        Ok(self.nonces.borrow_mut().insert(key.to_owned()))
    }
}

impl limits::RateLimits for Memory {
    async fn allow(&self, limit: limits::Limit, key: &str) -> bool {
        let mut counted = self.counted.borrow_mut();
        let n = counted.entry((limit, key.to_owned())).or_default();
        *n += 1;
        *n <= self.over.get()
    }
}

impl Telemetry for Memory {
    async fn count_event(&self, row: &EventRow) -> Stored<()> {
        self.check(Fails::Telemetry, "D1")?;
        self.events.borrow_mut().push(row.clone());
        Ok(())
    }
    async fn event_counts(&self, _: &str, _: i64, _: &[&str]) -> Stored<Vec<EventCount>> {
        self.check(Fails::Telemetry, "D1")?;
        Ok(Vec::new())
    }
    async fn heartbeat(&self, _: &MachineDay) -> Stored<()> {
        self.check(Fails::Telemetry, "D1")
    }
    async fn error_report(&self, _: &ErrorRow) -> Stored<i64> {
        self.check(Fails::Telemetry, "D1")?;
        Ok(1)
    }
    async fn app_stats(&self, app: &str, _: i64) -> Stored<telemetry::AppStats> {
        self.check(Fails::Telemetry, "D1")?;
        Ok(telemetry::AppStats {
            app: app.to_owned(),
            active: telemetry::Active::default(),
            installs: Vec::new(),
            update_events: Vec::new(),
            errors: Vec::new(),
        })
    }
}

/// Runs a future that never waits (the memory stores answer at once).
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("a memory store waited"),
    }
}

const CONFIG_KEY: &str = "q1hfB1VUQaK9VksTZGPU1Q";
const ACCESS_KEY: &str = "ak-demo";
const SECRET_KEY: &str = "sk-demo-secret";
const NONCE: &str = "0123456789abcdef";
const TS: &str = "2026-06-01T10:00:00.123+08:00";

/// The example's build (`fixtures/edge/`: its lookup and every app, kept equal to the build by
/// `generator/tests/edge_fixtures.rs`), with D's access key.
fn memory() -> Memory {
    let lookup: EdgeLookup =
        serde_json::from_str(include_str!("../../fixtures/edge/lookup.json")).expect("lookup");
    let apps = [
        include_str!("../../fixtures/edge/apps/android-demo.json"),
        include_str!("../../fixtures/edge/apps/desktop-editor.json"),
        include_str!("../../fixtures/edge/apps/desktop-pro.json"),
        include_str!("../../fixtures/edge/apps/ios-demo.json"),
        include_str!("../../fixtures/edge/apps/remote-config.json"),
        include_str!("../../fixtures/edge/apps/windows-tool.json"),
    ]
    .map(|json| {
        let app: EdgeApp = serde_json::from_str(json).expect("fixture");
        (app.app.id.clone(), Rc::new(app))
    });
    assert_eq!(
        lookup.toolsetlink.get(CONFIG_KEY).map(|r| r.app.as_str()),
        Some("remote-config")
    );
    let secrets = EdgeSecrets {
        toolsetlink: BTreeMap::from([(
            ACCESS_KEY.to_owned(),
            AccessSecret {
                secret: SECRET_KEY.to_owned(),
                apps: Vec::new(),
            },
        )]),
        ..EdgeSecrets::default()
    };
    Memory {
        lookup: Rc::new(lookup),
        apps: HashMap::from(apps),
        secrets: Rc::new(secrets),
        nonces: RefCell::default(),
        events: RefCell::default(),
        fails: Cell::new(Fails::Nothing),
        counted: RefCell::default(),
        over: Cell::new(u32::MAX),
        controls: RefCell::default(),
    }
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-06-01T02:01:00Z").expect("now")
}

/// A request as a client sends it (lowercase header names), routed by the table.
fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: Body::Read(body.to_vec()),
        origin: "https://updates.example".to_owned(),
        now: now(),
    }
}

fn send(s: &Memory, req: &Request) -> Reply {
    let Match::Route { route, params } = crate::routes::route(&req.method, &req.path) else {
        panic!("{} {} is not a route", req.method, req.path);
    };
    block_on(handle(route, &params, req, s)).expect("a handler takes the route")
}

/// D's configuration check, signed with `secret`.
fn signed_check(secret: &str) -> Request {
    let body = format!(r#"{{"configurationKey":"{CONFIG_KEY}","versionCode":1}}"#);
    let path = "/v1/configuration/upgrade";
    let sig = tl::signature(body.as_bytes(), NONCE, secret, TS, path);
    request(
        "POST",
        path,
        &[
            ("content-type", "application/json"),
            ("x-timestamp", TS),
            ("x-nonce", NONCE),
            ("x-accesskey", ACCESS_KEY),
            ("x-signature", &sig),
            ("cf-ray", "ray-1"),
        ],
        body.as_bytes(),
    )
}

fn json_of(reply: &Reply) -> serde_json::Value {
    serde_json::from_slice(reply.body()).expect("a JSON body")
}

#[test]
fn a_signed_check_is_answered_counted_and_its_nonce_used_once() {
    let s = memory();
    let reply = send(&s, &signed_check(SECRET_KEY));
    assert_eq!(
        reply.status,
        200,
        "{:?}",
        String::from_utf8_lossy(reply.body())
    );
    assert_eq!(json_of(&reply)["code"], 200);
    assert_eq!(json_of(&reply)["data"]["versionCode"], 2);
    assert_eq!(reply.log, None);
    let events = s.events.borrow().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, tl::EVENT_GET_STRATEGY);
    assert_eq!(events[0].version_code, 1);

    // The same request again: the nonce is spent.
    let replay = send(&s, &signed_check(SECRET_KEY));
    let used = tl::Error::NonceUsed;
    assert_eq!(replay.status, used.status());
    assert_eq!(
        replay.body(),
        serde_json::to_vec(&used.envelope("ray-1")).expect("json")
    );
    assert_eq!(s.events.borrow().len(), 1, "a refused check is not counted");
}

#[test]
fn a_wrong_signature_is_refused_before_the_nonce_is_spent() {
    let s = memory();
    let forged = send(&s, &signed_check("not-the-secret"));
    assert_eq!(json_of(&forged)["code"], tl::Error::SignatureInvalid.code());
    assert!(
        s.nonces.borrow().is_empty(),
        "a forged request burnt a nonce"
    );
    // The client's own request with that nonce still passes.
    assert_eq!(send(&s, &signed_check(SECRET_KEY)).status, 200);
}

#[test]
fn a_failing_nonce_store_is_d_s_internal_error_with_the_reason_logged() {
    let s = memory();
    s.fails.set(Fails::Nonces);
    let reply = send(&s, &signed_check(SECRET_KEY));
    let internal = tl::Error::Internal;
    assert_eq!(reply.status, internal.status());
    assert_eq!(
        reply.body(),
        serde_json::to_vec(&internal.envelope("ray-1")).expect("json")
    );
    let log = reply.log.clone().expect("the reason is logged");
    assert!(log.contains("KV is down"), "{log}");
    assert!(!log.contains(SECRET_KEY) && !String::from_utf8_lossy(reply.body()).contains("KV"));
}

#[test]
fn a_check_is_answered_when_counting_it_fails() {
    let s = memory();
    s.fails.set(Fails::Telemetry);
    let reply = send(&s, &signed_check(SECRET_KEY));
    assert_eq!(reply.status, 200);
    assert!(reply.log.expect("logged").contains("D1 is down"));
}

#[test]
fn every_protocol_answers_its_own_internal_error_when_the_edge_data_fails() {
    let s = memory();
    s.fails.set(Fails::EdgeData);
    let json = |v: serde_json::Value| v;
    let a = crate::hot_update::Error::Internal;
    let c = crate::license::Error::Internal;
    let e = crate::tinyaii::Error::Internal;
    let b = crate::zealot::Error::Internal;
    let d = tl::Error::Internal;
    let cases: Vec<(Request, u16, serde_json::Value)> = vec![
        (
            request(
                "POST",
                "/api/v1/check",
                &[("x-api-key", "k")],
                br#"{"currentVersion":"1.0.0"}"#,
            ),
            a.status(),
            json(serde_json::to_value(a.body()).expect("a")),
        ),
        (
            request("GET", "/api/version-artifacts/x/download", &[], b""),
            a.status(),
            json(serde_json::to_value(a.body()).expect("a")),
        ),
        (
            request("GET", "/api/apps/1/releases/1/install", &[], b""),
            b.status(),
            json(serde_json::to_value(b.body()).expect("b")),
        ),
        (
            request(
                "POST",
                "/api/v1/apps/app_x/update/check",
                &[],
                br#"{"currentVersion":"1.0.0","licenseKey":"LIC-1"}"#,
            ),
            c.status(),
            json(serde_json::to_value(&c).expect("c")),
        ),
        (
            request(
                "GET",
                "/v1/url/download?urlKey=k&versionCode=1&versionId=1",
                &[],
                b"",
            ),
            d.status(),
            json(serde_json::to_value(d.envelope("")).expect("d")),
        ),
        (
            request(
                "POST",
                "/api/v1/version/check",
                &[],
                br#"{"app_key":"k","current_version":"1.0.0","platform":"windows"}"#,
            ),
            e.status(),
            json(serde_json::to_value(e.envelope()).expect("e")),
        ),
        (
            request(
                "POST",
                "/api/v1/user/heartbeat",
                &[],
                br#"{"app_key":"k","machine_id":"m","version":"1.0.0"}"#,
            ),
            e.status(),
            json(serde_json::to_value(e.envelope()).expect("e")),
        ),
    ];
    for (req, status, body) in cases {
        let reply = send(&s, &req);
        let what = format!("{} {}", req.method, req.path);
        assert_eq!(
            reply.status,
            status,
            "{what}: {:?}",
            String::from_utf8_lossy(reply.body())
        );
        assert_eq!(json_of(&reply), body, "{what}");
        let log = reply
            .log
            .unwrap_or_else(|| panic!("{what}: nothing logged"));
        assert!(log.contains("assets binding is down"), "{what}: {log}");
    }
}

#[test]
fn an_oversized_body_is_each_protocol_s_own_refusal() {
    let s = memory();
    let mut req = signed_check(SECRET_KEY);
    req.body = Body::TooLarge;
    let reply = send(&s, &req);
    assert_eq!(json_of(&reply)["code"], tl::Error::BodyTooLarge.code());
    assert!(s.nonces.borrow().is_empty());
    let mut a = request("POST", "/api/v1/check", &[], b"");
    a.body = Body::TooLarge;
    assert_eq!(send(&s, &a).status, 413);
}

#[test]
fn the_tuf_timestamp_is_refused_with_its_reason_when_the_metadata_cannot_be_read() {
    let s = memory();
    let req = request("GET", "/metadata/timestamp.json", &[], b"");
    // No `_edge/tuf.json`: no TUF repository here, a real 404.
    let none = send(&s, &req);
    assert_eq!(none.status, 404);
    assert_eq!(
        json_of(&none),
        serde_json::json!({"error": "no TUF repository is deployed"})
    );
    // The assets binding failing: 503 (clients keep their timestamp and retry), logged.
    s.fails.set(Fails::EdgeData);
    let down = send(&s, &req);
    assert_eq!(down.status, 503);
    assert_eq!(down.header("cache-control"), Some("no-store"));
    assert_eq!(
        json_of(&down),
        serde_json::json!({"error": "the deployed TUF metadata does not verify"})
    );
    assert!(down.log.expect("logged").contains("assets binding is down"));
}

#[test]
fn the_admin_stats_need_the_token_and_answer_500_when_d1_fails() {
    let token = "admin-token-1";
    let s = with_admin(token);
    let bearer = format!("Bearer {token}");
    let req = request(
        "GET",
        "/api/admin/stats",
        &[("authorization", &bearer)],
        b"",
    );
    let ok = send(&s, &req);
    assert_eq!(ok.status, 200);
    let apps: Vec<String> = json_of(&ok)["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|a| a["app"].as_str().unwrap_or_default().to_owned())
        .collect();
    // Every app with telemetry (E's and D's), in order.
    assert_eq!(
        apps,
        [
            "android-demo",
            "desktop-editor",
            "remote-config",
            "windows-tool"
        ]
    );
    let wrong = request(
        "GET",
        "/api/admin/stats",
        &[("authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(send(&s, &wrong).status, 401);
    let unknown = request(
        "GET",
        "/api/admin/stats?app=nope",
        &[("authorization", &bearer)],
        b"",
    );
    assert_eq!(send(&s, &unknown).status, 404);
    s.fails.set(Fails::Telemetry);
    let down = send(&s, &req);
    assert_eq!(down.status, 500);
    assert_eq!(
        json_of(&down),
        serde_json::json!({"error": "internal error"})
    );
    assert!(down.log.expect("logged").contains("D1 is down"));
}

#[test]
fn a_client_over_a_limit_gets_its_protocol_s_429_and_others_go_on() {
    let s = memory();
    s.over.set(2);
    let from = |ip: &'static str, mut req: Request| {
        req.headers
            .push(("cf-connecting-ip".to_owned(), ip.to_owned()));
        req
    };
    let check = || {
        request(
            "POST",
            "/api/v1/check",
            &[("x-api-key", "k")],
            br#"{"currentVersion":"1.0.0"}"#,
        )
    };
    for _ in 0..2 {
        let r = send(&s, &from("192.0.2.1", check()));
        assert_ne!(r.status, 429, "under the limit");
    }
    let r = send(&s, &from("192.0.2.1", check()));
    assert_eq!(r.status, 429);
    let v = json_of(&r);
    assert_eq!(v["error"], "Too many requests", "{v}");
    assert_eq!(v["message"], "Rate limit exceeded: 600 requests per minute");
    assert_eq!(v["retryAfter"], "2026-06-01T02:02:00.000Z");
    assert_eq!(r.header("retry-after"), Some("60"));
    assert_eq!(r.header("x-ratelimit-limit"), Some("600"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(
        r.header("x-ratelimit-reset"),
        Some("2026-06-01T02:02:00.000Z")
    );
    // Another address still goes through, until its shared API key's own count is over.
    let r = send(&s, &from("192.0.2.2", check()));
    assert_eq!(r.status, 429, "the API key's third request");
    let key = s
        .counted
        .borrow()
        .keys()
        .find(|(l, _)| *l == limits::Limit::AppWide)
        .map(|(_, k)| k.clone())
        .expect("the API key was counted");
    assert!(
        !key.contains(":k") && key.len() > 64,
        "counted by its hash: {key}"
    );
    // Routes that check nothing are never counted.
    s.counted.borrow_mut().clear();
    let r = send(
        &s,
        &from(
            "192.0.2.1",
            request("GET", "/api/version-artifacts/x/download", &[], b""),
        ),
    );
    assert_ne!(r.status, 429);
    assert!(s.counted.borrow().is_empty());
}

#[test]
fn every_protocol_s_429_is_its_own_envelope() {
    let s = memory();
    s.over.set(0);
    let cases: Vec<(Request, serde_json::Value)> = vec![
        (
            request("GET", "/api/apps/latest?channel_key=c", &[], b""),
            serde_json::json!({"error": "Too many requests"}),
        ),
        (
            request(
                "POST",
                "/api/v1/apps/app_x/update/check",
                &[],
                br#"{"currentVersion":"1.0.0","licenseKey":"LIC-1"}"#,
            ),
            serde_json::json!({"code": "RATE_LIMITED", "message": "Too many requests: retry in 60 seconds"}),
        ),
        (
            signed_check(SECRET_KEY),
            serde_json::json!({"code": 429_001, "msg": "Too many requests", "docs": "", "traceId": "ray-1"}),
        ),
        (
            request(
                "POST",
                "/api/v1/user/heartbeat",
                &[],
                br#"{"app_key":"k","machine_id":"m","version":"1.0.0"}"#,
            ),
            serde_json::json!({"code": 429, "message": "请求过于频繁", "data": null}),
        ),
        (
            request(
                "GET",
                "/api/admin/stats",
                &[("authorization", "Bearer t")],
                b"",
            ),
            serde_json::json!({"error": "Too many requests"}),
        ),
    ];
    for (req, body) in cases {
        let reply = send(&s, &req);
        let what = format!("{} {}", req.method, req.path);
        assert_eq!(reply.status, 429, "{what}");
        assert_eq!(json_of(&reply), body, "{what}");
        assert_eq!(reply.header("retry-after"), Some("60"), "{what}");
    }
    // The refused signed check spent no nonce: its signature was never looked at.
    assert!(s.nonces.borrow().is_empty());
}

#[test]
fn each_credential_is_counted_under_its_own_kind() {
    use crate::routes::Auth;
    use limits::{Limit, credential};
    let q =
        |path: &str, headers: &[(&str, &str)], body: &[u8]| request("POST", path, headers, body);
    let cases = [
        (
            Auth::BearerOrApiKey,
            q("/x", &[("authorization", "Bearer u1")], b""),
            Some((Limit::Personal, "u1")),
        ),
        (
            Auth::BearerOrApiKey,
            q("/x", &[("x-api-key", "a1")], b""),
            Some((Limit::AppWide, "a1")),
        ),
        (
            Auth::BearerOrApiKey,
            q("/x", &[], br#"{"apiKey":"a2"}"#),
            None,
        ),
        (
            Auth::BearerOrApiKeyOrBody,
            q("/x", &[], br#"{"apiKey":"a2"}"#),
            Some((Limit::AppWide, "a2")),
        ),
        (
            Auth::UserToken,
            q("/x?token=t1", &[], b""),
            Some((Limit::Personal, "t1")),
        ),
        (
            Auth::ChannelKey,
            q("/x?channel_key=c1", &[], b""),
            Some((Limit::AppWide, "c1")),
        ),
        (
            Auth::LicenseBody,
            q("/x", &[], br#"{"licenseKey":"L1"}"#),
            Some((Limit::Personal, "L1")),
        ),
        (
            Auth::LicenseQuery,
            q("/x?licenseKey=L2", &[], b""),
            Some((Limit::Personal, "L2")),
        ),
        (
            Auth::LicenseQuery,
            q("/x", &[("x-license-key", "L3")], b""),
            Some((Limit::Personal, "L3")),
        ),
        (
            Auth::Signed,
            q("/x", &[("x-accesskey", "AK")], b""),
            Some((Limit::AppWide, "AK")),
        ),
        (
            Auth::AppKey,
            q("/x", &[], br#"{"app_key":"E1"}"#),
            Some((Limit::AppWide, "E1")),
        ),
        (Auth::AppKey, q("/x", &[], br#"{"app_key":7}"#), None),
        (
            Auth::UpdaterKey,
            q("/x?electronKey=U1", &[], b""),
            Some((Limit::AppWide, "U1")),
        ),
        (
            Auth::AdminToken,
            q("/x", &[("authorization", "Bearer adm")], b""),
            Some((Limit::Personal, "adm")),
        ),
        (Auth::SignedLink, q("/x?sig=s", &[], b""), None),
    ];
    for (auth, req, want) in cases {
        let got = credential(auth, &req);
        let got = got.as_ref().map(|(l, k)| (*l, k.as_str()));
        assert_eq!(got, want, "{auth:?} {}", req.request_uri());
    }
}

/// `memory()` with `token` as an admin token.
fn with_admin(token: &str) -> Memory {
    let mut s = memory();
    let mut secrets = (*s.secrets).clone();
    secrets.admin_tokens = vec![crate::keys::sha256_hex(token)];
    s.secrets = Rc::new(secrets);
    s
}

#[test]
fn a_halt_at_the_admin_route_stops_the_offer_and_resume_brings_it_back() {
    let s = with_admin("t");
    let check = || {
        let r = windows_tool_check(&s);
        assert_eq!(r.status, 200);
        let v = json_of(&r);
        (
            v["data"]["has_update"].clone(),
            v["data"]["latest_version"].clone(),
        )
    };
    let act = |body: &str| {
        send(
            &s,
            &request(
                "POST",
                "/api/admin/rollout",
                &[("authorization", "Bearer t")],
                body.as_bytes(),
            ),
        )
    };
    assert_eq!(
        check(),
        (serde_json::json!(true), serde_json::json!("1.1.0"))
    );
    let halted =
        act(r#"{"app":"windows-tool","version":"1.1.0","action":"halt","reason":"crashes"}"#);
    assert_eq!(halted.status, 200);
    let v = json_of(&halted);
    assert_eq!(v["app"], "windows-tool");
    assert_eq!(
        v["releases"]["1.1.0"],
        serde_json::json!({"state": "halted", "reason": "crashes", "at": now().unix_millis()})
    );
    assert_eq!(v["history"][0]["action"], "halt");
    assert_eq!(v["history"][0]["by"], "admin");
    assert_eq!(
        check().0,
        serde_json::json!(false),
        "1.1.0 is no longer offered"
    );
    // Refusals, each with its status.
    for (body, status, error) in [
        (
            r#"{"app":"windows-tool","version":"1.1.0","action":"percent","percent":5}"#,
            409,
            "1.1.0 is halted: resume it first (generator rollout APP VERSION --resume)",
        ),
        (
            r#"{"app":"windows-tool","version":"9.9.9","action":"pause"}"#,
            404,
            "windows-tool has no release 9.9.9",
        ),
        (
            r#"{"app":"nope","version":"1.1.0","action":"pause"}"#,
            404,
            "unknown app",
        ),
        (
            r#"{"app":"windows-tool","version":"1.1.0","action":"percent","percent":101}"#,
            400,
            "a rollout percentage is 0 to 100, not 101",
        ),
        (
            r#"{"app":"windows-tool","version":"1.1.0","action":"halt","reason":""}"#,
            400,
            "a halt needs a reason",
        ),
    ] {
        let r = act(body);
        assert_eq!(
            (r.status, json_of(&r)["error"].clone()),
            (status, serde_json::json!(error)),
            "{body}"
        );
    }
    let r = act(r#"{"app":"windows-tool","version":"1.1.0","action":"explode"}"#);
    assert_eq!(r.status, 400);
    assert!(
        json_of(&r)["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("the body must be"))
    );
    assert_eq!(
        act(r#"{"app":"windows-tool","version":"1.1.0","action":"resume"}"#).status,
        200
    );
    assert_eq!(
        check(),
        (serde_json::json!(true), serde_json::json!("1.1.0"))
    );
    // Read back; the token is needed.
    let read = shown(&s);
    assert_eq!(read.status, 200);
    assert_eq!(json_of(&read)["history"].as_array().map(Vec::len), Some(2));
    let refused = send(
        &s,
        &request("GET", "/api/admin/rollout?app=windows-tool", &[], b""),
    );
    assert_eq!(refused.status, 401);
    // The control store down: the checks answer their internal error, the admin route 500.
    s.fails.set(Fails::Rollouts);
    let r = windows_tool_check(&s);
    assert_eq!(r.status, 500);
    assert!(r.log.expect("logged").contains("rollout objects is down"));
    assert_eq!(shown(&s).status, 500);
}

/// tinyaii's version check of windows-tool from 1.0.0.
fn windows_tool_check(s: &Memory) -> Reply {
    send(
        s,
        &request(
            "POST",
            "/api/v1/version/check",
            &[],
            br#"{"app_key":"534a235d30f13cac","current_version":"1.0.0","platform":"windows"}"#,
        ),
    )
}

/// windows-tool's rollout control, with the admin token `t`.
fn shown(s: &Memory) -> Reply {
    send(
        s,
        &request(
            "GET",
            "/api/admin/rollout?app=windows-tool",
            &[("authorization", "Bearer t")],
            b"",
        ),
    )
}
