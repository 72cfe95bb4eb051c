//! The URLs answers hand out for files: public apps' files at their static (or external) URL,
//! private apps' files behind short-lived signed download links that the worker checks before
//! it streams the file (or redirects to an external one).
//!
//! A link is `{origin}/dl/<protocol>/<artifact id>/<file name>?expires=<unix>&sig=<hex>`, where
//! `sig` is the lowercase hex HMAC-SHA256, keyed with the deployment's `download_link_key`
//! (`EDGE_SECRETS`, used as UTF-8 text), of [`message`]. `<protocol>` (`a`, `b`, `d`, `e`) is
//! the wire protocol the link was issued for: a refused link is answered in its envelope.
//!
//! ```
//! use update_protocol::links::{self, Protocol};
//! let url = links::signed_path(b"key", Protocol::Tinyaii, "id1", "tool+1.0.zip", 1_800_000_000);
//! assert!(url.starts_with("/dl/e/id1/tool%2B1.0.zip?expires=1800000000&sig="));
//! let sig = url.rsplit("sig=").next().unwrap();
//! let at = update_protocol::time::Timestamp::from_unix_millis(1_799_999_999_000);
//! let link = links::LinkRequest { protocol: Protocol::Tinyaii, artifact_id: "id1",
//!     name: "tool+1.0.zip", expires: Some("1800000000"), sig: Some(sig) };
//! assert_eq!(link.verify(b"key", at), Ok(()));
//! ```

use crate::digest::to_hex;
use crate::index::{Artifact, EdgeApp, absolute_url, percent_encode};
use crate::keys::ct_eq;
use crate::manifest::Visibility;
use crate::time::Timestamp;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// First path segment of the download route: `/dl/...`.
pub const ROUTE_PREFIX: &str = "dl";

/// How long a link is valid after the answer that carried it. An hour covers a client that
/// checks, asks its user and then downloads, and the worker checks a link only when the
/// request arrives, so a download that starts in time runs to its end however long it takes.
/// A leaked link stops working within the hour (A's upstream presigns S3 URLs for 3600 s too).
pub const LINK_TTL_SECONDS: i64 = 3600;

/// Version tag of the signed message; a new message format gets a new tag.
const MESSAGE_TAG: &str = "dl1";

/// The wire protocol a link was issued for (its path's second segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// A, hot update.
    HotUpdate,
    /// B, Zealot.
    Zealot,
    /// D, toolsetlink.
    Toolsetlink,
    /// E, tinyaii.
    Tinyaii,
}

impl Protocol {
    /// The tag in the link's path.
    pub fn tag(self) -> &'static str {
        match self {
            Protocol::HotUpdate => "a",
            Protocol::Zealot => "b",
            Protocol::Toolsetlink => "d",
            Protocol::Tinyaii => "e",
        }
    }

    /// The protocol of a path tag.
    pub fn from_tag(tag: &str) -> Option<Protocol> {
        [
            Protocol::HotUpdate,
            Protocol::Zealot,
            Protocol::Toolsetlink,
            Protocol::Tinyaii,
        ]
        .into_iter()
        .find(|p| p.tag() == tag)
    }
}

/// The signed message: `dl1\n<protocol>\n<artifact id>\n<file name>\n<expires>`. The file
/// name is signed too, so that nothing in the link can be changed.
pub fn message(protocol: Protocol, artifact_id: &str, name: &str, expires: i64) -> String {
    format!(
        "{MESSAGE_TAG}\n{}\n{artifact_id}\n{name}\n{expires}",
        protocol.tag()
    )
}

/// Lowercase hex HMAC-SHA256 of [`message`] with `key`.
pub fn sign(key: &[u8], protocol: Protocol, artifact_id: &str, name: &str, expires: i64) -> String {
    mac_hex(key, &message(protocol, artifact_id, name, expires))
}

/// Version tag of a route link's message (see [`route_message`]).
const ROUTE_TAG: &str = "route1";

/// The signed message of a route link: `route1\n<protocol>\n<path>\n<expires>`. A route link
/// opens a worker route that itself hands out a private app's file (Zealot's iOS install
/// manifest); its own tag keeps it from ever passing as a download link, and the reverse.
pub fn route_message(protocol: Protocol, path: &str, expires: i64) -> String {
    format!("{ROUTE_TAG}\n{}\n{path}\n{expires}", protocol.tag())
}

/// Lowercase hex HMAC-SHA256 of `message` with `key`.
fn mac_hex(key: &[u8], message: &str) -> String {
    // HMAC takes keys of any length; the error branch cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(message.as_bytes());
    to_hex(&mac.finalize().into_bytes())
}

/// Checks `sig` over `message(expires)` (in constant time) and then the expiry: a link is
/// valid while `now` is before `expires`. Only the canonical decimal form of `expires` (no
/// sign, no leading zero) that signing writes is accepted.
fn verify_signed(
    key: &[u8],
    expires: Option<&str>,
    sig: Option<&str>,
    now: Timestamp,
    message: impl FnOnce(i64) -> String,
) -> Result<(), Denied> {
    let expires = expires
        .filter(|e| e.len() <= 12 && e.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|e| e.parse::<i64>().ok().filter(|n| n.to_string() == *e))
        .ok_or(Denied::Malformed)?;
    let sig = sig.filter(|s| s.len() == 64).ok_or(Denied::Malformed)?;
    let expected = mac_hex(key, &message(expires));
    if !ct_eq(expected.as_bytes(), sig.as_bytes()) {
        return Err(Denied::BadSignature);
    }
    if now.unix_seconds() >= expires {
        return Err(Denied::Expired);
    }
    Ok(())
}

/// The link without its origin: `/dl/<protocol>/<id>/<name>?expires=…&sig=…`, the id and the
/// name percent-encoded as path segments.
pub fn signed_path(
    key: &[u8],
    protocol: Protocol,
    artifact_id: &str,
    name: &str,
    expires: i64,
) -> String {
    format!(
        "/{ROUTE_PREFIX}/{}/{}/{}?expires={expires}&sig={}",
        protocol.tag(),
        percent_encode(artifact_id),
        percent_encode(name),
        sign(key, protocol, artifact_id, name, expires)
    )
}

/// Why a link is refused. Every reason gets the same 403; the reason is for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// `expires` or `sig` is missing or not well formed.
    Malformed,
    /// The signature does not match (altered, or signed with another deployment's key).
    BadSignature,
    /// The link's time is over.
    Expired,
}

/// A download request as the worker parsed it: the path segments after `/dl/` (decoded) and
/// the `expires` and `sig` query values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkRequest<'a> {
    /// From the path's protocol tag.
    pub protocol: Protocol,
    /// The artifact id segment.
    pub artifact_id: &'a str,
    /// The file name segment.
    pub name: &'a str,
    /// `expires`.
    pub expires: Option<&'a str>,
    /// `sig`.
    pub sig: Option<&'a str>,
}

impl LinkRequest<'_> {
    /// Checks the signature (in constant time) and then the expiry: a link is valid while
    /// `now` is before `expires`.
    ///
    /// # Errors
    /// [`Denied`] with the reason.
    pub fn verify(&self, key: &[u8], now: Timestamp) -> Result<(), Denied> {
        verify_signed(key, self.expires, self.sig, now, |e| {
            message(self.protocol, self.artifact_id, self.name, e)
        })
    }
}

/// A request to a route link ([`Links::route_url`]) as the worker parsed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRequest<'a> {
    /// The protocol whose route it is.
    pub protocol: Protocol,
    /// The request's path, as the link was made for it (e.g.
    /// `/api/apps/3/releases/5/install`).
    pub path: &'a str,
    /// `expires`.
    pub expires: Option<&'a str>,
    /// `sig`.
    pub sig: Option<&'a str>,
}

impl RouteRequest<'_> {
    /// Checks the signature (in constant time) and then the expiry, as [`LinkRequest::verify`].
    ///
    /// # Errors
    /// [`Denied`] with the reason.
    pub fn verify(&self, key: &[u8], now: Timestamp) -> Result<(), Denied> {
        verify_signed(key, self.expires, self.sig, now, |e| {
            route_message(self.protocol, self.path, e)
        })
    }
}

/// Why [`Links::file_url`] has no URL for a private app's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// The deployment has no `download_link_key`: an internal failure (500), never a dead or
    /// unsigned link.
    NoKey,
    /// The route has no credential ([`Links::public_only`]): private files are not handed out.
    Refused,
}

/// How a request may get private apps' files.
#[derive(Clone)]
enum PrivateFiles {
    /// Signed links for `protocol` with this key, valid for [`LINK_TTL_SECONDS`] from `now`.
    Signed {
        protocol: Protocol,
        key: Vec<u8>,
        now: Timestamp,
    },
    /// The route could sign, but the deployment has no key.
    NoKey,
    /// An unauthenticated route: never.
    Refused,
}

/// Makes the file URLs of one answer: what every protocol calls instead of joining the
/// request's origin itself.
#[derive(Clone)]
pub struct Links {
    origin: String,
    private: PrivateFiles,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        let private = match &self.private {
            PrivateFiles::Signed { protocol, .. } => protocol.tag(),
            PrivateFiles::NoKey => "no key",
            PrivateFiles::Refused => "refused",
        };
        f.debug_struct("Links")
            .field("origin", &self.origin)
            .field("private", &private)
            .finish()
    }
}

impl Links {
    /// The links of an authenticated answer of `protocol` at `origin` (e.g.
    /// `https://updates.example.com`, the request's own): private files are signed with `key`
    /// (the deployment's `download_link_key`) to expire [`LINK_TTL_SECONDS`] after `now`.
    pub fn new(
        origin: impl Into<String>,
        protocol: Protocol,
        key: Option<&str>,
        now: Timestamp,
    ) -> Links {
        let private = match key {
            Some(k) if !k.is_empty() => PrivateFiles::Signed {
                protocol,
                key: k.as_bytes().to_vec(),
                now,
            },
            _ => PrivateFiles::NoKey,
        };
        Links {
            origin: origin.into(),
            private,
        }
    }

    /// The links of a route without authentication (or of C, whose files go through its own
    /// license-checked route): public files only.
    pub fn public_only(origin: impl Into<String>) -> Links {
        Links {
            origin: origin.into(),
            private: PrivateFiles::Refused,
        }
    }

    /// The request's origin, for URLs of routes (not files).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Makes a site-relative URL absolute against the origin; others are returned as is.
    pub fn absolute(&self, url: &str) -> String {
        absolute_url(url, &self.origin)
    }

    /// Whether `app`'s files are private (only signed links reach them).
    pub fn is_private(app: &EdgeApp) -> bool {
        app.app.visibility == Visibility::Private
    }

    /// The URL a client gets for `artifact` of `app`. A public app's file: its static URL,
    /// made absolute. A private app's file (under `_edge/` or external): a signed link
    /// through the worker, so that neither its location nor an unsigned URL is handed out.
    ///
    /// # Errors
    /// For a private app only: [`LinkError::NoKey`] without a key, [`LinkError::Refused`] on
    /// a route built with [`Links::public_only`].
    pub fn file_url(&self, app: &EdgeApp, artifact: &Artifact) -> Result<String, LinkError> {
        if !Self::is_private(app) {
            return Ok(self.absolute(&artifact.url));
        }
        match &self.private {
            PrivateFiles::Signed { protocol, key, now } => {
                let expires = now.unix_seconds().saturating_add(LINK_TTL_SECONDS);
                let path = signed_path(
                    key,
                    *protocol,
                    &artifact.id,
                    artifact.name.as_str(),
                    expires,
                );
                Ok(format!("{}{path}", self.origin.trim_end_matches('/')))
            }
            PrivateFiles::NoKey => Err(LinkError::NoKey),
            PrivateFiles::Refused => Err(LinkError::Refused),
        }
    }

    /// The URL of the worker route at `path` that hands out `app`'s files itself (Zealot's
    /// iOS install manifest, whose plist names the package). A public app's: the route made
    /// absolute. A private app's: the route with `expires` and `sig` ([`route_message`]), so
    /// that only the holder of an authenticated answer reaches it, for [`LINK_TTL_SECONDS`].
    ///
    /// # Errors
    /// As [`Links::file_url`].
    pub fn route_url(&self, app: &EdgeApp, path: &str) -> Result<String, LinkError> {
        let url = self.absolute(path);
        if !Self::is_private(app) {
            return Ok(url);
        }
        match &self.private {
            PrivateFiles::Signed { protocol, key, now } => {
                let expires = now.unix_seconds().saturating_add(LINK_TTL_SECONDS);
                let sig = mac_hex(key, &route_message(*protocol, path, expires));
                Ok(format!("{url}?expires={expires}&sig={sig}"))
            }
            PrivateFiles::NoKey => Err(LinkError::NoKey),
            PrivateFiles::Refused => Err(LinkError::Refused),
        }
    }
}

#[cfg(test)]
mod tests;
