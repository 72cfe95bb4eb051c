//! Deciding, per role, whether the last signed metadata still stands or a new version must be
//! signed: reuse when the content is unchanged, its signatures verify under the current root
//! and it is not due for re-signing; otherwise bump the version, set a new expiry and sign.

use super::keyring::{KeyRing, KeyRole};
use super::repo::{Stored, TufConfig};
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use update_protocol::tuf::{self, Key, Metadata, Role};

/// What a signing run knows.
#[derive(Debug)]
pub struct SignCtx<'a> {
    /// Signing time, unix seconds.
    pub now: i64,
    /// Settings.
    pub config: &'a TufConfig,
    /// Available keys.
    pub ring: &'a KeyRing,
    /// Plan only: a missing key leaves the role unsigned instead of failing.
    pub dry_run: bool,
    /// Re-sign even unchanged content (`tuf resign`).
    pub force: bool,
}

/// One role to settle.
#[derive(Debug)]
pub struct Pending<'a> {
    /// Role name (`targets`, `snapshot`, an app id).
    pub name: &'a str,
    /// Which key signs it.
    pub key: KeyRole,
    /// The signed payload without `version` and `expires`.
    pub content: Value,
    /// The last signed version.
    pub prev: Option<&'a Stored>,
    /// Keys that may sign (root's keys or the delegator's).
    pub keys: &'a BTreeMap<String, Key>,
    /// Keyids and threshold.
    pub role: &'a Role,
}

/// The outcome for one role.
#[derive(Debug, Clone)]
pub struct Settled {
    /// The metadata to publish.
    pub stored: Stored,
    /// Whether it was signed in this run.
    pub signed_now: bool,
}

/// Reuses or signs one role (see the module doc).
///
/// # Errors
/// When it must be signed and no key of the role is available (naming the file, the variable
/// and the fix), or when the content has no canonical form.
pub fn settle(ctx: &SignCtx<'_>, p: Pending<'_>) -> Result<Settled> {
    let what = format!("{}.json", p.name);
    if let Some(prev) = p.prev {
        let unchanged = prev.content() == p.content;
        let verifies = tuf::verify_role(&prev.md, p.keys, p.role).is_ok();
        let due = ctx.config.due(prev.expires, ctx.now);
        let can_sign = !ctx.ring.signers(p.key, &p.role.keyids).is_empty();
        if unchanged && verifies && !ctx.force && !(due && can_sign) {
            if prev.expires <= ctx.now {
                log::warn!(
                    "{what} expired at {}: run `generator tuf resign` with the {} and snapshot keys",
                    tuf::format_expires(prev.expires),
                    p.key.name()
                );
            }
            return Ok(Settled {
                stored: prev.clone(),
                signed_now: false,
            });
        }
    }
    let version = p.prev.map_or(1, |s| s.version + 1);
    if version > tuf::MAX_SAFE_INTEGER {
        anyhow::bail!(
            "{what}: version {version} is above 2^53-1, which tuf-js cannot read\n  hint: the \
             state in tuf/signed/ was edited by hand; restore it from git"
        );
    }
    let mut signed = p.content;
    let obj = signed
        .as_object_mut()
        .context("metadata content is not an object")?;
    obj.insert("version".into(), Value::from(version));
    obj.insert(
        "expires".into(),
        Value::from(tuf::format_expires(
            ctx.config.expires_at(p.key.name(), ctx.now),
        )),
    );
    let seeds = ctx.ring.signers(p.key, &p.role.keyids);
    let threshold = usize::try_from(p.role.threshold).unwrap_or(usize::MAX);
    if seeds.len() < threshold {
        if ctx.dry_run {
            log::warn!("dry run: {what} would need the {} key", p.key.name());
        } else {
            return Err(ctx.ring.missing(
                p.key,
                &format!("{what} (version {version}, its content changed or it is due)"),
                &p.role.keyids,
            ));
        }
    }
    let md: Metadata<Value> = if seeds.len() >= threshold {
        tuf::sign_metadata(signed, &seeds)?
    } else {
        Metadata {
            signed,
            signatures: Vec::new(),
        }
    };
    Ok(Settled {
        stored: Stored::from_md(md)?,
        signed_now: true,
    })
}
