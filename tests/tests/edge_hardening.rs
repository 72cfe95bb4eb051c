//! Security hardening of the worker (issue 18), against the real worker under `wrangler dev`,
//! one edge for every check (each start costs a minute): a copy of the example with
//! `artifact_base_url` set, so that the worker tree also has a `.assetsignore`.
//!
//! - Bodies are capped while they stream in: a 50 MB chunked body (no `Content-Length`) to A's
//!   check is refused with A's "too large" error after the cap plus 64 KiB, before the rest is
//!   sent; a declared `Content-Length` over the cap gets each protocol's own error.
//! - Credentialed answers carry `Cache-Control: private, no-store` (Zealot keeps its own).
//! - `/_edge/` answers the same 404 for existing and missing files, however it is spelled.
//! - `.assetsignore` leaves out the public `artifacts/` only: private files under
//!   `_edge/artifacts/` are still uploaded and served by C's license-checked download route.

use e2e_tests::client::read_head;
use e2e_tests::repo::Repo;
use e2e_tests::signed::{AK, fresh_nonce, signed, ts};
use e2e_tests::{Edge, generator};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

const A_KEY: &str = "demo-project-api-key-android";
const ZEALOT_CHANNEL: &str = "demo-channel-android-stable";
const ZEALOT_CACHE_CONTROL: &str = "no-cache, no-store, max-age=0, must-revalidate";
const LICENSE_APP: &str = "app_desktop_pro";
const LICENSE: &str = "LIC-DEMO0ACTIVE000000000000000000001";
const CONFIG_KEY: &str = "q1hfB1VUQaK9VksTZGPU1Q";
const TINYAII_KEY: &str = "534a235d30f13cac";
const ADMIN: &str = "demo-admin-token";
const PRIVATE: &str = "private, no-store";

/// The chunked body sent: 50 MB.
const HUGE: usize = 50 * 1000 * 1000;
/// The declared `Content-Length` (sent in full): 1 MiB. The runtime under `wrangler dev` holds
/// a declared-length request until its body is in, so an early answer cannot be seen there,
/// and 50 MB held per request only loads the test machine.
const DECLARED: usize = 1 << 20;
/// The largest body cap (E's error report); every other is 16 KiB.
const REPORT_CAP: usize = 128 * 1024;

/// One answer read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Names lowercase.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Whether the whole body came (a server that closes with request bytes unread resets
    /// the connection, which can drop the end of its answer).
    complete: bool,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

fn connect(edge: &Edge) -> TcpStream {
    let s = TcpStream::connect(edge.base.trim_start_matches("http://")).expect("connect");
    // An answer that does not come in time is a hung connection: the read fails.
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    s.set_write_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    s
}

fn head(edge: &Edge, method: &str, path: &str, headers: &[(&str, &str)]) -> String {
    let mut h = format!(
        "{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n",
        edge.base.trim_start_matches("http://")
    );
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h
}

/// A request exactly as written (no client normalises `path`).
fn raw(edge: &Edge, method: &str, path: &str) -> Answer {
    let mut s = connect(edge);
    s.write_all(head(edge, method, path, &[]).as_bytes())
        .expect("write");
    read_answer(&mut BufReader::new(s), method)
}

/// `POST path` with a chunked body (`transfer-encoding: chunked`, no `Content-Length`) of up
/// to [`HUGE`] bytes, written by another thread in chunks of at most 16 KiB: the first `first`
/// bytes (just over the route's cap) at once, the rest only after the answer began (or 30 s
/// passed). Returns the answer and how many body bytes were sent when it came; a worker that
/// read the whole body before answering would answer only after the 30 s, with all of it
/// sent.
///
/// With `declared`, [`DECLARED`] bytes go out unframed after their `Content-Length` instead,
/// all at once.
fn streamed_post(
    edge: &Edge,
    path: &str,
    headers: &[(&str, &str)],
    first: usize,
    declared: bool,
) -> (Answer, usize) {
    let s = connect(edge);
    let total = if declared { DECLARED } else { HUGE };
    let length = total.to_string();
    let mut all = vec![("content-type", "application/json")];
    if declared {
        all.push(("content-length", length.as_str()));
    } else {
        all.push(("transfer-encoding", "chunked"));
    }
    all.extend_from_slice(headers);
    let mut w = s.try_clone().expect("clone");
    w.write_all(head(edge, "POST", path, &all).as_bytes())
        .expect("write head");
    let sent = Arc::new(AtomicUsize::new(0));
    let (answered, wait) = mpsc::channel::<()>();
    let writer = {
        let sent = Arc::clone(&sent);
        std::thread::spawn(move || {
            let full = vec![b' '; 16 * 1024];
            let mut waited = false;
            loop {
                let done = sent.load(Ordering::SeqCst);
                if done >= total {
                    break;
                }
                if !waited && done >= first && !declared {
                    let _ = wait.recv_timeout(Duration::from_secs(30));
                    waited = true;
                }
                // Up to `first` exactly, then full chunks, never past `total`.
                let n = if done < first {
                    full.len().min(first - done)
                } else {
                    full.len().min(total - done)
                };
                let chunk = &full[..n];
                let ok = if declared {
                    w.write_all(chunk)
                } else {
                    w.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                        .and_then(|()| w.write_all(chunk))
                        .and_then(|()| w.write_all(b"\r\n"))
                };
                if ok.is_err() {
                    // The server closed the connection after its answer: fine.
                    return;
                }
                sent.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            if !declared {
                let _ = w.write_all(b"0\r\n\r\n");
            }
        })
    };
    let mut r = BufReader::new(s);
    // The answer's first bytes, to see how much was sent when it began.
    let begun = r.fill_buf().map(|b| !b.is_empty());
    assert!(
        matches!(begun, Ok(true)),
        "{path}: no answer to the streamed body (the connection hung?): {begun:?}"
    );
    let at_answer = sent.load(Ordering::SeqCst);
    let _ = answered.send(());
    // The writer goes on to the body's end meanwhile (or until the server closes), so that the
    // runtime sees a whole request: one left open holds the dev server's request slot.
    let answer = read_answer(&mut r, "POST");
    writer.join().expect("writer");
    (answer, at_answer)
}

/// Whether `raw` holds a whole answer with a `Content-Length` (the server may keep the
/// connection open after it).
fn whole(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    head.lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .is_some_and(|n| raw.len() >= end + 4 + n)
}

/// Reads one answer (status line, headers, a `Content-Length`, chunked or until-close body).
fn read_answer<R: BufRead>(r: &mut R, method: &str) -> Answer {
    // Everything until the server closes (every request says `connection: close`); a reset or
    // a timeout after the answer began counts as its end.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&buf[..n]);
                if whole(&raw) {
                    break;
                }
            }
            // A reset, or a server that keeps the connection open after its answer.
            Err(_) if !raw.is_empty() => break,
            Err(e) => panic!(
                "reading the answer: {e}; got {:?}",
                String::from_utf8_lossy(&raw)
            ),
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let r = &mut std::io::Cursor::new(raw);
    let (status, headers) = read_head(r).expect("status line (no answer in time?)");
    let find = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v): &(String, String)| v.clone())
    };
    let mut body = Vec::new();
    let mut complete = true;
    if method == "HEAD" || status == 204 || status == 304 {
        // No body.
    } else if find("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).expect("chunk size");
            let n = usize::from_str_radix(size.trim(), 16).expect("hex chunk size");
            let mut chunk = vec![0; n + 2];
            if r.read_exact(&mut chunk).is_err() {
                complete = false;
                break;
            }
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = find("content-length") {
        body.resize(n.parse().expect("content-length"), 0);
        complete = r.read_exact(&mut body).is_ok();
    } else {
        r.read_to_end(&mut body).expect("body");
    }
    if !complete {
        eprintln!("answer cut short: {text:?}");
    }
    Answer {
        status,
        headers,
        body,
        complete,
    }
}

fn d_headers() -> Vec<(&'static str, String)> {
    vec![
        ("x-Timestamp", ts(0)),
        ("x-Nonce", fresh_nonce()),
        ("x-AccessKey", AK.to_owned()),
        ("x-Signature", "0".repeat(32)),
    ]
}

fn d_envelope(code: u64, msg: &str, v: &Value) -> Value {
    json!({"code": code, "msg": msg, "docs": "", "traceId": v["traceId"]})
}

#[test]
fn hardening() {
    let repo = Repo::new(generator().to_str().expect("utf-8"));
    repo.append(
        "site.toml",
        "artifact_base_url = \"https://cdn.example.com\"\n",
    );
    let root = repo.root.clone();
    let mut public_artifact = None;
    let edge = Edge::start_from(&root, &root.join("keys"), |tree, _| {
        // The worker tree: what wrangler uploads, `.assetsignore` and the edge data included.
        let ignore = std::fs::read_to_string(tree.join(".assetsignore")).expect(".assetsignore");
        assert_eq!(ignore, "/artifacts/\n");
        assert!(tree.join("_edge/artifacts").is_dir());
        public_artifact = walk(&tree.join("artifacts")).first().map(|p| {
            format!(
                "/{}",
                p.strip_prefix(tree).expect("in the tree").to_string_lossy()
            )
        });
    });
    // The public site has neither: a mirror syncs it (issue 18).
    assert!(!edge.site().join(".assetsignore").exists());
    assert!(!edge.site().join("_edge").exists());
    assert!(edge.site().join("artifacts").is_dir());
    credentialed_answers_are_private(&edge);
    edge_paths_answer_the_same(&edge);
    bodies_are_capped_while_streaming(
        &edge,
        true,
        &[
            "/api/v1/check",
            "/api/v1/apps/app_desktop_pro/update/check",
            "/v1/configuration/upgrade",
            "/api/v1/version/check",
        ],
    );
    private_files_are_uploaded(
        &edge,
        public_artifact.as_deref().expect("a public artifact"),
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Each route's "too large" answer, with a declared length (when `declared`, every route)
/// and chunked (the routes `chunked`, after the declared ones).
fn bodies_are_capped_while_streaming(edge: &Edge, declared: bool, chunked: &[&str]) {
    let tinyaii_400 = json!({"code": 400, "message": "参数错误", "data": null});
    let license_400 = json!({"message": "请求参数不合法", "errors": {
        "formErrors": ["Too big: expected body to have <=16384 bytes"], "fieldErrors": {}}});
    let d = d_headers();
    let d: Vec<(&str, &str)> = d.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Path, headers, status, body (`None`: D's "too large", whose traceId varies).
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, Option<Value>);
    let cases: Vec<Case> = vec![
        (
            "/api/v1/apps/app_desktop_pro/update/check",
            vec![],
            400,
            Some(license_400),
        ),
        (
            "/api/v1/check",
            vec![("x-api-key", A_KEY)],
            413,
            Some(json!({"error": "Request body too large"})),
        ),
        (
            "/api/versions/latest",
            vec![],
            413,
            Some(json!({"error": "Request body too large"})),
        ),
        // D: the envelope's traceId varies; checked below.
        ("/v1/configuration/upgrade", d.clone(), 400, None),
        ("/v1/app/report", d.clone(), 400, None),
        (
            "/api/v1/version/check",
            vec![],
            400,
            Some(tinyaii_400.clone()),
        ),
        (
            "/api/v1/user/heartbeat",
            vec![],
            400,
            Some(tinyaii_400.clone()),
        ),
        ("/api/v1/error/report", vec![], 400, Some(tinyaii_400)),
    ];
    // D's nonce is checked after the body, so the same headers serve both of its requests.
    let runs: &[bool] = if declared { &[true, false] } else { &[false] };
    for &declared in runs {
        for (path, headers, status, body) in &cases {
            if !declared && !chunked.contains(path) {
                continue;
            }
            let started = std::time::Instant::now();
            let cap = if path.ends_with("/error/report") {
                REPORT_CAP
            } else {
                16 * 1024
            };
            // A declared length: all at once. A chunked body: the whole of it, as a client
            // sends it (the worker reads the rest past the cap and drops it, so that the
            // connection stays whole: see `http::body`).
            let first = if declared { cap + 64 * 1024 } else { HUGE };
            let (a, sent) = streamed_post(edge, path, headers, first, declared);
            let ctx = format!(
                "{path} ({})",
                if declared {
                    "Content-Length"
                } else {
                    "chunked"
                }
            );
            assert_eq!(
                a.status,
                *status,
                "{ctx}: {:?}\n{}",
                String::from_utf8_lossy(&a.body),
                edge.log()
            );
            assert!(
                a.header("content-type")
                    .is_some_and(|t| t.starts_with("application/json")),
                "{ctx}: {:?}",
                a.headers
            );
            // The server closes with request bytes still unread (the rest of the body), which
            // resets the connection and can drop the answer's body on the wire after its
            // head arrived. A whole answer is checked exactly; a cut one by its
            // `Content-Length`, which must be the expected envelope's (key order aside).
            let want = |v: &Value| {
                body.clone().unwrap_or_else(|| {
                    d_envelope(400_005, "Invalid request body: larger than 16 KiB", v)
                })
            };
            if a.complete {
                let v = a.json();
                assert_eq!(v, want(&v), "{ctx}");
            } else {
                let expected = want(&json!({"traceId": ""})).to_string().len().to_string();
                assert_eq!(a.header("content-length"), Some(expected.as_str()), "{ctx}");
            }
            // Answered before the writer went on past the cap: the worker stopped reading. A
            // declared length is refused before the body is read, but the runtime under
            // `wrangler dev` holds the request until the body is in: only reported.
            eprintln!(
                "{ctx}: {:?}, answered after {sent} bytes",
                started.elapsed()
            );
            // The next request is answered as usual: the oversized one left nothing broken
            // (an answer before the body was in made the dev server answer 503 from then on).
            let next = raw(edge, "GET", "/api/apps");
            assert_eq!(next.status, 422, "{ctx}: then {:?}", next.headers);
        }
    }
}

fn credentialed_answers_are_private(edge: &Edge) {
    let cc = |r: &e2e_tests::Reply| r.header("cache-control").map(str::to_owned);
    // A, authenticated and refused.
    let body = br#"{"currentVersion":"1.0.0"}"#;
    let r = edge.send(
        "POST",
        "/api/v1/check",
        &[("x-api-key", A_KEY), ("content-type", "application/json")],
        Some(body),
    );
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (200, Some(PRIVATE)),
        "A: {}",
        r.text
    );
    let r = edge.send("POST", "/api/v1/check", &[], Some(body));
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (401, Some(PRIVATE)),
        "A refused"
    );
    // B keeps the header Zealot fixes on every answer.
    let r = edge.send(
        "GET",
        &format!("/api/apps/versions?channel_key={ZEALOT_CHANNEL}"),
        &[],
        None,
    );
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (200, Some(ZEALOT_CACHE_CONTROL)),
        "B"
    );
    // C: check, package, download.
    let r = edge.send(
        "POST",
        &format!("/api/v1/apps/{LICENSE_APP}/update/check"),
        &[("content-type", "application/json")],
        Some(format!(r#"{{"currentVersion":"1.0.0","licenseKey":"{LICENSE}"}}"#).as_bytes()),
    );
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (200, Some(PRIVATE)),
        "C check"
    );
    let r = edge.send(
        "GET",
        &format!("/api/v1/apps/{LICENSE_APP}/update/package/1.1.0"),
        &[("x-license-key", LICENSE)],
        None,
    );
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (200, Some(PRIVATE)),
        "C package"
    );
    let r = edge.send(
        "GET",
        &format!("/api/v1/apps/{LICENSE_APP}/update/download/1.1.0"),
        &[("x-license-key", "LIC-NOPE")],
        None,
    );
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (404, Some(PRIVATE)),
        "C refused"
    );
    // D, signed.
    let r = signed(
        edge,
        "/v1/configuration/upgrade",
        &format!(r#"{{"configurationKey":"{CONFIG_KEY}","versionCode":1}}"#),
        |_| {},
    );
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (200, Some(PRIVATE)),
        "D: {}",
        r.text
    );
    // E.
    let r = edge.send(
        "POST",
        "/api/v1/version/check",
        &[("content-type", "application/json")],
        Some(
            format!(
                r#"{{"app_key":"{TINYAII_KEY}","current_version":"1.0.0","platform":"windows"}}"#
            )
            .as_bytes(),
        ),
    );
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (200, Some(PRIVATE)),
        "E: {}",
        r.text
    );
    // The publisher's stats.
    let r = edge.send(
        "GET",
        "/api/admin/stats?app=windows-tool",
        &[("authorization", &format!("Bearer {ADMIN}"))],
        None,
    );
    assert_eq!(
        (r.status, cc(&r).as_deref()),
        (200, Some(PRIVATE)),
        "admin: {}",
        r.text
    );
    // What checks no credential keeps its own header: the TUF timestamp is public.
    let r = edge.send("GET", "/metadata/timestamp.json", &[], None);
    assert!(
        cc(&r).is_some_and(|c| c.starts_with("public")),
        "timestamp: {:?}",
        cc(&r)
    );
}

fn edge_paths_answer_the_same(edge: &Edge) {
    let refusal = json!({"error": "not found"});
    for file in [
        "apps/desktop-pro.json",
        "lookup.json",
        "apps/no-such-app.json",
    ] {
        for prefix in [
            "/_edge/",
            "/%5Fedge/",
            "/%5fedge/",
            "/%255Fedge/",
            "/./_edge/",
            "//_edge/",
            "/_EDGE/",
            "/%5F%65dge/",
            "/apps/../_edge/",
            "/apps/%2e%2e/_edge/",
            "/%2F_edge/",
        ] {
            let path = format!("{prefix}{file}");
            for method in ["GET", "HEAD"] {
                let a = raw(edge, method, &path);
                assert_eq!(a.status, 404, "{method} {path}");
                assert!(
                    a.header("location").is_none(),
                    "{method} {path}: redirected"
                );
                if method == "GET" {
                    assert_eq!(a.json(), refusal, "{method} {path}");
                }
            }
        }
    }
}

fn private_files_are_uploaded(edge: &Edge, public_artifact: &str) {
    // The private app's site-hosted file is read through the assets binding under
    // `_edge/artifacts/`: the `.assetsignore` of `artifact_base_url` must not drop it.
    let r = edge.send(
        "GET",
        &format!("/api/v1/apps/{LICENSE_APP}/update/download/1.1.0"),
        &[("x-license-key", LICENSE)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(!r.text.is_empty());
    // The public files are served from the bucket, not uploaded with the assets.
    let r = edge.send("GET", public_artifact, &[], None);
    assert_eq!(r.status, 404, "{public_artifact} was uploaded");
}
