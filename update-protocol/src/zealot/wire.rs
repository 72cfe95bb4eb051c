//! Protocol B's wire types: the errors with Zealot's statuses and bodies, and the objects its
//! serializers render (app, scheme, channel, release).

use crate::manifest::{ChangelogEntry, CustomField};
use serde::Serialize;

/// What went wrong, with Zealot's status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `token` missing, unknown, not active or expired.
    UnauthorizedToken,
    /// `channel_key` missing, unknown or not active, or its app or channel is not served.
    UnauthorizedChannelKey,
    /// The token does not grant the app (Pundit's default refusal).
    Forbidden,
    /// `/api/apps/:id` with an unknown or non-numeric id (the id as given).
    AppNotFound(String),
    /// `version_exist` found nothing.
    ReleaseNotFound,
    /// The install manifest route: no installable iOS release with this id (as given).
    InstallNotFound(String),
    /// `version_exist` without one of its two parameter combinations.
    MissingCombo,
    /// A version parameter that is not a RubyGems version (upstream: 500).
    InvalidParam(&'static str),
    /// A path under `/api/` that is not a route.
    ApiNotFound,
    /// A signed download link that is expired, altered or not this deployment's.
    LinkDenied,
    /// The worker failed (edge data unreadable); the detail goes to the log only.
    Internal,
}

impl Error {
    /// HTTP status. Bad credentials are 422 as in Zealot's code (its docs say 401).
    pub fn status(&self) -> u16 {
        match self {
            Error::UnauthorizedToken
            | Error::UnauthorizedChannelKey
            | Error::MissingCombo
            | Error::InvalidParam(_) => 422,
            Error::Forbidden | Error::LinkDenied => 403,
            Error::AppNotFound(_)
            | Error::ReleaseNotFound
            | Error::InstallNotFound(_)
            | Error::ApiNotFound => 404,
            Error::Internal => 500,
        }
    }

    /// The `error` text, in Zealot's default (`en`) locale.
    pub fn message(&self) -> String {
        let missing = "param is missing or the value is empty or invalid";
        match self {
            Error::UnauthorizedToken => "Unauthorized user token".into(),
            Error::UnauthorizedChannelKey => "Unauthorized channel key".into(),
            Error::Forbidden => {
                "The current user does not have the permission to perform this action.".into()
            }
            Error::AppNotFound(id) => format!("Couldn't find App with 'id'={id}"),
            Error::ReleaseNotFound => "Not found release".into(),
            Error::InstallNotFound(id) => format!("Couldn't find Release with 'id'={id}"),
            Error::MissingCombo => format!(
                "{missing}: combo with bundle_id, release_version, build_version or bundle_id, git_commit"
            ),
            Error::InvalidParam(name) => format!("{missing}: {name}"),
            Error::ApiNotFound => "API not found".into(),
            Error::LinkDenied => "Download link is invalid or expired".into(),
            Error::Internal => "Internal server error".into(),
        }
    }

    /// The body: `{"error": "…"}`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.message(),
        }
    }
}

impl From<crate::links::LinkError> for Error {
    /// A private file without a link is an internal failure (no key), never a dead or
    /// unsigned URL. The one route without a credential, the install manifest, refuses a
    /// private app's file unless its route link was valid: 403, as a refused download link.
    fn from(e: crate::links::LinkError) -> Error {
        match e {
            crate::links::LinkError::NoKey => Error::Internal,
            crate::links::LinkError::Refused => Error::LinkDenied,
        }
    }
}

/// `{"error": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// The message.
    pub error: String,
}

/// An app (`Api::AppSerializer` with `schemes.channels`; no `collaborators`: there are no
/// users here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppObject {
    /// `protocols.zealot.app_id`.
    pub id: u32,
    /// Display name.
    pub name: String,
    /// Always false.
    pub archived: bool,
    /// Schemes in the order their first channel is declared.
    pub schemes: Vec<SchemeObject>,
}

/// A scheme; `channels` only inside an app object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemeObject {
    /// `app_id * 1000 + n`, n the scheme's 1-based position.
    pub id: u64,
    /// `Channel.scheme`, or [`DEFAULT_SCHEME`](super::DEFAULT_SCHEME).
    pub name: String,
    /// Zealot's default, true.
    pub new_build_callout: bool,
    /// Zealot's default, 0 (keep all).
    pub retained_builds: u32,
    /// The scheme's channels in declaration order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<ChannelObject>>,
}

/// A channel (`ChannelSerializer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelObject {
    /// `app_id * 1000 + n`, n the channel's 1-based position in the manifest.
    pub id: u64,
    /// [`channel_slug`](super::channel_slug).
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The app's platform: `ios`, `android`, `harmonyos`, `macos`, `windows`, `linux` (also
    /// `web` and `other`, which Zealot lacks).
    pub device_type: &'static str,
    /// The bundle-id rule, `*` or a regular expression.
    pub bundle_id: String,
    /// Git repository URL.
    pub git_url: Option<String>,
    /// Always false: the edge has no download passwords.
    pub has_password: bool,
    /// The channel key, from the worker secret (`EDGE_SECRETS.zealot_channel_keys`); `null`
    /// when the secret does not hold it (KV keeps keys as sha256 only).
    pub key: Option<String>,
    /// Zealot's default, `version_datetime`.
    pub download_filename_type: &'static str,
}

/// `{id, name}` of the app inside a channel answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppRef {
    /// Zealot app id.
    pub id: u32,
    /// Display name.
    pub name: String,
}

/// The answer of `versions` and `latest` (`Api::AppVersionsSerializer`,
/// `Api::LatestAppSerializer`): the channel, then its releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelReleases {
    /// `"<app> <scheme> <channel>"`.
    pub app_name: String,
    /// The channel's bundle-id rule.
    pub bundle_id: String,
    /// The channel's git URL.
    pub git_url: Option<String>,
    /// The app.
    pub app: AppRef,
    /// The channel's scheme, without channels.
    pub scheme: SchemeObject,
    /// Releases, newest first.
    pub releases: Vec<ReleaseObject>,
}

/// A release (`ReleaseSerializer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleaseObject {
    /// `zealot_id`: rank in the app by publication.
    pub id: u32,
    /// `zealot_version`: rank in the channel by publication.
    pub version: u32,
    /// `"<app> <scheme> <channel>"`.
    pub app_name: String,
    /// The app's bundle id.
    pub bundle_id: Option<String>,
    /// The release's version.
    pub release_version: String,
    /// [`build_version`](super::build_version).
    pub build_version: String,
    /// Always `api`.
    pub source: &'static str,
    /// Git branch.
    pub branch: Option<String>,
    /// Git commit.
    pub git_commit: Option<String>,
    /// CI job URL.
    pub ci_url: Option<String>,
    /// Bytes of the primary artifact.
    pub size: Option<u64>,
    /// `iOS`, `Android`, `HarmonyOS`, `macOS`, `Windows`, `Linux` or `Unknown`.
    pub platform: &'static str,
    /// Same as `platform` (what Zealot stores when the package names no device).
    pub device_type: &'static str,
    /// Always `null`: the edge has no icons.
    pub icon_url: Option<String>,
    /// iOS: `itms-services://?action=download-manifest&url=<install manifest URL>`; other
    /// platforms: the primary artifact's URL ([`Links::file_url`](crate::links::Links::file_url)).
    pub install_url: Option<String>,
    /// `[{message, …}]`.
    pub changelog: Vec<ChangelogEntry>,
    /// `"- msg\n- msg"`, or `""`.
    pub text_changelog: String,
    /// `[{name, value, icon}]`.
    pub custom_fields: Vec<CustomField>,
    /// `published_at` in UTC with milliseconds.
    pub created_at: String,
}
