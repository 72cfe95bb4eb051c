//! `generator validate`: every check of `build`, including artifact digests, without writing
//! the site.

use crate::cli::{InputArgs, OutputFormat};
use anyhow::Result;

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Input options.
    #[command(flatten)]
    pub input: InputArgs,
}

impl ValidateArgs {
    /// Runs the command.
    ///
    /// # Errors
    /// Fails when the input has problems or cannot be read.
    pub fn run(self) -> Result<()> {
        let checked = match super::check(&self.input, None) {
            Ok(c) => c,
            Err(e) => {
                super::report_failure(self.input.format, &e);
                return Err(e);
            }
        };
        let c = checked.plan.counts;
        match self.input.format {
            OutputFormat::Json => {
                let s = super::Summary {
                    ok: true,
                    counts: Some(c),
                    hashed: Some(checked.hashed),
                    out: None,
                    problems: &[],
                };
                println!("{}", serde_json::to_string_pretty(&s)?);
            }
            OutputFormat::Text => println!(
                "ok: {} apps, {} releases, {} artifacts",
                c.apps, c.releases, c.artifacts
            ),
        }
        Ok(())
    }
}
