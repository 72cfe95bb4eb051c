//! `generator schema`: the JSON Schema of each manifest kind, generated from the types.

use anyhow::{Context, Result};
use clap::ValueEnum;
use std::path::PathBuf;
use update_protocol::manifest::{AppManifest, ReleaseManifest, SiteConfig};

/// Which manifest.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// `releases/<app>/**/*.toml`.
    Release,
    /// `apps/<id>.toml`.
    App,
    /// `site.toml`.
    Site,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Release, Kind::App, Kind::Site];

    fn file_name(self) -> &'static str {
        match self {
            Kind::Release => "release.schema.json",
            Kind::App => "app.schema.json",
            Kind::Site => "site.schema.json",
        }
    }
}

/// Arguments of `schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Which manifest's schema to print.
    #[arg(value_enum, default_value_t = Kind::Release)]
    pub kind: Kind,
    /// Write all three schemas into this directory instead of printing one.
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

/// The schema of `kind` as pretty JSON with a final newline.
pub fn render(kind: Kind) -> String {
    let schema = match kind {
        Kind::Release => schemars::schema_for!(ReleaseManifest),
        Kind::App => schemars::schema_for!(AppManifest),
        Kind::Site => schemars::schema_for!(SiteConfig),
    };
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

impl SchemaArgs {
    /// Runs the command.
    ///
    /// # Errors
    /// Fails when a schema file cannot be written.
    pub fn run(self) -> Result<()> {
        match self.out_dir {
            None => print!("{}", render(self.kind)),
            Some(dir) => {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("failed to create {}", dir.display()))?;
                for kind in Kind::ALL {
                    let path = dir.join(kind.file_name());
                    std::fs::write(&path, render(kind))
                        .with_context(|| format!("failed to write {}", path.display()))?;
                }
            }
        }
        Ok(())
    }
}
