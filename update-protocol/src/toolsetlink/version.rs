//! Protocol D's signed version-info routes `POST /v1/<kind>/version` (hosted service and SDKs
//! only, `shared/spec/seed-protocols.md` D.4): what the app's served channel says about the
//! release a client names, by `versionCode` or (Tauri, Electron) `versionName`.
//!
//! The worker's order is the upgrade routes' up to the nonce, then [`parse_version`] →
//! [`super::resolve`] → load the `EdgeApp` → [`version_info`] → [`VersionAnswer`] (or 404001
//! [`Error::VersionNotFound`]).

use super::{Endpoint, Error, FilePick, MAX_BODY_BYTES, channel, cpu_named, field, platform_named};
use crate::index::{EdgeApp, EdgeRelease};
use crate::manifest::{Cpu, Platform, ReleaseState};
use crate::rollout;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// The release a version-info request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamedVersion {
    /// `versionCode`: that code; 0 names the newest fully rolled-out release (as the
    /// download routes read 0).
    Code(i64),
    /// `versionName` (Tauri, Electron): the release whose version is that string, a leading
    /// `v` ignored on either side.
    Name(String),
}

/// The build a desktop client runs, from `arch` and (Tauri, Electron) `target`/`platform`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The platform: the endpoint's (`win`, `mac`, `lnx`) or the one `target`/`platform`
    /// names.
    pub platform: Platform,
    /// The processor `arch` names ([`cpu_named`]).
    pub cpu: Cpu,
    /// Tauri's `target` or Electron's `platform`, as sent (echoed in the answer); empty on
    /// `win`, `mac` and `lnx`.
    pub target: String,
    /// `arch`, as sent.
    pub arch: String,
}

/// A parsed version-info body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRequest {
    /// The endpoint's key.
    pub key: String,
    /// The release it names.
    pub version: NamedVersion,
    /// The desktop client's build (`win`, `mac`, `lnx`, `tauri`, `electron`); `None` for
    /// `url`, `file`, `apk` and `configuration`.
    pub client: Option<Client>,
}

/// The field that names the platform on `endpoint`'s version route, if any.
fn target_field(endpoint: Endpoint) -> Option<&'static str> {
    match endpoint {
        Endpoint::Tauri => Some("target"),
        Endpoint::Electron => Some("platform"),
        _ => None,
    }
}

/// Parses a version-info body. Fields in the SDKs' request order: the key, then
/// `versionCode` (`url`, `file`, `apk`, `configuration`), `versionCode, arch` (`win`, `mac`),
/// `arch, versionCode` (`lnx`), `versionName, target, arch` (`tauri`) or `versionName,
/// platform, arch` (`electron`); every one is required, as the SDKs' `validate` makes it.
/// Absent or `null` is "not set", a wrong JSON type a mismatch. Then, in that order: an empty
/// key; a negative `versionCode` or an empty `versionName`; a `target`/`platform` that
/// [`platform_named`] does not know; an `arch` that [`cpu_named`] does not know.
///
/// # Errors
/// [`Error::BodyTooLarge`], [`Error::BodyInvalid`], [`Error::FieldNotSet`],
/// [`Error::FieldTypeMismatch`], [`Error::EmptyKey`], [`Error::InvalidVersionCode`],
/// [`Error::InvalidField`] (`versionName`, `target`, `platform`, `arch`).
pub fn parse_version(endpoint: Endpoint, body: &[u8]) -> Result<VersionRequest, Error> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::BodyTooLarge);
    }
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return Err(Error::BodyInvalid);
    };
    let text = |name: &'static str| {
        field(&obj, name, |v| v.as_str().map(str::to_owned))?.ok_or(Error::FieldNotSet(name))
    };
    let code =
        || field(&obj, "versionCode", Value::as_i64)?.ok_or(Error::FieldNotSet("versionCode"));
    let key_name = endpoint.key_field();
    let key = text(key_name)?;
    let (version, target, arch) = match endpoint {
        Endpoint::Configuration | Endpoint::Apk | Endpoint::Url | Endpoint::File => {
            (NamedVersion::Code(code()?), None, None)
        }
        Endpoint::Win | Endpoint::Mac => {
            let c = code()?;
            (NamedVersion::Code(c), None, Some(text("arch")?))
        }
        Endpoint::Lnx => {
            let arch = text("arch")?;
            (NamedVersion::Code(code()?), None, Some(arch))
        }
        Endpoint::Tauri | Endpoint::Electron => {
            let name = text("versionName")?;
            let target = text(target_field(endpoint).unwrap_or("target"))?;
            (NamedVersion::Name(name), Some(target), Some(text("arch")?))
        }
    };
    if key.is_empty() {
        return Err(Error::EmptyKey(endpoint));
    }
    match &version {
        NamedVersion::Code(c) if *c < 0 => return Err(Error::InvalidVersionCode),
        NamedVersion::Name(n) if n.is_empty() => return Err(Error::InvalidField("versionName")),
        _ => {}
    }
    let platform = match (&target, endpoint.platform()) {
        (Some(t), _) => {
            let name = target_field(endpoint).unwrap_or("target");
            Some(platform_named(t).ok_or(Error::InvalidField(name))?)
        }
        (None, p) => p,
    };
    let client = match (platform, arch) {
        (Some(platform), Some(arch)) => Some(Client {
            platform,
            cpu: cpu_named(&arch).ok_or(Error::InvalidField("arch"))?,
            target: target.unwrap_or_default(),
            arch,
        }),
        _ => None,
    };
    Ok(VersionRequest {
        key,
        version,
        client,
    })
}

/// `data` of a version-info answer: `{<key>, [packageName], versionName, versionCode,
/// [target|platform, arch], description}` in the SDKs' field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionData {
    /// The endpoint it answers (names the key field and the optional fields).
    pub endpoint: Endpoint,
    /// The key, echoed.
    pub key: String,
    /// The app's `bundle_id`, or empty (`apk`, `win`, `mac`, `lnx` only).
    pub package_name: String,
    /// The release's version string.
    pub version_name: String,
    /// The release's version code (0 when it has none).
    pub version_code: i64,
    /// `target` (Tauri) or `platform` (Electron), echoed.
    pub target: String,
    /// `arch` (Tauri, Electron), echoed.
    pub arch: String,
    /// The release notes.
    pub description: String,
}

impl Serialize for VersionData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(self.endpoint.key_field(), &self.key)?;
        if matches!(
            self.endpoint,
            Endpoint::Apk | Endpoint::Win | Endpoint::Mac | Endpoint::Lnx
        ) {
            m.serialize_entry("packageName", &self.package_name)?;
        }
        m.serialize_entry("versionName", &self.version_name)?;
        m.serialize_entry("versionCode", &self.version_code)?;
        if let Some(name) = target_field(self.endpoint) {
            m.serialize_entry(name, &self.target)?;
            m.serialize_entry("arch", &self.arch)?;
        }
        m.serialize_entry("description", &self.description)?;
        m.end()
    }
}

/// A version-info answer: `{"code":200,"msg":"获取到版本信息","docs":"","data":{…}}` with HTTP
/// 200 (no `traceId`, as the upgrade answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionAnswer {
    /// Always 200.
    pub code: u32,
    /// Always `获取到版本信息`.
    pub msg: &'static str,
    /// Always empty.
    pub docs: &'static str,
    /// The release.
    pub data: VersionData,
}

impl VersionAnswer {
    /// The HTTP status of an answer.
    pub const STATUS: u16 = 200;
}

/// A leading `v` does not make another version (`v1.2.0` is `1.2.0`).
fn same_version(release: &str, named: &str) -> bool {
    let bare = |s: &str| s.strip_prefix(['v', 'V']).unwrap_or(s).to_owned();
    bare(release) == bare(named)
}

/// What the app's served channel says about the release `req` names (found with
/// [`super::resolve`]): never a yanked one; a named release while it still rolls out, since
/// the client names it; code 0 the newest fully rolled-out one. Desktop clients (`win`,
/// `mac`, `lnx`, `tauri`, `electron`) find only releases with a build for their platform and
/// `arch` (the upgrade routes' choice of file), `url`, `file` and `apk` only releases with a
/// file; configurations need none.
///
/// # Errors
/// [`Error::VersionNotFound`].
pub fn version_info(
    app: &EdgeApp,
    endpoint: Endpoint,
    req: &VersionRequest,
) -> Result<VersionAnswer, Error> {
    let channel = channel(app);
    let pick = match &req.client {
        Some(c) => FilePick::Ranked(super::desktop_archs(app, c.platform, c.cpu)),
        None => FilePick::new(app, endpoint, None),
    };
    let mut servable = app.releases.iter().filter(|r| {
        r.release.channel == channel
            && r.release.state == ReleaseState::Ready
            && (!endpoint.needs_file() || pick.file(app, r).is_some())
    });
    let found: Option<&EdgeRelease> = match &req.version {
        NamedVersion::Code(0) => servable
            .filter(|r| rollout::offered(r, None))
            .max_by_key(|r| r.release.version_code),
        NamedVersion::Code(c) => servable.find(|r| r.release.version_code == Some(*c)),
        NamedVersion::Name(n) => servable.find(|r| same_version(&r.release.version, n)),
    };
    let r = found.ok_or(Error::VersionNotFound)?;
    let (target, arch) = req
        .client
        .as_ref()
        .map(|c| (c.target.clone(), c.arch.clone()))
        .unwrap_or_default();
    Ok(VersionAnswer {
        code: 200,
        msg: "获取到版本信息",
        docs: "",
        data: VersionData {
            endpoint,
            key: req.key.clone(),
            package_name: app.app.bundle_id.clone().unwrap_or_default(),
            version_name: r.release.version.clone(),
            version_code: r.release.version_code.unwrap_or(0),
            target,
            arch,
            description: r.release.notes.clone(),
        },
    })
}

#[cfg(test)]
mod tests;
