//! Ed25519 keys as TUF writes them: the public key object
//! `{"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"<64 hex>"}}`, its keyid (sha256
//! of that object's canonical JSON, no `keyid_hash_algorithms`), and the private 32-byte seed
//! that signs (pure Ed25519, deterministic: no RNG, so it builds for wasm).

use super::TufError;
use super::cjson;
use crate::digest::to_hex;
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The only key type and scheme we write and accept.
pub const ED25519: &str = "ed25519";

/// The `keyval` of a key object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyVal {
    /// The 32-byte public key, 64 lowercase hex characters.
    pub public: String,
}

/// A TUF public key object. Only the three fields that make up the keyid: anything else would
/// change the keyid older clients recompute (design note §1.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    /// `ed25519`.
    pub keytype: String,
    /// `ed25519`.
    pub scheme: String,
    /// The public key.
    pub keyval: KeyVal,
}

/// The TUF key object of an Ed25519 public key.
pub type Ed25519PublicKey = Key;

impl Key {
    /// The key object of a raw Ed25519 public key.
    pub fn ed25519(public: &[u8; 32]) -> Key {
        Key {
            keytype: ED25519.to_owned(),
            scheme: ED25519.to_owned(),
            keyval: KeyVal {
                public: to_hex(public),
            },
        }
    }

    /// The keyid: lowercase hex sha256 of the canonical JSON of `{keytype, keyval, scheme}`.
    pub fn keyid(&self) -> String {
        // A key object has only strings, so encoding cannot fail; fall back to an empty
        // input rather than panic.
        let bytes = cjson::to_vec(self).unwrap_or_default();
        to_hex(&Sha256::digest(bytes))
    }

    /// The verifying key.
    ///
    /// # Errors
    /// [`TufError::Key`] when the key is not Ed25519 or its public value is not 32 hex bytes
    /// of a valid point.
    pub fn verifying_key(&self) -> Result<VerifyingKey, TufError> {
        if self.keytype != ED25519 || self.scheme != ED25519 {
            return Err(TufError::Key(format!(
                "keytype {} scheme {} is not ed25519/ed25519",
                self.keytype, self.scheme
            )));
        }
        let bytes = decode_hex32(&self.keyval.public)
            .ok_or_else(|| TufError::Key("public key is not 64 lowercase hex characters".into()))?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|_| TufError::Key("public key is not a valid ed25519 point".into()))
    }

    /// Whether `sig` (64 raw bytes) is this key's signature of `msg`.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(vk) = self.verifying_key() else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        vk.verify(msg, &sig).is_ok()
    }
}

/// Decodes exactly 64 lowercase hex characters.
pub(crate) fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// A private Ed25519 key, kept as its 32-byte seed (RFC 8032). Debug output never shows it and
/// the memory is wiped on drop.
#[derive(Clone)]
pub struct Ed25519Seed(SigningKey);

impl fmt::Debug for Ed25519Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ed25519Seed(keyid {})", self.keyid())
    }
}

impl Ed25519Seed {
    /// The key of a 32-byte seed.
    pub fn from_bytes(seed: &[u8; 32]) -> Ed25519Seed {
        Ed25519Seed(SigningKey::from_bytes(seed))
    }

    /// The key of a seed given as 64 hex characters (either case; surrounding whitespace
    /// ignored), as the worker secret `tuf_timestamp_key` and the key files hold it.
    ///
    /// # Errors
    /// [`TufError::Key`] without echoing the input (it is a secret).
    pub fn from_hex(s: &str) -> Result<Ed25519Seed, TufError> {
        let s = s.trim();
        let mut out = [0u8; 32];
        if s.len() != 64 || hex::decode_to_slice(s, &mut out).is_err() {
            return Err(TufError::Key(
                "an ed25519 seed must be 64 hex characters (32 bytes)".into(),
            ));
        }
        Ok(Ed25519Seed::from_bytes(&out))
    }

    /// The raw seed (for writing a key file).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The seed as 64 lowercase hex characters (for writing a key file or a worker secret).
    pub fn to_hex(&self) -> String {
        to_hex(&self.0.to_bytes())
    }

    /// The public key object.
    pub fn public_key(&self) -> Key {
        Key::ed25519(&self.0.verifying_key().to_bytes())
    }

    /// The keyid of the public key.
    pub fn keyid(&self) -> String {
        self.public_key().keyid()
    }

    /// The 64-byte pure Ed25519 signature of `msg` (deterministic).
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyid_matches_the_design_note_example() {
        let key = Key {
            keytype: "ed25519".into(),
            scheme: "ed25519".into(),
            keyval: KeyVal {
                public: "f6a9d708d53357753b301d7fd82089b667e0286e15a003062041e0e661b06601".into(),
            },
        };
        assert_eq!(
            String::from_utf8(cjson::to_vec(&key).expect("cjson")).expect("utf-8"),
            r#"{"keytype":"ed25519","keyval":{"public":"f6a9d708d53357753b301d7fd82089b667e0286e15a003062041e0e661b06601"},"scheme":"ed25519"}"#
        );
        assert_eq!(
            key.keyid(),
            "aec9c436978b40c3667d329635577847c571f154b324747f5efa967684d900a9"
        );
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 §7.1 TEST 1: empty message.
        let seed = Ed25519Seed::from_hex(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        )
        .expect("seed");
        assert_eq!(
            seed.public_key().keyval.public,
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = seed.sign(b"");
        assert_eq!(
            to_hex(&sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(seed.public_key().verify(b"", &sig));
        assert!(!seed.public_key().verify(b"x", &sig));
    }

    #[test]
    fn rejects_bad_seeds_and_keys_without_echoing_them() {
        let err = Ed25519Seed::from_hex("00ff").expect_err("short");
        assert!(!err.to_string().contains("00ff"));
        assert_eq!(
            Ed25519Seed::from_hex(&"zz".repeat(32))
                .err()
                .map(|e| e.to_string()),
            Some("bad key: an ed25519 seed must be 64 hex characters (32 bytes)".to_owned())
        );
        let mut key = Ed25519Seed::from_bytes(&[7; 32]).public_key();
        key.keyval.public = key.keyval.public.to_uppercase();
        let why = |key: &Key| key.verifying_key().err().map(|e| e.to_string());
        assert_eq!(
            why(&key).as_deref(),
            Some("bad key: public key is not 64 lowercase hex characters")
        );
        let mut key = Ed25519Seed::from_bytes(&[7; 32]).public_key();
        key.scheme = "rsassa-pss-sha256".into();
        assert_eq!(
            why(&key).as_deref(),
            Some("bad key: keytype ed25519 scheme rsassa-pss-sha256 is not ed25519/ed25519")
        );
    }

    #[test]
    fn debug_never_shows_the_seed() {
        let seed = Ed25519Seed::from_bytes(&[0x42; 32]);
        let dbg = format!("{seed:?}");
        assert!(!dbg.contains(&seed.to_hex()));
        assert!(dbg.contains(&seed.keyid()));
    }
}
