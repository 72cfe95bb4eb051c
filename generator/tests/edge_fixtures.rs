//! The edge data the shared crate's unit tests read (`update-protocol/fixtures/edge/`) is the
//! example's build, byte for byte: a change to the build or the example that changes it fails
//! here until the fixtures are written again with
//! `UPDATE_FIXTURES=1 cargo test -p generator --test edge_fixtures`.

use e2e_tests::repo::Repo;
use std::path::Path;

#[test]
fn the_shared_crates_edge_fixtures_are_the_example_build() {
    let repo = Repo::new(env!("CARGO_BIN_EXE_generator"));
    let site = repo.path("site");
    let o = repo.run("build", &["--out", site.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let edge = repo.path("site-edge/_edge");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../update-protocol/fixtures/edge");
    let mut built: Vec<(String, Vec<u8>)> = vec![(
        "lookup.json".to_owned(),
        std::fs::read(edge.join("lookup.json")).expect("lookup.json"),
    )];
    for entry in std::fs::read_dir(edge.join("apps")).expect("_edge/apps") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        built.push((format!("apps/{name}"), std::fs::read(&path).expect("read")));
    }
    built.sort();
    assert!(built.len() > 5, "the example has six apps");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        for (rel, bytes) in &built {
            let p = fixtures.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, bytes).expect("write fixture");
        }
    }
    for (rel, bytes) in &built {
        let have = std::fs::read(fixtures.join(rel)).unwrap_or_default();
        assert!(
            have == *bytes,
            "update-protocol/fixtures/edge/{rel} is not the example's build: run \
             `UPDATE_FIXTURES=1 cargo test -p generator --test edge_fixtures` and review the diff"
        );
    }
}
