//! The route table against the real worker under `wrangler dev`: every route of
//! `update_protocol::routes::ROUTES` answers something other than the unknown-route error, and
//! a sweep of unknown paths and wrong methods under `/v1/`, `/api/`, `/api/v1/apps/x/update/…`
//! and `/api/apps/…` gets each protocol's exact JSON envelope, 404 or 405 with `Allow`, never
//! an empty body. The sweep talks like a phone's HTTP stack: one keep-alive connection,
//! lowercase header names, `accept-encoding: gzip`. One test function shares one worker.

use e2e_tests::Edge;
use e2e_tests::client::read_head;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use update_protocol::routes::{Envelope, Match, Method, Miss, ROUTES, route};

/// One answer read off the wire.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Names lowercase.
    headers: Vec<(String, String)>,
    /// Decoded (gzip undone).
    body: Vec<u8>,
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

/// A keep-alive HTTP/1.1 connection that sends what okhttp or NSURLSession send.
struct Client {
    host: String,
    conn: Option<BufReader<TcpStream>>,
    /// Requests answered on a connection that was already used (keep-alive held).
    reused: usize,
}

impl Client {
    fn new(base: &str) -> Client {
        Client {
            host: base.trim_start_matches("http://").to_owned(),
            conn: None,
            reused: 0,
        }
    }

    fn send(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> Answer {
        // A connection the server closed is reopened, as a client's pool does.
        for attempt in 0..2 {
            let fresh = self.conn.is_none();
            if fresh {
                let s = TcpStream::connect(&self.host).expect("connect");
                s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
                    .expect("timeout");
                self.conn = Some(BufReader::new(s));
            }
            match self.exchange(method, path, body) {
                Some(a) => {
                    if !fresh {
                        self.reused += 1;
                    }
                    if a.header("connection") == Some("close") {
                        self.conn = None;
                    }
                    return a;
                }
                None => {
                    assert!(attempt == 0 && !fresh, "{method} {path}: connection failed");
                    self.conn = None;
                }
            }
        }
        unreachable!("two attempts")
    }

    /// One request on the open connection; `None` when the connection turned out closed.
    fn exchange(&mut self, method: &str, path: &str, body: Option<&[u8]>) -> Option<Answer> {
        let conn = self.conn.as_mut()?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nuser-agent: okhttp/4.12.0\r\n\
             accept: application/json\r\naccept-encoding: gzip\r\nconnection: keep-alive\r\n",
            self.host
        );
        if let Some(b) = body {
            head.push_str(&format!(
                "content-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n",
                b.len()
            ));
        }
        head.push_str("\r\n");
        let stream = conn.get_mut();
        stream.write_all(head.as_bytes()).ok()?;
        if let Some(b) = body {
            stream.write_all(b).ok()?;
        }
        let (status, headers) = read_head(conn)?;
        let find = |n: &str| {
            headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v): &(String, String)| v.clone())
        };
        let mut raw = Vec::new();
        if method != "HEAD" && status != 204 && status != 304 {
            if find("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
                loop {
                    let mut size = String::new();
                    conn.read_line(&mut size).expect("chunk size");
                    let n = usize::from_str_radix(size.trim().split(';').next()?, 16)
                        .expect("chunk size");
                    let mut chunk = vec![0; n + 2];
                    conn.read_exact(&mut chunk).expect("chunk");
                    if n == 0 {
                        break;
                    }
                    raw.extend_from_slice(&chunk[..n]);
                }
            } else if let Some(n) = find("content-length").and_then(|n| n.parse::<usize>().ok()) {
                raw.resize(n, 0);
                conn.read_exact(&mut raw).expect("body");
            } else {
                conn.read_to_end(&mut raw).expect("body");
                self.conn = None;
            }
        }
        let body = if !raw.is_empty() && find("content-encoding").as_deref() == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .expect("gzip");
            out
        } else {
            raw
        };
        Some(Answer {
            status,
            headers,
            body,
        })
    }
}

/// A miss: its status, its exact body (D's `traceId` as the worker gave it: the request's
/// `cf-ray`, empty locally), `content-type: application/json`, `Allow` on a 405, and Zealot's
/// `Cache-Control` for B.
fn assert_miss(a: &Answer, what: &str, miss: Miss, envelope: Envelope, allow: &str) {
    assert_eq!(a.status, miss.status(), "{what}: {a:?}");
    assert!(!a.body.is_empty(), "{what}: empty body");
    assert!(
        a.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{what}: {a:?}"
    );
    let v = a.json();
    let trace = v["traceId"].as_str().unwrap_or_default().to_owned();
    if envelope == Envelope::Toolsetlink {
        assert!(v["traceId"].is_string(), "{what}: {v}");
    }
    assert_eq!(v, envelope.body(miss, &trace), "{what}");
    match miss {
        Miss::MethodNotAllowed => assert_eq!(a.header("allow"), Some(allow), "{what}"),
        Miss::NotFound => assert_eq!(a.header("allow"), None, "{what}"),
    }
    if envelope == Envelope::Zealot {
        assert_eq!(
            a.header("cache-control"),
            Some("no-cache, no-store, max-age=0, must-revalidate"),
            "{what}"
        );
    }
}

/// A concrete path for a route pattern: each `:param` becomes `x`.
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| if s.starts_with(':') { "x" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn routes_and_misses_end_to_end() {
    let edge = Edge::start();
    let mut client = Client::new(&edge.base);

    // ---- Every route of the table is served (never the unknown-route error) ---------------
    for r in ROUTES {
        let path = concrete(r.path);
        let body: &[u8] = b"{}";
        let (method, body) = match r.method {
            Method::Get => ("GET", None),
            m => (m.as_str(), Some(body)),
        };
        let a = client.send(method, &path, body);
        let what = format!("{method} {path} ({:?})", r.id);
        assert_ne!(a.status, 405, "{what}: {a:?}");
        assert!(
            !a.body.is_empty() || a.status == 302,
            "{what}: empty body {a:?}"
        );
        if a.status == 404 {
            let miss = r.protocol.envelope().body(Miss::NotFound, "");
            let mut v: Value = serde_json::from_slice(&a.body).unwrap_or(Value::Null);
            if v.get("traceId").is_some() {
                v["traceId"] = json!("");
            }
            assert_ne!(v, miss, "{what} answered the unknown-route error");
        }
        // HEAD of a GET route: the same status, headers only.
        if r.method == Method::Get {
            let h = client.send("HEAD", &path, None);
            assert_eq!((h.status, h.body.len()), (a.status, 0), "HEAD {path}");
        }
    }

    // ---- Unknown paths: 404 in the prefix's envelope --------------------------------------
    let not_found: &[(&str, &str, Envelope)] = &[
        ("GET", "/api/apps/1/schemes", Envelope::Zealot),
        ("GET", "/api/apps/versions/1.0.0", Envelope::Zealot),
        ("POST", "/api/apps/1/releases/2/install/x", Envelope::Zealot),
        ("GET", "/api/v1/apps/x/update", Envelope::License),
        ("POST", "/api/v1/apps/x/update/checks", Envelope::License),
        ("GET", "/api/v1/apps/x/update/package", Envelope::License),
        (
            "GET",
            "/api/v1/apps/x/update/package/1.0.0/extra",
            Envelope::License,
        ),
        ("GET", "/api/v1/apps", Envelope::License),
        ("POST", "/api/v1/check/now", Envelope::HotUpdate),
        ("GET", "/api/versions", Envelope::HotUpdate),
        ("GET", "/api/version-artifacts/abc", Envelope::HotUpdate),
        ("POST", "/api/v1/version/latest", Envelope::Tinyaii),
        ("POST", "/api/v1/user/login", Envelope::Tinyaii),
        ("GET", "/api/v1/error", Envelope::Tinyaii),
        ("POST", "/v1/app/upgrade", Envelope::Toolsetlink),
        ("POST", "/v1/tauri/nothing", Envelope::Toolsetlink),
        ("GET", "/v1/apk", Envelope::Toolsetlink),
        ("GET", "/v1/", Envelope::Toolsetlink),
        ("DELETE", "/v1/x/y/z", Envelope::Toolsetlink),
        ("GET", "/api/", Envelope::Generic),
        ("GET", "/api/v1/unknown", Envelope::Generic),
        ("POST", "/api/admin", Envelope::Generic),
        ("GET", "/api/admin/stats/x", Envelope::Generic),
        ("GET", "/_edge/lookup.json", Envelope::Generic),
        ("GET", "/_edge/apps/ios-demo.json", Envelope::Generic),
    ];
    for (method, path, envelope) in not_found {
        let body = (*method != "GET").then_some(&b"{}"[..]);
        let a = client.send(method, path, body);
        assert_miss(
            &a,
            &format!("{method} {path}"),
            Miss::NotFound,
            *envelope,
            "",
        );
    }

    // ---- Wrong methods: 405 with Allow in the route's envelope ----------------------------
    let wrong: &[(&str, &str, Envelope, &str)] = &[
        ("POST", "/api/apps", Envelope::Zealot, "GET, HEAD"),
        ("PUT", "/api/apps/2", Envelope::Zealot, "GET, HEAD"),
        ("DELETE", "/api/apps/2", Envelope::Zealot, "GET, HEAD"),
        ("POST", "/api/apps/upload", Envelope::Zealot, "GET, HEAD"),
        ("POST", "/api/apps/latest", Envelope::Zealot, "GET, HEAD"),
        (
            "PATCH",
            "/api/apps/version_exist",
            Envelope::Zealot,
            "GET, HEAD",
        ),
        (
            "POST",
            "/api/apps/2/releases/3/install",
            Envelope::Zealot,
            "GET, HEAD",
        ),
        (
            "GET",
            "/api/v1/apps/x/update/check",
            Envelope::License,
            "POST",
        ),
        (
            "POST",
            "/api/v1/apps/x/update/package/1.0.0",
            Envelope::License,
            "GET, HEAD",
        ),
        (
            "DELETE",
            "/api/v1/apps/x/update/download/1.0.0",
            Envelope::License,
            "GET, HEAD",
        ),
        (
            "PUT",
            "/api/v1/check",
            Envelope::HotUpdate,
            "GET, HEAD, POST",
        ),
        ("GET", "/api/versions/latest", Envelope::HotUpdate, "POST"),
        (
            "POST",
            "/api/version-artifacts/x/download",
            Envelope::HotUpdate,
            "GET, HEAD",
        ),
        ("GET", "/api/v1/version/check", Envelope::Tinyaii, "POST"),
        ("GET", "/api/v1/user/heartbeat", Envelope::Tinyaii, "POST"),
        ("PUT", "/api/v1/error/report", Envelope::Tinyaii, "POST"),
        ("GET", "/v1/apk/upgrade", Envelope::Toolsetlink, "POST"),
        (
            "GET",
            "/v1/configuration/upgrade",
            Envelope::Toolsetlink,
            "POST",
        ),
        (
            "POST",
            "/v1/url/download",
            Envelope::Toolsetlink,
            "GET, HEAD",
        ),
        ("GET", "/v1/app/report", Envelope::Toolsetlink, "POST"),
        ("POST", "/api/admin/stats", Envelope::Generic, "GET, HEAD"),
        (
            "POST",
            "/metadata/timestamp.json",
            Envelope::Generic,
            "GET, HEAD",
        ),
    ];
    for (method, path, envelope, allow) in wrong {
        let body = (*method != "GET").then_some(&b"{}"[..]);
        let a = client.send(method, path, body);
        let what = format!("{method} {path}");
        assert_miss(&a, &what, Miss::MethodNotAllowed, *envelope, allow);
        // The router agrees with what the worker answered.
        assert!(
            matches!(
                route(method, path),
                Match::Miss {
                    miss: Miss::MethodNotAllowed,
                    ..
                }
            ),
            "{what}"
        );
    }

    // ---- HEAD of a JSON error: the status and headers, no body ----------------------------
    for (path, status) in [
        ("/api/apps/1/schemes", 404),
        ("/v1/nothing", 404),
        ("/api/v1/apps/x/update", 404),
        ("/api/v1/version/check", 405),
        ("/v1/apk/upgrade", 405),
    ] {
        let a = client.send("HEAD", path, None);
        assert_eq!((a.status, a.body.len()), (status, 0), "HEAD {path}: {a:?}");
        assert!(
            a.header("content-type")
                .is_some_and(|t| t.starts_with("application/json")),
            "HEAD {path}: {a:?}"
        );
    }

    // ---- The static site and /metadata/ keep the assets' answers --------------------------
    let a = client.send("GET", "/index.json", None);
    assert_eq!(a.status, 200, "{a:?}");
    let a = client.send("GET", "/metadata/1.root.json", None);
    assert_eq!(a.status, 200, "{a:?}");
    let a = client.send("GET", "/metadata/999.root.json", None);
    assert_eq!(a.status, 404, "a missing TUF file stays a plain 404: {a:?}");
    let a = client.send("GET", "/no/such/page.html", None);
    assert_eq!(a.status, 404, "{a:?}");

    assert!(client.reused > 0, "keep-alive was never used");
}
