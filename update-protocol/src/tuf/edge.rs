//! The contract between the build and the edge signer: `_edge/tuf.json`, written by `generator
//! build` next to the static files (so it deploys atomically with them) and read by the worker
//! through its assets binding to sign `timestamp.json` with the seed in the worker secret
//! (`EdgeSecrets::tuf_timestamp_key`).

use super::{Ed25519Seed, MetaFile, TufError, parse_expires, signed_metadata, timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Site path of the contract.
pub const EDGE_TUF_PATH: &str = "_edge/tuf.json";

/// The `schema_version` this code writes and reads.
pub const EDGE_TUF_SCHEMA_VERSION: u32 = 1;

/// `_edge/tuf.json`: what the worker needs to sign `timestamp.json`.
///
/// ```json
/// {"schema_version":1,
///  "snapshot":{"version":4,"length":1234,"hashes":{"sha256":"<hex>"}},
///  "snapshot_expires":"2027-02-21T00:00:00Z",
///  "signed_at":1795000000,
///  "timestamp_keyids":["<keyid>"],
///  "period":60,"ttl":3600}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeTuf {
    /// [`EDGE_TUF_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The current `<S>.snapshot.json`: version, exact length and sha256.
    pub snapshot: MetaFile,
    /// When that snapshot expires (`YYYY-MM-DDTHH:MM:SSZ`); the worker refuses to sign after.
    pub snapshot_expires: String,
    /// Unix seconds the build signed at; the worker refuses to sign when its clock is before.
    pub signed_at: i64,
    /// keyids of root's timestamp role; the worker's seed must be one of them.
    pub timestamp_keyids: Vec<String>,
    /// Window length in seconds (version granularity and `Cache-Control` lifetime).
    pub period: i64,
    /// Extra freshness after the window, in seconds (covers client clock skew).
    pub ttl: i64,
}

impl EdgeTuf {
    /// Parses and checks the contract.
    ///
    /// # Errors
    /// [`TufError::Edge`] when it is not JSON of this shape, has another schema version, a
    /// period below 1, a negative ttl, a snapshot without length or sha256, or a malformed
    /// expiry.
    pub fn parse(bytes: &[u8]) -> Result<EdgeTuf, TufError> {
        let e: EdgeTuf =
            serde_json::from_slice(bytes).map_err(|err| TufError::Edge(err.to_string()))?;
        e.check()?;
        Ok(e)
    }

    /// Checks the fields (see [`EdgeTuf::parse`]).
    ///
    /// # Errors
    /// [`TufError::Edge`] naming the field.
    pub fn check(&self) -> Result<(), TufError> {
        let fail = |m: &str| Err(TufError::Edge(m.to_owned()));
        if self.schema_version != EDGE_TUF_SCHEMA_VERSION {
            return fail("schema_version is not 1: deploy a worker that matches the generator");
        }
        if self.period < 1 {
            return fail("period must be at least 1 second");
        }
        if self.ttl < 0 {
            return fail("ttl must not be negative");
        }
        if self.snapshot.version == 0
            || self.snapshot.length.is_none()
            || self.snapshot.hashes.is_none()
        {
            return fail("snapshot needs a version above 0, a length and hashes.sha256");
        }
        if self.timestamp_keyids.is_empty() {
            return fail("timestamp_keyids is empty");
        }
        parse_expires(&self.snapshot_expires)
            .map_err(|_| TufError::Edge("snapshot_expires is not YYYY-MM-DDTHH:MM:SSZ".into()))?;
        Ok(())
    }

    /// The timestamp payload at `now_unix` ([`timestamp`] with this period and ttl).
    ///
    /// # Errors
    /// [`TufError::ClockBeforeBuild`] when `now_unix < signed_at`,
    /// [`TufError::SnapshotExpired`] at or after `snapshot_expires`, [`TufError::Edge`] when
    /// the contract is malformed.
    pub fn timestamp_signed(&self, now_unix: i64) -> Result<Value, TufError> {
        self.check()?;
        if now_unix < self.signed_at {
            return Err(TufError::ClockBeforeBuild {
                now: now_unix,
                signed_at: self.signed_at,
            });
        }
        if now_unix >= parse_expires(&self.snapshot_expires)? {
            return Err(TufError::SnapshotExpired {
                expires: self.snapshot_expires.clone(),
            });
        }
        Ok(timestamp(now_unix, self.period, self.ttl, &self.snapshot))
    }

    /// The bytes of `timestamp.json` at `now_unix`, signed with `seed`.
    ///
    /// # Errors
    /// As [`EdgeTuf::timestamp_signed`], plus [`TufError::WrongTimestampKey`] when the seed is
    /// not one of `timestamp_keyids`.
    pub fn sign_timestamp(&self, now_unix: i64, seed: &Ed25519Seed) -> Result<Vec<u8>, TufError> {
        let keyid = seed.keyid();
        if !self.timestamp_keyids.contains(&keyid) {
            return Err(TufError::WrongTimestampKey { keyid });
        }
        signed_metadata(&self.timestamp_signed(now_unix)?, seed)
    }

    /// Seconds until the current window ends: the `max-age` of a served timestamp, so no
    /// cache serves it past its window.
    pub fn max_age(&self, now_unix: i64) -> i64 {
        let p = self.period.max(1);
        p - now_unix.rem_euclid(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuf::{format_expires, parse};

    fn contract(seed: &Ed25519Seed) -> EdgeTuf {
        EdgeTuf {
            schema_version: 1,
            snapshot: MetaFile::of_bytes(4, b"snapshot"),
            snapshot_expires: format_expires(2_000_000_000),
            signed_at: 1_800_000_000,
            timestamp_keyids: vec![seed.keyid()],
            period: 60,
            ttl: 3600,
        }
    }

    #[test]
    fn round_trips_and_signs() {
        let seed = Ed25519Seed::from_bytes(&[3; 32]);
        let c = contract(&seed);
        let bytes = serde_json::to_vec(&c).expect("json");
        assert_eq!(EdgeTuf::parse(&bytes).expect("parse"), c);
        let ts = c.sign_timestamp(1_800_000_030, &seed).expect("sign");
        let md = parse(&ts).expect("metadata");
        assert_eq!(md.signed["meta"]["snapshot.json"]["version"], 4);
        assert_eq!(c.max_age(1_800_000_030), 30);
    }

    #[test]
    fn refuses_a_clock_before_the_build_or_after_snapshot_expiry() {
        let seed = Ed25519Seed::from_bytes(&[3; 32]);
        let c = contract(&seed);
        assert!(matches!(
            c.sign_timestamp(1_799_999_999, &seed),
            Err(TufError::ClockBeforeBuild { .. })
        ));
        assert!(matches!(
            c.sign_timestamp(2_000_000_000, &seed),
            Err(TufError::SnapshotExpired { .. })
        ));
    }

    #[test]
    fn refuses_a_key_that_is_not_roots_timestamp_key() {
        let c = contract(&Ed25519Seed::from_bytes(&[3; 32]));
        let other = Ed25519Seed::from_bytes(&[4; 32]);
        assert!(matches!(
            c.sign_timestamp(1_800_000_030, &other),
            Err(TufError::WrongTimestampKey { .. })
        ));
    }

    #[test]
    fn rejects_malformed_contracts() {
        let seed = Ed25519Seed::from_bytes(&[3; 32]);
        let mut c = contract(&seed);
        c.schema_version = 2;
        let edge = |c: &EdgeTuf| match c.check() {
            Err(TufError::Edge(m)) => m,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            edge(&c),
            "schema_version is not 1: deploy a worker that matches the generator"
        );
        let mut c = contract(&seed);
        c.period = 0;
        assert_eq!(edge(&c), "period must be at least 1 second");
        let mut c = contract(&seed);
        c.snapshot.hashes = None;
        assert_eq!(
            edge(&c),
            "snapshot needs a version above 0, a length and hashes.sha256"
        );
        let mut c = contract(&seed);
        c.snapshot_expires = "2030-01-01T00:00:00.5Z".into();
        assert_eq!(edge(&c), "snapshot_expires is not YYYY-MM-DDTHH:MM:SSZ");
        let mut c = contract(&seed);
        c.timestamp_keyids.clear();
        assert_eq!(edge(&c), "timestamp_keyids is empty");
        assert!(matches!(EdgeTuf::parse(b"{}"), Err(TufError::Edge(_))));
    }
}
