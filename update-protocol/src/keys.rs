//! Credentials as the edge stores them. Keys, tokens and licenses are kept by their sha256 only
//! (a [`KeyRecord`] in KV under [`kv_key`]); what must stay recoverable to check a signature
//! (toolsetlink secret keys, per-app HMAC signing secrets) is an [`EdgeSecrets`] document held in
//! a worker secret, never in git or the site.

use crate::digest::to_hex;
use crate::names::{AppId, ChannelKey};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Prefix of credential records in the `KEYS` KV namespace.
pub const KV_PREFIX: &str = "key:";

/// Name of the worker secret (and `.dev.vars` variable) holding [`EdgeSecrets`] as JSON.
pub const SECRETS_VAR: &str = "EDGE_SECRETS";

/// How long the previous signing secret still signs after a rotation (protocol C: 24 hours).
pub const SIGNING_GRACE_SECONDS: i64 = 24 * 60 * 60;

/// Lowercase hex sha256 of a credential.
pub fn sha256_hex(secret: &str) -> String {
    to_hex(&Sha256::digest(secret.as_bytes()))
}

/// The KV key of a credential's record: `key:<sha256 hex>`.
pub fn kv_key(secret: &str) -> String {
    format!("{KV_PREFIX}{}", sha256_hex(secret))
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

/// What a credential is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    /// Protocol A project key (`X-API-Key`, or `apiKey` in the legacy body): one app.
    ApiKey,
    /// Protocol A user token (`Authorization: Bearer hot_…`): the apps (projects) it owns.
    HotToken,
    /// Protocol B user token (`token` parameter): its apps, or every app when `apps` is empty.
    ZealotToken,
    /// Protocol B channel key (`channel_key` parameter): one app and channel.
    ChannelKey,
    /// Protocol C license key (`licenseKey`): one app, a status and an expiry.
    License,
}

impl KeyKind {
    /// The kebab-case name used on the command line and in records.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::ApiKey => "api-key",
            KeyKind::HotToken => "hot-token",
            KeyKind::ZealotToken => "zealot-token",
            KeyKind::ChannelKey => "channel-key",
            KeyKind::License => "license",
        }
    }
}

/// Whether a credential is usable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyStatus {
    /// Usable.
    #[default]
    Active,
    /// Temporarily refused (licenses: "not active"); can be reactivated.
    Suspended,
    /// Refused for good. Revoked records stay in KV (a bulk put cannot delete) so that the
    /// revocation reaches the edge.
    Revoked,
}

/// A credential as stored in KV under [`kv_key`] of its secret value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Public handle for listing and revoking: `k-` + the first 12 hex digits of the sha256.
    pub id: String,
    /// What it is for.
    pub kind: KeyKind,
    /// The apps it grants (our app ids). Empty only for an all-apps Zealot token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppId>,
    /// The channel of a Zealot channel key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelKey>,
    /// Usable or not.
    #[serde(default)]
    pub status: KeyStatus,
    /// When it stops working (licenses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When it was created or imported.
    pub created_at: Timestamp,
    /// Free text for people (who or what holds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl KeyRecord {
    /// The public handle of a credential.
    pub fn handle(secret: &str) -> String {
        format!("k-{}", &sha256_hex(secret)[..12])
    }

    /// Whether the record is active, unexpired at `now`, of `kind`, and grants `app`.
    pub fn grants(&self, kind: KeyKind, app: &AppId, now: Timestamp) -> bool {
        self.kind == kind
            && self.status == KeyStatus::Active
            && !self.is_expired(now)
            && (self.apps.is_empty() && kind == KeyKind::ZealotToken || self.apps.contains(app))
    }

    /// Whether the record has an expiry at or before `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

/// The recoverable secrets: the JSON value of the [`SECRETS_VAR`] worker secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeSecrets {
    /// Protocol D: `X-AccessKey` → its secret key.
    #[serde(default)]
    pub toolsetlink: BTreeMap<String, AccessSecret>,
    /// Protocol C: our app id → its update-signing secret.
    #[serde(default)]
    pub signing: BTreeMap<AppId, SigningSecret>,
    /// Key of the machine-id hashes in telemetry (`telemetry::machine_hash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry_salt: Option<String>,
    /// sha256 (hex) of the admin tokens that may read the stats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admin_tokens: Vec<String>,
    /// Protocol B: each app's channel keys in clear (app → channel → key), so that
    /// `/api/apps` can show them as Zealot does; KV keeps only their sha256. Optional: a
    /// channel without an entry shows `key: null`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub zealot_channel_keys: BTreeMap<AppId, BTreeMap<ChannelKey, String>>,
    /// TUF: the Ed25519 seed (64 hex characters) that signs `timestamp.json` at the edge; one
    /// of root's timestamp keys (`crate::tuf::EdgeTuf::timestamp_keyids`). Never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuf_timestamp_key: Option<String>,
    /// The key of private apps' signed download links (`crate::links`), used as UTF-8 text.
    /// Without it, answers that would carry a private file fail with 500. Never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_link_key: Option<String>,
}

impl EdgeSecrets {
    /// The TUF timestamp signing key, when configured.
    ///
    /// # Errors
    /// [`crate::tuf::TufError::Key`] when `tuf_timestamp_key` is not 64 hex characters (the
    /// message never contains the value).
    pub fn tuf_timestamp_seed(
        &self,
    ) -> Option<Result<crate::tuf::Ed25519Seed, crate::tuf::TufError>> {
        self.tuf_timestamp_key
            .as_deref()
            .map(crate::tuf::Ed25519Seed::from_hex)
    }

    /// Whether `token` is an admin token (compared by sha256, in constant time).
    pub fn is_admin(&self, token: &str) -> bool {
        let h = sha256_hex(token);
        self.admin_tokens
            .iter()
            .fold(false, |found, t| ct_eq(t.as_bytes(), h.as_bytes()) | found)
    }
}

/// A toolsetlink access key's secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessSecret {
    /// The `secretKey` of the signature string.
    pub secret: String,
    /// Apps it may query; empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppId>,
}

impl AccessSecret {
    /// Whether this access key may query `app`.
    pub fn allows(&self, app: &AppId) -> bool {
        self.apps.is_empty() || self.apps.contains(app)
    }
}

/// An app's HMAC signing secret and its rotation state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningSecret {
    /// Signs every answer (used as UTF-8 text, not hex-decoded).
    pub current: String,
    /// The secret before the last rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// Until when `previous` also signs (rotation time + 24 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_expires_at: Option<Timestamp>,
}

impl SigningSecret {
    /// The previous secret and its expiry while it is still in its grace window at `now`.
    pub fn grace(&self, now: Timestamp) -> Option<(&str, Timestamp)> {
        match (&self.previous, self.previous_expires_at) {
            (Some(p), Some(exp)) if exp > now => Some((p.as_str(), exp)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("timestamp")
    }

    #[test]
    fn kv_keys_are_sha256_hex() {
        // sha256("abc"), as sha256sum prints it.
        assert_eq!(
            kv_key("abc"),
            "key:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(KeyRecord::handle("abc"), "k-ba7816bf8f01");
    }

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
        assert!(ct_eq(b"", b""));
    }

    #[test]
    fn grants_checks_kind_status_expiry_and_app() {
        let app = AppId::new("a").expect("id");
        let other = AppId::new("b").expect("id");
        let mut r = KeyRecord {
            id: "k-1".into(),
            kind: KeyKind::ApiKey,
            apps: vec![app.clone()],
            channel: None,
            status: KeyStatus::Active,
            expires_at: Some(ts("2026-01-02T00:00:00Z")),
            created_at: ts("2026-01-01T00:00:00Z"),
            label: None,
        };
        let now = ts("2026-01-01T12:00:00Z");
        assert!(r.grants(KeyKind::ApiKey, &app, now));
        assert!(!r.grants(KeyKind::HotToken, &app, now));
        assert!(!r.grants(KeyKind::ApiKey, &other, now));
        assert!(!r.grants(KeyKind::ApiKey, &app, ts("2026-01-02T00:00:00Z")));
        r.status = KeyStatus::Revoked;
        assert!(!r.grants(KeyKind::ApiKey, &app, now));
        // An all-apps grant exists only for Zealot tokens.
        r.status = KeyStatus::Active;
        r.apps.clear();
        assert!(!r.grants(KeyKind::ApiKey, &app, now));
        r.kind = KeyKind::ZealotToken;
        assert!(r.grants(KeyKind::ZealotToken, &other, now));
    }

    #[test]
    fn signing_grace_ends_at_expiry() {
        let s = SigningSecret {
            current: "new".into(),
            previous: Some("old".into()),
            previous_expires_at: Some(ts("2026-01-02T00:00:00Z")),
        };
        assert!(s.grace(ts("2026-01-01T23:59:59Z")).is_some());
        assert!(s.grace(ts("2026-01-02T00:00:00Z")).is_none());
    }

    #[test]
    fn tuf_timestamp_key_is_optional_and_parsed() {
        let none: EdgeSecrets = serde_json::from_str("{}").expect("parse");
        assert!(none.tuf_timestamp_seed().is_none());
        assert!(!serde_json::to_string(&none).expect("json").contains("tuf"));
        let hex = "11".repeat(32);
        let s: EdgeSecrets =
            serde_json::from_str(&format!(r#"{{"tuf_timestamp_key":"{hex}"}}"#)).expect("parse");
        let seed = s.tuf_timestamp_seed().expect("set").expect("valid");
        assert_eq!(seed.to_hex(), hex);
        let bad = EdgeSecrets {
            tuf_timestamp_key: Some("xyz".into()),
            ..EdgeSecrets::default()
        };
        assert_eq!(
            bad.tuf_timestamp_seed()
                .expect("set")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("bad key: an ed25519 seed must be 64 hex characters (32 bytes)")
        );
    }

    #[test]
    fn records_round_trip_as_json() {
        let json = r#"{"id":"k-1","kind":"license","apps":["desktop-pro"],"status":"suspended","expires_at":"2027-01-01T00:00:00Z","created_at":"2026-01-01T00:00:00Z"}"#;
        let r: KeyRecord = serde_json::from_str(json).expect("parse");
        assert_eq!(r.kind, KeyKind::License);
        assert_eq!(r.status, KeyStatus::Suspended);
        let back: KeyRecord =
            serde_json::from_str(&serde_json::to_string(&r).expect("json")).expect("parse");
        assert_eq!(back, r);
    }
}
