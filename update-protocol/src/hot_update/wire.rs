//! Protocol A's wire types: the errors with upstream's statuses and `{"error"[, "message"]}`
//! bodies, and the check answer with its version info.

use super::Route;
use crate::digest::Md5Digest;
use serde::Serialize;

/// What went wrong, as the protocol reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Malformed JSON, a body that is not an object, a field of the wrong type.
    BadRequest,
    /// A body over [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES).
    TooLarge,
    /// A valid bearer token without `projectId`.
    ProjectIdRequired(Route),
    /// No usable credential (its text differs per route); on v1 also an unknown or unusable
    /// API key.
    Unauthorized(Route),
    /// The bearer token's project is unknown or not its own; on the legacy route, any bad key.
    ProjectNotFound,
    /// Legacy route: the channel has nothing to offer.
    NoVersions,
    /// Legacy route: nothing is offered for this architecture (the key is echoed).
    ArchNotPublished(String),
    /// Download route: unknown (or unservable) artifact id.
    ArtifactNotFound,
    /// A signed download link that is expired, altered or not this deployment's.
    LinkDenied,
    /// The worker could not load its data; detail goes to the log only.
    Internal,
}

/// The error body: `{"error": ...}`, plus `message` for `ARCH_NOT_PUBLISHED`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// Upstream's fixed text, or the code `ARCH_NOT_PUBLISHED`.
    pub error: &'static str,
    /// The human-readable text that goes with a code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Error {
    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Error::BadRequest | Error::ProjectIdRequired(_) => 400,
            Error::Unauthorized(_) => 401,
            Error::ProjectNotFound
            | Error::NoVersions
            | Error::ArchNotPublished(_)
            | Error::ArtifactNotFound => 404,
            Error::LinkDenied => 403,
            Error::TooLarge => 413,
            Error::Internal => 500,
        }
    }

    /// The JSON body, with upstream's texts (the legacy route words two of them differently).
    pub fn body(&self) -> ErrorBody {
        let error = match self {
            Error::BadRequest => "Invalid request body",
            Error::TooLarge => "Request body too large",
            Error::ProjectIdRequired(Route::Latest) => {
                "Project ID is required when using Bearer token"
            }
            Error::ProjectIdRequired(_) => {
                "Project ID is required when using Bearer token authentication"
            }
            Error::Unauthorized(Route::Latest) => {
                "Authentication required - provide Bearer token or X-API-Key"
            }
            Error::Unauthorized(_) => "Unauthorized - Invalid or missing authentication",
            Error::ProjectNotFound => "Project not found or access denied",
            Error::NoVersions => NO_VERSIONS,
            Error::ArchNotPublished(_) => ARCH_NOT_PUBLISHED,
            Error::ArtifactNotFound => "产物不存在",
            Error::LinkDenied => "下载链接无效或已过期",
            Error::Internal => "Internal server error",
        };
        let message = match self {
            Error::ArchNotPublished(key) => Some(arch_not_published(key)),
            _ => None,
        };
        ErrorBody { error, message }
    }
}

pub(super) const NO_VERSIONS: &str = "No versions available";
pub(super) const ARCH_NOT_PUBLISHED: &str = "ARCH_NOT_PUBLISHED";

pub(super) fn arch_not_published(key: &str) -> String {
    format!("架构 {key} 尚未发布任何可用版本")
}

/// How completely a version covers the app's enabled architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PublishState {
    /// No primary artifact at all.
    Draft,
    /// Some enabled architecture has no primary artifact.
    Partial,
    /// Every enabled architecture has one (or none is enabled).
    Ready,
}

/// The `data` of an answer, fields in upstream's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    /// Version string.
    pub version: String,
    /// External URL as is, else `/api/version-artifacts/{artifactId}/download`.
    pub download_url: String,
    /// MD5 when known; `null` otherwise (never fabricated).
    pub md5: Option<Md5Digest>,
    /// Size in bytes.
    pub size: u64,
    /// The artifact's upgrade override, else the release's, is `force`; or (with an update)
    /// the client is below the app's `policy.min_version`.
    pub force_update: bool,
    /// Release notes as one text.
    pub changelog: String,
    /// Publication time, ISO-8601 UTC with milliseconds.
    pub created_at: String,
    /// Same as `createdAt`: releases are immutable once published.
    pub updated_at: String,
    /// Publication time in epoch milliseconds.
    pub timestamp: i64,
    /// Legacy route only: the version is the newest the channel offers this client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_current: Option<bool>,
    /// Coverage of the enabled architectures.
    pub publish_state: PublishState,
    /// The artifact's architecture.
    pub architecture_key: String,
    /// Its display name.
    pub architecture_name: String,
    /// The artifact's id (download route).
    pub artifact_id: String,
}

/// A 200 answer. Absent fields are left out, so one type renders every shape of A.3/A.4:
/// `{success, hasUpdate?, data?, code?, message?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// Always `true`.
    pub success: bool,
    /// Absent on `GET /api/v1/check`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_update: Option<bool>,
    /// `None`: no `data` key; `Some(None)`: `"data": null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Option<VersionInfo>>,
    /// `ARCH_NOT_PUBLISHED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// Text of an empty state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl From<crate::links::LinkError> for Error {
    /// A private file without a link is an internal failure of the answer (no key), never a
    /// dead or unsigned URL.
    fn from(_: crate::links::LinkError) -> Error {
        Error::Internal
    }
}
