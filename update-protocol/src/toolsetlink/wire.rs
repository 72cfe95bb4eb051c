//! Protocol D's wire types: the errors with upstream's codes and messages and their envelope,
//! and the answers of the upgrade and report routes, shaped as upstream's JSON.

use super::{Endpoint, updater};
use crate::links::LinkError;
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::Value;
use std::borrow::Cow;

/// What went wrong, with upstream's code and message where upstream has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// 400004 `Missing X-Timestamp header` (absent or empty, as Go's `Header.Get`).
    MissingTimestamp,
    /// 400004 `Invalid X-Timestamp format`: not Go's `time.RFC3339`.
    InvalidTimestamp,
    /// 401001: more than [`TIMESTAMP_WINDOW_SECONDS`](super::TIMESTAMP_WINDOW_SECONDS) from now.
    TimestampOutOfWindow,
    /// 400004 `Missing X-Nonce header`.
    MissingNonce,
    /// 400004 `Invalid X-Nonce header`: shorter than [`MIN_NONCE_CHARS`](super::MIN_NONCE_CHARS).
    InvalidNonce,
    /// 400004 `Missing X-AccessKey header`.
    MissingAccessKey,
    /// 400004 `Missing X-Signature header`.
    MissingSignature,
    /// 401002 `Signature Invalid`.
    SignatureInvalid,
    /// 401001 `Invalid X-Nonce: nonce already used` (validly signed, nonce seen before).
    NonceUsed,
    /// 400005: over [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES).
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
