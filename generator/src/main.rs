//! The `generator` binary: parse the command line, run, print the error, exit non-zero.

use clap::Parser;
use generator::cli::{Cli, Command};
use generator::problem::InvalidInput;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    env_logger::Builder::new()
        .filter_level(if cli.quiet {
            log::LevelFilter::Warn
        } else {
            log::LevelFilter::Info
        })
        .format_target(false)
        .format_timestamp(None)
        .parse_env("GENERATOR_LOG")
        .init();
    let result = match cli.command {
        Command::Validate(a) => a.run(),
        Command::Build(a) => a.run(),
        Command::Schema(a) => a.run(),
        Command::Keys(a) => a.run(),
        Command::Stats(a) => a.run(),
        Command::Rollout(a) => a.run(),
        Command::Publish(a) => a.run(),
        Command::Verify(a) => a.run(),
        Command::Tuf(a) => a.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<generator::verify::VerifyFailed>()
                .is_some() =>
        {
            eprintln!("{e}");
            ExitCode::from(1)
        }
        Err(e) if e.downcast_ref::<InvalidInput>().is_some() => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
