//! The TUF metadata model (spec v1.0.x "Document formats") as python-tuf 7 and tuf-js parse it:
//! the signed envelope, the four top-level roles, delegations, and signing and verifying over
//! the canonical JSON of `signed`.

use super::keys::{Ed25519Seed, Key};
use super::{TufError, cjson};
use crate::digest::to_hex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The `spec_version` we write: major 1 (python-tuf and tuf-js reject any other major).
pub const SPEC_VERSION: &str = "1.0.31";

/// Largest `version` (or integer) we write: tuf-js parses numbers as JS doubles.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The four top-level role names.
pub const TOP_LEVEL_ROLES: [&str; 4] = ["root", "snapshot", "targets", "timestamp"];

/// `_type` of a signed document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleType {
    /// `root.json`.
    Root,
    /// `timestamp.json`.
    Timestamp,
    /// `snapshot.json`.
    Snapshot,
    /// `targets.json` and delegated targets roles.
    Targets,
}

/// One signature: the keyid and the lowercase hex of the 64-byte Ed25519 signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Which key signed.
    pub keyid: String,
    /// 128 lowercase hex characters.
    pub sig: String,
}

/// A signed document: `{"signed": ..., "signatures": [...]}`. `T` is a typed role or a raw
/// [`Value`]; verification always works on the raw value so that unknown fields stay signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata<T = Value> {
    /// The signed payload.
    pub signed: T,
    /// Its signatures.
    pub signatures: Vec<Signature>,
}

/// A role's keys and threshold (in root's `roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// Keyids that may sign.
    pub keyids: Vec<String>,
    /// How many distinct keys of `keyids` must sign (at least 1).
    pub threshold: u64,
}

/// `root.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// Always [`RoleType::Root`].
    #[serde(rename = "_type")]
    pub type_: RoleType,
    /// [`SPEC_VERSION`].
    pub spec_version: String,
    /// 1, 2, ...: each new root is exactly one higher.
    pub version: u64,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// Always true here: metadata files are `N.<role>.json`, targets `<dir>/<sha256>.<name>`.
    pub consistent_snapshot: bool,
    /// keyid → key.
    pub keys: BTreeMap<String, Key>,
    /// `root`, `snapshot`, `targets`, `timestamp` → keys and threshold.
    pub roles: BTreeMap<String, Role>,
}

impl Root {
    /// The keys and threshold of a top-level role.
    ///
    /// # Errors
    /// [`TufError::Role`] when root does not define it.
    pub fn role(&self, name: &str) -> Result<&Role, TufError> {
        self.roles
            .get(name)
            .ok_or_else(|| TufError::Role(format!("root does not define the {name} role")))
    }
}

/// sha256 of a file (the only hash we write: clients fetch `<dir>/<first hash>.<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashes {
    /// Lowercase hex.
    pub sha256: String,
}

/// An entry of timestamp's or snapshot's `meta`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaFile {
    /// The version of the listed metadata.
    pub version: u64,
    /// Its exact size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// Its sha256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashes: Option<Hashes>,
}

impl MetaFile {
    /// The entry for metadata `bytes` at `version`, with length and sha256.
    pub fn of_bytes(version: u64, bytes: &[u8]) -> MetaFile {
        MetaFile {
            version,
            length: Some(bytes.len() as u64),
            hashes: Some(Hashes {
                sha256: to_hex(&Sha256::digest(bytes)),
            }),
        }
    }
}

/// `timestamp.json` (only `snapshot.json` in `meta`: python-tuf re-serialises only that).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timestamp {
    /// Always [`RoleType::Timestamp`].
    #[serde(rename = "_type")]
    pub type_: RoleType,
    /// [`SPEC_VERSION`].
    pub spec_version: String,
    /// Window start in unix seconds (see [`super::timestamp`]).
    pub version: u64,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// `{"snapshot.json": ...}`.
    pub meta: BTreeMap<String, MetaFile>,
}

/// `snapshot.json`: `targets.json` and every delegated role (`<name>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`RoleType::Snapshot`].
    #[serde(rename = "_type")]
    pub type_: RoleType,
    /// [`SPEC_VERSION`].
    pub spec_version: String,
    /// 1, 2, ...
    pub version: u64,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// `<role>.json` → version (and length and sha256).
    pub meta: BTreeMap<String, MetaFile>,
}

/// A target: the file at the target path, fetched as `<dir>/<sha256>.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetFile {
    /// Exact size in bytes.
    pub length: u64,
    /// Its sha256.
    pub hashes: Hashes,
    /// Opaque to TUF, handed to the client (`TargetFile.custom`): strings and integers only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<serde_json::Map<String, Value>>,
}

impl TargetFile {
    /// The target of `bytes` with `custom`.
    pub fn of_bytes(bytes: &[u8], custom: Option<serde_json::Map<String, Value>>) -> TargetFile {
        TargetFile {
            length: bytes.len() as u64,
            hashes: Hashes {
                sha256: to_hex(&Sha256::digest(bytes)),
            },
            custom,
        }
    }
}

/// A delegated targets role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegatedRole {
    /// The role name; its file is `<version>.<name>.json`.
    pub name: String,
    /// Keyids that may sign it.
    pub keyids: Vec<String>,
    /// How many must sign.
    pub threshold: u64,
    /// Target path patterns it is trusted for (fnmatch-style, `*` does not cross `/`).
    pub paths: Vec<String>,
    /// Whether a miss here stops the search.
    pub terminating: bool,
}

impl DelegatedRole {
    /// Its keyids and threshold as a [`Role`].
    pub fn as_role(&self) -> Role {
        Role {
            keyids: self.keyids.clone(),
            threshold: self.threshold,
        }
    }
}

/// `delegations` of a targets role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegations {
    /// keyid → key.
    pub keys: BTreeMap<String, Key>,
    /// In priority order.
    pub roles: Vec<DelegatedRole>,
}

/// `targets.json` or a delegated targets role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// Always [`RoleType::Targets`].
    #[serde(rename = "_type")]
    pub type_: RoleType,
    /// [`SPEC_VERSION`].
    pub spec_version: String,
    /// 1, 2, ...
    pub version: u64,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// Target path → file.
    pub targets: BTreeMap<String, TargetFile>,
    /// Roles this one delegates to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Delegations>,
}

/// The canonical bytes of a signed payload (what the signature covers).
///
/// # Errors
/// [`TufError::Cjson`] when the payload has a float.
pub fn canonical_signed<T: Serialize + ?Sized>(signed: &T) -> Result<Vec<u8>, TufError> {
    Ok(cjson::to_vec(signed)?)
}

/// Signs the canonical JSON of `signed` with `seed`.
///
/// # Errors
/// [`TufError::Cjson`] when the payload has a float.
pub fn sign<T: Serialize + ?Sized>(signed: &T, seed: &Ed25519Seed) -> Result<Signature, TufError> {
    let msg = canonical_signed(signed)?;
    Ok(Signature {
        keyid: seed.keyid(),
        sig: to_hex(&seed.sign(&msg)),
    })
}

/// The envelope of `signed` with one signature per seed, in the order given.
///
/// # Errors
/// [`TufError::Cjson`] when the payload has a float.
pub fn sign_metadata<T: Serialize>(
    signed: T,
    seeds: &[&Ed25519Seed],
) -> Result<Metadata<T>, TufError> {
    let signatures = seeds
        .iter()
        .map(|s| sign(&signed, s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Metadata { signed, signatures })
}

/// The bytes to serve for a metadata envelope: its canonical JSON (compact and deterministic,
/// so the same content always gives the same length and hash).
///
/// # Errors
/// [`TufError::Cjson`] when the payload has a float.
pub fn to_bytes<T: Serialize>(metadata: &Metadata<T>) -> Result<Vec<u8>, TufError> {
    Ok(cjson::to_vec(metadata)?)
}

/// The served bytes of `signed` signed by one key: what the edge returns for
/// `timestamp.json`.
///
/// # Errors
/// [`TufError::Cjson`] when the payload has a float (never for [`super::timestamp`]'s output).
pub fn signed_metadata(signed: &Value, seed: &Ed25519Seed) -> Result<Vec<u8>, TufError> {
    let sig = sign(signed, seed)?;
    to_bytes(&Metadata {
        signed,
        signatures: vec![sig],
    })
}

/// Parses served metadata bytes into the raw envelope.
///
/// # Errors
/// [`TufError::Parse`] when it is not a `{signed, signatures}` JSON object.
pub fn parse(bytes: &[u8]) -> Result<Metadata<Value>, TufError> {
    serde_json::from_slice(bytes).map_err(|e| TufError::Parse(e.to_string()))
}

/// Decodes the typed payload of a raw envelope.
///
/// # Errors
/// [`TufError::Parse`] when the payload does not have the role's fields.
pub fn typed<T: serde::de::DeserializeOwned>(metadata: &Metadata<Value>) -> Result<T, TufError> {
    serde_json::from_value(metadata.signed.clone()).map_err(|e| TufError::Parse(e.to_string()))
}

/// Checks that at least `role.threshold` distinct keys of `role.keyids` (looked up in `keys`:
/// root's keys, or the delegator's `delegations.keys`) signed `metadata.signed`. Returns how
/// many did.
///
/// # Errors
/// [`TufError::Threshold`] when fewer valid signatures than the threshold (a threshold of 0
/// is refused too), [`TufError::Cjson`] when the payload has no canonical form.
pub fn verify_role(
    metadata: &Metadata<Value>,
    keys: &BTreeMap<String, Key>,
    role: &Role,
) -> Result<usize, TufError> {
    let msg = canonical_signed(&metadata.signed)?;
    let mut valid = BTreeSet::new();
    for sig in &metadata.signatures {
        if !role.keyids.contains(&sig.keyid) || valid.contains(&sig.keyid) {
            continue;
        }
        let Some(key) = keys.get(&sig.keyid) else {
            continue;
        };
        let Ok(raw) = hex::decode(&sig.sig) else {
            continue;
        };
        if key.verify(&msg, &raw) {
            valid.insert(sig.keyid.clone());
        }
    }
    let have = valid.len();
    if role.threshold == 0 || (have as u64) < role.threshold {
        let name = metadata
            .signed
            .get("_type")
            .and_then(Value::as_str)
            .unwrap_or("metadata")
            .to_owned();
        return Err(TufError::Threshold {
            role: name,
            have,
            need: role.threshold,
        });
    }
    Ok(have)
}

#[cfg(test)]
mod tests;
