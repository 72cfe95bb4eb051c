//! The Update Framework (TUF, spec v1.0.x) as this project writes it: canonical JSON byte-exact
//! with securesystemslib, Ed25519 keys and keyids, the metadata model, and the stateless
//! edge-signed `timestamp.json` with its build-time contract [`EdgeTuf`]. Pure: no clock and no
//! RNG (the caller passes "now"; Ed25519 signing is deterministic), so it builds for wasm.
//! Design: `/work/shared/spec/tuf-edge.md`; layout and runbook: `docs/tuf.md`.
//!
//! ```
//! use update_protocol::tuf::{self, Ed25519Seed, MetaFile};
//! let seed = Ed25519Seed::from_bytes(&[1; 32]);
//! let snapshot = MetaFile::of_bytes(7, b"the bytes of 7.snapshot.json");
//! let a = tuf::signed_metadata(&tuf::timestamp(1_800_000_010, 60, 3600, &snapshot), &seed)?;
//! let b = tuf::signed_metadata(&tuf::timestamp(1_800_000_059, 60, 3600, &snapshot), &seed)?;
//! assert_eq!(a, b); // same window, same bytes
//! # Ok::<(), tuf::TufError>(())
//! ```

pub mod chain;
pub mod cjson;
mod edge;
mod expires;
mod keys;
mod metadata;

pub use chain::{ChainError, MAX_ROOT_VERSIONS, RootChain};
pub use cjson::CjsonError;
pub use edge::{EDGE_TUF_PATH, EDGE_TUF_SCHEMA_VERSION, EdgeTuf};
pub use expires::{format_expires, parse_expires};
pub use keys::{ED25519, Ed25519PublicKey, Ed25519Seed, Key, KeyVal};
pub use metadata::{
    DelegatedRole, Delegations, Hashes, MAX_SAFE_INTEGER, MetaFile, Metadata, Role, RoleType, Root,
    SPEC_VERSION, Signature, Snapshot, TOP_LEVEL_ROLES, TargetFile, Targets, Timestamp,
    canonical_signed, parse, sign, sign_metadata, signed_metadata, to_bytes, typed, verify_role,
};

use serde_json::{Value, json};

/// What went wrong with TUF data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TufError {
    /// No canonical JSON form (a float).
    #[error(transparent)]
    Cjson(#[from] CjsonError),
    /// A key or seed is malformed (never echoes a secret).
    #[error("bad key: {0}")]
    Key(String),
    /// `expires` not exactly `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("expires `{value}` is not of the form YYYY-MM-DDTHH:MM:SSZ")]
    Expires {
        /// The text given.
        value: String,
    },
    /// A role is missing or malformed.
    #[error("{0}")]
    Role(String),
    /// Too few valid signatures.
    #[error("{role} has {have} valid signature(s) of the {need} required")]
    Threshold {
        /// `_type` of the metadata.
        role: String,
        /// Distinct valid signatures from the role's keys.
        have: usize,
        /// The threshold.
        need: u64,
    },
    /// Not TUF metadata JSON.
    #[error("not TUF metadata: {0}")]
    Parse(String),
    /// The edge contract (`_edge/tuf.json`) is malformed.
    #[error("{EDGE_TUF_PATH}: {0}")]
    Edge(String),
    /// The signer's clock is before the build's signing time: a wrong clock could sign a
    /// far-future version that locks clients out (design note §2.3).
    #[error("clock {now} is before the build's signing time {signed_at}: refusing to sign")]
    ClockBeforeBuild {
        /// The signer's time (unix seconds).
        now: i64,
        /// `signed_at` of the contract.
        signed_at: i64,
    },
    /// The snapshot the timestamp would point at has expired: a new build (or `generator tuf
    /// resign`) is needed.
    #[error("snapshot expired at {expires}: re-sign it (generator tuf resign) and deploy")]
    SnapshotExpired {
        /// `snapshot_expires` of the contract.
        expires: String,
    },
    /// The seed is not one of root's timestamp keys.
    #[error("the timestamp key {keyid} is not root's timestamp key: rotate it or fix the secret")]
    WrongTimestampKey {
        /// keyid of the seed given.
        keyid: String,
    },
}

/// Whether `s` is a safe target path: non-empty, only `[A-Za-z0-9._~+/-]`, no leading or
/// trailing `/`, no empty, `.` or `..` segment. Outside this set canonical JSON sort orders
/// and URL quoting differ between clients (design note §3.1).
pub fn is_safe_target_path(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| is_safe_byte(b) || b == b'/')
        && s.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Whether `s` is a safe delegated role name: non-empty, only `[A-Za-z0-9._~+-]` (it becomes
/// the file name `<version>.<name>.json`), not `.`/`..`, and not a top-level role name.
pub fn is_safe_role_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(is_safe_byte)
        && s != "."
        && s != ".."
        && !TOP_LEVEL_ROLES.contains(&s)
}

fn is_safe_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'+' | b'-')
}

/// The signed payload of `timestamp.json` at `now_unix` for `snapshot`, by the stateless
/// window scheme (design note §2.3): `window = floor(now / period)`, `version = window *
/// period` (unix seconds of the window start, so always increasing and at most 2^53-1 for
/// any real clock), `expires = (window + 1) * period + ttl`. A pure function of (window,
/// snapshot): every signer returns byte-identical metadata within a window. `period` below 1
/// counts as 1; a version below 1 (a clock before 1970) is raised to 1.
pub fn timestamp(now_unix: i64, period: i64, ttl: i64, snapshot: &MetaFile) -> Value {
    let period = period.max(1);
    let window = now_unix.div_euclid(period);
    let version = window.saturating_mul(period).max(1);
    let expires = window
        .saturating_add(1)
        .saturating_mul(period)
        .saturating_add(ttl.max(0));
    json!({
        "_type": "timestamp",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": format_expires(expires),
        "meta": {"snapshot.json": snapshot},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(v: u64) -> MetaFile {
        MetaFile::of_bytes(v, format!("snapshot {v}").as_bytes())
    }

    #[test]
    fn timestamp_is_byte_identical_within_a_window() {
        let seed = Ed25519Seed::from_bytes(&[5; 32]);
        let start: i64 = 30_000_000 * 60; // a window start
        let first = signed_metadata(&timestamp(start, 60, 3600, &snap(3)), &seed).expect("sign");
        let last = signed_metadata(&timestamp(start + 59, 60, 3600, &snap(3)), &seed).expect("s");
        assert_eq!(first, last);
        let next = timestamp(start + 60, 60, 3600, &snap(3));
        let this = timestamp(start, 60, 3600, &snap(3));
        assert_eq!(this["version"], start);
        assert_eq!(next["version"], start + 60);
        assert_eq!(this["expires"], format_expires(start + 60 + 3600));
        assert_eq!(next["expires"], format_expires(start + 120 + 3600));
        assert_ne!(signed_metadata(&next, &seed).expect("s"), first);
    }

    #[test]
    fn timestamp_has_exactly_the_fields_clients_reserialise() {
        let t = timestamp(1_800_000_000, 60, 3600, &snap(3));
        let typed: Timestamp = serde_json::from_value(t.clone()).expect("typed");
        assert_eq!(typed.type_, RoleType::Timestamp);
        assert_eq!(typed.meta.len(), 1);
        assert_eq!(typed.meta["snapshot.json"], snap(3));
        assert_eq!(serde_json::to_value(&typed).expect("v"), t);
        let seed = Ed25519Seed::from_bytes(&[5; 32]);
        let md = parse(&signed_metadata(&t, &seed).expect("s")).expect("p");
        let keys = [(seed.keyid(), seed.public_key())].into_iter().collect();
        let role = Role {
            keyids: vec![seed.keyid()],
            threshold: 1,
        };
        assert_eq!(verify_role(&md, &keys, &role).expect("verifies"), 1);
    }

    #[test]
    fn safe_names() {
        for ok in ["index.json", "apps/my-app/1.0.0+b~2/x_y.bin", "a"] {
            assert!(is_safe_target_path(ok), "{ok}");
        }
        for bad in [
            "", "/abs", "trail/", "a//b", "a/../b", "./a", "sp ace", "q\"", "ü", "a\\b", "a%20",
        ] {
            assert!(!is_safe_target_path(bad), "{bad}");
        }
        assert!(is_safe_role_name("my-app.v2"));
        for bad in ["", "root", "targets", "a/b", "..", "x y"] {
            assert!(!is_safe_role_name(bad), "{bad}");
        }
    }
}
