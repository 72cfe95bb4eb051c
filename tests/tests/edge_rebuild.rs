//! A publisher adds a release and rebuilds the site while the real worker serves it under
//! `wrangler dev`: the edge answers the new release afterwards, and none of the requests sent
//! without pause from another thread while the site changes gets a 5xx or no answer.

use e2e_tests::{Edge, example_dir};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const KEY: &str = "demo-project-api-key-android";
/// An armeabi-v7a client on 1.0.0: the example's newest release with a build for it is 1.1.0.
const CHECK: &str = r#"{"currentVersion":"1.0.0","architecture":"armeabi-v7a"}"#;
const LATEST: &str = "/apps/android-demo/stable/armeabi-v7a/latest.json";

/// Protocol A's answer for [`CHECK`]: (status, the offered version).
fn offered(edge: &Edge) -> (u16, String) {
    let r = edge.send(
        "POST",
        "/api/v1/check",
        &[("content-type", "application/json"), ("x-api-key", KEY)],
        Some(CHECK.as_bytes()),
    );
    let version = serde_json::from_str::<serde_json::Value>(&r.text)
        .ok()
        .and_then(|v| v["data"]["version"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (r.status, version)
}

/// One request of the load: when it was sent, what it was, its status (0: no answer).
struct Sent {
    at: Instant,
    what: &'static str,
    status: u16,
}

/// Sends, in turn, a worker route that reads the edge data, a static index and the portal's
/// home page until `stop`, recording each answer.
fn load(edge: &Edge, stop: &AtomicBool) -> Vec<Sent> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut sent = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        for what in ["check", "latest.json", "index.html"] {
            let at = Instant::now();
            let r = match what {
                "check" => agent
                    .post(&format!("{}/api/v1/check", edge.base))
                    .set("content-type", "application/json")
                    .set("x-api-key", KEY)
                    .send_string(CHECK),
                "latest.json" => agent.get(&format!("{}{LATEST}", edge.base)).call(),
                _ => agent.get(&format!("{}/", edge.base)).call(),
            };
            let status = match r {
                Ok(r) => r.status(),
                Err(ureq::Error::Status(code, _)) => code,
                Err(_) => 0,
            };
            sent.push(Sent { at, what, status });
        }
    }
    sent
}

#[test]
fn a_rebuild_while_serving_is_served_and_no_request_fails() {
    let (_tmp, root) = e2e_tests::example_copy();
    let edge = Edge::start_from(&root, &example_dir().join("keys"), |_, _| {});
    assert_eq!(offered(&edge), (200, "1.1.0".to_owned()));

    // The publisher's change: a newer release with an armeabi-v7a build.
    let files = root.join("releases/android-demo/files");
    std::fs::write(
        files.join("demo-1.6.0-armeabi-v7a.apk"),
        "fake APK: com.example.demo 1.6.0 armeabi-v7a\n",
    )
    .expect("write apk");
    std::fs::write(
        root.join("releases/android-demo/1.6.0.toml"),
        r#"app = "android-demo"
version = "1.6.0"
version_code = 160
published_at = 2026-06-01T08:00:00Z
changelog = "Built while the edge was serving"

[[artifacts]]
arch = "armeabi-v7a"
file = "files/demo-1.6.0-armeabi-v7a.apk"
"#,
    )
    .expect("write manifest");

    let stop = AtomicBool::new(false);
    let (sent, rebuild_started, served_at) = std::thread::scope(|s| {
        let loader = s.spawn(|| load(&edge, &stop));
        // Some load before the rebuild, then the rebuild, then wait for wrangler to serve it.
        std::thread::sleep(Duration::from_secs(2));
        let started = Instant::now();
        let out = edge.rebuild(&root);
        assert!(
            out.status.success(),
            "rebuild: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let deadline = started + Duration::from_secs(60);
        let served_at = loop {
            if offered(&edge) == (200, "1.6.0".to_owned()) {
                break Instant::now();
            }
            assert!(
                Instant::now() < deadline,
                "the edge still offers the old release a minute after the rebuild:\n{}",
                edge.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        // Keep the load on a little longer: wrangler may reload once more.
        std::thread::sleep(Duration::from_secs(3));
        stop.store(true, Ordering::Relaxed);
        (loader.join().expect("load thread"), started, served_at)
    });

    let during = sent
        .iter()
        .filter(|r| r.at >= rebuild_started && r.at <= served_at)
        .count();
    let failed: Vec<String> = sent
        .iter()
        .filter(|r| r.status == 0 || r.status >= 500)
        .map(|r| {
            format!(
                "{} at +{:?}: {}",
                r.what,
                r.at.saturating_duration_since(rebuild_started),
                r.status
            )
        })
        .collect();
    eprintln!(
        "{} requests, {during} between the rebuild's start and the new release's first answer ({:?})",
        sent.len(),
        served_at - rebuild_started
    );
    assert!(during > 0, "no request was sent while the site changed");
    assert!(
        failed.is_empty(),
        "{} of {} requests failed: {failed:?}\n{}",
        failed.len(),
        sent.len(),
        edge.log()
    );

    // The new release is served everywhere: the static index, and its artifact's download.
    let (status, latest) = edge.get(LATEST);
    assert_eq!(status, 200);
    let latest: serde_json::Value = serde_json::from_str(&latest).expect("latest.json");
    assert_eq!(latest["latest"]["version"], "1.6.0", "{latest}");
    let url = latest["latest"]["artifacts"][0]["url"]
        .as_str()
        .expect("artifact url");
    assert_eq!(
        edge.get(url),
        (
            200,
            "fake APK: com.example.demo 1.6.0 armeabi-v7a\n".to_owned()
        )
    );
}
