//! The options several commands share (the release repository and how to read it, the result
//! format), apart from the command line that lists the commands, so that `cli` and the
//! commands in `cmd/` both import them and neither imports the other back.

use clap::ValueEnum;
use std::path::PathBuf;

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
    /// Signing keys of the updater feeds.
    #[command(flatten)]
    pub feed_keys: crate::feeds::FeedKeyArgs,
    /// Directory of templates replacing the built-in ones of the same name (docs/pages.md).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

impl InputArgs {
    /// The options the plan needs.
    pub fn plan_options(&self) -> crate::site_model::PlanOptions {
        crate::site_model::PlanOptions {
            feeds: self.feed_keys.options(),
            templates: self
                .templates
                .as_deref()
                .map(crate::templates::Overrides::read)
                .unwrap_or_default(),
        }
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
