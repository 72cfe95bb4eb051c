//! The root chain (spec 5.3): the one place that decides whether a root metadata file is a
//! root to trust and whether root N+1 may replace root N. The worker walks the deployment's
//! `N.root.json` files with it before it signs a timestamp; the generator checks its root
//! history, each root it signs, and each root a mirror serves with it.

use super::{Metadata, Root, TufError, parse, typed, verify_role};
use serde_json::Value;

/// The most root versions a chain walks (a bound on a deployment's `N.root.json` files).
pub const MAX_ROOT_VERSIONS: u64 = 1024;

/// Why a file is not the next root of the chain. Each names what failed; callers add the
/// file and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// Not TUF metadata, or not a well-formed root.
    #[error(transparent)]
    Invalid(#[from] TufError),
    /// `_type` is not `root`.
    #[error("`_type` is `{found}`, expected `root`")]
    NotRoot {
        /// The `_type` given (empty when absent).
        found: String,
    },
    /// Fewer valid signatures by the previous root's root keys than its threshold (5.3.4).
    #[error("{have} valid signature(s) by root version {previous}'s root keys, {need} required")]
    NotSignedByPrevious {
        /// The trusted root's version.
        previous: u64,
        /// Distinct valid signatures.
        have: usize,
        /// The threshold.
        need: u64,
    },
    /// Fewer valid signatures by its own root keys than its own threshold (5.3.4).
    #[error("{have} valid signature(s) by its own root keys, {need} required")]
    NotSignedBySelf {
        /// Distinct valid signatures.
        have: usize,
        /// The threshold.
        need: u64,
    },
    /// Its version is not the one expected (5.3.5: exactly the trusted one plus one).
    #[error("version is {found}, expected {expected}")]
    Version {
        /// The version required.
        expected: u64,
        /// `signed.version`.
        found: u64,
    },
    /// More than [`MAX_ROOT_VERSIONS`] roots.
    #[error("more than {MAX_ROOT_VERSIONS} root versions")]
    TooLong,
}

/// A threshold of `signer`'s root keys signed `md`.
fn signed_by(md: &Metadata<Value>, signer: &Root) -> Result<(), (usize, u64)> {
    let role = signer.role("root").map_err(|_| (0, 0))?;
    match verify_role(md, &signer.keys, role) {
        Ok(_) => Ok(()),
        Err(TufError::Threshold { have, need, .. }) => Err((have, need)),
        Err(_) => Err((0, role.threshold)),
    }
}

/// Parses `bytes` as root metadata: TUF metadata whose `_type` is `root`, typed as [`Root`].
fn parse_root(bytes: &[u8]) -> Result<(Metadata<Value>, Root), ChainError> {
    let md = parse(bytes)?;
    let found = md.signed.get("_type").and_then(Value::as_str).unwrap_or("");
    if found != "root" {
        return Err(ChainError::NotRoot {
            found: found.to_owned(),
        });
    }
    let root: Root = typed(&md)?;
    root.role("root")?;
    Ok((md, root))
}

/// The newest trusted root of a chain.
#[derive(Debug, Clone)]
pub struct RootChain {
    newest: Root,
}

impl RootChain {
    /// Trusts `bytes` as a client trusts the root it ships with: root metadata signed by a
    /// threshold of its own root keys, of version `version` when one is given (the worker and
    /// the release repository start from `1.root.json`).
    ///
    /// # Errors
    /// [`ChainError`] naming what failed.
    pub fn trust(bytes: &[u8], version: Option<u64>) -> Result<RootChain, ChainError> {
        let (metadata, root) = parse_root(bytes)?;
        if let Some(expected) = version.filter(|v| *v != root.version) {
            return Err(ChainError::Version {
                expected,
                found: root.version,
            });
        }
        signed_by(&metadata, &root)
            .map_err(|(have, need)| ChainError::NotSignedBySelf { have, need })?;
        Ok(RootChain { newest: root })
    }

    /// A chain whose newest root the caller verified already (the release repository's
    /// history, checked when it was opened), to check the root it signs next.
    pub fn resume(newest: Root) -> RootChain {
        RootChain { newest }
    }

    /// Checks that `bytes` may replace the newest root (spec 5.3.4-5.3.5), in the spec's
    /// order: root metadata, signed by a threshold of the newest root's root keys, then by a
    /// threshold of its own, and of exactly the next version. Does not change the chain.
    ///
    /// # Errors
    /// [`ChainError`] naming what failed.
    pub fn check_next(&self, bytes: &[u8]) -> Result<(Metadata<Value>, Root), ChainError> {
        if self.newest.version >= MAX_ROOT_VERSIONS {
            return Err(ChainError::TooLong);
        }
        let (md, root) = parse_root(bytes)?;
        signed_by(&md, &self.newest).map_err(|(have, need)| ChainError::NotSignedByPrevious {
            previous: self.newest.version,
            have,
            need,
        })?;
        signed_by(&md, &root).map_err(|(have, need)| ChainError::NotSignedBySelf { have, need })?;
        let expected = self.newest.version + 1;
        if root.version != expected {
            return Err(ChainError::Version {
                expected,
                found: root.version,
            });
        }
        Ok((md, root))
    }

    /// [`RootChain::check_next`], then makes `bytes` the newest root.
    ///
    /// # Errors
    /// As [`RootChain::check_next`]; the chain is unchanged then.
    pub fn update(&mut self, bytes: &[u8]) -> Result<&Root, ChainError> {
        self.newest = self.check_next(bytes)?.1;
        Ok(&self.newest)
    }

    /// The newest trusted root.
    pub fn newest(&self) -> &Root {
        &self.newest
    }

    /// The newest root, giving up the chain.
    pub fn into_newest(self) -> Root {
        self.newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tuf::{Ed25519Seed, Key, Role, sign_metadata};
    use serde_json::json;
    use std::collections::BTreeMap;

    fn seed(n: u8) -> Ed25519Seed {
        Ed25519Seed::from_bytes(&[n; 32])
    }

    /// Root `version` whose root role is `keys` (threshold `threshold`), signed by `signers`.
    fn root(version: u64, keys: &[u8], threshold: u64, signers: &[u8]) -> Vec<u8> {
        let mut map = BTreeMap::new();
        let mut ids = Vec::new();
        for k in keys {
            let key: Key = seed(*k).public_key();
            ids.push(seed(*k).keyid());
            map.insert(seed(*k).keyid(), key);
        }
        let role = Role {
            keyids: ids,
            threshold,
        };
        let signed = json!({
            "_type": "root", "spec_version": "1.0.31", "version": version,
            "expires": "2030-01-01T00:00:00Z", "consistent_snapshot": true,
            "keys": map,
            "roles": { "root": role, "snapshot": role, "targets": role, "timestamp": role },
        });
        let seeds: Vec<Ed25519Seed> = signers.iter().map(|s| seed(*s)).collect();
        let refs: Vec<&Ed25519Seed> = seeds.iter().collect();
        serde_json::to_vec(&sign_metadata(signed, &refs).expect("sign")).expect("bytes")
    }

    #[test]
    fn trusts_a_self_signed_root_of_the_given_version() {
        let chain = RootChain::trust(&root(1, &[1], 1, &[1]), Some(1)).expect("trusted");
        assert_eq!(chain.newest().version, 1);
        assert_eq!(
            RootChain::trust(&root(2, &[1], 1, &[1]), Some(1)).map(|_| ()),
            Err(ChainError::Version {
                expected: 1,
                found: 2
            })
        );
        assert!(RootChain::trust(&root(2, &[1], 1, &[1]), None).is_ok());
        assert_eq!(
            RootChain::trust(&root(1, &[1], 1, &[2]), None).map(|_| ()),
            Err(ChainError::NotSignedBySelf { have: 0, need: 1 })
        );
        let mut not_root: Value = serde_json::from_slice(&root(1, &[1], 1, &[1])).expect("json");
        not_root["signed"]["_type"] = json!("timestamp");
        let bytes = serde_json::to_vec(&not_root).expect("bytes");
        assert_eq!(
            RootChain::trust(&bytes, None).map(|_| ()),
            Err(ChainError::NotRoot {
                found: "timestamp".into()
            })
        );
        assert!(matches!(
            RootChain::trust(b"<html>", None),
            Err(ChainError::Invalid(_))
        ));
    }

    #[test]
    fn next_root_needs_both_thresholds_and_the_next_version() {
        let mut chain = RootChain::trust(&root(1, &[1], 1, &[1]), Some(1)).expect("trusted");
        // A rotation from key 1 to key 2, signed by both.
        let rotated = root(2, &[2], 1, &[1, 2]);
        // Only the new key: the old root did not agree.
        assert_eq!(
            chain.check_next(&root(2, &[2], 1, &[2])).map(|_| ()),
            Err(ChainError::NotSignedByPrevious {
                previous: 1,
                have: 0,
                need: 1
            })
        );
        // Only the old key: the new root's own keys did not sign it.
        assert_eq!(
            chain.check_next(&root(2, &[2], 1, &[1])).map(|_| ()),
            Err(ChainError::NotSignedBySelf { have: 0, need: 1 })
        );
        // A skipped or repeated version is a rollback or a gap.
        for v in [1, 3] {
            assert_eq!(
                chain.check_next(&root(v, &[2], 1, &[1, 2])).map(|_| ()),
                Err(ChainError::Version {
                    expected: 2,
                    found: v
                })
            );
        }
        assert_eq!(chain.newest().version, 1, "a failed check changes nothing");
        assert_eq!(chain.update(&rotated).map(|r| r.version), Ok(2));
        // Now key 1 alone signs nothing.
        assert!(matches!(
            chain.check_next(&root(3, &[1], 1, &[1])),
            Err(ChainError::NotSignedByPrevious { previous: 2, .. })
        ));
        assert_eq!(
            chain.update(&root(3, &[2], 1, &[2])).map(|r| r.version),
            Ok(3)
        );
    }
}
