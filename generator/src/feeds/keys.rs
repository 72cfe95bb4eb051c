//! The publisher's signing keys for the feeds: a Sparkle EdDSA key and a Tauri (minisign)
//! key, from a file or an environment variable. Key material never leaves this module except
//! as signatures; errors name where the key came from, never its content. The part of a
//! signature that an artifact's bytes decide is a [`FileSignature`], made by the hash pass
//! while it reads the file and cached with its digests.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use blake2::{Blake2b512, Digest};
use ed25519_dalek::{Signer, SigningKey};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use update_protocol::digest::to_hex;

/// Environment variable holding a Sparkle private key (base64, as `generate_keys -x` exports).
pub const SPARKLE_KEY_ENV: &str = "SPARKLE_ED_PRIVATE_KEY";
/// Environment variable holding a Tauri private key, or its path (as the Tauri CLI reads it).
pub const TAURI_KEY_ENV: &str = "TAURI_SIGNING_PRIVATE_KEY";
/// Environment variable holding the Tauri private key's password.
pub const TAURI_PASSWORD_ENV: &str = "TAURI_SIGNING_PRIVATE_KEY_PASSWORD";

/// The signing keys a build was given (command line or environment).
#[derive(Clone, Default)]
pub struct FeedOptions {
    /// Sparkle EdDSA private key.
    pub sparkle_key: Option<KeySource>,
    /// Tauri (minisign) private key.
    pub tauri_key: Option<KeySource>,
    /// Password of the Tauri key.
    pub tauri_password: Option<String>,
}

impl fmt::Debug for FeedOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only where the keys come from: the environment form holds the key itself.
        f.debug_struct("FeedOptions")
            .field("sparkle_key", &self.sparkle_key)
            .field("tauri_key", &self.tauri_key)
            .field("tauri_password", &self.tauri_password.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Where a key comes from.
#[derive(Clone)]
pub enum KeySource {
    /// A file given on the command line (`--sparkle-key`, `--tauri-key`).
    File {
        /// The option that named it.
        option: &'static str,
        /// Its path.
        path: PathBuf,
    },
    /// The content of an environment variable.
    Env {
        /// The variable's name.
        name: &'static str,
        /// Its value (the key, or for Tauri a path to it).
        value: String,
    },
}

impl KeySource {
    /// Where the key came from, for problems (never its content).
    pub fn label(&self) -> String {
        match self {
            KeySource::File { option, path } => format!("{option} {}", path.display()),
            KeySource::Env { name, .. } => format!("environment variable {name}"),
        }
    }

    /// The key's text. A Tauri variable may hold a path to the key instead of the key.
    fn text(&self) -> Result<String, String> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        match self {
            KeySource::File { path, .. } => read(path),
            KeySource::Env { name, value } if *name == TAURI_KEY_ENV => {
                let p = Path::new(value.trim());
                if !value.trim().is_empty() && value.len() < 4096 && p.is_file() {
                    read(p)
                } else {
                    Ok(value.clone())
                }
            }
            KeySource::Env { value, .. } => Ok(value.clone()),
        }
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The environment form holds the key itself: show only where it came from.
        f.write_str(&self.label())
    }
}

/// An Ed25519 signature over an artifact: for Sparkle over its bytes (the whole
/// `sparkle:edSignature`), for Tauri over their BLAKE2b-512 (the file signature inside the
/// minisign signature file, whose trusted comment is signed by [`TauriKey::signature`]).
/// Ed25519 is deterministic, so a cached one is the one signing again would make. Serialized
/// as base64.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileSignature([u8; 64]);

impl FileSignature {
    /// Base64, as `sparkle:edSignature` holds it.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0)
    }
}

impl TryFrom<String> for FileSignature {
    type Error = String;
    fn try_from(b64: String) -> Result<Self, String> {
        let bytes = B64.decode(b64.trim()).map_err(|e| e.to_string())?;
        bytes
            .try_into()
            .map(FileSignature)
            .map_err(|_| "not 64 bytes".to_owned())
    }
}

impl From<FileSignature> for String {
    fn from(s: FileSignature) -> String {
        s.to_base64()
    }
}

impl fmt::Debug for FileSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileSignature({})", self.to_base64())
    }
}

/// The hash that Tauri signs instead of the file's bytes (minisign's prehashed mode), fed by
/// the hash pass.
pub type TauriPrehash = Blake2b512;

/// A short id of a public key, naming the key a cached signature was made with (changing the
/// key makes the build sign again).
fn fingerprint(public: &[u8]) -> String {
    to_hex(&sha2::Sha256::digest(public)[..8])
}

/// A Sparkle EdDSA (Ed25519) private key.
pub struct SparkleKey(SigningKey);

impl SparkleKey {
    /// Reads the key: the base64 of its 32-byte seed, as Sparkle's `generate_keys -x FILE`
    /// exports it.
    ///
    /// # Errors
    /// A message saying what is wrong with the key (not the key).
    pub fn load(source: &KeySource) -> Result<SparkleKey, String> {
        Self::parse(&source.text()?)
    }

    /// Parses the base64 seed.
    ///
    /// # Errors
    /// When the text is not the base64 of 32 bytes.
    pub fn parse(text: &str) -> Result<SparkleKey, String> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|_| "is not base64".to_owned())?;
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "holds {} bytes, not the 32-byte seed `generate_keys -x` exports",
                bytes.len()
            )
        })?;
        Ok(SparkleKey(SigningKey::from_bytes(&seed)))
    }

    /// The public key, base64, as `SUPublicEDKey` in the app's Info.plist holds it.
    pub fn public_base64(&self) -> String {
        B64.encode(self.0.verifying_key().as_bytes())
    }

    /// `sparkle:edSignature`: the base64 Ed25519 signature of the archive's bytes.
    pub fn sign(&self, data: &[u8]) -> String {
        self.sign_file(data).to_base64()
    }

    /// The Ed25519 signature of the archive's bytes.
    pub fn sign_file(&self, data: &[u8]) -> FileSignature {
        FileSignature(self.0.sign(data).to_bytes())
    }

    /// The id of the key, for the signature cache.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.0.verifying_key().as_bytes())
    }
}

/// A Tauri updater private key: a minisign secret key.
pub struct TauriKey {
    keynum: [u8; 8],
    key: SigningKey,
}

impl TauriKey {
    /// Reads the key as `tauri signer generate` writes it (the base64 of a minisign secret key
    /// file) or as the minisign file itself, decrypting it with `password` (empty for none).
    ///
    /// # Errors
    /// A message saying what is wrong (a wrong password, not a minisign key).
    pub fn load(source: &KeySource, password: &str) -> Result<TauriKey, String> {
        Self::parse(&source.text()?, password)
    }

    /// Parses the key text.
    ///
    /// # Errors
    /// As [`TauriKey::load`].
    pub fn parse(text: &str, password: &str) -> Result<TauriKey, String> {
        let text = text.trim();
        let boxed = if text.starts_with("untrusted comment:") {
            text.to_owned()
        } else {
            let raw = B64
                .decode(text)
                .map_err(|_| "is neither a minisign secret key nor the base64 of one".to_owned())?;
            String::from_utf8(raw)
                .map_err(|_| "does not decode to a minisign key file".to_owned())?
        };
        let sk = minisign::SecretKeyBox::from_string(&boxed)
            .and_then(|b| b.into_secret_key(Some(password.to_owned())))
            .map_err(|e| format!("cannot be read as a minisign secret key ({e})"))?;
        // Layout of a decrypted minisign secret key: algorithm ids (6), KDF salt and limits
        // (48), key id (8), Ed25519 secret key (seed 32 + public key 32), checksum (32).
        let bytes = sk.to_bytes();
        let (Some(keynum), Some(seed)) = (bytes.get(54..62), bytes.get(62..94)) else {
            return Err("has an unexpected length".to_owned());
        };
        let keynum: [u8; 8] = keynum.try_into().map_err(|_| "bad key id".to_owned())?;
        let seed: [u8; 32] = seed.try_into().map_err(|_| "bad key".to_owned())?;
        Ok(TauriKey {
            keynum,
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The public key as Tauri's `plugins.updater.pubkey` holds it: the base64 of a minisign
    /// public key file.
    pub fn public_base64(&self) -> String {
        let mut raw = b"Ed".to_vec();
        raw.extend_from_slice(&self.keynum);
        raw.extend_from_slice(self.key.verifying_key().as_bytes());
        let file = format!(
            "untrusted comment: minisign public key: {}\n{}\n",
            self.key_id(),
            B64.encode(raw)
        );
        B64.encode(file)
    }

    fn key_id(&self) -> String {
        // minisign prints the key id as the little-endian number in upper-case hex.
        let mut id = self.keynum;
        id.reverse();
        hex::encode_upper(id)
    }

    /// The Tauri `signature`: the base64 of a minisign signature file of `data` (prehashed with
    /// BLAKE2b-512, as `tauri signer sign` makes them), with `trusted` as its trusted comment.
    /// Unlike minisign's own signer this one is deterministic, so that builds are
    /// reproducible.
    ///
    /// # Errors
    /// When `data` cannot be read.
    pub fn sign(&self, mut data: impl Read, trusted: &str) -> std::io::Result<String> {
        let mut hasher = TauriPrehash::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = data.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(self.signature(&self.sign_prehash(hasher), trusted))
    }

    /// The file signature of the file whose bytes fed `prehash`.
    pub fn sign_prehash(&self, prehash: TauriPrehash) -> FileSignature {
        FileSignature(self.key.sign(&prehash.finalize()).to_bytes())
    }

    /// The id of the key, for the signature cache.
    pub fn fingerprint(&self) -> String {
        let mut public = self.keynum.to_vec();
        public.extend_from_slice(self.key.verifying_key().as_bytes());
        fingerprint(&public)
    }

    /// The Tauri `signature` from the file signature [`TauriKey::sign_prehash`] made: the
    /// minisign signature file, with `trusted` as its trusted comment (signed here; it holds
    /// the release's time and file name, not the file's bytes).
    pub fn signature(&self, file: &FileSignature, trusted: &str) -> String {
        let sig = file.0;
        let mut body = b"ED".to_vec();
        body.extend_from_slice(&self.keynum);
        body.extend_from_slice(&sig);
        let mut global = sig.to_vec();
        global.extend_from_slice(trusted.as_bytes());
        let global = self.key.sign(&global).to_bytes();
        let file = format!(
            "untrusted comment: signature from tauri secret key\n{}\ntrusted comment: {trusted}\n{}\n",
            B64.encode(body),
            B64.encode(global)
        );
        B64.encode(file)
    }
}

/// Whether `text` is a Tauri signature: the base64 of a minisign signature file.
pub fn is_tauri_signature(text: &str) -> bool {
    B64.decode(text.trim())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|s| minisign::SignatureBox::from_string(&s).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: [u8; 32] = [7; 32];

    #[test]
    fn sparkle_key_reads_the_base64_seed_and_signs_verifiably() {
        let key = SparkleKey::parse(&format!("{}\n", B64.encode(SEED))).expect("key");
        let sig = B64.decode(key.sign(b"archive")).expect("base64");
        let public: [u8; 32] = B64
            .decode(key.public_base64())
            .expect("base64")
            .try_into()
            .expect("32 bytes");
        let vk = ed25519_dalek::VerifyingKey::from_bytes(&public).expect("public key");
        let sig = ed25519_dalek::Signature::from_slice(&sig).expect("signature");
        vk.verify_strict(b"archive", &sig).expect("verifies");
        assert!(vk.verify_strict(b"other", &sig).is_err());
    }

    #[test]
    fn sparkle_key_of_the_wrong_length_is_refused() {
        let err = SparkleKey::parse(&B64.encode([1u8; 64]))
            .err()
            .expect("refused");
        assert!(err.contains("64 bytes"), "{err}");
        assert_eq!(
            SparkleKey::parse("not base64!").err().as_deref(),
            Some("is not base64")
        );
    }

    fn tauri_key_text(password: &str) -> String {
        let kp = minisign::KeyPair::generate_encrypted_keypair(Some(password.to_owned()))
            .expect("keypair");
        let text = kp.sk.to_box(None).expect("box").into_string();
        B64.encode(text)
    }

    #[test]
    fn tauri_signatures_verify_with_minisign_verify_and_are_deterministic() {
        let key = TauriKey::parse(&tauri_key_text(""), "").expect("key");
        let a = key
            .sign(&b"bundle bytes"[..], "timestamp:1\tfile:x")
            .expect("sign");
        let b = key
            .sign(&b"bundle bytes"[..], "timestamp:1\tfile:x")
            .expect("sign");
        assert_eq!(a, b);
        assert!(is_tauri_signature(&a));
        let pk_text =
            String::from_utf8(B64.decode(key.public_base64()).expect("b64")).expect("utf-8");
        let pk = minisign_verify::PublicKey::decode(&pk_text).expect("public key");
        let sig_text = String::from_utf8(B64.decode(&a).expect("b64")).expect("utf-8");
        let sig = minisign_verify::Signature::decode(&sig_text).expect("signature");
        pk.verify(b"bundle bytes", &sig, false).expect("verifies");
        assert!(pk.verify(b"other bytes", &sig, false).is_err());
    }

    #[test]
    fn tauri_key_with_a_wrong_password_is_refused() {
        let text = tauri_key_text("right");
        assert!(TauriKey::parse(&text, "right").is_ok());
        let err = TauriKey::parse(&text, "wrong").err().expect("refused");
        assert!(err.contains("minisign"), "{err}");
        assert!(!is_tauri_signature("not a signature"));
    }
}
