//! Command-line interface: global flags and one subcommand per file in `cmd/`.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
    /// TUF keys and metadata: init, rotate a role's key, re-sign before expiry, status.
    Tuf(crate::cmd::tuf::TufArgs),
}

/// Output format of a command's result on stdout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object.
    Json,
}

/// Where the release repository is and how to hash it.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Release repository: holds `site.toml`, `apps/` and `releases/`.
    #[arg(long, default_value = ".")]
    pub root: PathBuf,
    /// Hash cache file [default: ROOT/.generator-cache/hashes.json].
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Hash every artifact, ignoring and not updating the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Result format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

impl InputArgs {
    /// The options the plan needs.
    pub fn plan_options(&self) -> crate::plan::PlanOptions {
        crate::plan::PlanOptions {}
    }

    /// The cache path, or `None` when disabled.
    pub fn cache_path(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        Some(
            self.cache
                .clone()
                .unwrap_or_else(|| self.root.join(".generator-cache").join("hashes.json")),
        )
    }
}
