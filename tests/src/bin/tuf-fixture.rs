//! Adds a TUF repository signed with fixed test keys to a built site (for the benchmarks,
//! until the example's build writes its own): `metadata/1.root.json`, `1.targets.json`,
//! `1.snapshot.json` and `_edge/tuf.json`. Prints the timestamp key's seed (hex) on stdout,
//! for the worker secret's `tuf_timestamp_key`. Test keys only: never for a real repository.
//!
//!     tuf-fixture SITE_DIR PERIOD TTL

use e2e_tests::tuf_repo::{self, Keys};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [site, period, ttl] = args.as_slice() else {
        eprintln!("usage: tuf-fixture SITE_DIR PERIOD TTL");
        return ExitCode::from(2);
    };
    let (Ok(period), Ok(ttl)) = (period.parse::<i64>(), ttl.parse::<i64>()) else {
        eprintln!("tuf-fixture: PERIOD and TTL are whole seconds");
        return ExitCode::from(2);
    };
    let site = Path::new(site);
    let keys = Keys::fixed(0x42);
    tuf_repo::write_root(site, 1, &tuf_repo::root(&keys, 1, &[&keys.root]));
    tuf_repo::publish(site, &keys, 1, period, ttl, e2e_tests::unix_now() - 60);
    println!("{}", keys.timestamp.to_hex());
    ExitCode::SUCCESS
}
