//! Command-line interface: global flags and one subcommand per file in `cmd/`.

use clap::{Parser, Subcommand};

/// Compiles release manifests into a static update site and the edge worker's data.
#[derive(Debug, Parser)]
#[command(name = "generator", version, about, long_about = None)]
pub struct Cli {
    /// Only print warnings and errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every manifest and artifact, reporting all problems at once.
    Validate(crate::cmd::validate::ValidateArgs),
    /// Build the static site (atomically: a failed build leaves the previous site intact).
    Build(crate::cmd::build::BuildArgs),
    /// Print the JSON Schema of a manifest kind, for editors and CI checks.
    Schema(crate::cmd::schema::SchemaArgs),
    /// Create, import, list, revoke, rotate and export the credentials the edge checks.
    Keys(crate::cmd::keys::KeysArgs),
    /// Print the edge's telemetry: DAU/WAU/MAU, installs by version, update events, errors.
    Stats(crate::cmd::stats::StatsArgs),
    /// Pause, resume, halt or re-percent a release at the edge at once (or show an app's
    /// rollout control).
    Rollout(crate::cmd::rollout::RolloutArgs),
    /// Add a build (APK, IPA or any file) to the release repository, then validate it.
    Publish(Box<crate::cmd::publish::PublishArgs>),
    /// Check a mirror's copy (directory or URL) against a trusted TUF root: chain, every target, nothing extra.
    Verify(crate::cmd::verify::VerifyArgs),
    /// TUF keys and metadata: init, rotate a role's key, re-sign before expiry, status.
    Tuf(crate::cmd::tuf::TufArgs),
}
