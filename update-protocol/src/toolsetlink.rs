//! Protocol D (toolsetlink UpgradeLink): signed `POST /v1/{configuration,apk,url,file}/upgrade`
//! and the desktop `POST /v1/{win,mac,lnx}/upgrade` (chosen by `arch`), the signed version-info
//! routes `POST /v1/*/version` ([`version`]), unsigned `GET /v1/{url,file,apk}/download`, the
//! signed event report `POST /v1/app/report` and the signed app statistics
//! `/v1/app/statistics/info` ([`statistics`]) (`shared/spec/seed-protocols.md`, section D).
//!
//! The worker's order, each step a function here except the KV write:
//! route ([`Endpoint`]) → body bytes (≤ [`MAX_BODY_BYTES`]) → [`check_headers`] with `now` →
//! [`authenticate`] (access key, then the MD5 signature over the raw bytes) → record
//! [`nonce_kv_key`] for [`NONCE_TTL_SECONDS`], answering [`Error::NonceUsed`] if it was there →
//! [`parse_upgrade`] → [`resolve`] in `EdgeLookup.toolsetlink` → load the `EdgeApp` →
//! [`upgrade`] → serialize the [`Answer`] (or [`Error::envelope`]) with [`Error::status`]; the
//! worker counts each answered check as an [`EVENT_GET_STRATEGY`] event.
//! The event report shares every step up to the nonce, then [`parse_report`] →
//! [`resolve_report`] → the worker counts it in D1 → [`ReportAnswer::OK`].
//! The signature is checked before the nonce is recorded, so unsigned garbage cannot burn the
//! nonces of genuine clients. The nonce store is not a trait here: KV is async I/O, and this
//! crate has neither.
//!
//! The unsigned updater routes of installed Tauri and Electron apps (`GET /v1/tauri/…`,
//! `/v1/electron/…`) are in [`updater`]. Every file URL an answer carries is made by
//! [`file_url`].

pub mod updater;

pub mod statistics;
pub mod version;

use crate::digest::to_hex;
use crate::index::{Artifact, EdgeApp, EdgeLookup, EdgeRelease};
use crate::keys::{AccessSecret, EdgeSecrets, ct_eq, sha256_hex};
use crate::links::{LinkError, Links};
use crate::manifest::{Architecture, ArtifactRole, Cpu, Platform, ReleaseState, UpgradeType};
use crate::names::{AppId, ArchKey, ChannelKey};
use crate::rollout;
use crate::time::Timestamp;
use md5::{Digest, Md5};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Largest request body accepted: the SDKs send a compact JSON object of five fields.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How far `X-Timestamp` may be from now, either way (upstream: ±5 minutes, edges included).
pub const TIMESTAMP_WINDOW_SECONDS: i64 = 300;

/// Shortest `X-Nonce` accepted. The SDKs send 8 random bytes as 16 hex digits and every doc
/// page asks for 16+; the open-source server does not check it.
pub const MIN_NONCE_CHARS: usize = 16;

/// How long a used nonce is remembered (KV `expirationTtl`). A timestamp stays acceptable for
/// at most 600 s (from 300 s ahead of now to 300 s behind), so 900 s outlives it with margin
/// for clock differences between edge locations.
pub const NONCE_TTL_SECONDS: u32 = 900;

/// Prefix of used-nonce keys in KV, apart from the `key:` credential records.
pub const NONCE_KV_PREFIX: &str = "nonce:";

/// The KV key recording that `nonce` was used with `access_key`: nonces are unique per access
/// key, and hashing the pair bounds the key's length whatever the headers hold. Header values
/// cannot contain a newline, so the separator is unambiguous.
pub fn nonce_kv_key(access_key: &str, nonce: &str) -> String {
    format!(
        "{NONCE_KV_PREFIX}{}",
        sha256_hex(&format!("{access_key}\n{nonce}"))
    )
}

/// The kinds of app protocol D serves, each with its key field: the JSON routes
/// (`/v1/<kind>/upgrade`, `/v1/<kind>/version`) and, for some, a download redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/v1/configuration/upgrade`, key `configurationKey`, answers a JSON `content`.
    Configuration,
    /// `/v1/apk/upgrade`, key `apkKey`.
    Apk,
    /// `/v1/url/upgrade`, key `urlKey`.
    Url,
    /// `/v1/file/upgrade`, key `fileKey`.
    File,
    /// `/v1/win/upgrade`, key `winKey`: the Windows builds, chosen by the request's `arch`.
    Win,
    /// `/v1/mac/upgrade`, key `macKey`: the macOS builds, by `arch`.
    Mac,
    /// `/v1/lnx/upgrade`, key `lnxKey`: the Linux builds, by `arch`.
    Lnx,
    /// Key `tauriKey`: the Tauri updater's unsigned `GET /v1/tauri/upgrade` and the signed
    /// `POST /v1/tauri/version`.
    Tauri,
    /// Key `electronKey`: electron-updater's unsigned `GET /v1/electron/upgrade` and the
    /// signed `POST /v1/electron/version`.
    Electron,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 9] = [
        Endpoint::Configuration,
        Endpoint::Apk,
        Endpoint::Url,
        Endpoint::File,
        Endpoint::Win,
        Endpoint::Mac,
        Endpoint::Lnx,
        Endpoint::Tauri,
        Endpoint::Electron,
    ];

    /// The endpoints whose upgrade route is a signed JSON `POST` (Tauri's and Electron's are
    /// their updaters' unsigned `GET`s).
    pub const SIGNED_UPGRADE: [Endpoint; 7] = [
        Endpoint::Configuration,
        Endpoint::Apk,
        Endpoint::Url,
        Endpoint::File,
        Endpoint::Win,
        Endpoint::Mac,
        Endpoint::Lnx,
    ];

    /// The body (or query) field that carries the key; also `ToolsetlinkRef::field`.
    pub fn key_field(self) -> &'static str {
        match self {
            Endpoint::Configuration => "configurationKey",
            Endpoint::Apk => "apkKey",
            Endpoint::Url => "urlKey",
            Endpoint::File => "fileKey",
            Endpoint::Win => "winKey",
            Endpoint::Mac => "macKey",
            Endpoint::Lnx => "lnxKey",
            Endpoint::Tauri => "tauriKey",
            Endpoint::Electron => "electronKey",
        }
    }

    /// The upgrade route: a signed `POST` for [`Endpoint::SIGNED_UPGRADE`], the updater's
    /// unsigned `GET` for Tauri and Electron.
    pub fn upgrade_path(self) -> &'static str {
        match self {
            Endpoint::Configuration => "/v1/configuration/upgrade",
            Endpoint::Apk => "/v1/apk/upgrade",
            Endpoint::Url => "/v1/url/upgrade",
            Endpoint::File => "/v1/file/upgrade",
            Endpoint::Win => "/v1/win/upgrade",
            Endpoint::Mac => "/v1/mac/upgrade",
            Endpoint::Lnx => "/v1/lnx/upgrade",
            Endpoint::Tauri => "/v1/tauri/upgrade",
            Endpoint::Electron => "/v1/electron/upgrade",
        }
    }

    /// The signed `POST` version-info route ([`version`]).
    pub fn version_path(self) -> &'static str {
        match self {
            Endpoint::Configuration => "/v1/configuration/version",
            Endpoint::Apk => "/v1/apk/version",
            Endpoint::Url => "/v1/url/version",
            Endpoint::File => "/v1/file/version",
            Endpoint::Win => "/v1/win/version",
            Endpoint::Mac => "/v1/mac/version",
            Endpoint::Lnx => "/v1/lnx/version",
            Endpoint::Tauri => "/v1/tauri/version",
            Endpoint::Electron => "/v1/electron/version",
        }
    }

    /// The unsigned `GET` redirect route; configurations have none upstream.
    pub fn download_path(self) -> Option<&'static str> {
        match self {
            Endpoint::Apk => Some("/v1/apk/download"),
            Endpoint::Url => Some("/v1/url/download"),
            Endpoint::File => Some("/v1/file/download"),
            Endpoint::Configuration
            | Endpoint::Win
            | Endpoint::Mac
            | Endpoint::Lnx
            | Endpoint::Tauri
            | Endpoint::Electron => None,
        }
    }

    /// The endpoint whose signed upgrade route is `path` (exact match, no query).
    pub fn from_upgrade_path(path: &str) -> Option<Endpoint> {
        Self::SIGNED_UPGRADE
            .into_iter()
            .find(|e| e.upgrade_path() == path)
    }

    /// The endpoint whose version-info route is `path` (exact match, no query).
    pub fn from_version_path(path: &str) -> Option<Endpoint> {
        Self::ALL.into_iter().find(|e| e.version_path() == path)
    }

    /// The endpoint whose download route is `path` (exact match, no query).
    pub fn from_download_path(path: &str) -> Option<Endpoint> {
        Self::ALL
            .into_iter()
            .find(|e| e.download_path() == Some(path))
    }

    /// The platform whose builds a desktop endpoint (`win`, `mac`, `lnx`) serves.
    pub fn platform(self) -> Option<Platform> {
        match self {
            Endpoint::Win => Some(Platform::Windows),
            Endpoint::Mac => Some(Platform::Macos),
            Endpoint::Lnx => Some(Platform::Linux),
            _ => None,
        }
    }

    /// Whether an answer needs a file (everything but configurations).
    fn needs_file(self) -> bool {
        self != Endpoint::Configuration
    }
}

/// What went wrong, with upstream's code and message where upstream has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// 400004 `Missing X-Timestamp header` (absent or empty, as Go's `Header.Get`).
    MissingTimestamp,
    /// 400004 `Invalid X-Timestamp format`: not Go's `time.RFC3339`.
    InvalidTimestamp,
    /// 401001: more than [`TIMESTAMP_WINDOW_SECONDS`] from now.
    TimestampOutOfWindow,
    /// 400004 `Missing X-Nonce header`.
    MissingNonce,
    /// 400004 `Invalid X-Nonce header`: shorter than [`MIN_NONCE_CHARS`].
    InvalidNonce,
    /// 400004 `Missing X-AccessKey header`.
    MissingAccessKey,
    /// 400004 `Missing X-Signature header`.
    MissingSignature,
    /// 401002 `Signature Invalid`.
    SignatureInvalid,
    /// 401001 `Invalid X-Nonce: nonce already used` (validly signed, nonce seen before).
    NonceUsed,
    /// 400005: over [`MAX_BODY_BYTES`].
    BodyTooLarge,
    /// 400005: not a JSON object (upstream answers 500001 with the parser's text).
    BodyInvalid,
    /// 400002 `field "<name>" is not set` (go-zero's text).
    FieldNotSet(&'static str),
    /// 400003 `type mismatch for field "<name>"` (go-zero's text).
    FieldTypeMismatch(&'static str),
    /// 400003 `请求参数<key>不能为空`.
    EmptyKey(Endpoint),
    /// 400003 `请求参数versionCode格式错误`.
    InvalidVersionCode,
    /// 400003 `请求参数<name>格式错误`: a report's `timestamp` or `launchTime` that is not RFC
    /// 3339, or an empty or over-long `eventType` (upstream answers 500001 for the times); an
    /// `arch`, `target` or `platform` that names no known processor or platform; an empty
    /// `versionName`.
    InvalidField(&'static str),
    /// 404001: no app has this key for this endpoint (or the access key may not see it).
    AppNotFound(Endpoint),
    /// 404001 `未获取到可使用版本`: a download names no servable version.
    NoVersion,
    /// 404001 `No available version obtained` (the docs' example): a version-info request
    /// names no release of the app's served channel (for its platform and arch, where it
    /// names them).
    VersionNotFound,
    /// 404001 `请求应用不存在`: a report's `appKey` names no app the access key may see
    /// (upstream answers 500001).
    AppKeyNotFound,
    /// 403001 `下载链接无效或已过期` (ours): a signed download link that is expired, altered
    /// or not this deployment's.
    LinkDenied,
    /// 400003 `请求参数<name>不能为空`: an updater route's key sent empty.
    EmptyField(&'static str),
    /// 404001 `请求tauri应用不存在` / `请求electron应用不存在`: no app has this updater key.
    UpdaterAppNotFound(updater::Updater),
    /// 500001 `服务内部错误`, for the worker's own failures (KV, assets); details go to the log.
    Internal,
}

impl Error {
    /// The envelope's `code`.
    pub fn code(self) -> u32 {
        match self {
            Error::FieldNotSet(_) => 400_002,
            Error::FieldTypeMismatch(_)
            | Error::EmptyKey(_)
            | Error::InvalidVersionCode
            | Error::InvalidField(_)
            | Error::EmptyField(_) => 400_003,
            Error::MissingTimestamp
            | Error::InvalidTimestamp
            | Error::MissingNonce
            | Error::InvalidNonce
            | Error::MissingAccessKey
            | Error::MissingSignature => 400_004,
            Error::BodyTooLarge | Error::BodyInvalid => 400_005,
            Error::TimestampOutOfWindow | Error::NonceUsed => 401_001,
            Error::SignatureInvalid => 401_002,
            Error::LinkDenied => 403_001,
            Error::AppNotFound(_)
            | Error::NoVersion
            | Error::VersionNotFound
            | Error::AppKeyNotFound
            | Error::UpdaterAppNotFound(_) => 404_001,
            Error::Internal => 500_001,
        }
    }

    /// HTTP status: `code / 1000` (every code here has six digits).
    pub fn status(self) -> u16 {
        u16::try_from(self.code() / 1000).unwrap_or(500)
    }

    /// The envelope's `msg`.
    pub fn message(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Error::MissingTimestamp => "Missing X-Timestamp header",
            Error::InvalidTimestamp => "Invalid X-Timestamp format",
            Error::TimestampOutOfWindow => {
                "Invalid X-Timestamp: timestamp is out of allowed window"
            }
            Error::MissingNonce => "Missing X-Nonce header",
            Error::InvalidNonce => "Invalid X-Nonce header",
            Error::MissingAccessKey => "Missing X-AccessKey header",
            Error::MissingSignature => "Missing X-Signature header",
            Error::SignatureInvalid => "Signature Invalid",
            Error::NonceUsed => "Invalid X-Nonce: nonce already used",
            Error::BodyTooLarge => "Invalid request body: larger than 16 KiB",
            Error::BodyInvalid => "Invalid request body: not a JSON object",
            Error::FieldNotSet(f) => return Cow::Owned(format!("field \"{f}\" is not set")),
            Error::FieldTypeMismatch(f) => {
                return Cow::Owned(format!("type mismatch for field \"{f}\""));
            }
            Error::EmptyKey(e) => return Cow::Owned(format!("请求参数{}不能为空", e.key_field())),
            Error::InvalidVersionCode => "请求参数versionCode格式错误",
            Error::InvalidField(f) => return Cow::Owned(format!("请求参数{f}格式错误")),
            Error::AppNotFound(Endpoint::Configuration) => "请求configuration应用不存在",
            Error::AppNotFound(Endpoint::Apk) => "请求安卓应用不存在",
            Error::AppNotFound(Endpoint::Url) => "请求url应用不存在",
            Error::AppNotFound(Endpoint::File) => "请求file应用不存在",
            Error::AppNotFound(Endpoint::Win) => "请求win应用不存在",
            Error::AppNotFound(Endpoint::Mac) => "请求mac应用不存在",
            Error::AppNotFound(Endpoint::Lnx) => "请求lnx应用不存在",
            Error::AppNotFound(Endpoint::Tauri) => "请求tauri应用不存在",
            Error::AppNotFound(Endpoint::Electron) => "请求electron应用不存在",
            Error::NoVersion => "未获取到可使用版本",
            Error::VersionNotFound => "No available version obtained",
            Error::AppKeyNotFound => "请求应用不存在",
            Error::LinkDenied => "下载链接无效或已过期",
            Error::EmptyField(f) => return Cow::Owned(format!("请求参数{f}不能为空")),
            Error::UpdaterAppNotFound(u) => {
                return Cow::Owned(format!("请求{}应用不存在", u.name()));
            }
            Error::Internal => "服务内部错误",
        })
    }

    /// The error envelope. `trace_id` is the worker's request id (e.g. `cf-ray`), or empty.
    pub fn envelope(self, trace_id: &str) -> ErrorEnvelope {
        ErrorEnvelope {
            code: self.code(),
            msg: self.message(),
            docs: "",
            trace_id: trace_id.to_owned(),
        }
    }
}

impl From<LinkError> for Error {
    /// A private file without a link: on a signed route an internal failure (no key), never a
    /// dead or unsigned URL; on an unsigned route, no version to hand out.
    fn from(e: LinkError) -> Error {
        match e {
            LinkError::NoKey => Error::Internal,
            LinkError::Refused => Error::NoVersion,
        }
    }
}

/// `{"code", "msg", "docs", "traceId"}`, upstream's `ErrResp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorEnvelope {
    /// Six-digit code; the HTTP status is `code / 1000`.
    pub code: u32,
    /// Message.
    pub msg: Cow<'static, str>,
    /// Help text upstream; always empty here.
    pub docs: &'static str,
    /// Request id for support, or empty.
    #[serde(rename = "traceId")]
    pub trace_id: String,
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

/// The body of an upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeRequest {
    /// The endpoint's key (`configurationKey`, `apkKey`, `urlKey` or `fileKey`).
    pub key: String,
    /// The client's version code (never 0).
    pub version_code: i64,
    /// Only this version code when above 0; else the newest.
    pub appoint_version_code: i64,
    /// Device model (accepted; model filters are not modelled).
    pub dev_model_key: Option<String>,
    /// Device id: the rollout cohort's input.
    pub dev_key: Option<String>,
    /// The processor the request's `arch` names (`win`, `mac` and `lnx` only; `None` on the
    /// other endpoints).
    pub cpu: Option<Cpu>,
}

/// The processor a client's `arch` names, ASCII case-insensitively: `x64`, `amd64`, `x86_64`
/// (64-bit x86); `arm64`, `aarch64`; `x86`, `ia32`, `i386`, `i686` (32-bit x86); `armv7`,
/// `armv7l`, `armhf`. Exact names, unlike [`Cpu::from_key`]'s guess from an architecture
/// key: `universal` names no client.
pub fn cpu_named(arch: &str) -> Option<Cpu> {
    match arch.to_ascii_lowercase().as_str() {
        "x64" | "amd64" | "x86_64" => Some(Cpu::X86_64),
        "arm64" | "aarch64" => Some(Cpu::Aarch64),
        "x86" | "ia32" | "i386" | "i686" => Some(Cpu::I686),
        "armv7" | "armv7l" | "armhf" => Some(Cpu::Armv7),
        _ => None,
    }
}

/// The desktop platform a Tauri `target` or an electron `platform` names, ASCII
/// case-insensitively: `windows`, `win32`, `win`; `darwin`, `macos`, `mac`, `osx`; `linux`.
pub fn platform_named(name: &str) -> Option<Platform> {
    match name.to_ascii_lowercase().as_str() {
        "windows" | "win32" | "win" => Some(Platform::Windows),
        "darwin" | "macos" | "mac" | "osx" => Some(Platform::Macos),
        "linux" => Some(Platform::Linux),
        _ => None,
    }
}

/// A JSON field read the way go-zero does: absent (or `null`) is "not set", a value of the
/// wrong JSON type is a type mismatch.
pub(crate) fn field<'v, T>(
    obj: &'v Map<String, Value>,
    name: &'static str,
    get: impl Fn(&'v Value) -> Option<T>,
) -> Result<Option<T>, Error> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => get(v).map(Some).ok_or(Error::FieldTypeMismatch(name)),
    }
}

/// Parses an upgrade body. Fields are checked in upstream's struct order (key, `arch` on the
/// desktop endpoints, `versionCode`, `appointVersionCode`, `devModelKey`, `devKey`), then the
/// key's emptiness, the `arch` ([`cpu_named`]) and a zero `versionCode`. `versionCode` is
/// optional for `/v1/file/upgrade` upstream, so there its absence reads as 0.
///
/// # Errors
/// [`Error::BodyTooLarge`], [`Error::BodyInvalid`], [`Error::FieldNotSet`],
/// [`Error::FieldTypeMismatch`], [`Error::EmptyKey`], [`Error::InvalidField`] (`arch`),
/// [`Error::InvalidVersionCode`].
pub fn parse_upgrade(endpoint: Endpoint, body: &[u8]) -> Result<UpgradeRequest, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge);
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(Error::BodyInvalid);
    };
    let key_name = endpoint.key_field();
    let key = field(&obj, key_name, Value::as_str)?.ok_or(Error::FieldNotSet(key_name))?;
    let arch = match endpoint.platform() {
        Some(_) => Some(field(&obj, "arch", Value::as_str)?.ok_or(Error::FieldNotSet("arch"))?),
        None => None,
    };
    let version_code = match field(&obj, "versionCode", Value::as_i64)? {
        Some(v) => v,
        None if endpoint == Endpoint::File => 0,
        None => return Err(Error::FieldNotSet("versionCode")),
    };
    let appoint_version_code = field(&obj, "appointVersionCode", Value::as_i64)?.unwrap_or(0);
    let text = |name| field(&obj, name, |v| v.as_str().map(str::to_owned));
    let dev_model_key = text("devModelKey")?;
    let dev_key = text("devKey")?;
    if key.is_empty() {
        return Err(Error::EmptyKey(endpoint));
    }
    let cpu = match arch {
        Some(a) => Some(cpu_named(a).ok_or(Error::InvalidField("arch"))?),
        None => None,
    };
    if version_code == 0 {
        return Err(Error::InvalidVersionCode);
    }
    Ok(UpgradeRequest {
        key: key.to_owned(),
        version_code,
        appoint_version_code,
        dev_model_key,
        dev_key,
        cpu,
    })
}

/// The app a key names for `endpoint`. A key of another kind (an `apkKey` sent to
/// `/v1/url/upgrade`) is not found, as upstream keeps one table per kind; so is an app the
/// access key may not query, so that a key's existence does not leak across tenants.
///
/// # Errors
/// [`Error::AppNotFound`].
pub fn resolve<'l>(
    lookup: &'l EdgeLookup,
    endpoint: Endpoint,
    key: &str,
    access: Option<&AccessSecret>,
) -> Result<&'l AppId, Error> {
    lookup
        .toolsetlink
        .get(key)
        .filter(|r| r.field == endpoint.key_field())
        .map(|r| &r.app)
        .filter(|app| access.is_none_or(|a| a.allows(app)))
        .ok_or(Error::AppNotFound(endpoint))
}

/// `data` of `/v1/url/upgrade`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UrlData {
    /// The key, echoed.
    pub url_key: String,
    /// The release's version string.
    pub version_name: String,
    /// The release's version code.
    pub version_code: i64,
    /// Absolute download URL.
    pub url_path: String,
    /// 1 prompt, 2 silent, 3 force (0 without an update).
    pub upgrade_type: u8,
    /// Prompt text, else the release notes.
    pub prompt_upgrade_content: String,
}

/// `data` of `/v1/file/upgrade`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    /// The key, echoed.
    pub file_key: String,
    /// The release's version string.
    pub version_name: String,
    /// The release's version code.
    pub version_code: i64,
    /// Absolute download URL.
    pub url_path: String,
    /// Size in bytes.
    pub url_file_size: u64,
    /// 1 prompt, 2 silent, 3 force (0 without an update).
    pub upgrade_type: u8,
    /// Prompt text, else the release notes.
    pub prompt_upgrade_content: String,
}

/// `data` of `/v1/apk/upgrade`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApkData {
    /// The key, echoed.
    pub apk_key: String,
    /// The app's `bundle_id`, or empty.
    pub package_name: String,
    /// The release's version string.
    pub version_name: String,
    /// The release's version code.
    pub version_code: i64,
    /// Absolute download URL.
    pub url_path: String,
    /// Size in bytes.
    pub url_file_size: u64,
    /// MD5 hex when known (always empty upstream), else empty.
    pub url_file_md5: String,
    /// 1 prompt, 2 silent, 3 force (0 without an update).
    pub upgrade_type: u8,
    /// Prompt text, else the release notes.
    pub prompt_upgrade_content: String,
}

/// `data` of `/v1/{win,mac,lnx}/upgrade`: the apk fields, under the endpoint's key name
/// (`winKey`, `macKey`, `lnxKey`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopData {
    /// The key's field name, e.g. `winKey`.
    pub key_field: &'static str,
    /// The key, echoed.
    pub key: String,
    /// The app's `bundle_id`, or empty.
    pub package_name: String,
    /// The release's version string.
    pub version_name: String,
    /// The release's version code.
    pub version_code: i64,
    /// Absolute download URL.
    pub url_path: String,
    /// Size in bytes.
    pub url_file_size: u64,
    /// MD5 hex when known, else empty.
    pub url_file_md5: String,
    /// 1 prompt, 2 silent, 3 force (0 without an update).
    pub upgrade_type: u8,
    /// Prompt text, else the release notes.
    pub prompt_upgrade_content: String,
}

impl DesktopData {
    /// Every field zero-valued, under `endpoint`'s key name.
    pub fn zeroed(endpoint: Endpoint) -> DesktopData {
        DesktopData {
            key_field: endpoint.key_field(),
            key: String::new(),
            package_name: String::new(),
            version_name: String::new(),
            version_code: 0,
            url_path: String::new(),
            url_file_size: 0,
            url_file_md5: String::new(),
            upgrade_type: 0,
            prompt_upgrade_content: String::new(),
        }
    }
}

impl Serialize for DesktopData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("DesktopData", 9)?;
        st.serialize_field(self.key_field, &self.key)?;
        st.serialize_field("packageName", &self.package_name)?;
        st.serialize_field("versionName", &self.version_name)?;
        st.serialize_field("versionCode", &self.version_code)?;
        st.serialize_field("urlPath", &self.url_path)?;
        st.serialize_field("urlFileSize", &self.url_file_size)?;
        st.serialize_field("urlFileMd5", &self.url_file_md5)?;
        st.serialize_field("upgradeType", &self.upgrade_type)?;
        st.serialize_field("promptUpgradeContent", &self.prompt_upgrade_content)?;
        st.end()
    }
}

/// `data` of `/v1/configuration/upgrade`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigurationData {
    /// The key, echoed.
    pub configuration_key: String,
    /// The release's version string.
    pub version_name: String,
    /// The release's version code.
    pub version_code: i64,
    /// 1 prompt, 2 silent, 3 force (0 without an update).
    pub upgrade_type: u8,
    /// Prompt text, else the release notes.
    pub prompt_upgrade_content: String,
    /// The release's configuration object; `null` without an update or content.
    pub content: Option<Value>,
}

/// The `data` of an answer, shaped by its endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum UpgradeData {
    /// `/v1/configuration/upgrade`.
    Configuration(ConfigurationData),
    /// `/v1/apk/upgrade`.
    Apk(ApkData),
    /// `/v1/url/upgrade`.
    Url(UrlData),
    /// `/v1/file/upgrade`.
    File(FileData),
    /// `/v1/{win,mac,lnx}/upgrade`.
    Desktop(DesktopData),
}

impl UpgradeData {
    /// Every field zero-valued (`""`, `0`, `null`): upstream's "already latest" data.
    pub fn zeroed(endpoint: Endpoint) -> UpgradeData {
        match endpoint {
            Endpoint::Configuration => UpgradeData::Configuration(ConfigurationData::default()),
            Endpoint::Apk => UpgradeData::Apk(ApkData::default()),
            Endpoint::Url => UpgradeData::Url(UrlData::default()),
            Endpoint::File => UpgradeData::File(FileData::default()),
            // Tauri and Electron have no JSON upgrade answer; shaped as the desktop ones.
            Endpoint::Win
            | Endpoint::Mac
            | Endpoint::Lnx
            | Endpoint::Tauri
            | Endpoint::Electron => UpgradeData::Desktop(DesktopData::zeroed(endpoint)),
        }
    }
}

/// An upgrade answer: `{"code", "msg", "docs", "data"}`, always HTTP 200. Code 200 with the
/// data of a new version, or code 0 `已经是最新版本` with zeroed data. Upstream's success type
/// has no `traceId`, so neither does this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// 200 (new version) or 0 (already latest).
    pub code: u32,
    /// `获取到新版本` or `已经是最新版本`.
    pub msg: &'static str,
    /// Always empty.
    pub docs: &'static str,
    /// The version, or zeroed.
    pub data: UpgradeData,
}

impl Answer {
    /// HTTP status of both answers.
    pub const STATUS: u16 = 200;

    /// The "already latest" answer for `endpoint`.
    pub fn latest(endpoint: Endpoint) -> Answer {
        Answer {
            code: 0,
            msg: "已经是最新版本",
            docs: "",
            data: UpgradeData::zeroed(endpoint),
        }
    }

    /// Whether it offers a new version.
    pub fn has_update(&self) -> bool {
        self.code == 200
    }
}

/// The URL an unsigned updater route gives for a file of `app`: its static URL made absolute
/// against `origin` (e.g. `https://updates.example.com`); never a private app's file, which
/// only signed links reach ([`Links::file_url`], as the signed routes use).
pub fn file_url(app: &EdgeApp, a: &Artifact, origin: &str) -> Option<String> {
    Links::public_only(origin).file_url(app, a).ok()
}

/// The channel protocol D serves for `app`.
pub(crate) fn channel(app: &EdgeApp) -> ChannelKey {
    app.app
        .protocols
        .toolsetlink
        .as_ref()
        .and_then(|t| t.channel.clone())
        .unwrap_or_else(|| app.default_channel.clone())
}

/// The file a release is downloaded as (protocol D names no architecture): the primary
/// artifact of the default architecture, else of the first architecture in `archs` order;
/// never one of a disabled architecture.
fn artifact<'a>(
    app: &EdgeApp,
    archs: &[&Architecture],
    r: &'a EdgeRelease,
) -> Option<&'a Artifact> {
    let rank = |a: &Artifact| {
        let pos = archs.iter().position(|x| x.key == a.arch);
        let enabled = pos.and_then(|p| archs.get(p)).is_none_or(|x| x.enabled);
        enabled.then_some((a.arch != app.default_arch, pos.unwrap_or(usize::MAX)))
    };
    r.release
        .artifacts
        .iter()
        .filter(|a| a.role == ArtifactRole::Primary)
        .filter_map(|a| rank(a).map(|k| (k, a)))
        .min_by_key(|(k, _)| *k)
        .map(|(_, a)| a)
}

/// The architectures whose builds a desktop client on `platform` with `cpu` runs, best first:
/// the enabled ones of that platform ([`Architecture::platform_or`]) with exactly that
/// processor ([`Architecture::cpu_or_guess`]) in declared order, then, on macOS for `x86_64`
/// and `aarch64`, the universal ones.
fn desktop_archs(app: &EdgeApp, platform: Platform, cpu: Cpu) -> Vec<ArchKey> {
    let archs = app.ordered_archs();
    let of = |c: Cpu| {
        archs
            .iter()
            .filter(move |a| {
                a.enabled
                    && a.platform_or(app.app.platform) == platform
                    && a.cpu_or_guess() == Some(c)
            })
            .map(|a| a.key.clone())
    };
    let mut out: Vec<ArchKey> = of(cpu).collect();
    if platform == Platform::Macos && matches!(cpu, Cpu::X86_64 | Cpu::Aarch64) {
        out.extend(of(Cpu::Universal));
    }
    out
}

/// Which file of a release answers a request.
enum FilePick<'a> {
    /// Protocol D's apk, url and file routes name no architecture: [`artifact`].
    Default(Vec<&'a Architecture>),
    /// A desktop client's architectures, best first ([`desktop_archs`]): the first that has
    /// a primary artifact.
    Ranked(Vec<ArchKey>),
}

impl<'a> FilePick<'a> {
    /// The pick for `endpoint`: by the request's processor on the desktop endpoints (none
    /// without one), else [`FilePick::Default`].
    fn new(app: &'a EdgeApp, endpoint: Endpoint, cpu: Option<Cpu>) -> FilePick<'a> {
        match (endpoint.platform(), cpu) {
            (Some(p), Some(c)) => FilePick::Ranked(desktop_archs(app, p, c)),
            (Some(_), None) => FilePick::Ranked(Vec::new()),
            (None, _) => FilePick::Default(app.ordered_archs()),
        }
    }

    fn file<'r>(&self, app: &EdgeApp, r: &'r EdgeRelease) -> Option<&'r Artifact> {
        match self {
            FilePick::Default(archs) => artifact(app, archs, r),
            FilePick::Ranked(keys) => keys.iter().find_map(|k| r.release.primary_for(k)),
        }
    }
}

/// The version code of the app's `policy.min_version` release (in the served channel first,
/// then any), if that version exists.
fn min_version_code(app: &EdgeApp, channel: &ChannelKey) -> Option<i64> {
    let min = app.app.policy.min_version.as_deref()?;
    let named = |r: &&EdgeRelease| r.release.version == min;
    let in_channel = app
        .releases
        .iter()
        .filter(|r| &r.release.channel == channel)
        .find(named);
    in_channel
        .or_else(|| app.releases.iter().find(named))
        .and_then(|r| r.release.version_code)
}

/// Answers an upgrade request for `app` (found with [`resolve`]). `links` makes the file URL
/// ([`Links::file_url`]: absolute, and signed for a private app).
///
/// Candidates: releases of the served channel with `version_code` above the client's that
/// rollout offers to `devKey` (never yanked; staged ones only with a `devKey`), and, for the
/// file endpoints, that have a file: on `win`, `mac` and `lnx` the primary artifact of an
/// architecture of that platform whose processor is the request's `arch`. `appointVersionCode > 0` picks exactly that code or none
/// (no fallback); otherwise the highest code wins. `upgradeType` is the file's override, else
/// the release's, raised to force when the client is below the `policy.min_version` release.
///
/// # Errors
/// [`Error::Internal`] when a private app's file cannot get a signed link.
pub fn upgrade(
    app: &EdgeApp,
    endpoint: Endpoint,
    req: &UpgradeRequest,
    links: &Links,
) -> Result<Answer, Error> {
    let channel = channel(app);
    let pick = FilePick::new(app, endpoint, req.cpu);
    let best = app
        .releases
        .iter()
        .filter(|r| r.release.channel == channel)
        .filter_map(|r| {
            let code = r.release.version_code?;
            let file = pick.file(app, r);
            let wanted = code > req.version_code
                && (req.appoint_version_code <= 0 || code == req.appoint_version_code)
                && (file.is_some() || !endpoint.needs_file());
            wanted.then_some((code, r, file))
        })
        .filter(|(_, r, _)| rollout::offered(r, req.dev_key.as_deref()))
        .max_by_key(|(code, _, _)| *code);
    let Some((code, r, file)) = best else {
        return Ok(Answer::latest(endpoint));
    };
    let below_min = min_version_code(app, &channel).is_some_and(|m| req.version_code < m);
    let upgrade_type = if below_min {
        UpgradeType::Force
    } else {
        file.and_then(|a| a.upgrade).unwrap_or(r.release.upgrade)
    }
    .code();
    let prompt = r.prompt.clone().unwrap_or_else(|| r.release.notes.clone());
    let key = req.key.clone();
    let version_name = r.release.version.clone();
    let url_path = file
        .map(|a| links.file_url(app, a))
        .transpose()?
        .unwrap_or_default();
    let size = file.map_or(0, |a| a.size);
    let md5 = file
        .and_then(|a| a.md5.as_ref())
        .map(|m| m.to_hex())
        .unwrap_or_default();
    let package_name = app.app.bundle_id.clone().unwrap_or_default();
    let data = match endpoint {
        Endpoint::Configuration => UpgradeData::Configuration(ConfigurationData {
            configuration_key: key,
            version_name,
            version_code: code,
            upgrade_type,
            prompt_upgrade_content: prompt,
            content: r.content.clone(),
        }),
        Endpoint::Apk => UpgradeData::Apk(ApkData {
            apk_key: key,
            package_name,
            version_name,
            version_code: code,
            url_path,
            url_file_size: size,
            url_file_md5: md5,
            upgrade_type,
            prompt_upgrade_content: prompt,
        }),
        Endpoint::Url => UpgradeData::Url(UrlData {
            url_key: key,
            version_name,
            version_code: code,
            url_path,
            upgrade_type,
            prompt_upgrade_content: prompt,
        }),
        Endpoint::File => UpgradeData::File(FileData {
            file_key: key,
            version_name,
            version_code: code,
            url_path,
            url_file_size: size,
            upgrade_type,
            prompt_upgrade_content: prompt,
        }),
        Endpoint::Win | Endpoint::Mac | Endpoint::Lnx | Endpoint::Tauri | Endpoint::Electron => {
            UpgradeData::Desktop(DesktopData {
                key_field: endpoint.key_field(),
                key,
                package_name,
                version_name,
                version_code: code,
                url_path,
                url_file_size: size,
                url_file_md5: md5,
                upgrade_type,
                prompt_upgrade_content: prompt,
            })
        }
    };
    Ok(Answer {
        code: 200,
        msg: "获取到新版本",
        docs: "",
        data,
    })
}

/// The query of a download redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    /// The endpoint's key.
    pub key: String,
    /// That version code; 0 means the newest.
    pub version_code: i64,
    /// A release's Zealot id (its 1-based rank in the app by publication time), standing in
    /// for upstream's version row id; wins over `version_code` when above 0.
    pub version_id: i64,
}

/// Parses a download query (`urlKey=…&versionCode=…&versionId=…`, without the `?`). Pairs are
/// decoded as Go's `url.ParseQuery` does (`+` is a space, a pair with a bad escape is
/// dropped); the first value of a repeated name wins. Unknown names are ignored.
///
/// # Errors
/// [`Error::FieldNotSet`] without the key, [`Error::FieldTypeMismatch`] for a number that is
/// not an integer, [`Error::EmptyKey`], [`Error::InvalidVersionCode`] for a negative code.
pub fn parse_download_query(endpoint: Endpoint, query: &str) -> Result<DownloadRequest, Error> {
    let pairs = Query::parse(query);
    let get = |name: &str| pairs.get(name);
    let number = |name: &'static str| pairs.number(name);
    let key_name = endpoint.key_field();
    let key = get(key_name).ok_or(Error::FieldNotSet(key_name))?;
    let version_code = number("versionCode")?;
    let version_id = number("versionId")?;
    if key.is_empty() {
        return Err(Error::EmptyKey(endpoint));
    }
    if version_code < 0 {
        return Err(Error::InvalidVersionCode);
    }
    Ok(DownloadRequest {
        key: key.to_owned(),
        version_code,
        version_id,
    })
}

/// A query string decoded as Go's `url.ParseQuery` does: `+` is a space, a pair with a bad
/// escape is dropped, and (as `Values.Get`) the first value of a repeated name wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    /// Decodes `query` (without the `?`).
    pub(crate) fn parse(query: &str) -> Query {
        Query(
            query
                .split('&')
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    let text =
                        |s| query_unescape(s).map(|b| String::from_utf8_lossy(&b).into_owned());
                    Some((text(k)?, text(v)?))
                })
                .collect(),
        )
    }

    /// The first value of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// An integer parameter as go-zero reads one with `default=0`: absent is 0, anything but
    /// an integer is a type mismatch.
    pub(crate) fn number(&self, name: &'static str) -> Result<i64, Error> {
        self.get(name).map_or(Ok(0), |v| {
            v.parse::<i64>().map_err(|_| Error::FieldTypeMismatch(name))
        })
    }
}

/// Where a download redirect (302) points: the file of the release named by `version_id`, else
/// by `version_code`, else the newest fully rolled-out release, in the served channel. A named
/// release may still be rolling out (the client asked for it); a yanked one is never served.
///
/// The route has no authentication: `links` is [`Links::public_only`], so a private app's
/// file (site-hosted or external) is never handed out here.
///
/// # Errors
/// [`Error::NoVersion`] when no such release has a file, or the app is private.
pub fn download_target(
    app: &EdgeApp,
    req: &DownloadRequest,
    links: &Links,
) -> Result<String, Error> {
    let channel = channel(app);
    let archs = app.ordered_archs();
    let mut servable = app
        .releases
        .iter()
        .filter(|r| r.release.channel == channel && r.release.state == ReleaseState::Ready)
        .filter_map(|r| artifact(app, &archs, r).map(|a| (r, a)));
    let found = if req.version_id > 0 {
        servable.find(|(r, _)| i64::from(r.zealot_id) == req.version_id)
    } else if req.version_code > 0 {
        servable.find(|(r, _)| r.release.version_code == Some(req.version_code))
    } else {
        servable
            .filter(|(r, _)| rollout::offered(r, None))
            .max_by_key(|(r, _)| r.release.version_code)
    };
    let (_, a) = found.ok_or(Error::NoVersion)?;
    Ok(links.file_url(app, a)?)
}

/// The signed event report route (D.5).
pub const REPORT_PATH: &str = "/v1/app/report";

/// `eventType` of an app launch: counted under `eventData.versionCode`.
pub const EVENT_APP_START: &str = "app_start";
/// `eventType` of an update download: counted under `eventData.downloadVersionCode`.
pub const EVENT_UPGRADE_DOWNLOAD: &str = "app_upgrade_download";
/// `eventType` of an installed update: counted under `eventData.upgradeVersionCode`.
pub const EVENT_UPGRADE_UPGRADE: &str = "app_upgrade_upgrade";
/// The event the worker counts for each answered signed upgrade check (upstream logs a "get
/// strategy" event), under the client's `versionCode` with the answer's `code` (200 new
/// version, 0 already latest). Clients do not report it.
pub const EVENT_GET_STRATEGY: &str = "app_get_strategy";

/// Longest `eventType` stored. Unknown types are accepted as upstream does, so the name is
/// client text that becomes a row key; a longer one is refused (ours, upstream has no limit).
pub const MAX_EVENT_TYPE_CHARS: usize = 64;

/// A parsed `POST /v1/app/report` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `eventType`: one of the `EVENT_*` constants or any other (accepted, counted as sent).
    pub event_type: String,
    /// `appKey`: any protocol D key of the app (`apkKey`, `urlKey`, `fileKey`,
    /// `configurationKey`, `winKey`, ...).
    pub app_key: String,
    /// `timestamp`, when the client says the event happened (validated when sent, not
    /// stored; the SDKs' types make it optional).
    pub timestamp: Option<Timestamp>,
    /// `eventData.launchTime` (validated when sent).
    pub launch_time: Option<Timestamp>,
    /// The version code the event counts under: `eventData.downloadVersionCode` for
    /// [`EVENT_UPGRADE_DOWNLOAD`], `eventData.upgradeVersionCode` for
    /// [`EVENT_UPGRADE_UPGRADE`], `eventData.versionCode` for [`EVENT_APP_START`] and every
    /// unknown type.
    pub version_code: i64,
    /// `eventData.code`: 0 success, else a client-defined failure code (0 when absent).
    pub code: i64,
    /// `eventData.versionCode`: the version the client runs.
    pub client_version_code: i64,
    /// `eventData.devModelKey`.
    pub dev_model_key: Option<String>,
    /// `eventData.devKey`.
    pub dev_key: Option<String>,
    /// `eventData.target`.
    pub target: Option<String>,
    /// `eventData.arch`.
    pub arch: Option<String>,
}

/// An RFC 3339 time as Go's `time.RFC3339` parses it: upper-case `T` and `Z`, no space,
/// fractions allowed (the shared parser is more lenient).
fn go_rfc3339(s: &str) -> Option<Timestamp> {
    if s.bytes().any(|c| matches!(c, b't' | b'z' | b' ')) {
        return None;
    }
    Timestamp::parse_rfc3339(s).ok()
}

/// Parses a report body like go-zero parses upstream's `AppReportReq`, in its field order:
/// `eventType`, `appKey`, `timestamp`, `eventData` (an object) with `launchTime`,
/// `versionCode`, `devModelKey`, `devKey`, `target`, `arch`, `downloadVersionCode`,
/// `upgradeVersionCode`, `code`. Required are what the SDKs' `AppReportRequest` requires:
/// `eventType`, `appKey`, `eventData` and `eventData.versionCode`. Absent or `null` is "not
/// set", a wrong JSON type a mismatch; absent optional numbers are 0. Then the checks
/// upstream's logic makes (and answers with 500001): a `timestamp` or `launchTime` that is
/// sent must be RFC 3339 (upstream also requires `launchTime` on `app_start`; the SDKs do
/// not, so neither do we); ours: `eventType` must be 1 to [`MAX_EVENT_TYPE_CHARS`]
/// characters. An empty `appKey` is left to the lookup (404001).
///
/// # Errors
/// [`Error::BodyTooLarge`], [`Error::BodyInvalid`], [`Error::FieldNotSet`],
/// [`Error::FieldTypeMismatch`], [`Error::InvalidField`].
pub fn parse_report(body: &[u8]) -> Result<Report, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge);
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(Error::BodyInvalid);
    };
    let required = |name: &'static str| {
        field(&obj, name, |v| v.as_str().map(str::to_owned))?.ok_or(Error::FieldNotSet(name))
    };
    let event_type = required("eventType")?;
    let app_key = required("appKey")?;
    let timestamp = field(&obj, "timestamp", |v| v.as_str().map(str::to_owned))?;
    let data =
        field(&obj, "eventData", Value::as_object)?.ok_or(Error::FieldNotSet("eventData"))?;
    let text = |name: &'static str, full: &'static str| {
        field(data, name, |v| v.as_str().map(str::to_owned))
            .map_err(|_| Error::FieldTypeMismatch(full))
    };
    let number = |name: &'static str, full: &'static str| {
        field(data, name, Value::as_i64).map_err(|_| Error::FieldTypeMismatch(full))
    };
    let launch_time = text("launchTime", "eventData.launchTime")?;
    let client_version_code = number("versionCode", "eventData.versionCode")?
        .ok_or(Error::FieldNotSet("eventData.versionCode"))?;
    let dev_model_key = text("devModelKey", "eventData.devModelKey")?;
    let dev_key = text("devKey", "eventData.devKey")?;
    let target = text("target", "eventData.target")?;
    let arch = text("arch", "eventData.arch")?;
    let download = number("downloadVersionCode", "eventData.downloadVersionCode")?.unwrap_or(0);
    let upgrade = number("upgradeVersionCode", "eventData.upgradeVersionCode")?.unwrap_or(0);
    let code = number("code", "eventData.code")?.unwrap_or(0);
    if event_type.is_empty() || event_type.chars().count() > MAX_EVENT_TYPE_CHARS {
        return Err(Error::InvalidField("eventType"));
    }
    let time = |t: Option<String>, name| match t {
        Some(t) => go_rfc3339(&t).map(Some).ok_or(Error::InvalidField(name)),
        None => Ok(None),
    };
    let timestamp = time(timestamp, "timestamp")?;
    let launch_time = time(launch_time, "launchTime")?;
    let version_code = match event_type.as_str() {
        EVENT_UPGRADE_DOWNLOAD => download,
        EVENT_UPGRADE_UPGRADE => upgrade,
        _ => client_version_code,
    };
    Ok(Report {
        event_type,
        app_key,
        timestamp,
        launch_time,
        version_code,
        code,
        client_version_code,
        dev_model_key,
        dev_key,
        target,
        arch,
    })
}

/// The app a report's `appKey` names: a key of any kind (the lookup holds one app per key),
/// which the access key may see; otherwise not found, so a key's existence does not leak
/// across tenants.
///
/// # Errors
/// [`Error::AppKeyNotFound`].
pub fn resolve_report<'l>(
    lookup: &'l EdgeLookup,
    app_key: &str,
    access: &AccessSecret,
) -> Result<&'l AppId, Error> {
    lookup
        .toolsetlink
        .get(app_key)
        .map(|r| &r.app)
        .filter(|app| access.allows(app))
        .ok_or(Error::AppKeyNotFound)
}

/// The answer to an accepted report: `{"code":0,"msg":"上报成功","docs":""}` with HTTP 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReportAnswer {
    /// Always 0.
    pub code: u32,
    /// Always `上报成功`.
    pub msg: &'static str,
    /// Always empty.
    pub docs: &'static str,
}

impl ReportAnswer {
    /// The HTTP status of an accepted report.
    pub const STATUS: u16 = 200;
    /// The only answer.
    pub const OK: ReportAnswer = ReportAnswer {
        code: 0,
        msg: "上报成功",
        docs: "",
    };
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::index::ToolsetlinkRef;
    use serde_json::json;

    const BODY: &[u8] = br#"{"configurationKey":"k","versionCode":1}"#;
    const NONCE: &str = "0123456789abcdef";
    const TS: &str = "2025-02-17T10:34:55+08:00";
    const ORIGIN: &str = "https://u.example";

    /// [`super::upgrade`] with the links of `origin` and a key.
    fn upgrade(app: &EdgeApp, endpoint: Endpoint, req: &UpgradeRequest, origin: &str) -> Answer {
        let now = ts("2026-06-01T00:00:00Z");
        let links = Links::new(origin, crate::links::Protocol::Toolsetlink, Some("k"), now);
        super::upgrade(app, endpoint, req, &links).expect("answer")
    }

    /// [`super::download_target`] with the public links of `origin`, as the route has.
    fn download_target(
        app: &EdgeApp,
        req: &DownloadRequest,
        origin: &str,
    ) -> Result<String, Error> {
        let links = Links::public_only(origin);
        super::download_target(app, req, &links)
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("timestamp")
    }

    fn headers(signature: &str) -> SignedHeaders<'_> {
        SignedHeaders {
            timestamp: TS,
            nonce: NONCE,
            access_key: "ak",
            signature,
        }
    }

    /// `_edge/apps/remote-config.json` of the example, trimmed.
    pub(crate) const REMOTE_CONFIG: &str = r#"{"schema_version":1,
      "app":{"id":"remote-config","name":"Remote configuration","platform":"other","versioning":"version-code",
        "channels":[{"key":"stable","name":"Stable"}],
        "protocols":{"toolsetlink":{"configuration_key":"q1hfB1VUQaK9VksTZGPU1Q"}}},
      "default_channel":"stable","default_arch":"default",
      "releases":[
        {"version":"v2","version_code":2,"channel":"stable","published_at":"2026-02-17T02:34:55Z","state":"ready",
         "rollout":100,"upgrade":"prompt","release_id":"remote-config/stable/v2","zealot_id":2,"zealot_version":2,
         "prompt":"Содержимое подсказки","content":{"features":{"dark_mode":true},"servers":["a.example.com"],"test":1}},
        {"version":"v1","version_code":1,"channel":"stable","published_at":"2026-01-01T00:00:00Z","state":"ready",
         "rollout":100,"upgrade":"prompt","release_id":"remote-config/stable/v1","zealot_id":1,"zealot_version":1,
         "content":{"test":0}}]}"#;

    /// Releases of the example's `android-demo`, newest first: (version, code, state, rollout,
    /// upgrade, prompt, primary artifacts as (arch, url, md5, upgrade override)).
    type Rel<'a> = (
        &'a str,
        i64,
        &'a str,
        u8,
        &'a str,
        Option<&'a str>,
        &'a [(&'a str, &'a str, Option<&'a str>, Option<&'a str>)],
    );

    fn android(releases: &[Rel<'_>]) -> EdgeApp {
        let n = releases.len();
        let releases: Vec<_> = releases
            .iter()
            .enumerate()
            .map(|(i, (v, code, state, rollout, upgrade, prompt, files))| {
                json!({
                    "version": v, "version_code": code, "channel": "stable",
                    "published_at": "2026-01-01T00:00:00Z", "state": state, "rollout": rollout,
                    "upgrade": upgrade, "notes": format!("notes {v}"), "prompt": prompt,
                    "release_id": format!("android-demo/stable/{v}"),
                    "zealot_id": n - i, "zealot_version": n - i,
                    "artifacts": files.iter().map(|(arch, url, md5, up)| json!({
                        "id": format!("{v}-{arch}"), "arch": arch, "role": "primary",
                        "name": format!("demo-{v}-{arch}.apk"), "size": 43, "sha256": "00".repeat(32),
                        "md5": md5, "url": url, "upgrade": up,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::from_value(json!({
            "schema_version": 1,
            "app": {
                "id": "android-demo", "name": "Demo for Android", "platform": "android",
                "bundle_id": "com.example.demo", "versioning": "semver",
                "policy": { "min_version": "1.1.0" },
                "architectures": [
                    { "key": "arm64-v8a", "name": "ARM64", "default": true },
                    { "key": "armeabi-v7a", "name": "ARMv7", "order": 1 }
                ],
                "channels": [{ "key": "stable", "name": "Android", "default": true }],
                "protocols": { "toolsetlink": { "apk_key": "mui2W50H1jOC4xD6PgQagA" } }
            },
            "default_channel": "stable", "default_arch": "arm64-v8a", "releases": releases,
        }))
        .expect("fixture")
    }

    /// The example's android-demo: 1.4.0 staged at 25 % with an external file, 1.3.0 yanked,
    /// 1.2.0 silent on arm64, 1.1.0 force with a prompt, 1.0.0.
    pub(super) fn demo() -> EdgeApp {
        android(&[
            (
                "1.4.0",
                140,
                "ready",
                25,
                "prompt",
                None,
                &[(
                    "arm64-v8a",
                    "https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk",
                    Some("0123456789abcdef0123456789abcdef"),
                    None,
                )],
            ),
            (
                "1.3.0",
                130,
                "yanked",
                100,
                "prompt",
                None,
                &[(
                    "arm64-v8a",
                    "/artifacts/android-demo/1.3.0/x.apk",
                    None,
                    None,
                )],
            ),
            (
                "1.2.0",
                120,
                "ready",
                100,
                "prompt",
                None,
                &[(
                    "arm64-v8a",
                    "/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk",
                    Some("8e3d6b065f93ba0d7b6210ab3f7801ff"),
                    Some("silent"),
                )],
            ),
            (
                "1.1.0",
                110,
                "ready",
                100,
                "force",
                Some("A security fix: please update now."),
                &[
                    (
                        "armeabi-v7a",
                        "/artifacts/android-demo/1.1.0/v7.apk",
                        None,
                        None,
                    ),
                    (
                        "arm64-v8a",
                        "/artifacts/android-demo/1.1.0/arm64.apk",
                        None,
                        None,
                    ),
                ],
            ),
            (
                "1.0.0",
                100,
                "ready",
                100,
                "prompt",
                None,
                &[(
                    "arm64-v8a",
                    "/artifacts/android-demo/1.0.0/arm64.apk",
                    None,
                    None,
                )],
            ),
        ])
    }

    fn req(key: &str, code: i64, appoint: i64, dev: Option<&str>) -> UpgradeRequest {
        UpgradeRequest {
            key: key.into(),
            version_code: code,
            appoint_version_code: appoint,
            dev_model_key: None,
            dev_key: dev.map(str::to_owned),
            cpu: None,
        }
    }

    fn to_json<T: Serialize>(v: &T) -> String {
        serde_json::to_string(v).expect("serializes")
    }

    #[test]
    fn signature_test_vectors() {
        let url = "/v1/configuration/upgrade";
        assert_eq!(
            signature(BODY, NONCE, "s3cr3t", TS, url),
            "b92f76544cd580eb8da069a329072aa5"
        );
        assert_eq!(
            signature(b"", NONCE, "s3cr3t", TS, url),
            "5778b53f54f5e84734ae901117968a29"
        );
    }

    #[test]
    fn verifies_in_any_case_and_both_empty_body_forms() {
        let uri = "/v1/configuration/upgrade";
        let good = "b92f76544cd580eb8da069a329072aa5";
        assert_eq!(
            verify_signature(&headers(good), "s3cr3t", BODY, uri),
            Ok(())
        );
        let upper = good.to_ascii_uppercase();
        assert_eq!(
            verify_signature(&headers(&upper), "s3cr3t", BODY, uri),
            Ok(())
        );
        let bad = "b92f76544cd580eb8da069a329072aa6";
        assert_eq!(
            verify_signature(&headers(bad), "s3cr3t", BODY, uri),
            Err(Error::SignatureInvalid)
        );
        assert_eq!(
            verify_signature(&headers(good), "other", BODY, uri),
            Err(Error::SignatureInvalid)
        );
        // Empty body: the SDKs' form (no `body=`) and the server's (`body=&`).
        let sdk = "5778b53f54f5e84734ae901117968a29";
        assert_eq!(verify_signature(&headers(sdk), "s3cr3t", b"", uri), Ok(()));
        let server = to_hex(&Md5::digest(
            format!("body=&nonce={NONCE}&secretKey=s3cr3t&timestamp={TS}&url={uri}").as_bytes(),
        ));
        assert_ne!(server, sdk);
        assert_eq!(
            verify_signature(&headers(&server), "s3cr3t", b"", uri),
            Ok(())
        );
        // A non-empty body is never signed as empty.
        assert_eq!(
            verify_signature(&headers(sdk), "s3cr3t", b" ", uri),
            Err(Error::SignatureInvalid)
        );
    }

    #[test]
    fn signs_the_decoded_path_and_query() {
        assert_eq!(
            query_unescape("/a%2Fb+c%e4%B8%AD?x=1").as_deref(),
            Some("/a/b c中?x=1".as_bytes())
        );
        assert_eq!(query_unescape("100%"), None);
        assert_eq!(query_unescape("%4"), None);
        assert_eq!(query_unescape("%zz"), None);
        assert_eq!(query_unescape("%ff").as_deref(), Some(&[0xff_u8][..]));
        let decoded = "/v1/url/upgrade?name=a b/中";
        let sig = signature(BODY, NONCE, "s", TS, decoded);
        let raw = "/v1/url/upgrade?name=a+b%2F%E4%B8%AD";
        assert_eq!(verify_signature(&headers(&sig), "s", BODY, raw), Ok(()));
        assert_eq!(
            verify_signature(
                &headers(&sig),
                "s",
                BODY,
                "/v1/url/upgrade?name=a+b%2F%E4%B8%A"
            ),
            Err(Error::SignatureInvalid),
            "an invalid escape never matches"
        );
        // Upstream trims trailing `&` from the joined string, so from the url.
        let plain = signature(BODY, NONCE, "s", TS, "/v1/url/upgrade?a=1");
        assert_eq!(
            plain,
            signature(BODY, NONCE, "s", TS, "/v1/url/upgrade?a=1&&")
        );
        assert_eq!(
            verify_signature(&headers(&plain), "s", BODY, "/v1/url/upgrade?a=1&"),
            Ok(())
        );
    }

    #[test]
    fn authenticates_known_access_keys_only() {
        let mut secrets = EdgeSecrets::default();
        secrets.toolsetlink.insert(
            "ak".into(),
            AccessSecret {
                secret: "s3cr3t".into(),
                apps: vec![],
            },
        );
        let uri = "/v1/configuration/upgrade";
        let good = "b92f76544cd580eb8da069a329072aa5";
        assert_eq!(
            authenticate(&headers(good), &secrets, BODY, uri).map(|s| s.secret.as_str()),
            Ok("s3cr3t")
        );
        let h = SignedHeaders {
            access_key: "other",
            ..headers(good)
        };
        // An unknown access key answers exactly as a wrong signature: no existence oracle.
        assert_eq!(
            authenticate(&h, &secrets, BODY, uri).err(),
            Some(Error::SignatureInvalid)
        );
        let body = |e: Option<Error>| e.map(|e| serde_json::to_string(&e.envelope("t")).ok());
        assert_eq!(
            body(authenticate(&h, &secrets, BODY, uri).err()),
            body(authenticate(&headers(&good.replace('b', "c")), &secrets, BODY, uri).err())
        );
        assert_eq!(
            authenticate(&headers(&good.replace('b', "c")), &secrets, BODY, uri).err(),
            Some(Error::SignatureInvalid)
        );
    }

    #[test]
    fn header_errors_come_in_upstream_order() {
        let now = ts("2025-02-17T02:34:55Z");
        let check = |t, n, a, s| check_headers(t, n, a, s, now).map(|_| ()).err();
        let (t, n, a, s) = (Some(TS), Some(NONCE), Some("ak"), Some("sig"));
        assert_eq!(check(t, n, a, s), None);
        assert_eq!(check(None, None, None, None), Some(Error::MissingTimestamp));
        assert_eq!(check(Some(""), n, a, s), Some(Error::MissingTimestamp));
        for bad in [
            "1739759695",
            "2025-02-17",
            "2025-02-17T10:34:55",
            "2025-02-17t10:34:55+08:00",
            "2025-02-17 10:34:55+08:00",
            "2025-02-17T02:34:55z",
            "2025-02-30T10:34:55+08:00",
        ] {
            assert_eq!(
                check(Some(bad), None, None, None),
                Some(Error::InvalidTimestamp),
                "{bad}"
            );
        }
        assert_eq!(
            check(Some("2025-02-17T02:44:55Z"), None, None, None),
            Some(Error::TimestampOutOfWindow)
        );
        assert_eq!(check(t, None, a, s), Some(Error::MissingNonce));
        assert_eq!(check(t, Some(""), a, s), Some(Error::MissingNonce));
        assert_eq!(
            check(t, Some("0123456789abcde"), a, s),
            Some(Error::InvalidNonce)
        );
        assert_eq!(
            check(t, Some("中文中文中文中文中文中文中文中文"), a, s),
            None,
            "length in characters"
        );
        assert_eq!(check(t, n, None, None), Some(Error::MissingAccessKey));
        assert_eq!(check(t, n, Some(""), s), Some(Error::MissingAccessKey));
        assert_eq!(check(t, n, a, None), Some(Error::MissingSignature));
        let h = check_headers(t, n, a, s, now).expect("valid");
        assert_eq!(
            h,
            SignedHeaders {
                timestamp: TS,
                nonce: NONCE,
                access_key: "ak",
                signature: "sig"
            }
        );
    }

    #[test]
    fn timestamp_window_is_300_seconds_inclusive() {
        let now = ts("2026-01-01T12:00:00Z");
        let ok = |t: &str| check_headers(Some(t), Some(NONCE), Some("a"), Some("s"), now).is_ok();
        assert!(ok("2026-01-01T11:55:00Z"));
        assert!(ok("2026-01-01T12:05:00Z"));
        assert!(ok("2026-01-01T20:05:00+08:00"));
        assert!(!ok("2026-01-01T11:54:59Z"));
        assert!(!ok("2026-01-01T12:05:01Z"));
        assert!(
            !ok("2026-01-01T12:05:00.001Z"),
            "sub-second precision, as Go"
        );
        assert!(ok("2026-01-01T11:55:00.5Z"));
    }

    #[test]
    fn nonce_keys_are_hashed_per_access_key() {
        let k = nonce_kv_key("ak", NONCE);
        assert!(k.starts_with(NONCE_KV_PREFIX));
        assert_eq!(k.len(), NONCE_KV_PREFIX.len() + 64);
        assert_eq!(k, nonce_kv_key("ak", NONCE));
        assert_ne!(k, nonce_kv_key("ak2", NONCE));
        assert_ne!(nonce_kv_key("a", "bc"), nonce_kv_key("ab", "c"));
        assert_eq!(nonce_kv_key("ak", &"x".repeat(10_000)).len(), k.len());
        const { assert!(NONCE_TTL_SECONDS >= 600) };
    }

    #[test]
    fn error_envelopes_and_statuses() {
        let cases = [
            (Error::MissingTimestamp, 400_004, 400),
            (Error::TimestampOutOfWindow, 401_001, 401),
            (Error::SignatureInvalid, 401_002, 401),
            (Error::NonceUsed, 401_001, 401),
            (Error::BodyInvalid, 400_005, 400),
            (Error::FieldNotSet("apkKey"), 400_002, 400),
            (Error::FieldTypeMismatch("versionCode"), 400_003, 400),
            (Error::EmptyKey(Endpoint::Url), 400_003, 400),
            (Error::AppNotFound(Endpoint::File), 404_001, 404),
            (Error::NoVersion, 404_001, 404),
            (Error::Internal, 500_001, 500),
        ];
        for (e, code, status) in cases {
            assert_eq!((e.code(), e.status()), (code, status), "{e:?}");
        }
        assert_eq!(
            to_json(&Error::SignatureInvalid.envelope("")),
            r#"{"code":401002,"msg":"Signature Invalid","docs":"","traceId":""}"#
        );
        assert_eq!(
            to_json(&Error::NonceUsed.envelope("8f1c")),
            r#"{"code":401001,"msg":"Invalid X-Nonce: nonce already used","docs":"","traceId":"8f1c"}"#
        );
        assert_eq!(
            Error::FieldNotSet("apkKey").message(),
            r#"field "apkKey" is not set"#
        );
        assert_eq!(
            Error::FieldTypeMismatch("devKey").message(),
            r#"type mismatch for field "devKey""#
        );
        assert_eq!(
            Error::EmptyKey(Endpoint::Configuration).message(),
            "请求参数configurationKey不能为空"
        );
        assert_eq!(
            Error::AppNotFound(Endpoint::Url).message(),
            "请求url应用不存在"
        );
    }

    #[test]
    fn routes() {
        for e in Endpoint::ALL {
            let signed = Endpoint::SIGNED_UPGRADE.contains(&e).then_some(e);
            assert_eq!(Endpoint::from_upgrade_path(e.upgrade_path()), signed);
            assert_eq!(Endpoint::from_version_path(e.version_path()), Some(e));
            if let Some(p) = e.download_path() {
                assert_eq!(Endpoint::from_download_path(p), Some(e));
            }
        }
        let paths = [
            ("/v1/win/upgrade", Some(Endpoint::Win)),
            ("/v1/mac/upgrade", Some(Endpoint::Mac)),
            ("/v1/lnx/upgrade", Some(Endpoint::Lnx)),
            ("/v1/tauri/upgrade", None),
            ("/v1/electron/upgrade", None),
            ("/v1/linux/upgrade", None),
        ];
        for (path, want) in paths {
            assert_eq!(Endpoint::from_upgrade_path(path), want, "{path}");
        }
        assert_eq!(
            Endpoint::from_version_path("/v1/electron/version"),
            Some(Endpoint::Electron)
        );
        assert_eq!(Endpoint::from_version_path("/v1/app/version"), None);
        let keys: Vec<_> = Endpoint::ALL.iter().map(|e| e.key_field()).collect();
        assert_eq!(
            keys,
            [
                "configurationKey",
                "apkKey",
                "urlKey",
                "fileKey",
                "winKey",
                "macKey",
                "lnxKey",
                "tauriKey",
                "electronKey"
            ]
        );
        assert_eq!(Endpoint::Win.platform(), Some(Platform::Windows));
        assert_eq!(Endpoint::Mac.platform(), Some(Platform::Macos));
        assert_eq!(Endpoint::Lnx.platform(), Some(Platform::Linux));
        assert_eq!(Endpoint::Tauri.platform(), None);
        assert_eq!(Endpoint::from_upgrade_path("/v1/app/upgrade"), None);
        assert_eq!(
            Endpoint::from_download_path("/v1/configuration/download"),
            None
        );
        assert_eq!(Endpoint::from_upgrade_path("/v1/apk/upgrade/"), None);
    }

    #[test]
    fn parses_bodies_like_go_zero() {
        let p = |e, b: &str| parse_upgrade(e, b.as_bytes());
        assert_eq!(
            p(
                Endpoint::Apk,
                r#"{"apkKey":"k","versionCode":5,"appointVersionCode":7,"devModelKey":"m","devKey":"d","x":[1]}"#
            ),
            Ok(UpgradeRequest {
                key: "k".into(),
                version_code: 5,
                appoint_version_code: 7,
                dev_model_key: Some("m".into()),
                dev_key: Some("d".into()),
                cpu: None,
            })
        );
        assert_eq!(
            p(
                Endpoint::Url,
                r#"{"urlKey":"k","versionCode":-1,"devKey":null}"#
            ),
            Ok(req("k", -1, 0, None))
        );
        let cases = [
            (
                Endpoint::Url,
                r#"{"versionCode":1}"#,
                Error::FieldNotSet("urlKey"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":null,"versionCode":1}"#,
                Error::FieldNotSet("urlKey"),
            ),
            (
                Endpoint::Url,
                r#"{"apkKey":"k","versionCode":1}"#,
                Error::FieldNotSet("urlKey"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"k"}"#,
                Error::FieldNotSet("versionCode"),
            ),
            (Endpoint::Url, r#"{}"#, Error::FieldNotSet("urlKey")),
            (
                Endpoint::Url,
                r#"{"urlKey":1,"versionCode":1}"#,
                Error::FieldTypeMismatch("urlKey"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"k","versionCode":"1"}"#,
                Error::FieldTypeMismatch("versionCode"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"k","versionCode":1.5}"#,
                Error::FieldTypeMismatch("versionCode"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"k","versionCode":9223372036854775808}"#,
                Error::FieldTypeMismatch("versionCode"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"k","versionCode":1,"appointVersionCode":"2"}"#,
                Error::FieldTypeMismatch("appointVersionCode"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"k","versionCode":1,"devModelKey":3}"#,
                Error::FieldTypeMismatch("devModelKey"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"k","versionCode":1,"devKey":{}}"#,
                Error::FieldTypeMismatch("devKey"),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"","versionCode":0}"#,
                Error::EmptyKey(Endpoint::Url),
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"k","versionCode":0}"#,
                Error::InvalidVersionCode,
            ),
            (
                Endpoint::File,
                r#"{"fileKey":"k"}"#,
                Error::InvalidVersionCode,
            ),
            (
                Endpoint::Configuration,
                r#"{"configurationKey":"k","versionCode":1"#,
                Error::BodyInvalid,
            ),
            (Endpoint::Configuration, "", Error::BodyInvalid),
            (Endpoint::Configuration, "[1]", Error::BodyInvalid),
            (Endpoint::Configuration, "null", Error::BodyInvalid),
        ];
        for (e, body, want) in cases {
            assert_eq!(p(e, body).err(), Some(want), "{body}");
        }
        assert_eq!(
            Error::InvalidVersionCode.message(),
            "请求参数versionCode格式错误"
        );
        let mut big = br#"{"urlKey":"k","versionCode":1,"pad":""#.to_vec();
        big.resize(MAX_BODY_BYTES - 2, b'x');
        big.extend_from_slice(br#""}"#);
        assert!(
            parse_upgrade(Endpoint::Url, &big).is_ok(),
            "exactly the cap"
        );
        big.insert(40, b'x');
        assert_eq!(
            parse_upgrade(Endpoint::Url, &big).err(),
            Some(Error::BodyTooLarge)
        );
    }

    #[test]
    fn resolves_keys_per_endpoint_and_access_key() {
        let mut lookup = EdgeLookup::default();
        let app = AppId::new("android-demo").expect("id");
        lookup.toolsetlink.insert(
            "apk1".into(),
            ToolsetlinkRef {
                app: app.clone(),
                field: "apkKey".into(),
            },
        );
        assert_eq!(resolve(&lookup, Endpoint::Apk, "apk1", None), Ok(&app));
        assert_eq!(
            resolve(&lookup, Endpoint::Url, "apk1", None),
            Err(Error::AppNotFound(Endpoint::Url))
        );
        assert_eq!(
            resolve(&lookup, Endpoint::Apk, "nope", None),
            Err(Error::AppNotFound(Endpoint::Apk))
        );
        let all = AccessSecret {
            secret: "s".into(),
            apps: vec![],
        };
        let other = AccessSecret {
            secret: "s".into(),
            apps: vec![AppId::new("other").expect("id")],
        };
        assert_eq!(
            resolve(&lookup, Endpoint::Apk, "apk1", Some(&all)),
            Ok(&app)
        );
        assert_eq!(
            resolve(&lookup, Endpoint::Apk, "apk1", Some(&other)),
            Err(Error::AppNotFound(Endpoint::Apk))
        );
    }

    #[test]
    fn configuration_update_and_latest_shapes() {
        let app: EdgeApp = serde_json::from_str(REMOTE_CONFIG).expect("fixture");
        let key = "q1hfB1VUQaK9VksTZGPU1Q";
        let a = upgrade(&app, Endpoint::Configuration, &req(key, 1, 0, None), ORIGIN);
        assert!(a.has_update());
        assert_eq!(
            to_json(&a),
            r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"configurationKey":"q1hfB1VUQaK9VksTZGPU1Q","versionName":"v2","versionCode":2,"upgradeType":1,"promptUpgradeContent":"Содержимое подсказки","content":{"features":{"dark_mode":true},"servers":["a.example.com"],"test":1}}}"#
        );
        let latest = upgrade(&app, Endpoint::Configuration, &req(key, 2, 0, None), ORIGIN);
        assert_eq!(latest, Answer::latest(Endpoint::Configuration));
        assert!(!latest.has_update());
        assert_eq!(
            to_json(&latest),
            r#"{"code":0,"msg":"已经是最新版本","docs":"","data":{"configurationKey":"","versionName":"","versionCode":0,"upgradeType":0,"promptUpgradeContent":"","content":null}}"#
        );
        // Notes stand in for a missing prompt; appointing v1 gets v1's content.
        let v1 = upgrade(
            &app,
            Endpoint::Configuration,
            &req(key, -5, 1, None),
            ORIGIN,
        );
        let UpgradeData::Configuration(d) = v1.data else {
            panic!("shape")
        };
        assert_eq!((d.version_code, d.content), (1, Some(json!({"test": 0}))));
        assert_eq!(d.prompt_upgrade_content, "");
    }

    #[test]
    fn zeroed_data_per_endpoint() {
        let shapes = [
            (
                Endpoint::Apk,
                r#"{"apkKey":"","packageName":"","versionName":"","versionCode":0,"urlPath":"","urlFileSize":0,"urlFileMd5":"","upgradeType":0,"promptUpgradeContent":""}"#,
            ),
            (
                Endpoint::Url,
                r#"{"urlKey":"","versionName":"","versionCode":0,"urlPath":"","upgradeType":0,"promptUpgradeContent":""}"#,
            ),
            (
                Endpoint::File,
                r#"{"fileKey":"","versionName":"","versionCode":0,"urlPath":"","urlFileSize":0,"upgradeType":0,"promptUpgradeContent":""}"#,
            ),
        ];
        for (e, data) in shapes {
            assert_eq!(
                to_json(&Answer::latest(e)),
                format!(r#"{{"code":0,"msg":"已经是最新版本","docs":"","data":{data}}}"#)
            );
        }
    }

    #[test]
    fn apk_answer_fields() {
        let app = demo();
        let a = upgrade(
            &app,
            Endpoint::Apk,
            &req("mui2W50H1jOC4xD6PgQagA", 110, 0, None),
            ORIGIN,
        );
        assert_eq!(
            to_json(&a),
            r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"apkKey":"mui2W50H1jOC4xD6PgQagA","packageName":"com.example.demo","versionName":"1.2.0","versionCode":120,"urlPath":"https://u.example/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk","urlFileSize":43,"urlFileMd5":"8e3d6b065f93ba0d7b6210ab3f7801ff","upgradeType":2,"promptUpgradeContent":"notes 1.2.0"}}"#,
            "no devKey: the staged 1.4.0 is skipped, the yanked 1.3.0 never offered; arm64 is silent"
        );
        // Below min_version (1.1.0 = code 110): force, whatever the release says.
        let UpgradeData::Apk(d) =
            upgrade(&app, Endpoint::Apk, &req("k", 100, 0, None), ORIGIN).data
        else {
            panic!("shape")
        };
        assert_eq!((d.version_code, d.upgrade_type), (120, 3));
        // The default architecture's file first, whatever the artifact order; a prompt wins over notes.
        let UpgradeData::Apk(d) =
            upgrade(&app, Endpoint::Apk, &req("k", 100, 110, None), ORIGIN).data
        else {
            panic!("shape")
        };
        assert_eq!(
            d.url_path,
            "https://u.example/artifacts/android-demo/1.1.0/arm64.apk"
        );
        assert_eq!((d.url_file_md5.as_str(), d.upgrade_type), ("", 3));
        assert_eq!(
            d.prompt_upgrade_content,
            "A security fix: please update now."
        );
        // An unresolvable min_version is skipped.
        let mut app2 = demo();
        app2.app.policy.min_version = Some("9.9.9".into());
        let UpgradeData::Apk(d) =
            upgrade(&app2, Endpoint::Apk, &req("k", 100, 0, None), ORIGIN).data
        else {
            panic!("shape")
        };
        assert_eq!(d.upgrade_type, 2);
        // A disabled architecture's file is never offered.
        app2.app.architectures[0].enabled = false;
        let UpgradeData::Apk(d) =
            upgrade(&app2, Endpoint::Apk, &req("k", 100, 110, None), ORIGIN).data
        else {
            panic!("shape")
        };
        assert_eq!(
            d.url_path,
            "https://u.example/artifacts/android-demo/1.1.0/v7.apk"
        );
        assert!(!upgrade(&app2, Endpoint::Apk, &req("k", 110, 0, None), ORIGIN).has_update());
    }

    #[test]
    fn appoint_version_code_is_exact_without_fallback() {
        let app = demo();
        let code = |appoint, have| match upgrade(
            &app,
            Endpoint::Apk,
            &req("k", have, appoint, None),
            ORIGIN,
        )
        .data
        {
            UpgradeData::Apk(d) => d.version_code,
            _ => -1,
        };
        assert_eq!(code(110, 100), 110);
        assert_eq!(code(120, 100), 120);
        assert_eq!(
            code(130, 100),
            0,
            "yanked: already latest, no fallback to 120"
        );
        assert_eq!(code(140, 100), 0, "staged and no devKey");
        assert_eq!(code(110, 110), 0, "not above the client's code");
        assert_eq!(code(115, 100), 0, "no such code");
        assert_eq!(code(-3, 100), 120, "negative means newest");
    }

    #[test]
    fn rollout_by_dev_key() {
        let app = demo();
        let mut seen = std::collections::BTreeMap::new();
        for i in 0..400 {
            let dev = format!("device-{i}");
            let pick = |d: &str| upgrade(&app, Endpoint::Apk, &req("k", 120, 0, Some(d)), ORIGIN);
            let a = pick(&dev);
            assert_eq!(a, pick(&dev), "stable per device");
            *seen.entry(a.has_update()).or_insert(0) += 1;
            if let UpgradeData::Apk(d) = a.data {
                assert!(
                    d.version_code == 0
                        || (d.version_code == 140
                            && d.url_path.starts_with("https://downloads.example.com/"))
                );
            }
        }
        let got = seen.get(&true).copied().unwrap_or(0);
        assert!((60..140).contains(&got), "about 25 % of 400: {got}");
        // An empty devKey is no device.
        assert!(!upgrade(&app, Endpoint::Apk, &req("k", 120, 0, Some(" ")), ORIGIN).has_update());
    }

    #[test]
    fn url_and_file_answers_need_a_file() {
        let mut app: EdgeApp = serde_json::from_str(REMOTE_CONFIG).expect("fixture");
        // Configurations carry no file: the file endpoints see nothing to offer.
        assert_eq!(
            upgrade(&app, Endpoint::Url, &req("u", 1, 0, None), ORIGIN),
            Answer::latest(Endpoint::Url)
        );
        let demo = demo();
        app.releases[0].release.artifacts = demo.releases[2].release.artifacts.clone();
        app.releases[0].release.artifacts[0].arch = "default".parse().expect("arch");
        app.releases[0].release.artifacts[0].url = "https://cdn.example/f.bin".into();
        assert_eq!(
            to_json(&upgrade(
                &app,
                Endpoint::File,
                &req("f", 1, 0, None),
                ORIGIN
            )),
            r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"fileKey":"f","versionName":"v2","versionCode":2,"urlPath":"https://cdn.example/f.bin","urlFileSize":43,"upgradeType":2,"promptUpgradeContent":"Содержимое подсказки"}}"#
        );
        assert_eq!(
            to_json(&upgrade(&app, Endpoint::Url, &req("u", 1, 0, None), ORIGIN)),
            r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"urlKey":"u","versionName":"v2","versionCode":2,"urlPath":"https://cdn.example/f.bin","upgradeType":2,"promptUpgradeContent":"Содержимое подсказки"}}"#
        );
    }

    #[test]
    fn serves_the_protocols_channel() {
        let mut app = demo();
        app.app.protocols.toolsetlink = Some(crate::manifest::ToolsetlinkIds {
            apk_key: Some("k".into()),
            channel: Some("beta".parse().expect("channel")),
            ..Default::default()
        });
        assert!(!upgrade(&app, Endpoint::Apk, &req("k", 100, 0, None), ORIGIN).has_update());
        app.releases[4].release.channel = "beta".parse().expect("channel");
        assert!(
            !upgrade(&app, Endpoint::Apk, &req("k", 100, 0, None), ORIGIN).has_update(),
            "1.0.0 is not above 100"
        );
        assert!(upgrade(&app, Endpoint::Apk, &req("k", 99, 0, None), ORIGIN).has_update());
    }

    #[test]
    fn download_queries() {
        assert_eq!(
            parse_download_query(
                Endpoint::Apk,
                "apkKey=a%2Bb+c&versionCode=120&versionId=0&apkKey=x&other"
            ),
            Ok(DownloadRequest {
                key: "a+b c".into(),
                version_code: 120,
                version_id: 0
            })
        );
        assert_eq!(
            parse_download_query(Endpoint::Url, "urlKey=k"),
            Ok(DownloadRequest {
                key: "k".into(),
                version_code: 0,
                version_id: 0
            })
        );
        let err = |e, q| parse_download_query(e, q).err();
        assert_eq!(err(Endpoint::Url, ""), Some(Error::FieldNotSet("urlKey")));
        assert_eq!(
            err(Endpoint::Url, "urlKey=%zz"),
            Some(Error::FieldNotSet("urlKey")),
            "bad pair dropped"
        );
        assert_eq!(
            err(Endpoint::Url, "urlKey="),
            Some(Error::EmptyKey(Endpoint::Url))
        );
        assert_eq!(
            err(Endpoint::File, "fileKey=k&versionCode=x"),
            Some(Error::FieldTypeMismatch("versionCode"))
        );
        assert_eq!(
            err(Endpoint::File, "fileKey=k&versionId=1.0"),
            Some(Error::FieldTypeMismatch("versionId"))
        );
        assert_eq!(
            err(Endpoint::File, "fileKey=k&versionCode=-1"),
            Some(Error::InvalidVersionCode)
        );
    }

    #[test]
    fn download_targets() {
        let app = demo();
        let target = |code, id| {
            download_target(
                &app,
                &DownloadRequest {
                    key: "k".into(),
                    version_code: code,
                    version_id: id,
                },
                ORIGIN,
            )
        };
        assert_eq!(
            target(0, 0),
            Ok(
                "https://u.example/artifacts/android-demo/1.2.0/c3e4.demo-1.2.0-arm64-v8a.apk"
                    .into()
            ),
            "newest fully rolled-out"
        );
        assert_eq!(
            target(140, 0),
            Ok("https://downloads.example.com/android/demo-1.4.0-arm64-v8a.apk".into()),
            "named: staged is fine"
        );
        assert_eq!(target(130, 0), Err(Error::NoVersion), "yanked never");
        assert_eq!(target(999, 0), Err(Error::NoVersion));
        assert_eq!(
            target(999, 1),
            Ok("https://u.example/artifacts/android-demo/1.0.0/arm64.apk".into()),
            "versionId (zealot_id) wins"
        );
        assert_eq!(target(0, 42), Err(Error::NoVersion));
        let config: EdgeApp = serde_json::from_str(REMOTE_CONFIG).expect("fixture");
        assert_eq!(
            download_target(
                &config,
                &DownloadRequest {
                    key: "k".into(),
                    version_code: 0,
                    version_id: 0
                },
                ORIGIN
            ),
            Err(Error::NoVersion)
        );
    }

    /// The example's desktop-editor, trimmed: 1.2.0 (Windows only) staged at 25 %, 1.1.0 force
    /// for every architecture, 1.0.0; plus a disabled `mac-old` (x64) architecture.
    pub(super) fn desktop() -> EdgeApp {
        let file = |v: &str, arch: &str, name: &str| {
            json!({"id": format!("{v}-{arch}"), "arch": arch, "role": "primary", "name": name,
                "size": 50, "sha256": "11".repeat(32), "md5": "0123456789abcdef0123456789abcdef",
                "url": format!("/artifacts/desktop-editor/{v}/{name}")})
        };
        let attachment = |v: &str, arch: &str, name: &str| {
            let mut a = file(v, arch, name);
            a["role"] = json!("attachment");
            a
        };
        let release = |v: &str, code: i64, rollout: u8, upgrade: &str, files: Vec<Value>| {
            json!({"version": v, "version_code": code, "channel": "stable",
                "published_at": "2026-02-01T10:00:00Z", "state": "ready", "rollout": rollout,
                "upgrade": upgrade, "notes": format!("notes {v}"),
                "release_id": format!("desktop-editor/stable/{v}"), "zealot_id": 1,
                "zealot_version": 1, "artifacts": files})
        };
        serde_json::from_value(json!({
            "schema_version": 1,
            "app": {
                "id": "desktop-editor", "name": "Desktop Editor", "platform": "macos",
                "versioning": "semver", "policy": {"min_version": "1.1.0"},
                "architectures": [
                    {"key": "mac-arm64", "name": "macOS (Apple silicon)", "default": true},
                    {"key": "mac-x64", "name": "macOS (Intel)", "order": 1},
                    {"key": "win-x64", "name": "Windows x64", "platform": "windows", "order": 2},
                    {"key": "linux-x64", "name": "Linux x64", "platform": "linux", "cpu": "x86_64", "order": 3},
                    {"key": "mac-old", "name": "old", "cpu": "x86_64", "enabled": false, "order": -1}
                ],
                "channels": [{"key": "stable", "name": "Stable"}],
                "protocols": {"toolsetlink": {"win_key": "W", "mac_key": "M", "lnx_key": "L",
                    "tauri_key": "T", "electron_key": "E"}}
            },
            "default_channel": "stable", "default_arch": "mac-arm64",
            "releases": [
                release("1.2.0", 1_002_000, 25, "prompt", vec![file("1.2.0", "win-x64", "e-1.2.0.exe")]),
                release("1.1.0", 1_001_000, 100, "force", vec![
                    attachment("1.1.0", "mac-arm64", "e-1.1.0-arm64.app.tar.gz"),
                    file("1.1.0", "mac-arm64", "e-1.1.0-arm64.zip"),
                    file("1.1.0", "mac-old", "e-1.1.0-old.zip"),
                    file("1.1.0", "mac-x64", "e-1.1.0-x64.zip"),
                    file("1.1.0", "win-x64", "e-1.1.0.exe"),
                    file("1.1.0", "linux-x64", "e-1.1.0.AppImage"),
                ]),
                release("1.0.0", 1_000_000, 100, "prompt", vec![
                    file("1.0.0", "mac-arm64", "e-1.0.0-arm64.zip"),
                    file("1.0.0", "mac-x64", "e-1.0.0-x64.zip"),
                    file("1.0.0", "win-x64", "e-1.0.0.exe"),
                    file("1.0.0", "linux-x64", "e-1.0.0.AppImage"),
                ]),
            ],
        }))
        .expect("fixture")
    }

    fn desktop_req(code: i64, cpu: Cpu, dev: Option<&str>) -> UpgradeRequest {
        UpgradeRequest {
            cpu: Some(cpu),
            ..req("K", code, 0, dev)
        }
    }

    /// (version code, file name) of a desktop answer; (0, "") when already latest.
    fn desktop_pick(app: &EdgeApp, e: Endpoint, r: &UpgradeRequest) -> (i64, String) {
        match upgrade(app, e, r, ORIGIN).data {
            UpgradeData::Desktop(d) => (
                d.version_code,
                d.url_path.rsplit('/').next().unwrap_or_default().to_owned(),
            ),
            other => panic!("shape {other:?}"),
        }
    }

    #[test]
    fn names_of_client_processors_and_platforms() {
        let cpus = [
            ("x64", Some(Cpu::X86_64)),
            ("X64", Some(Cpu::X86_64)),
            ("amd64", Some(Cpu::X86_64)),
            ("x86_64", Some(Cpu::X86_64)),
            ("arm64", Some(Cpu::Aarch64)),
            ("aarch64", Some(Cpu::Aarch64)),
            ("x86", Some(Cpu::I686)),
            ("ia32", Some(Cpu::I686)),
            ("i386", Some(Cpu::I686)),
            ("i686", Some(Cpu::I686)),
            ("armv7", Some(Cpu::Armv7)),
            ("armv7l", Some(Cpu::Armv7)),
            ("armhf", Some(Cpu::Armv7)),
            ("universal", None),
            ("mac-arm64", None),
            ("x64 ", None),
            ("", None),
            ("sparc", None),
        ];
        for (arch, want) in cpus {
            assert_eq!(cpu_named(arch), want, "{arch:?}");
        }
        let platforms = [
            ("windows", Some(Platform::Windows)),
            ("win32", Some(Platform::Windows)),
            ("Win", Some(Platform::Windows)),
            ("darwin", Some(Platform::Macos)),
            ("macos", Some(Platform::Macos)),
            ("mac", Some(Platform::Macos)),
            ("osx", Some(Platform::Macos)),
            ("linux", Some(Platform::Linux)),
            ("android", None),
            ("", None),
        ];
        for (name, want) in platforms {
            assert_eq!(platform_named(name), want, "{name:?}");
        }
    }

    #[test]
    fn parses_desktop_upgrade_bodies() {
        let p = |e, b: &str| parse_upgrade(e, b.as_bytes());
        assert_eq!(
            p(
                Endpoint::Win,
                r#"{"winKey":"k","arch":"x64","versionCode":5,"appointVersionCode":0,"devModelKey":"","devKey":""}"#
            ),
            Ok(UpgradeRequest {
                key: "k".into(),
                version_code: 5,
                appoint_version_code: 0,
                dev_model_key: Some(String::new()),
                dev_key: Some(String::new()),
                cpu: Some(Cpu::X86_64),
            })
        );
        assert_eq!(
            p(
                Endpoint::Lnx,
                r#"{"lnxKey":"k","arch":"AARCH64","versionCode":1}"#
            )
            .map(|r| r.cpu),
            Ok(Some(Cpu::Aarch64))
        );
        assert_eq!(
            p(
                Endpoint::Apk,
                r#"{"apkKey":"k","arch":"x64","versionCode":1}"#
            )
            .map(|r| r.cpu),
            Ok(None),
            "arch means nothing on apk"
        );
        let cases = [
            (
                Endpoint::Win,
                r#"{"arch":"x64","versionCode":1}"#,
                Error::FieldNotSet("winKey"),
            ),
            (
                Endpoint::Win,
                r#"{"winKey":"k","versionCode":1}"#,
                Error::FieldNotSet("arch"),
            ),
            (
                Endpoint::Mac,
                r#"{"macKey":"k","arch":null,"versionCode":1}"#,
                Error::FieldNotSet("arch"),
            ),
            (
                Endpoint::Mac,
                r#"{"macKey":"k","arch":64,"versionCode":1}"#,
                Error::FieldTypeMismatch("arch"),
            ),
            (
                Endpoint::Lnx,
                r#"{"lnxKey":"k","arch":"x64"}"#,
                Error::FieldNotSet("versionCode"),
            ),
            (
                Endpoint::Lnx,
                r#"{"lnxKey":"k","versionCode":"1"}"#,
                Error::FieldNotSet("arch"),
            ),
            (
                Endpoint::Win,
                r#"{"winKey":"","arch":"sparc","versionCode":0}"#,
                Error::EmptyKey(Endpoint::Win),
            ),
            (
                Endpoint::Win,
                r#"{"winKey":"k","arch":"sparc","versionCode":0}"#,
                Error::InvalidField("arch"),
            ),
            (
                Endpoint::Win,
                r#"{"winKey":"k","arch":"","versionCode":1}"#,
                Error::InvalidField("arch"),
            ),
            (
                Endpoint::Mac,
                r#"{"macKey":"k","arch":"universal","versionCode":1}"#,
                Error::InvalidField("arch"),
            ),
            (
                Endpoint::Mac,
                r#"{"macKey":"k","arch":"arm64","versionCode":0}"#,
                Error::InvalidVersionCode,
            ),
            (Endpoint::Lnx, "[]", Error::BodyInvalid),
        ];
        for (e, body, want) in cases {
            assert_eq!(p(e, body).err(), Some(want), "{e:?} {body}");
        }
        assert_eq!(
            Error::InvalidField("arch").message(),
            "请求参数arch格式错误"
        );
        assert_eq!(
            Error::EmptyKey(Endpoint::Lnx).message(),
            "请求参数lnxKey不能为空"
        );
    }

    #[test]
    fn desktop_upgrades_pick_the_platform_and_processor() {
        let app = desktop();
        let pick =
            |e, code, cpu, dev: Option<&str>| desktop_pick(&app, e, &desktop_req(code, cpu, dev));
        let cases = [
            // (endpoint, client code, cpu, devKey) → (code, file)
            (
                Endpoint::Win,
                1_000_000,
                Cpu::X86_64,
                None,
                (1_001_000, "e-1.1.0.exe"),
            ),
            (Endpoint::Win, 1_001_000, Cpu::X86_64, None, (0, "")),
            (Endpoint::Win, 1_000_000, Cpu::Aarch64, None, (0, "")),
            (Endpoint::Win, 1_000_000, Cpu::I686, None, (0, "")),
            (
                Endpoint::Mac,
                1_000_000,
                Cpu::Aarch64,
                None,
                (1_001_000, "e-1.1.0-arm64.zip"),
            ),
            (
                Endpoint::Mac,
                1_000_000,
                Cpu::X86_64,
                None,
                (1_001_000, "e-1.1.0-x64.zip"),
            ),
            (Endpoint::Mac, 1_001_000, Cpu::Aarch64, Some("any"), (0, "")),
            (
                Endpoint::Lnx,
                999,
                Cpu::X86_64,
                None,
                (1_001_000, "e-1.1.0.AppImage"),
            ),
            (Endpoint::Lnx, 1_000_000, Cpu::Aarch64, None, (0, "")),
        ];
        for (e, code, cpu, dev, (want_code, want_file)) in cases {
            assert_eq!(
                pick(e, code, cpu, dev),
                (want_code, want_file.to_owned()),
                "{e:?} {code} {cpu:?}"
            );
        }
        // 1.2.0 (Windows only) is staged at 25 %: offered to the devices in its cohort.
        let mut offered = 0;
        for i in 0..200 {
            let dev = format!("pc-{i}");
            let (code, file) = pick(Endpoint::Win, 1_001_000, Cpu::X86_64, Some(&dev));
            let inside = rollout::cohort("desktop-editor/stable/1.2.0", &dev) < 25;
            assert_eq!(code == 1_002_000, inside, "{dev}");
            if inside {
                assert_eq!(file, "e-1.2.0.exe");
                offered += 1;
            }
            // On macOS nothing is newer than 1.1.0 for any device.
            assert_eq!(
                pick(Endpoint::Mac, 1_001_000, Cpu::Aarch64, Some(&dev)).0,
                0
            );
        }
        assert!((20..80).contains(&offered), "{offered}");
    }

    #[test]
    fn desktop_answer_shapes() {
        let app = desktop();
        let r = UpgradeRequest {
            key: "W".into(),
            ..desktop_req(1_000_000, Cpu::X86_64, None)
        };
        assert_eq!(
            to_json(&upgrade(&app, Endpoint::Win, &r, ORIGIN)),
            r#"{"code":200,"msg":"获取到新版本","docs":"","data":{"winKey":"W","packageName":"","versionName":"1.1.0","versionCode":1001000,"urlPath":"https://u.example/artifacts/desktop-editor/1.1.0/e-1.1.0.exe","urlFileSize":50,"urlFileMd5":"0123456789abcdef0123456789abcdef","upgradeType":3,"promptUpgradeContent":"notes 1.1.0"}}"#
        );
        for (e, key) in [
            (Endpoint::Win, "winKey"),
            (Endpoint::Mac, "macKey"),
            (Endpoint::Lnx, "lnxKey"),
        ] {
            assert_eq!(
                to_json(&Answer::latest(e)),
                format!(
                    r#"{{"code":0,"msg":"已经是最新版本","docs":"","data":{{"{key}":"","packageName":"","versionName":"","versionCode":0,"urlPath":"","urlFileSize":0,"urlFileMd5":"","upgradeType":0,"promptUpgradeContent":""}}}}"#
                )
            );
        }
        // Appointed: exactly that code, for that platform; the bundle id is the package name.
        let mut app = desktop();
        app.app.bundle_id = Some("com.example.editor".into());
        let appoint = |code| UpgradeRequest {
            appoint_version_code: code,
            ..desktop_req(1, Cpu::Aarch64, None)
        };
        let UpgradeData::Desktop(d) =
            upgrade(&app, Endpoint::Mac, &appoint(1_000_000), ORIGIN).data
        else {
            panic!("shape")
        };
        assert_eq!(
            (d.version_code, d.package_name.as_str(), d.upgrade_type),
            (1_000_000, "com.example.editor", 3),
            "below min_version 1.1.0: force"
        );
        assert_eq!(
            desktop_pick(&app, Endpoint::Mac, &appoint(1_002_000)),
            (0, String::new()),
            "1.2.0 has no macOS build"
        );
    }

    #[test]
    fn desktop_builds_fall_back_to_universal_and_skip_disabled() {
        let mut app = desktop();
        // The disabled x64 architecture comes first in order but is never offered.
        let (_, file) = desktop_pick(&app, Endpoint::Mac, &desktop_req(1, Cpu::X86_64, None));
        assert_eq!(file, "e-1.1.0-x64.zip");
        // A universal build serves both processors when no exact one exists.
        app.app.architectures.push(
            serde_json::from_value(
                json!({"key": "mac-universal", "name": "Universal", "order": 9}),
            )
            .expect("arch"),
        );
        app.releases[1]
            .release
            .artifacts
            .retain(|a| a.arch.as_str() != "mac-x64");
        let mut universal = app.releases[1].release.artifacts[1].clone();
        universal.arch = "mac-universal".parse().expect("arch");
        universal.url = "/u.zip".into();
        app.releases[1].release.artifacts.push(universal);
        let pick = |cpu| desktop_pick(&app, Endpoint::Mac, &desktop_req(1_000_000, cpu, None));
        assert_eq!(pick(Cpu::X86_64), (1_001_000, "u.zip".into()));
        assert_eq!(
            pick(Cpu::Aarch64),
            (1_001_000, "e-1.1.0-arm64.zip".into()),
            "the exact processor wins"
        );
        assert_eq!(pick(Cpu::I686), (0, String::new()));
    }

    #[test]
    fn desktop_errors() {
        let cases = [
            (Error::AppNotFound(Endpoint::Win), "请求win应用不存在"),
            (Error::AppNotFound(Endpoint::Mac), "请求mac应用不存在"),
            (Error::AppNotFound(Endpoint::Lnx), "请求lnx应用不存在"),
            (Error::AppNotFound(Endpoint::Tauri), "请求tauri应用不存在"),
            (
                Error::AppNotFound(Endpoint::Electron),
                "请求electron应用不存在",
            ),
            (Error::VersionNotFound, "No available version obtained"),
        ];
        for (e, msg) in cases {
            assert_eq!(
                (e.code(), e.status(), e.message()),
                (404_001, 404, msg.into())
            );
        }
        let mut lookup = EdgeLookup::default();
        let app = AppId::new("desktop-editor").expect("id");
        for (key, field) in [("W", "winKey"), ("T", "tauriKey")] {
            lookup.toolsetlink.insert(
                key.into(),
                ToolsetlinkRef {
                    app: app.clone(),
                    field: field.into(),
                },
            );
        }
        assert_eq!(resolve(&lookup, Endpoint::Win, "W", None), Ok(&app));
        assert_eq!(resolve(&lookup, Endpoint::Tauri, "T", None), Ok(&app));
        assert_eq!(
            resolve(&lookup, Endpoint::Mac, "W", None),
            Err(Error::AppNotFound(Endpoint::Mac))
        );
        assert_eq!(
            resolve_report(
                &lookup,
                "W",
                &AccessSecret {
                    secret: "s".into(),
                    apps: vec![]
                }
            ),
            Ok(&app)
        );
    }

    fn report(body: &Value) -> Result<Report, Error> {
        parse_report(body.to_string().as_bytes())
    }

    #[test]
    fn parses_reports() {
        let start = json!({"eventType": "app_start", "appKey": "k",
            "timestamp": "2025-02-17T10:34:55+08:00",
            "eventData": {"launchTime": "2025-02-17T02:34:50.25Z", "versionCode": 110,
                "devModelKey": "Pixel 8", "devKey": "d1", "target": "android", "arch": "arm64-v8a",
                "downloadVersionCode": 9, "upgradeVersionCode": 8, "code": 0, "extra": [1]}});
        assert_eq!(
            report(&start),
            Ok(Report {
                event_type: "app_start".into(),
                app_key: "k".into(),
                timestamp: Some(ts("2025-02-17T02:34:55Z")),
                launch_time: Some(ts("2025-02-17T02:34:50.25Z")),
                version_code: 110,
                code: 0,
                client_version_code: 110,
                dev_model_key: Some("Pixel 8".into()),
                dev_key: Some("d1".into()),
                target: Some("android".into()),
                arch: Some("arm64-v8a".into()),
            })
        );
        // Which code each type counts under; absent optional numbers are 0.
        let event = |t: &str, data: Value| {
            report(&json!({"eventType": t, "appKey": "k", "timestamp": TS, "eventData": data}))
                .map(|r| (r.version_code, r.code, r.client_version_code, r.launch_time))
        };
        let data = json!({"versionCode": 110, "downloadVersionCode": 120,
            "upgradeVersionCode": 130, "code": 7});
        assert_eq!(
            event(EVENT_UPGRADE_DOWNLOAD, data.clone()),
            Ok((120, 7, 110, None))
        );
        assert_eq!(
            event(EVENT_UPGRADE_UPGRADE, data.clone()),
            Ok((130, 7, 110, None))
        );
        assert_eq!(event("custom_event", data), Ok((110, 7, 110, None)));
        assert_eq!(
            event(EVENT_UPGRADE_DOWNLOAD, json!({"versionCode": 1})),
            Ok((0, 0, 1, None))
        );
        assert_eq!(
            event(
                EVENT_UPGRADE_UPGRADE,
                json!({"versionCode": -3, "code": null})
            ),
            Ok((0, 0, -3, None))
        );
        // A bad launchTime is refused on any type; none is needed, even on app_start.
        assert_eq!(
            event(
                "custom_event",
                json!({"versionCode": 1, "launchTime": "yesterday"})
            ),
            Err(Error::InvalidField("launchTime"))
        );
        assert_eq!(
            event(EVENT_APP_START, json!({"versionCode": 1})),
            Ok((1, 0, 1, None))
        );
        // The SDKs' bodies: no timestamp (optional there), only the set eventData fields.
        let sdk = json!({"eventType": "app_start", "appKey": "k",
            "eventData": {"launchTime": "2025-02-17T02:34:50.12Z", "versionCode": 3}});
        assert_eq!(
            report(&sdk).map(|r| (r.timestamp, r.launch_time, r.version_code)),
            Ok((None, Some(ts("2025-02-17T02:34:50.12Z")), 3))
        );
        let null_ts = json!({"eventType": "x", "appKey": "k", "timestamp": null,
            "eventData": {"versionCode": 1}});
        assert_eq!(report(&null_ts).map(|r| r.timestamp), Ok(None));
        let long = "e".repeat(MAX_EVENT_TYPE_CHARS);
        assert!(event(&long, json!({"versionCode": 1})).is_ok());
        let cases = [
            (
                json!({"appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
                Error::FieldNotSet("eventType"),
            ),
            (
                json!({"eventType": null, "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
                Error::FieldNotSet("eventType"),
            ),
            (
                json!({"eventType": "x", "timestamp": TS, "eventData": {"versionCode": 1}}),
                Error::FieldNotSet("appKey"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS}),
                Error::FieldNotSet("eventData"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {}}),
                Error::FieldNotSet("eventData.versionCode"),
            ),
            (
                json!({"eventType": 1, "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
                Error::FieldTypeMismatch("eventType"),
            ),
            (
                json!({"eventType": "x", "appKey": ["k"], "timestamp": TS, "eventData": {"versionCode": 1}}),
                Error::FieldTypeMismatch("appKey"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": 1_739_759_695, "eventData": {"versionCode": 1}}),
                Error::FieldTypeMismatch("timestamp"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": "v"}),
                Error::FieldTypeMismatch("eventData"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": "1"}}),
                Error::FieldTypeMismatch("eventData.versionCode"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1.5}}),
                Error::FieldTypeMismatch("eventData.versionCode"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "code": "0"}}),
                Error::FieldTypeMismatch("eventData.code"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "downloadVersionCode": true}}),
                Error::FieldTypeMismatch("eventData.downloadVersionCode"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "devKey": 5}}),
                Error::FieldTypeMismatch("eventData.devKey"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "launchTime": 5}}),
                Error::FieldTypeMismatch("eventData.launchTime"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": "2025-02-17 10:34:55", "eventData": {"versionCode": 1}}),
                Error::InvalidField("timestamp"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": "2025-02-17t10:34:55z", "eventData": {"versionCode": 1}}),
                Error::InvalidField("timestamp"),
            ),
            (
                json!({"eventType": "x", "appKey": "k", "timestamp": "2025-02-30T10:34:55Z", "eventData": {"versionCode": 1}}),
                Error::InvalidField("timestamp"),
            ),
            (
                json!({"eventType": "app_start", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "launchTime": ""}}),
                Error::InvalidField("launchTime"),
            ),
            (
                json!({"eventType": "app_start", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1, "launchTime": "1739759695"}}),
                Error::InvalidField("launchTime"),
            ),
            (
                json!({"eventType": "", "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
                Error::InvalidField("eventType"),
            ),
            (
                json!({"eventType": format!("{long}e"), "appKey": "k", "timestamp": TS, "eventData": {"versionCode": 1}}),
                Error::InvalidField("eventType"),
            ),
            (json!([1]), Error::BodyInvalid),
            (json!(null), Error::BodyInvalid),
        ];
        for (body, want) in cases {
            assert_eq!(report(&body).err(), Some(want), "{body}");
        }
        for raw in ["", "{", r#"{"eventType":"x""#, "nope"] {
            assert_eq!(
                parse_report(raw.as_bytes()).err(),
                Some(Error::BodyInvalid),
                "{raw}"
            );
        }
        // An empty appKey parses; the lookup finds nothing for it.
        let empty_key = json!({"eventType": "x", "appKey": "", "timestamp": TS,
            "eventData": {"versionCode": 1}});
        assert_eq!(report(&empty_key).map(|r| r.app_key), Ok(String::new()));
        let mut big = br#"{"eventType":"x","appKey":"k","timestamp":"2025-02-17T10:34:55Z","eventData":{"versionCode":1},"pad":""#.to_vec();
        big.resize(MAX_BODY_BYTES - 2, b'x');
        big.extend_from_slice(br#""}"#);
        assert!(parse_report(&big).is_ok(), "exactly the cap");
        big.insert(100, b'x');
        assert_eq!(parse_report(&big).err(), Some(Error::BodyTooLarge));
    }

    #[test]
    fn report_errors_and_answer() {
        let cases = [
            (
                Error::InvalidField("timestamp"),
                400_003,
                400,
                "请求参数timestamp格式错误",
            ),
            (
                Error::InvalidField("launchTime"),
                400_003,
                400,
                "请求参数launchTime格式错误",
            ),
            (Error::AppKeyNotFound, 404_001, 404, "请求应用不存在"),
            (
                Error::FieldNotSet("eventData.versionCode"),
                400_002,
                400,
                r#"field "eventData.versionCode" is not set"#,
            ),
        ];
        for (e, code, status, msg) in cases {
            assert_eq!(
                (e.code(), e.status(), e.message()),
                (code, status, msg.into()),
                "{e:?}"
            );
        }
        assert_eq!(
            to_json(&ReportAnswer::OK),
            r#"{"code":0,"msg":"上报成功","docs":""}"#
        );
        assert_eq!(ReportAnswer::STATUS, 200);
        assert_eq!(REPORT_PATH, "/v1/app/report");
        assert_eq!(Endpoint::from_upgrade_path(REPORT_PATH), None);
    }

    #[test]
    fn resolves_report_keys_of_any_kind() {
        let mut lookup = EdgeLookup::default();
        let android = AppId::new("android-demo").expect("id");
        let config = AppId::new("remote-config").expect("id");
        for (key, app, field) in [
            ("apk1", &android, "apkKey"),
            ("url1", &android, "urlKey"),
            ("cfg1", &config, "configurationKey"),
        ] {
            lookup.toolsetlink.insert(
                key.into(),
                ToolsetlinkRef {
                    app: app.clone(),
                    field: field.into(),
                },
            );
        }
        let all = AccessSecret {
            secret: "s".into(),
            apps: vec![],
        };
        let only_config = AccessSecret {
            secret: "s".into(),
            apps: vec![config.clone()],
        };
        assert_eq!(resolve_report(&lookup, "apk1", &all), Ok(&android));
        assert_eq!(resolve_report(&lookup, "url1", &all), Ok(&android));
        assert_eq!(resolve_report(&lookup, "cfg1", &all), Ok(&config));
        assert_eq!(resolve_report(&lookup, "cfg1", &only_config), Ok(&config));
        for key in ["apk1", "nope", ""] {
            assert_eq!(
                resolve_report(&lookup, key, &only_config),
                Err(Error::AppKeyNotFound),
                "{key}"
            );
        }
        assert_eq!(
            resolve_report(&lookup, "nope", &all),
            Err(Error::AppKeyNotFound)
        );
    }

    #[test]
    fn private_apps_get_signed_links_on_signed_routes_only() {
        let mut app = demo();
        app.app.visibility = crate::manifest::Visibility::Private;
        let a = upgrade(&app, Endpoint::Apk, &req("k", 100, 120, None), ORIGIN);
        let UpgradeData::Apk(d) = a.data else {
            panic!("shape")
        };
        assert!(
            d.url_path.starts_with("https://u.example/dl/d/")
                && d.url_path.contains("/demo-1.2.0-arm64-v8a.apk?expires="),
            "{}",
            d.url_path
        );
        let no_key = Links::new(ORIGIN, crate::links::Protocol::Toolsetlink, None, ts(TS));
        assert_eq!(
            super::upgrade(&app, Endpoint::Apk, &req("k", 100, 120, None), &no_key),
            Err(Error::Internal)
        );
        // No file in the answer, no key needed.
        assert!(super::upgrade(&app, Endpoint::Apk, &req("k", 999, 0, None), &no_key).is_ok());
        // The unsigned download route hands out nothing, site-hosted or external.
        for (code, id) in [(0, 0), (140, 0), (0, 1)] {
            let r = DownloadRequest {
                key: "k".into(),
                version_code: code,
                version_id: id,
            };
            assert_eq!(download_target(&app, &r, ORIGIN), Err(Error::NoVersion));
        }
        let e = Error::LinkDenied;
        assert_eq!(
            (e.status(), e.envelope("").msg.as_ref()),
            (403, "下载链接无效或已过期")
        );
    }
}
