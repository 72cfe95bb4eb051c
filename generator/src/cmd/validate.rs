//! `generator validate`: every check of `build`, including artifact digests, without writing
//! the site.

use crate::args::{InputArgs, OutputFormat};
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
        self.execute()
            .inspect_err(|e| super::report_failure(self.input.format, e))
    }

    fn execute(&self) -> Result<()> {
        let checked = super::check(&self.input, None)?;
        let c = checked.plan.counts;
        match self.input.format {
            OutputFormat::Json => checked.print_json(None)?,
            OutputFormat::Text => println!(
                "ok: {} apps, {} releases, {} artifacts",
                c.apps, c.releases, c.artifacts
            ),
        }
        Ok(())
    }
}
