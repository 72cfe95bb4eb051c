//! An HTTP client that talks as installed apps do, for the end-to-end tests: one kept-alive
//! agent, lowercase header names, `accept-encoding: gzip` (answers are gunzipped), redirects
//! not followed (a test checks the `Location` itself).

use std::io::{BufRead, Read};

/// An answer: status, headers (names lowercase), body (gunzipped when it came gzipped).
#[derive(Debug, Clone)]
pub struct Got {
    /// HTTP status.
    pub status: u16,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body bytes, decoded.
    pub body: Vec<u8>,
}

impl Got {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    ///
    /// # Panics
    /// Panics when it is not UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("utf-8 body")
    }

    /// The body as JSON.
    ///
    /// # Panics
    /// Panics when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

impl From<Got> for crate::Reply {
    fn from(g: Got) -> crate::Reply {
        crate::Reply {
            status: g.status,
            text: String::from_utf8_lossy(&g.body).into_owned(),
            headers: g.headers,
        }
    }
}

/// One installed app's connection pool to the worker at `base`.
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl Client {
    /// A client of the worker at `base` (e.g. `Edge::base`).
    pub fn new(base: &str) -> Client {
        Client {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            base: base.to_owned(),
        }
    }

    /// `GET` of a path on the worker or of an absolute URL, with `headers` besides the
    /// client's own.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Got {
        self.send("GET", url, headers, None)
    }

    /// `method url` with `headers` and `body`.
    ///
    /// # Panics
    /// Panics when the request cannot be sent or its answer read.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Got {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            format!("{}{url}", self.base)
        };
        let mut all = vec![("accept-encoding", "gzip"), ("connection", "keep-alive")];
        all.extend_from_slice(headers);
        exchange(&self.agent, method, &url, &all, body)
    }
}

/// One request on `agent` with exactly `headers` (and what ureq adds: `host`, `user-agent`,
/// `content-length`); the answer gunzipped when it came gzipped.
///
/// # Panics
/// Panics when the request cannot be sent or its answer read.
pub(crate) fn exchange(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Got {
    let mut req = agent.request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let sent = match body {
        Some(b) => req.send_bytes(b),
        None => req.call(),
    };
    let resp = match sent {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let headers: Vec<(String, String)> = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| {
            resp.header(&n)
                .map(|v| (n.to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    let status = resp.status();
    let gzipped = resp.header("content-encoding") == Some("gzip");
    let mut raw = Vec::new();
    // A HEAD answer has no body whatever its Content-Length says, and neither has a 204:
    // clients never read one (under load miniflare may close the kept-alive connection right
    // after a 204's headers, which the reader reports as an EOF).
    if !method.eq_ignore_ascii_case("HEAD") {
        let read = resp.into_reader().read_to_end(&mut raw);
        if status != 204 {
            read.expect("read body");
        }
    }
    // An empty body is never gunzipped: miniflare (wrangler dev) still marks a response
    // without a Content-Type as gzip, as Cloudflare's front line would compress one with a
    // body.
    let body = if gzipped && !raw.is_empty() {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .expect("gunzip");
        out
    } else {
        raw
    };
    Got {
        status,
        headers,
        body,
    }
}

/// Reads an HTTP/1.1 answer's status line and headers (names lowercase) off `r`, for the tests
/// that speak HTTP over a raw connection; `None` when the connection closed (or failed) before
/// a status line.
///
/// # Panics
/// Panics on a malformed status line or header.
pub fn read_head<R: BufRead>(r: &mut R) -> Option<(u16, Vec<(String, String)>)> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("status line {line:?}"));
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).expect("header line");
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').expect("header");
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    Some((status, headers))
}
