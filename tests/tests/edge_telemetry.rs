//! Telemetry against the real worker under `wrangler dev` with its local D1 (migrations
//! applied by the harness): exact DAU/WAU/MAU over several days (past days seeded with SQL),
//! repeated heartbeats counted once, error reports grouped, truncated and counted, the
//! retention job, the admin stats, and the seed's Python client's heartbeat and error report.

use e2e_tests::{Edge, run_generator, today, workspace_root};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::process::Command;

const KEY: &str = "534a235d30f13cac";
const APP: &str = "windows-tool";
const SALT: &str = "demo-telemetry-salt";
const ADMIN: &str = "demo-admin-token";

/// The stored form of a machine id, computed here independently of the worker.
fn hash(machine: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SALT.as_bytes()).expect("any key length");
    mac.update(format!("{APP}\n{machine}").as_bytes());
    hex::encode(mac.finalize().into_bytes())[..32].to_owned()
}

fn stats(edge: &Edge, token: Option<&str>) -> (u16, Value) {
    edge.admin_stats(APP, token)
}

fn seed(edge: &Edge, day: i64, machines: &[String], version: &str) {
    let rows: Vec<String> = machines
        .iter()
        .map(|m| format!("('{APP}', {day}, '{m}', '{version}', 'windows')"))
        .collect();
    edge.d1(&format!(
        "INSERT INTO machine_days (app, day, machine, version, platform) VALUES {}",
        rows.join(", ")
    ));
}

#[test]
fn telemetry_end_to_end() {
    let edge = Edge::start();
    let today = today();
    let beat = |machine: &str, version: &str| {
        edge.post_json(
            "/api/v1/user/heartbeat",
            &json!({"app_key": KEY, "machine_id": machine, "version": version}).to_string(),
        )
    };

    // Today: ten machines, each beating three times (counted once), four of them on 1.0.0.
    for round in 0..3 {
        for i in 0..10 {
            let (code, v) = beat(&format!("m{i}"), if i < 6 { "1.1.0" } else { "1.0.0" });
            assert_eq!(code, 200, "{v}\n{}", edge.log());
            assert_eq!(
                v,
                json!({"code": 200, "message": "心跳记录成功", "data": {"recorded": true}}),
                "round {round}"
            );
        }
    }
    // One row per machine and day, and the machine id only as its keyed hash, once the queue's
    // consumer has written them.
    let mut expected: Vec<String> = (0..10).map(|i| hash(&format!("m{i}"))).collect();
    expected.sort();
    let stored = edge.eventually("today's ten machines in D1", || {
        let rows = edge.d1(&format!(
            "SELECT machine FROM machine_days WHERE app = '{APP}' AND day = {today} \
             ORDER BY machine"
        ));
        let stored: Vec<String> = rows[0]["results"]
            .as_array()?
            .iter()
            .filter_map(|r| r["machine"].as_str().map(str::to_owned))
            .collect();
        (stored.len() >= 10).then_some(stored)
    });
    assert_eq!(stored, expected);

    // Past days, seeded: 3 days ago m0 (already counted) and five others; 20 days ago m6 and
    // seven others; 40 days ago three more (outside every window).
    let named = |p: &str, n: usize| {
        (1..=n)
            .map(|i| hash(&format!("{p}{i}")))
            .collect::<Vec<_>>()
    };
    seed(&edge, today - 3, &[hash("m0")], "1.0.0");
    seed(&edge, today - 3, &named("x", 5), "0.9.0");
    seed(&edge, today - 20, &[hash("m6")], "0.9.0");
    seed(&edge, today - 20, &named("y", 7), "0.8.0");
    seed(&edge, today - 40, &named("z", 3), "0.7.0");

    // Error reports: three of one bug (different messages, same type and stack top), one of
    // another, one oversized.
    let report = |ty: &str, msg: &str, stack: &str| {
        edge.post_json(
            "/api/v1/error/report",
            &json!({"app_key": KEY, "machine_id": "m1", "software_version": "1.1.0",
                    "error_type": ty, "error_message": msg, "error_stack": stack,
                    "os_info": "Windows-10"})
            .to_string(),
        )
    };
    let stack = "at load()\nat main()\nat start()\nat os()";
    let mut ids = Vec::new();
    for (i, extra) in ["", "\nat elsewhere()", "\nat other()"].iter().enumerate() {
        let (code, v) = report(
            "IOError",
            &format!("file {i} missing"),
            &format!("{stack}{extra}"),
        );
        assert_eq!(
            (code, v["code"].as_i64(), v["message"].as_str()),
            (200, Some(200), Some("错误上报成功")),
            "{v}"
        );
        ids.push(v["data"]["id"].as_i64().expect("id"));
    }
    // Chosen at random before the report is queued: distinct, exact in every JSON reader.
    assert!(ids.iter().all(|&id| (1..1 << 53).contains(&id)), "{ids:?}");
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    assert_eq!(report("KeyError", "k", "at get()").0, 200);
    let long = "é".repeat(10_000);
    let (code, v) = report("Huge", &long, &"s".repeat(100_000));
    assert_eq!(code, 200, "{v}\n{}", edge.log());

    // Bad input: the tinyaii envelope, never a 500.
    for (path, body, status) in [
        (
            "/api/v1/user/heartbeat",
            json!({"app_key": "nope", "machine_id": "m", "version": "1"}).to_string(),
            401,
        ),
        (
            "/api/v1/user/heartbeat",
            json!({"app_key": KEY, "version": "1"}).to_string(),
            400,
        ),
        ("/api/v1/user/heartbeat", "{bad".to_owned(), 400),
        (
            "/api/v1/user/heartbeat",
            json!({"app_key": KEY, "machine_id": "m", "version": "1", "pad": "x".repeat(20_000)})
                .to_string(),
            400,
        ),
        (
            "/api/v1/error/report",
            json!({"app_key": "nope", "machine_id": "m"}).to_string(),
            401,
        ),
        (
            "/api/v1/error/report",
            json!({"app_key": KEY}).to_string(),
            400,
        ),
        ("/api/v1/error/report", "[]".to_owned(), 400),
    ] {
        let (code, v) = edge.post_json(path, &body);
        assert_eq!(
            (code, v["code"].as_u64()),
            (status, Some(u64::from(status))),
            "{path} {body:.60}: {v}"
        );
        assert!(v["data"].is_null());
    }

    // The seed's Python client: its heartbeat and error report, unchanged but for base URL and
    // key. Its machine id is uuid.getnode(), a new machine today.
    let driver = format!(
        "import runpy; m = runpy.run_path({:?}); m['heartbeat']('1.1.0'); \
         m['report_error'](ValueError('boom'), '1.1.0')",
        workspace_root()
            .join("tests/clients/tinyaii_example.py")
            .display()
            .to_string()
    );
    let out = Command::new("python3")
        .args(["-c", &driver])
        .env("BASE_URL", &edge.base)
        .env("APP_KEY", KEY)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The stats: admin token only.
    assert_eq!(stats(&edge, None).0, 401);
    assert_eq!(stats(&edge, Some("not-the-token")).0, 401);
    // Once the consumer has written everything: 11 machines today, 6 error groups' reports.
    let (code, v) = edge.eventually("every heartbeat and report counted", || {
        let (code, v) = stats(&edge, Some(ADMIN));
        let s = &v["apps"][0];
        let reports: i64 = s["errors"]
            .as_array()?
            .iter()
            .filter_map(|e| e["count"].as_i64())
            .sum();
        (code != 200 || (s["dau"] == 11 && reports == 6)).then_some((code, v))
    });
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["day"], today);
    let s = &v["apps"][0];
    assert_eq!(s["app"], APP);
    // DAU: m0..m9 + the Python client; WAU adds x1..x5; MAU adds y1..y7 (m0 and m6 once).
    assert_eq!(
        (s["dau"].as_i64(), s["wau"].as_i64(), s["mau"].as_i64()),
        (Some(11), Some(16), Some(23)),
        "{s}"
    );
    // By each machine's latest day, most machines first (ties by version).
    let installs: Vec<(String, i64)> = s["installs"]
        .as_array()
        .expect("installs")
        .iter()
        .map(|i| {
            (
                i["version"].as_str().unwrap_or("").to_owned(),
                i["machines"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        installs,
        [
            ("0.8.0".to_owned(), 7),
            ("1.1.0".to_owned(), 7),
            ("0.9.0".to_owned(), 5),
            ("1.0.0".to_owned(), 4)
        ]
    );
    let errors = s["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert_eq!(
        (
            errors[0]["error_type"].as_str(),
            errors[0]["count"].as_i64()
        ),
        (Some("IOError"), Some(3))
    );
    assert_eq!(errors[0]["message"], "file 2 missing");
    assert_eq!(errors[0]["stack_top"], "at load()\nat main()\nat start()");
    assert!(errors[0]["first_seen"].as_i64() < errors[0]["last_seen"].as_i64());
    let huge = errors
        .iter()
        .find(|e| e["error_type"] == "Huge")
        .expect("huge");
    assert_eq!(
        huge["message"].as_str().map(|m| m.chars().count()),
        Some(4096)
    );
    assert!(
        errors
            .iter()
            .any(|e| e["error_type"] == "ValueError" && e["message"] == "boom")
    );
    let stored = edge.d1("SELECT MAX(LENGTH(stack)) AS s FROM error_reports");
    assert_eq!(stored[0]["results"][0]["s"], 65_536);

    // Retention: roll finished days up, delete raw rows older than 35 days, keep the counts.
    let r = edge.send("GET", "/__scheduled?cron=17+3+*+*+*", &[], None);
    assert!(r.status < 300, "{}: {}", r.status, r.text);
    let left = edge.d1(&format!(
        "SELECT COUNT(*) AS n FROM machine_days WHERE day < {}",
        today - 35
    ));
    assert_eq!(left[0]["results"][0]["n"], 0);
    let kept = edge.d1(&format!(
        "SELECT day, machines FROM daily_active WHERE app = '{APP}' ORDER BY day"
    ));
    assert_eq!(
        kept[0]["results"],
        json!([{"day": today - 40, "machines": 3}, {"day": today - 20, "machines": 8},
               {"day": today - 3, "machines": 6}])
    );
    let (_, after) = stats(&edge, Some(ADMIN));
    assert_eq!(after["apps"][0]["mau"], 23);
    assert_eq!(after["apps"][0]["dau"], 11);

    // The generator prints the same, as JSON or as a table.
    let out = run_generator(&[
        "stats", "--url", &edge.base, "--token", ADMIN, "--app", APP, "--format", "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(e2e_tests::stdout_json(&out), after);
    let out = run_generator(&["stats", "--url", &edge.base, "--token", ADMIN]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == [APP, "11", "16", "23"]),
        "{text}"
    );
    assert!(text.contains("IOError") && text.contains("1.1.0"), "{text}");
    let out = run_generator(&["stats", "--url", &edge.base, "--token", "wrong"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused the admin token"));
}
