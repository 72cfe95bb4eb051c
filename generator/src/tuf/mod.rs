//! The TUF repository (The Update Framework) the build publishes beside the site when the
//! release repository has a `tuf/` directory: root, targets (one delegated role per app) and
//! snapshot signed offline here, `timestamp.json` signed at the edge. Layout and runbook:
//! `docs/tuf.md`; the pure model is `update_protocol::tuf`.

pub mod keyring;
pub mod repo;
pub mod sign;
pub mod site;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Build options for TUF signing.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TufArgs {
    /// Directory of the offline TUF keys (`root.key`, `targets.key`, `snapshot.key`); without
    /// it, the `TUF_ROOT_KEY`, `TUF_TARGETS_KEY` and `TUF_SNAPSHOT_KEY` variables.
    #[arg(long, env = "TUF_KEYS_DIR")]
    pub tuf_keys: Option<PathBuf>,
    /// Signing time (RFC 3339 or unix seconds) [default: $SOURCE_DATE_EPOCH, else the clock].
    #[arg(long)]
    pub now: Option<String>,
}

impl TufArgs {
    /// The signing time in unix seconds.
    ///
    /// # Errors
    /// When `--now` or `SOURCE_DATE_EPOCH` is not a time.
    pub fn now(&self) -> Result<i64> {
        signing_time(self.now.as_deref())
    }
}

/// `--now` (RFC 3339 or unix seconds), else `SOURCE_DATE_EPOCH`, else the clock.
///
/// # Errors
/// When the given value is not a time.
pub fn signing_time(now: Option<&str>) -> Result<i64> {
    if let Some(n) = now {
        return parse_time(n).with_context(|| {
            format!(
                "--now `{n}` is not a time: give RFC 3339 (2026-01-01T00:00:00Z) or unix seconds"
            )
        });
    }
    if let Ok(v) = std::env::var("SOURCE_DATE_EPOCH") {
        return v
            .trim()
            .parse::<i64>()
            .with_context(|| format!("SOURCE_DATE_EPOCH `{v}` is not unix seconds"));
    }
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("the clock is before 1970")?;
    i64::try_from(d.as_secs()).context("the clock is out of range")
}

fn parse_time(s: &str) -> Result<i64> {
    if let Ok(n) = s.trim().parse::<i64>() {
        return Ok(n);
    }
    Ok(update_protocol::time::Timestamp::parse_rfc3339(s.trim())?.unix_seconds())
}

/// What the build did with TUF, to write back after the site.
#[derive(Debug)]
pub struct BuildStep {
    repo: repo::TufRepo,
    outcome: site::TufOutcome,
    dry_run: bool,
}

impl BuildStep {
    /// Writes the new signed metadata and state into `tuf/` (nothing on a dry run, nothing
    /// when no role was re-signed) and logs what CI must commit.
    ///
    /// # Errors
    /// Fails on I/O errors.
    pub fn save(&self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        self.repo
            .save_signed(&self.outcome.signed, &self.outcome.state)?;
        if !self.outcome.resigned.is_empty() {
            log::info!(
                "-> TUF: signed {} in {}: commit it",
                self.outcome.resigned.join(", "),
                self.repo.dir.display()
            );
        }
        Ok(())
    }

    /// Roles signed in this run.
    pub fn resigned(&self) -> &[String] {
        &self.outcome.resigned
    }
}

/// Adds the TUF repository to the plan when `root/tuf/` exists.
///
/// # Errors
/// Bad TUF state, unsafe target paths, or a missing key when something must be signed.
pub fn build_step(
    plan: &mut crate::plan::Plan,
    root: &Path,
    args: &TufArgs,
    dry_run: bool,
) -> Result<Option<BuildStep>> {
    let Some(repo) = repo::TufRepo::open(root)? else {
        if args.tuf_keys.is_some() {
            bail!(
                "--tuf-keys was given but {} has no tuf/ directory\n  hint: run `generator tuf init --root {}` first",
                root.display(),
                root.display()
            );
        }
        return Ok(None);
    };
    let ring = keyring::KeyRing::load(args.tuf_keys.as_deref(), repo.keys_dir().as_deref())?;
    let ctx = sign::SignCtx {
        now: args.now()?,
        config: &repo.config,
        ring: &ring,
        dry_run,
        force: false,
    };
    let outcome = site::apply(plan, &repo, &ctx)?;
    Ok(Some(BuildStep {
        repo,
        outcome,
        dry_run,
    }))
}
