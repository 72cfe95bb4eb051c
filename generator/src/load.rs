//! Reads the release repository: `site.toml`, `apps/*.toml` and `releases/<app>/**/*.toml`.
//! Parse errors become [`Problem`]s that name the file, the line and the field.

use crate::problem::{Problem, Problems};
use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use update_protocol::manifest::{AppManifest, ReleaseManifest, SiteConfig};

/// Largest manifest we read: a release manifest is a few KiB; anything far bigger is a mistake.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// A parsed manifest and where it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// Path relative to the root, with `/` separators (for messages).
    pub rel: String,
    /// Path on disk.
    pub path: PathBuf,
    /// The manifest.
    pub value: T,
}

/// Everything read from the release repository.
#[derive(Debug)]
pub struct Input {
    /// Root directory.
    pub root: PathBuf,
    /// `site.toml`, or defaults.
    pub site: SiteConfig,
    /// Apps, sorted by file.
    pub apps: Vec<Sourced<AppManifest>>,
    /// Releases, sorted by file.
    pub releases: Vec<Sourced<ReleaseManifest>>,
    /// Ids (file stems) of app manifests that failed to parse.
    pub broken_apps: Vec<String>,
}

/// Reads and parses every manifest under `root`, collecting parse problems.
///
/// # Errors
/// Fails only on I/O errors that make the repository unreadable (a missing `apps/`
/// directory is a problem, not an error).
pub fn load(root: &Path, problems: &mut Problems) -> Result<Input> {
    let site_path = root.join("site.toml");
    let site = if site_path.exists() {
        parse_file::<SiteConfig>(root, &site_path, problems)?.unwrap_or_default()
    } else {
        SiteConfig::default()
    };

    let apps_dir = root.join("apps");
    if !apps_dir.is_dir() {
        problems.push(
            Problem::new("apps/", "", "directory not found").hint(format!(
                "create {} with one <app-id>.toml per app",
                apps_dir.display()
            )),
        );
    }
    let app_files = toml_files(root, &apps_dir, 1)?;
    let release_files = toml_files(root, &root.join("releases"), usize::MAX)?;

    let stems: Vec<String> = app_files
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    let apps: Vec<Sourced<AppManifest>> = parse_all(root, app_files, problems)?;
    let broken_apps = stems
        .into_iter()
        .filter(|s| {
            !apps
                .iter()
                .any(|a| a.path.file_stem().and_then(|x| x.to_str()) == Some(s))
        })
        .collect();
    let releases = parse_all(root, release_files, problems)?;
    Ok(Input {
        root: root.to_owned(),
        site,
        apps,
        releases,
        broken_apps,
    })
}

fn toml_files(root: &Path, dir: &Path, depth: usize) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .max_depth(depth)
        .sort_by_file_name()
    {
        let entry = entry.with_context(|| format!("failed to list {}", dir.display()))?;
        let hidden = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with('.'));
        if entry.file_type().is_file()
            && !hidden
            && entry.path().extension().is_some_and(|e| e == "toml")
        {
            files.push(entry.into_path());
        }
    }
    let _ = root;
    Ok(files)
}

fn parse_all<T: DeserializeOwned + Send>(
    root: &Path,
    files: Vec<PathBuf>,
    problems: &mut Problems,
) -> Result<Vec<Sourced<T>>> {
    let parsed: Vec<(PathBuf, Result<std::result::Result<T, Problem>>)> = files
        .into_par_iter()
        .map(|path| {
            let r = read_and_parse::<T>(root, &path);
            (path, r)
        })
        .collect();
    let mut out = Vec::with_capacity(parsed.len());
    for (path, r) in parsed {
        match r? {
            Ok(value) => out.push(Sourced {
                rel: rel_path(root, &path),
                path,
                value,
            }),
            Err(p) => problems.push(p),
        }
    }
    Ok(out)
}

fn parse_file<T: DeserializeOwned>(
    root: &Path,
    path: &Path,
    problems: &mut Problems,
) -> Result<Option<T>> {
    Ok(match read_and_parse::<T>(root, path)? {
        Ok(v) => Some(v),
        Err(p) => {
            problems.push(p);
            None
        }
    })
}

fn read_and_parse<T: DeserializeOwned>(
    root: &Path,
    path: &Path,
) -> Result<std::result::Result<T, Problem>> {
    let rel = rel_path(root, path);
    let len = std::fs::metadata(path)
        .with_context(|| format!("failed to read manifest {}", path.display()))?
        .len();
    if len > MAX_MANIFEST_BYTES {
        return Ok(Err(Problem::new(
            rel,
            "",
            format!("manifest is {len} bytes, more than the {MAX_MANIFEST_BYTES} allowed"),
        )
        .hint(
            "keep artifacts out of manifests; refer to them with `file` or `url`",
        )));
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read manifest {}", path.display()))?;
    Ok(parse_toml(&rel, &text))
}

/// Parses TOML text, turning an error into a problem that names the line and the field.
pub fn parse_toml<T: DeserializeOwned>(rel: &str, text: &str) -> std::result::Result<T, Problem> {
    toml::from_str::<T>(text).map_err(|e| {
        let (field, line) = match e.span() {
            Some(span) => field_at(text, span.start),
            None => (String::new(), None),
        };
        let msg = e.message().trim().to_owned();
        let message = match line {
            Some(l) => format!("line {l}: {msg}"),
            None => msg,
        };
        Problem::new(rel, field, message).hint(hint_for(&e))
    })
}

fn hint_for(e: &toml::de::Error) -> String {
    let m = e.message();
    if m.contains("unknown field") {
        "remove the field or fix its spelling; `generator schema` prints every field".to_owned()
    } else if m.contains("missing field") {
        "add the field; docs/manifest.md describes each one".to_owned()
    } else {
        "fix the value; docs/manifest.md describes each field".to_owned()
    }
}

/// The dotted field path and 1-based line of the byte offset `pos`: the key on that line,
/// prefixed with the nearest `[table]` or `[[array]]` header above it (with an index for
/// arrays of tables).
fn field_at(text: &str, pos: usize) -> (String, Option<usize>) {
    let pos = pos.min(text.len());
    let line_no = text[..pos].matches('\n').count() + 1;
    let mut table = String::new();
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut key = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(h) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let h = h.trim().to_owned();
            let n = counts.entry(h.clone()).or_insert(0);
            table = format!("{h}[{n}]");
            *n += 1;
        } else if let Some(h) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = h.trim().to_owned();
        }
        if i + 1 == line_no {
            if let Some((k, _)) = t.split_once('=').filter(|_| !t.starts_with('[')) {
                key = k.trim().trim_matches('"').to_owned();
            }
            break;
        }
    }
    let field = match (table.is_empty(), key.is_empty()) {
        (true, _) => key,
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    };
    (field, Some(line_no))
}

/// `path` relative to `root` with `/` separators.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use update_protocol::manifest::ReleaseManifest;

    #[test]
    fn parse_error_names_field_and_line() {
        let text = "app = \"a\"\nversion = \"1.0.0\"\npublished_at = \"2026-01-01T00:00:00Z\"\n\n[[artifacts]]\nfile = \"x\"\n\n[[artifacts]]\nrole = \"main\"\n";
        let p = parse_toml::<ReleaseManifest>("releases/a/1.toml", text).expect_err("bad role");
        assert_eq!(p.field, "artifacts[1].role");
        assert!(p.message.starts_with("line 9:"), "{}", p.message);
    }

    #[test]
    fn unknown_field_is_named() {
        let text = "app = \"a\"\nversion = \"1.0.0\"\npublished_at = \"2026-01-01T00:00:00Z\"\nrollot = 5\n";
        let p = parse_toml::<ReleaseManifest>("r.toml", text).expect_err("typo");
        assert_eq!(p.field, "rollot");
        assert!(p.message.contains("unknown field"), "{}", p.message);
    }
}
