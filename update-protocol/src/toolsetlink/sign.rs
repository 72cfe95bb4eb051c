//! Protocol D's signed requests: the four headers' checks, the MD5 signature over the raw
//! body and the request URI, the access key's secret, and the nonce's key and lifetime. The
//! order the checks run in is `crate::serve::toolsetlink`'s.

use super::{Error, go_rfc3339};
use crate::digest::to_hex;
use crate::keys::{AccessSecret, EdgeSecrets, ct_eq, sha256_hex};
use crate::time::Timestamp;
use md5::{Digest, Md5};

/// How far `X-Timestamp` may be from now, either way (upstream: ±5 minutes, edges included).
pub const TIMESTAMP_WINDOW_SECONDS: i64 = 300;

/// Shortest `X-Nonce` accepted. The SDKs send 8 random bytes as 16 hex digits and every doc
/// page asks for 16+; the open-source server does not check it.
pub const MIN_NONCE_CHARS: usize = 16;

/// How long a used nonce is remembered. A timestamp stays acceptable for at most 600 s (from
/// 300 s ahead of now to 300 s behind), so 900 s outlives it with margin for clock differences
/// between edge locations.
pub const NONCE_TTL_SECONDS: u32 = 900;

/// Prefix of used-nonce keys.
pub const NONCE_KEY_PREFIX: &str = "nonce:";

/// How many nonce shards (Durable Objects) the used nonces are spread over
/// (`docs/scale.md`: each stays far below one object's request rate at the target load).
/// Fixed per deployment: changing it only moves where new nonces are claimed, so replays of
/// nonces claimed before the change would pass for up to [`NONCE_TTL_SECONDS`].
pub const NONCE_SHARDS: u32 = 128;

/// The key recording that `nonce` was used with `access_key`: nonces are unique per access
/// key, and hashing the pair bounds the key's length whatever the headers hold. Header values
/// cannot contain a newline, so the separator is unambiguous.
pub fn nonce_key(access_key: &str, nonce: &str) -> String {
    format!(
        "{NONCE_KEY_PREFIX}{}",
        sha256_hex(&format!("{access_key}\n{nonce}"))
    )
}

/// The shard (`0..NONCE_SHARDS`) that holds `key`, a [`nonce_key`]: from the hash it already
/// carries, so one busy access key is spread over every shard. Any other string is hashed.
pub fn nonce_shard(key: &str) -> u32 {
    let hex = key.strip_prefix(NONCE_KEY_PREFIX).unwrap_or(key);
    let lead = match hex.get(..8).map(|h| u32::from_str_radix(h, 16)) {
        Some(Ok(n)) => n,
        _ => {
            let h = sha256_hex(key);
            u32::from_str_radix(&h[..8], 16).unwrap_or(0)
        }
    };
    lead % NONCE_SHARDS
}

/// The signed headers, all present and checked for shape and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    /// `X-Timestamp`, byte for byte (it is signed as sent).
    pub timestamp: &'a str,
    /// `X-Nonce`.
    pub nonce: &'a str,
    /// `X-AccessKey`.
    pub access_key: &'a str,
    /// `X-Signature`.
    pub signature: &'a str,
}

/// Checks the four headers in upstream's order (replay middleware, then the signature
/// middleware's presence checks): timestamp present, RFC 3339, within ±300 s of `now`
/// (inclusive); nonce present and at least [`MIN_NONCE_CHARS`] long; access key and signature
/// present. An empty value counts as missing, as Go's `Header.Get` makes it.
///
/// # Errors
/// The first failing check, in that order.
pub fn check_headers<'a>(
    timestamp: Option<&'a str>,
    nonce: Option<&'a str>,
    access_key: Option<&'a str>,
    signature: Option<&'a str>,
    now: Timestamp,
) -> Result<SignedHeaders<'a>, Error> {
    let present = |v: Option<&'a str>, e: Error| v.filter(|s| !s.is_empty()).ok_or(e);
    let timestamp = present(timestamp, Error::MissingTimestamp)?;
    let ts = go_rfc3339(timestamp).ok_or(Error::InvalidTimestamp)?;
    if ts < now.add_seconds(-TIMESTAMP_WINDOW_SECONDS)
        || ts > now.add_seconds(TIMESTAMP_WINDOW_SECONDS)
    {
        return Err(Error::TimestampOutOfWindow);
    }
    let nonce = present(nonce, Error::MissingNonce)?;
    if nonce.chars().count() < MIN_NONCE_CHARS {
        return Err(Error::InvalidNonce);
    }
    Ok(SignedHeaders {
        timestamp,
        nonce,
        access_key: present(access_key, Error::MissingAccessKey)?,
        signature: present(signature, Error::MissingSignature)?,
    })
}

/// Go's `url.QueryUnescape`: `%XX` to its byte, `+` to a space. `None` for a `%` not followed
/// by two hex digits. The bytes need not be UTF-8 (Go strings are bytes).
pub fn query_unescape(s: &str) -> Option<Vec<u8>> {
    fn hex(c: Option<u8>) -> Option<u8> {
        char::from(c?)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(c) = bytes.next() {
        out.push(match c {
            b'%' => (hex(bytes.next())? << 4) | hex(bytes.next())?,
            b'+' => b' ',
            c => c,
        });
    }
    Some(out)
}

/// MD5 of `[body=<body>&]nonce=…&secretKey=…&timestamp=…&url=…` as lowercase hex. Upstream
/// joins the sorted pairs and then trims every trailing `&`, which can only come from the url.
fn sign(body: Option<&[u8]>, nonce: &str, secret_key: &str, timestamp: &str, url: &[u8]) -> String {
    let mut h = Md5::new();
    if let Some(body) = body {
        h.update(b"body=");
        h.update(body);
        h.update(b"&");
    }
    for (k, v) in [
        ("nonce=", nonce),
        ("&secretKey=", secret_key),
        ("&timestamp=", timestamp),
    ] {
        h.update(k.as_bytes());
        h.update(v.as_bytes());
    }
    h.update(b"&url=");
    let end = url.iter().rposition(|&c| c != b'&').map_or(0, |i| i + 1);
    h.update(url.get(..end).unwrap_or_default());
    to_hex(&h.finalize())
}

/// The `X-Signature` a client sends for `body` (raw bytes, omitted from the string when
/// empty, as the SDKs do) and `url` (path plus query, already percent-decoded).
pub fn signature(body: &[u8], nonce: &str, secret_key: &str, timestamp: &str, url: &str) -> String {
    let body = (!body.is_empty()).then_some(body);
    sign(body, nonce, secret_key, timestamp, url.as_bytes())
}

/// Verifies `X-Signature` over the raw body and `request_uri` (path plus `?query` as
/// received; decoded here like Go's `QueryUnescape(r.RequestURI)`). The header is lower-cased
/// and compared in constant time. An empty body matches both the SDKs' string without `body=`
/// and the open-source server's `body=&`.
///
/// # Errors
/// [`Error::SignatureInvalid`] on a mismatch or an undecodable `request_uri`.
pub fn verify_signature(
    h: &SignedHeaders<'_>,
    secret_key: &str,
    body: &[u8],
    request_uri: &str,
) -> Result<(), Error> {
    let url = query_unescape(request_uri).ok_or(Error::SignatureInvalid)?;
    let given = h.signature.to_ascii_lowercase();
    let matches = |body| {
        ct_eq(
            sign(body, h.nonce, secret_key, h.timestamp, &url).as_bytes(),
            given.as_bytes(),
        )
    };
    let ok = if body.is_empty() {
        // Both forms are computed so the timing does not tell which one matched.
        matches(None) | matches(Some(b""))
    } else {
        matches(Some(body))
    };
    ok.then_some(()).ok_or(Error::SignatureInvalid)
}

/// The secret an unknown access key's signature is checked against, so that its refusal takes
/// the time a wrong signature's does. No client can sign with it: the key is unknown.
const UNKNOWN_ACCESS_KEY_SECRET: &str = "\0unknown access key";

/// Finds the access key's secret and verifies the signature with it.
///
/// An unknown access key is refused exactly as a wrong signature (401002 `Signature
/// Invalid`), after the same work, so that the answer never tells which access keys exist.
/// Upstream answers `401001 X-AccessKey is error` (and then crashes into a 500); no client
/// acts on the difference, both are 401.
///
/// # Errors
/// [`Error::SignatureInvalid`] for an unknown access key or a mismatch.
pub fn authenticate<'s>(
    h: &SignedHeaders<'_>,
    secrets: &'s EdgeSecrets,
    body: &[u8],
    request_uri: &str,
) -> Result<&'s AccessSecret, Error> {
    let Some(secret) = secrets.toolsetlink.get(h.access_key) else {
        // The result cannot be a match; only the work counts.
        let _ = verify_signature(h, UNKNOWN_ACCESS_KEY_SECRET, body, request_uri);
        return Err(Error::SignatureInvalid);
    };
    verify_signature(h, &secret.secret, body, request_uri)?;
    Ok(secret)
}
