//! Telemetry through the queues against the real worker under `wrangler dev` (Miniflare's
//! Queues, its local D1): `wrangler.toml` configures the queues the code sends to; heartbeats
//! of many machines, sent concurrently over simulated days (the worker's clock moved by
//! `Edge::set_clock_offset_days`), give exact DAU/WAU/MAU on each day; a batch whose write
//! fails is retried and counted once; one that fails every retry is kept as dead letters.

use e2e_tests::{Edge, today, workspace_root};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use update_protocol::ingest::{self, DEAD_LETTER_QUEUE, MAX_BATCH, QUEUES};

const KEY: &str = "534a235d30f13cac";
const APP: &str = "windows-tool";
const ADMIN: &str = "demo-admin-token";

#[test]
fn wrangler_toml_configures_the_queues_the_code_sends_to() {
    let config: toml::Value = toml::from_str(
        &std::fs::read_to_string(workspace_root().join("wrangler.toml")).expect("wrangler.toml"),
    )
    .expect("wrangler.toml is TOML");
    let producers = config["queues"]["producers"]
        .as_array()
        .expect("[[queues.producers]]");
    let consumers = config["queues"]["consumers"]
        .as_array()
        .expect("[[queues.consumers]]");
    assert_eq!(producers.len(), QUEUES);
    assert_eq!(
        consumers.len(),
        QUEUES + 1,
        "one consumer per queue and the dead letters'"
    );
    for i in 0..QUEUES {
        let p = producers
            .iter()
            .find(|p| p["binding"].as_str() == Some(&ingest::queue_binding(i)))
            .unwrap_or_else(|| panic!("no producer {}", ingest::queue_binding(i)));
        assert_eq!(p["queue"].as_str(), Some(ingest::queue_name(i).as_str()));
        let c = consumers
            .iter()
            .find(|c| c["queue"].as_str() == Some(&ingest::queue_name(i)))
            .unwrap_or_else(|| panic!("no consumer of {}", ingest::queue_name(i)));
        assert_eq!(
            c["max_batch_size"].as_integer(),
            Some(i64::try_from(MAX_BATCH).expect("small"))
        );
        assert_eq!(c["dead_letter_queue"].as_str(), Some(DEAD_LETTER_QUEUE));
        assert!(c["max_retries"].as_integer() >= Some(1));
    }
    assert!(
        consumers
            .iter()
            .any(|c| c["queue"].as_str() == Some(DEAD_LETTER_QUEUE)),
        "no consumer of the dead letters"
    );
}

/// Heartbeats of `machines` at version `version`, each twice, from eight threads at once.
fn beat_all(edge: &Edge, machines: &[String], version: &str) {
    std::thread::scope(|s| {
        for part in machines.chunks(machines.len().div_ceil(8).max(1)) {
            s.spawn(move || {
                for m in part.iter().chain(part) {
                    let (code, v) = edge.post_json(
                        "/api/v1/user/heartbeat",
                        &json!({"app_key": KEY, "machine_id": m, "version": version}).to_string(),
                    );
                    assert_eq!((code, &v["data"]["recorded"]), (200, &json!(true)), "{v}");
                }
            });
        }
    });
}

#[test]
fn heartbeats_over_simulated_days_give_exact_active_counts() {
    let edge = Edge::start();
    let real_today = today();
    // Days relative to today: one outside every window of the last day, one only in its
    // MAU, one at the far edge of its WAU, and two more.
    let days = [-30_i64, -8, -6, -2, 0];
    let machines: Vec<String> = (0..150).map(|i| format!("machine-{i}")).collect();
    let mut seen: Vec<(i64, BTreeSet<String>)> = Vec::new();
    for (j, &offset) in days.iter().enumerate() {
        edge.set_clock_offset_days(offset, ADMIN);
        let day = real_today + offset;
        // About 40 % of the machines each day, a different 40 % every day.
        let active: Vec<String> = machines
            .iter()
            .enumerate()
            .filter(|(i, _)| (i * 31 + j * 17) % 5 < 2)
            .map(|(_, m)| m.clone())
            .collect();
        beat_all(&edge, &active, &format!("1.{j}.0"));
        seen.push((day, active.iter().cloned().collect()));

        let within = |window: i64| {
            seen.iter()
                .filter(|(d, _)| day - window < *d && *d <= day)
                .flat_map(|(_, m)| m.iter().cloned())
                .collect::<BTreeSet<_>>()
                .len()
        };
        let expected = (within(1), within(7), within(30));
        let s = edge.eventually(
            &format!("{} machines active on day {day}", active.len()),
            || {
                let (code, v) = edge.admin_stats(APP, Some(ADMIN));
                assert_eq!(code, 200, "{v}");
                let s = v["apps"][0].clone();
                (s["dau"].as_u64() >= Some(expected.0 as u64)).then_some(s)
            },
        );
        let counts = |s: &Value| {
            let n = |k: &str| usize::try_from(s[k].as_u64().unwrap_or(0)).unwrap_or(0);
            (n("dau"), n("wau"), n("mau"))
        };
        assert_eq!(counts(&s), expected, "day {day} ({offset}): {s}");
        // Every machine active today is on today's version.
        let versions: Vec<(String, u64)> = s["installs"]
            .as_array()
            .expect("installs")
            .iter()
            .map(|i| {
                (
                    i["version"].as_str().unwrap_or("").to_owned(),
                    i["machines"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert!(
            versions.contains(&(format!("1.{j}.0"), active.len() as u64)),
            "day {day}: {versions:?}"
        );
    }
    // One row per machine and day: the repeats (and any redelivered batch) were not rows.
    let rows = edge.d1(&format!(
        "SELECT COUNT(*) AS n FROM machine_days WHERE app = '{APP}'"
    ));
    let expected: usize = seen.iter().map(|(_, m)| m.len()).sum();
    assert_eq!(rows[0]["results"][0]["n"], expected);
}

fn report(edge: &Edge, error_type: &str) {
    let (code, v) = edge.post_json(
        "/api/v1/error/report",
        &json!({"app_key": KEY, "machine_id": "m1", "software_version": "1.1.0",
                "error_type": error_type, "error_message": "it broke",
                "error_stack": "at load()\nat main()", "os_info": "Windows-10"})
        .to_string(),
    );
    assert_eq!(
        (code, v["message"].as_str()),
        (200, Some("错误上报成功")),
        "{v}"
    );
}

fn count(edge: &Edge, sql: &str) -> i64 {
    edge.d1(sql)[0]["results"][0]["n"].as_i64().unwrap_or(-1)
}

#[test]
fn a_failed_batch_is_retried_and_counted_once_and_one_that_always_fails_is_kept() {
    let edge = Edge::start();
    let log_lines = |needle: &str| edge.log().matches(needle).count();

    // The write fails while the table is away: the batch's transaction leaves nothing, and
    // the batch comes again.
    edge.d1("ALTER TABLE error_groups RENAME TO error_groups_away");
    for _ in 0..3 {
        report(&edge, "RetriedError");
    }
    edge.eventually("a failed telemetry batch", || {
        (log_lines("telemetry batch of") > 0).then_some(())
    });
    assert_eq!(count(&edge, "SELECT COUNT(*) AS n FROM error_reports"), 0);
    edge.d1("ALTER TABLE error_groups_away RENAME TO error_groups");
    let counted = "SELECT COALESCE(SUM(count), 0) AS n FROM error_groups \
                   WHERE error_type = 'RetriedError'";
    edge.eventually("the retried batch written", || {
        (count(&edge, counted) >= 3).then_some(())
    });
    // Counted once each, however often the batch was delivered.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(count(&edge, counted), 3);
    assert_eq!(count(&edge, "SELECT COUNT(*) AS n FROM error_reports"), 3);
    assert_eq!(count(&edge, "SELECT COUNT(*) AS n FROM dead_letters"), 0);

    // A batch that fails every retry: its message is kept, whole, as a dead letter.
    edge.d1("ALTER TABLE error_groups RENAME TO error_groups_away");
    report(&edge, "LostError");
    let dead = edge.eventually("the dead letter", || {
        let v = edge.d1("SELECT queue, body FROM dead_letters");
        let rows = v[0]["results"].as_array()?.clone();
        (!rows.is_empty()).then_some(rows)
    });
    edge.d1("ALTER TABLE error_groups_away RENAME TO error_groups");
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["queue"], DEAD_LETTER_QUEUE);
    let body: Value =
        serde_json::from_str(dead[0]["body"].as_str().expect("body")).expect("the message");
    assert_eq!(
        (
            body["kind"].as_str(),
            body["error_type"].as_str(),
            body["app"].as_str()
        ),
        (Some("error_report"), Some("LostError"), Some(APP))
    );
    assert!(log_lines("dead after every retry") > 0, "{}", edge.log());
}
