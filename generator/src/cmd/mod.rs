//! One module per subcommand, plus the steps `validate` and `build` share.

pub mod build;
pub mod keys;
pub mod publish;
pub mod rollout;
pub mod schema;
pub mod stats;
pub mod tuf;
pub mod validate;
pub mod verify;

use crate::args::{InputArgs, OutputFormat};
use crate::hash::{self, Cache, Job};
use crate::plan::{self, Plan};
use crate::problem::{InvalidInput, Problem, Problems};
use crate::validate::{Catalog, Source};
use anyhow::Result;
use serde::Serialize;
use std::path::Path;

/// The result of loading, validating, hashing and planning.
pub struct Checked {
    /// The plan of every output file.
    pub plan: Plan,
    /// Hashing counts.
    pub hashed: hash::Stats,
    /// What is valid but likely a mistake (already logged as warnings).
    pub warnings: Vec<Problem>,
}

/// Loads, validates, hashes (copying into `copy_dir` when given) and plans. Every problem of
/// the input is returned together as [`InvalidInput`].
///
/// # Errors
/// [`InvalidInput`] for problems in the input; other errors for I/O failures.
pub fn check(args: &InputArgs, copy_dir: Option<&Path>) -> Result<Checked> {
    let started = std::time::Instant::now();
    let lap = |what: &str| log::debug!("{what} done at {:.0?}", started.elapsed());
    let mut problems = Problems::default();
    let input = crate::load::load(&args.root, &mut problems)?;
    lap("load");
    let Some(catalog) = crate::validate::validate(input, &mut problems) else {
        return Err(InvalidInput(problems.into_sorted()).into());
    };
    lap("validate");
    let warnings = crate::validate::warnings(&catalog);
    for w in &warnings {
        log::warn!("{w}");
    }
    let options = args.plan_options();
    // The feed keys sign in the hash pass, which reads each file once; an unusable key is a
    // problem reported with the plan's.
    let keys = crate::feeds::FeedKeys::load(&catalog.apps, &options.feeds, &mut problems);
    let cache = Cache::load(args.cache_path());
    let jobs = jobs(&catalog, copy_dir);
    let outcome = hash::hash_all(&jobs, &cache, &keys.signers(), copy_dir)?;
    lap("hash");
    let Some(plan) = plan::plan(&catalog, &outcome.files, &keys, &options, &mut problems) else {
        return Err(InvalidInput(problems.into_sorted()).into());
    };
    lap("plan");
    cache.save(&outcome.keep)?;
    Ok(Checked {
        plan,
        hashed: outcome.stats,
        warnings,
    })
}

/// The files to hash. A file on another filesystem than `copy_dir` cannot be hard-linked into
/// the site, so it is marked to be copied during the hash pass.
fn jobs(catalog: &Catalog, copy_dir: Option<&Path>) -> Vec<Job> {
    use std::os::unix::fs::MetadataExt;
    let build_dev = copy_dir
        .and_then(|d| std::fs::metadata(d).ok())
        .map(|m| m.dev());
    let mut jobs = Vec::new();
    for app in &catalog.apps {
        for r in &app.releases {
            for a in &r.artifacts {
                let Source::Local { key, path } = &a.source else {
                    continue;
                };
                jobs.push(Job {
                    key: key.clone(),
                    path: path.clone(),
                    copy: build_dev.is_some_and(|dev| {
                        std::fs::metadata(path).map_or(true, |m| m.dev() != dev)
                    }),
                    wants: crate::feeds::wants(app, r, a),
                });
            }
        }
    }
    jobs
}

/// The JSON printed on stdout for `--format json`.
#[derive(Serialize)]
pub struct Summary<'a> {
    /// Whether the command succeeded.
    pub ok: bool,
    /// Counts of the plan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<plan::Counts>,
    /// Hashing counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashed: Option<hash::Stats>,
    /// Output directory of the public site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<&'a Path>,
    /// Output directory of the worker tree (the public files plus the edge-only data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edge_out: Option<&'a Path>,
    /// Problems found.
    pub problems: &'a [Problem],
    /// Warnings: valid, but likely not what was meant.
    #[serde(skip_serializing_if = "<[Problem]>::is_empty")]
    pub warnings: &'a [Problem],
}

impl Checked {
    /// Prints the success summary as JSON on stdout, with the site and the worker tree
    /// written, if any.
    ///
    /// # Errors
    /// Fails when stdout cannot be written.
    pub fn print_json(&self, outs: Option<(&Path, &Path)>) -> Result<()> {
        let s = Summary {
            ok: true,
            counts: Some(self.plan.counts),
            hashed: Some(self.hashed),
            out: outs.map(|(site, _)| site),
            edge_out: outs.map(|(_, worker)| worker),
            problems: &[],
            warnings: &self.warnings,
        };
        println!("{}", serde_json::to_string_pretty(&s)?);
        Ok(())
    }
}

/// Prints a failed command's problems as JSON when asked (text goes to stderr via `main`).
pub fn report_failure(format: OutputFormat, err: &anyhow::Error) {
    if format == OutputFormat::Json {
        let problems = err
            .downcast_ref::<InvalidInput>()
            .map(|p| p.0.as_slice())
            .unwrap_or(&[]);
        let s = Summary {
            ok: false,
            counts: None,
            hashed: None,
            out: None,
            edge_out: None,
            problems,
            warnings: &[],
        };
        println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
    }
}
