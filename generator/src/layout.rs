//! The two trees a build writes (docs/site-layout.md): the public site (what mirrors and CDNs
//! copy) and, beside it, the worker tree (what `wrangler deploy` uploads as the worker's
//! assets: the public files plus the edge-only data). Which path goes where, and where the
//! worker tree of a site is by default.

use std::path::{Component, Path, PathBuf};
use update_protocol::index::paths;

/// What the default worker tree's name adds to the site's: `site` → `site-edge`.
pub const WORKER_TREE_SUFFIX: &str = "-edge";

/// The worker tree of the site at `site` when none is given: the sibling directory named like
/// the site with [`WORKER_TREE_SUFFIX`] (`site` → `site-edge`, `out/site/` → `out/site-edge`).
/// Every command that takes a site finds its edge data here unless told otherwise, so that the
/// rule lives in this one place.
pub fn worker_tree_for(site: &Path) -> PathBuf {
    // `site/` and `./site/.` are `site`; `.`, `..` and `a/..` have no name of their own, so
    // they are named after the directory they stand for (`.` in `/srv/www` → `/srv/www-edge`).
    let mut site: PathBuf = site.components().collect();
    if site.file_name().is_none()
        && let Ok(abs) = std::path::absolute(&site)
    {
        site = PathBuf::new();
        for c in abs.components() {
            match c {
                Component::ParentDir => {
                    site.pop();
                }
                Component::CurDir => {}
                c => site.push(c),
            }
        }
    }
    let name = site
        .file_name()
        .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
    site.with_file_name(format!("{name}{WORKER_TREE_SUFFIX}"))
}

/// Whether the site path `rel` belongs to the worker tree only: the edge-only data under
/// `_edge/` and the deploy ignore list `.assetsignore` (a `wrangler deploy` setting that means
/// nothing to a mirror). Every other file is public and goes into both trees.
pub fn worker_only(rel: &str) -> bool {
    paths::is_edge(rel) || rel == paths::ASSETS_IGNORE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_tree_is_the_sites_sibling() {
        for (site, want) in [
            ("site", "site-edge"),
            ("site/", "site-edge"),
            ("./site/.", "./site-edge"),
            ("out/site", "out/site-edge"),
            ("/srv/www/public", "/srv/www/public-edge"),
        ] {
            assert_eq!(
                worker_tree_for(Path::new(site)),
                PathBuf::from(want),
                "{site}"
            );
        }
        let cwd = std::env::current_dir().expect("cwd");
        let name = cwd
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let sibling = cwd.with_file_name(format!("{name}-edge"));
        assert_eq!(worker_tree_for(Path::new(".")), sibling);
        assert_eq!(worker_tree_for(&cwd.join("x/..")), sibling);
    }

    #[test]
    fn only_edge_data_and_the_deploy_ignore_list_are_worker_only() {
        for rel in [
            "_edge/lookup.json",
            "_edge/apps/a.json",
            "_edge/tuf.json",
            "_edge/artifacts/a/1.0/x.zip",
            ".assetsignore",
        ] {
            assert!(worker_only(rel), "{rel}");
        }
        for rel in [
            "index.json",
            "_headers",
            "snapshot.json",
            "_edgy.json",
            "apps/_edge/index.json",
            "artifacts/a/1.0/x.zip",
            "metadata/1.root.json",
        ] {
            assert!(!worker_only(rel), "{rel}");
        }
    }
}
