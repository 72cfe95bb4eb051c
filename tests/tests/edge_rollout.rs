//! Rollout control against the real worker under `wrangler dev` (its Durable Objects): a halt
//! set with `generator rollout` stops the release being offered at once (tinyaii's check, the
//! hot-update check, toolsetlink's signed desktop check), resume brings it back, a new
//! percentage moves exactly the machines of the sticky cohort rule in and out, and the command
//! prints the control and its history.

use e2e_tests::signed::signed;
use e2e_tests::{Edge, run_generator, stdout_json};
use serde_json::{Value, json};
use update_protocol::rollout::cohort;

const ADMIN: &str = "demo-admin-token";
const TINYAII_KEY: &str = "534a235d30f13cac";
const HOT_KEY: &str = "demo-project-api-key-android";
const WIN_KEY: &str = "dEdWin0ToolsetlinkKey1";

fn rollout(edge: &Edge, args: &[&str]) -> std::process::Output {
    let mut all = vec!["rollout"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--url", &edge.base, "--token", ADMIN]);
    run_generator(&all)
}

#[track_caller]
fn rollout_ok(edge: &Edge, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let out = rollout(edge, &all);
    assert!(
        out.status.success(),
        "{args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        edge.log()
    );
    stdout_json(&out)
}

/// tinyaii's check from 1.0.0 on Windows: the version offered, if any.
fn tinyaii(edge: &Edge) -> Option<String> {
    let (code, v) = edge.post_json(
        "/api/v1/version/check",
        &json!({"app_key": TINYAII_KEY, "current_version": "1.0.0", "platform": "windows"})
            .to_string(),
    );
    assert_eq!(code, 200, "{v}");
    (v["data"]["has_update"] == true).then(|| {
        v["data"]["latest_version"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    })
}

/// The hot-update check of `device` from 1.2.0 on arm64: the version offered, if any.
fn hot(edge: &Edge, device: &str) -> Option<String> {
    let r = edge.send(
        "POST",
        "/api/v1/check",
        &[("content-type", "application/json"), ("x-api-key", HOT_KEY)],
        Some(
            json!({"currentVersion": "1.2.0", "architecture": "arm64-v8a", "deviceId": device})
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["data"]["version"].as_str().map(str::to_owned)
}

/// toolsetlink's signed Windows check from 1.0.0 (no device): the version code offered, 0 when
/// already latest.
fn toolsetlink(edge: &Edge) -> i64 {
    let body = json!({"winKey": WIN_KEY, "arch": "x64", "versionCode": 1_000_000,
        "appointVersionCode": 0, "devModelKey": "", "devKey": ""});
    let r = signed(edge, "/v1/win/upgrade", &body.to_string(), |_| {});
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["data"]["versionCode"].as_i64().unwrap_or(0)
}

/// The devices of `0..200` that the hot-update check offers 1.4.0.
fn offered_1_4_0(edge: &Edge) -> Vec<usize> {
    (0..200)
        .filter(|i| hot(edge, &format!("device-{i}")).as_deref() == Some("1.4.0"))
        .collect()
}

/// The devices of `0..200` inside `percent` of 1.4.0 by the documented cohort rule.
fn cohort_of(percent: u8) -> Vec<usize> {
    (0..200)
        .filter(|i| cohort("android-demo/stable/1.4.0", &format!("device-{i}")) < percent)
        .collect()
}

#[test]
fn rollout_control_end_to_end() {
    let edge = Edge::start();
    assert_eq!(tinyaii(&edge).as_deref(), Some("1.1.0"));
    assert_eq!(toolsetlink(&edge), 1_001_000);

    // A halt stops the offer at once, in every protocol; resume brings it back.
    let v = rollout_ok(
        &edge,
        &["windows-tool", "1.1.0", "--halt", "crash rate up 4x"],
    );
    assert_eq!(v["releases"]["1.1.0"]["state"], "halted");
    assert_eq!(v["releases"]["1.1.0"]["reason"], "crash rate up 4x");
    assert_eq!(tinyaii(&edge), None, "halted: not offered");
    let v = rollout_ok(
        &edge,
        &["desktop-editor", "1.1.0", "--halt", "bad installer"],
    );
    assert_eq!(v["releases"]["1.1.0"]["state"], "halted");
    assert_eq!(toolsetlink(&edge), 0, "halted: already latest");
    // A halted release takes no percentage: the edge's reason, and a failing command.
    let out = rollout(&edge, &["windows-tool", "1.1.0", "--percent", "50"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the edge refused it (HTTP 409): 1.1.0 is halted: resume it first"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    rollout_ok(&edge, &["windows-tool", "1.1.0", "--resume"]);
    rollout_ok(&edge, &["desktop-editor", "1.1.0", "--resume"]);
    assert_eq!(tinyaii(&edge).as_deref(), Some("1.1.0"));
    assert_eq!(toolsetlink(&edge), 1_001_000);

    // A percentage moves the same machines in and out (1.4.0 is at 25 % in its manifest).
    let at_25 = offered_1_4_0(&edge);
    assert_eq!(at_25, cohort_of(25));
    rollout_ok(&edge, &["android-demo", "1.4.0", "--percent", "60"]);
    let at_60 = offered_1_4_0(&edge);
    assert_eq!(at_60, cohort_of(60));
    assert!(at_25.iter().all(|d| at_60.contains(d)), "sticky");
    rollout_ok(&edge, &["android-demo", "1.4.0", "--pause"]);
    assert!(offered_1_4_0(&edge).is_empty(), "paused: no one");
    rollout_ok(&edge, &["android-demo", "1.4.0", "--resume"]);
    assert_eq!(offered_1_4_0(&edge), at_60, "resumed at the percentage set");
    rollout_ok(&edge, &["android-demo", "1.4.0", "--percent", "25"]);
    assert_eq!(offered_1_4_0(&edge), at_25);

    // The control and its history, as JSON and as text.
    let v = rollout_ok(&edge, &["android-demo"]);
    let actions: Vec<&str> = v["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(actions, ["percent", "pause", "resume", "percent"]);
    assert_eq!(
        (
            &v["releases"]["1.4.0"]["state"],
            &v["releases"]["1.4.0"]["percent"]
        ),
        (&json!("live"), &json!(25))
    );
    let out = rollout(&edge, &["windows-tool"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("halt: crash rate up 4x"), "{text}");
    // Refusals: no token, an unknown version.
    let out = run_generator(&[
        "rollout",
        "windows-tool",
        "1.1.0",
        "--pause",
        "--url",
        &edge.base,
        "--token",
        "wrong",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused the admin token"));
    let out = rollout(&edge, &["windows-tool", "9.9.9", "--pause"]);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the edge refused it (HTTP 404): windows-tool has no release 9.9.9"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Heartbeats of `n` machines named `prefix-i` on `version`, and `reports` error reports from
/// the first of them, at the worker's current (moved) day.
fn activity(edge: &Edge, prefix: &str, n: usize, version: &str, reports: usize) {
    for i in 0..n {
        let (code, v) = edge.post_json(
            "/api/v1/user/heartbeat",
            &json!({"app_key": TINYAII_KEY, "machine_id": format!("{prefix}-{i}"), "version": version})
                .to_string(),
        );
        assert_eq!(code, 200, "{v}");
    }
    for i in 0..reports {
        let (code, v) = edge.post_json(
            "/api/v1/error/report",
            &json!({"app_key": TINYAII_KEY, "machine_id": format!("{prefix}-0"),
                    "software_version": version, "error_type": "Crash",
                    "error_message": format!("crash {i}"), "error_stack": "at main()",
                    "os_info": "Windows-11"})
            .to_string(),
        );
        assert_eq!(code, 200, "{v}");
    }
}

/// Waits until D1 holds `reports` error reports in all (the queue's consumer is asynchronous).
fn written(edge: &Edge, reports: i64) {
    edge.eventually(&format!("{reports} reports in D1"), || {
        let v = edge.d1("SELECT COUNT(*) AS n FROM error_reports");
        (v[0]["results"][0]["n"].as_i64() == Some(reports)).then_some(())
    });
}

/// Runs the health rule's scheduled check; answers windows-tool's control.
fn health_check(edge: &Edge) -> Value {
    let r = edge.send("GET", "/__scheduled?cron=*%2F5+*+*+*+*", &[], None);
    assert!(r.status < 300, "{}: {}", r.status, r.text);
    rollout_ok(edge, &["windows-tool"])
}

#[test]
fn the_health_rule_halts_a_release_exactly_when_it_trips() {
    let (_tmp, root) = e2e_tests::example_copy();
    let manifest = root.join("apps/windows-tool.toml");
    let mut text = std::fs::read_to_string(&manifest).expect("read");
    text.push_str(
        "\n[health]\nfactor = 2.0\nmin_machines = 10\nmin_reports = 5\nwindow_days = 2\n",
    );
    std::fs::write(&manifest, text).expect("write");
    let edge = Edge::start_from(&root, &root.join("keys"), |_, _| {});
    let set_day = |offset: i64| edge.set_clock_offset_days(offset, ADMIN);

    // Three days ago, outside the two-day window: 1.1.0 crashed a lot.
    set_day(-3);
    activity(&edge, "old", 10, "1.1.0", 30);
    // Written before the clock moves: a reload of `wrangler dev` drops what its local queues
    // still hold.
    written(&edge, 30);
    // Yesterday: 20 machines on 1.0.0 with 5 reports (0.25 per machine), 10 on 1.1.0 with 5
    // (0.5: exactly twice, not over).
    set_day(-1);
    activity(&edge, "prev", 20, "1.0.0", 5);
    activity(&edge, "new", 10, "1.1.0", 5);
    written(&edge, 40);
    set_day(0);
    let v = health_check(&edge);
    assert_eq!(v["releases"], json!({}), "not tripped: {v}");
    assert_eq!(tinyaii(&edge).as_deref(), Some("1.1.0"));
    // Today one more report from 1.1.0: 0.6 per machine, over twice 0.25.
    activity(&edge, "new", 1, "1.1.0", 1);
    written(&edge, 41);
    let v = health_check(&edge);
    assert_eq!(v["releases"]["1.1.0"]["state"], "halted", "{v}");
    assert_eq!(
        v["releases"]["1.1.0"]["reason"],
        "health rule: 1.1.0 had 6 error reports from 10 machines (0.600 per machine) in 2 \
         days, over 2 times 1.0.0's 0.250 (5 from 20)"
    );
    assert_eq!(v["history"][0]["by"], "health rule");
    assert_eq!(tinyaii(&edge), None, "halted: not offered");
    // A publisher who resumes it overrules the rule: it does not halt it again.
    rollout_ok(&edge, &["windows-tool", "1.1.0", "--resume"]);
    let v = health_check(&edge);
    assert_eq!(v["releases"]["1.1.0"]["state"], "live", "{v}");
    assert_eq!(tinyaii(&edge).as_deref(), Some("1.1.0"));
}
