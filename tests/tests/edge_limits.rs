//! Rate limits against the real worker under `wrangler dev` (Miniflare's rate-limiting
//! binding) with the limits `wrangler.toml` ships: a client under a limit is never refused, the
//! request over it gets its protocol's 429 envelope, and the limits are counted per protocol
//! and per credential.

use e2e_tests::{Edge, workspace_root};
use serde_json::{Value, json};
use update_protocol::serve::limits::Limit;

const API_KEY: &str = "demo-project-api-key-android";
const LICENSE: &str = "LIC-DEMO0ACTIVE000000000000000000001";
const TINYAII_KEY: &str = "534a235d30f13cac";

/// Sends `send` until the first 429, at most twice `limit` times: the number let through
/// before it and the refusal. The binding counts in fixed windows, so a window that ends
/// during the run lets more through, never fewer.
fn until_refused(
    limit: u32,
    mut send: impl FnMut() -> e2e_tests::Reply,
) -> (u32, e2e_tests::Reply) {
    for sent in 0..2 * limit {
        let r = send();
        if r.status == 429 {
            return (sent, r);
        }
        assert!(r.status < 500, "request {sent}: {} {}", r.status, r.text);
    }
    panic!("no 429 within {} requests", 2 * limit);
}

#[test]
fn wrangler_toml_configures_the_limits_the_code_states() {
    let config: toml::Value = toml::from_str(
        &std::fs::read_to_string(workspace_root().join("wrangler.toml")).expect("wrangler.toml"),
    )
    .expect("wrangler.toml is TOML");
    let bindings = config["ratelimits"].as_array().expect("[[ratelimits]]");
    assert_eq!(bindings.len(), Limit::ALL.len());
    for limit in Limit::ALL {
        let b = bindings
            .iter()
            .find(|b| b["name"].as_str() == Some(limit.binding()))
            .unwrap_or_else(|| panic!("no binding {}", limit.binding()));
        assert_eq!(
            b["simple"]["limit"].as_integer(),
            Some(i64::from(limit.requests()))
        );
        assert_eq!(
            b["simple"]["period"].as_integer(),
            Some(i64::from(limit.period()))
        );
    }
}

#[test]
fn a_client_over_its_limit_gets_its_protocol_s_429_and_one_under_it_never_does() {
    let edge = Edge::start_with_shipped_limits();

    // A license key (a personal credential): its limit, then C's envelope.
    let personal = Limit::Personal.requests();
    let body = json!({"currentVersion": "1.0.0", "licenseKey": LICENSE}).to_string();
    let (passed, refused) = until_refused(personal, || {
        let r = edge.send(
            "POST",
            "/api/v1/apps/app_desktop_pro/update/check",
            &[("content-type", "application/json")],
            Some(body.as_bytes()),
        );
        assert!(
            r.status == 200 || r.status == 429,
            "{} {}",
            r.status,
            r.text
        );
        r
    });
    assert!(passed >= personal, "refused after {passed} of {personal}");
    assert_eq!(
        refused.json(),
        json!({"code": "RATE_LIMITED", "message": "Too many requests: retry in 60 seconds"})
    );
    assert_eq!(refused.header("retry-after"), Some("60"));
    assert_eq!(refused.header("cache-control"), Some("private, no-store"));

    // The client address, per protocol: A's own envelope and headers once this address has
    // sent A its limit (the API key's own limit is far above).
    let client = Limit::Client.requests();
    let check = json!({"currentVersion": "1.0.0"}).to_string();
    let (passed, refused) = until_refused(client, || {
        edge.send(
            "POST",
            "/api/v1/check",
            &[("content-type", "application/json"), ("x-api-key", API_KEY)],
            Some(check.as_bytes()),
        )
    });
    assert!(passed >= client, "refused after {passed} of {client}");
    let v: Value = refused.json();
    assert_eq!(v["error"], "Too many requests", "{v}");
    assert_eq!(
        v["message"],
        format!("Rate limit exceeded: {client} requests per minute")
    );
    let reset = v["retryAfter"].as_str().expect("retryAfter");
    assert!(reset.ends_with('Z') && reset.len() == 24, "{reset}");
    for (name, want) in [
        ("retry-after", "60".to_owned()),
        ("x-ratelimit-limit", client.to_string()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("x-ratelimit-reset", reset.to_owned()),
    ] {
        assert_eq!(refused.header(name), Some(want.as_str()), "{name}");
    }

    // The same address under E's limit is not refused: limits are per protocol.
    let r = edge.send(
        "POST",
        "/api/v1/user/heartbeat",
        &[("content-type", "application/json")],
        Some(
            json!({"app_key": TINYAII_KEY, "machine_id": "m-1", "version": "1.0.0"})
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // Static files are never limited.
    assert_eq!(edge.send("GET", "/index.json", &[], None).status, 200);
}
