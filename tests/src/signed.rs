//! Protocol D's signed requests, built here independently of the project's code: the MD5
//! signature of D.1, fresh timestamps and nonces, and D.3's error envelope.

use crate::{Edge, Reply, unix_now};
use md5::{Digest, Md5};
use std::sync::atomic::{AtomicU32, Ordering};

/// The example's toolsetlink access key (docs/keys.md).
pub const AK: &str = "AKdemo0toolsetlink";
/// Its secret key.
pub const SK: &str = "demo-toolsetlink-secret-key";

/// An expected error answer: HTTP status, envelope `code`, envelope `msg`.
pub type E = (u16, u64, &'static str);

/// Lowercase hex MD5 of `[body=…&]nonce=…&secretKey=…&timestamp=…&url=…` (D.1), computed here
/// independently of the project's code.
pub fn md5_sig(body: Option<&str>, nonce: &str, secret: &str, ts: &str, url: &str) -> String {
    let body = body.map(|b| format!("body={b}&")).unwrap_or_default();
    let s = format!("{body}nonce={nonce}&secretKey={secret}&timestamp={ts}&url={url}");
    hex::encode(Md5::digest(s.as_bytes()))
}

/// `now + offset` seconds, RFC 3339 in UTC (`…Z`).
pub fn ts(offset: i64) -> String {
    update_protocol::time::Timestamp::from_unix(unix_now() + offset, 0)
        .expect("time")
        .to_seconds_z()
}

/// Now at `+08:00`, as the SDKs send local time.
pub fn ts_plus8() -> String {
    format!("{}+08:00", ts(8 * 3600).trim_end_matches('Z'))
}

/// A fresh 18-character nonce.
pub fn fresh_nonce() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("e2e-nonce-{:08}", N.fetch_add(1, Ordering::Relaxed))
}

/// What a signed request sends. [`Sig::new`] fills it with valid values, the test's tweak changes
/// it, and the signature is computed from the result unless `signature` is set.
pub struct Sig {
    /// `X-Timestamp`; `None` leaves the header out.
    pub timestamp: Option<String>,
    /// `X-Nonce`; `None` leaves the header out.
    pub nonce: Option<String>,
    /// `X-AccessKey`; `None` leaves the header out.
    pub access_key: Option<String>,
    /// The secret key the signature is computed with.
    pub secret: String,
    /// The url that is signed: by default the path (and query) as sent.
    pub url: String,
    /// The body that is signed; `None` omits `body=` (the default for an empty body).
    pub body: Option<String>,
    /// `None`: the computed signature; `Some(None)`: no header; `Some(Some(s))`: `s`.
    pub signature: Option<Option<String>>,
    /// More headers to send.
    pub extra: Vec<(&'static str, String)>,
}

impl Sig {
    /// The signature of what is sent, as a client computes it.
    pub fn sig(&self) -> String {
        let (ts, nonce) = (self.timestamp.as_deref(), self.nonce.as_deref());
        let (ts, nonce) = (ts.unwrap_or_default(), nonce.unwrap_or_default());
        md5_sig(self.body.as_deref(), nonce, &self.secret, ts, &self.url)
    }

    /// Leaves out the headers from the `from`-th on (timestamp, nonce, access key, signature).
    pub fn drop_from(&mut self, from: usize) {
        if from == 0 {
            self.timestamp = None;
        }
        if from <= 1 {
            self.nonce = None;
        }
        if from <= 2 {
            self.access_key = None;
        }
        self.signature = Some(None);
    }

    /// A request to `path` with `body`, with a fresh timestamp and nonce and the example's
    /// access key: valid until a tweak changes it.
    pub fn new(path: &str, body: &str) -> Sig {
        Sig {
            timestamp: Some(ts(0)),
            nonce: Some(fresh_nonce()),
            access_key: Some(AK.to_owned()),
            secret: SK.to_owned(),
            url: path.to_owned(),
            body: (!body.is_empty()).then(|| body.to_owned()),
            signature: None,
            extra: Vec::new(),
        }
    }

    /// The headers sent: `content-type`, the four signing headers as the SDKs spell them (those
    /// set; the signature computed unless `signature` says otherwise), then `extra`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let sig = self.signature.clone().unwrap_or_else(|| Some(self.sig()));
        let mut headers = vec![("content-type", "application/json".to_owned())];
        for (name, v) in [
            ("x-Timestamp", &self.timestamp),
            ("x-Nonce", &self.nonce),
            ("x-AccessKey", &self.access_key),
            ("x-Signature", &sig),
        ] {
            if let Some(v) = v {
                headers.push((name, v.clone()));
            }
        }
        headers.extend(self.extra.iter().cloned());
        headers
    }
}

/// The headers of [`Sig::headers`] as `send` takes them.
pub fn as_pairs<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// `POST path` with `body`, signed as an SDK does (header names as the SDKs spell them), after
/// `tweak`.
pub fn signed(edge: &Edge, path: &str, body: &str, tweak: impl FnOnce(&mut Sig)) -> Reply {
    let mut s = Sig::new(path, body);
    tweak(&mut s);
    let headers = s.headers();
    edge.send("POST", path, &as_pairs(&headers), Some(body.as_bytes()))
}

/// Checks an error answer: D.3's envelope (exactly `code`, `msg`, `docs` empty and `traceId`
/// a string), and its status, code and message.
#[track_caller]
pub fn assert_err(r: &Reply, want: E, ctx: &str) {
    let v = r.json();
    let mut keys: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("{ctx}: not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "docs", "msg", "traceId"], "{ctx}: {v}");
    assert!(v["docs"] == "" && v["traceId"].is_string(), "{ctx}: {v}");
    let got = (r.status, v["code"].as_u64().unwrap_or(0), v["msg"].as_str());
    assert_eq!(got, (want.0, want.1, Some(want.2)), "{ctx}");
}
