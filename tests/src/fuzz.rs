//! Fuzz targets and the stable driver that runs them in every test run.
//!
//! Each target takes arbitrary bytes and must neither panic nor hang: a parser answers bad
//! input with its protocol's error. The same targets run under cargo-fuzz (libFuzzer, nightly)
//! from `fuzz/`; CI runs them here instead, on the stable toolchain (a fresh machine cannot
//! fetch nightly), with [`run`]: seeds from the protocols' documented requests, mutated by a
//! fixed pseudo-random sequence (the same inputs on every run, so a failure reproduces).

use std::panic::{AssertUnwindSafe, catch_unwind};
use update_protocol::routes;
use update_protocol::serve::form_pairs;
use update_protocol::time::Timestamp;
use update_protocol::toolsetlink::updater::{self, Updater};
use update_protocol::toolsetlink::{self as tl, Endpoint, statistics, version};
use update_protocol::{hot_update, license, telemetry, tinyaii, zealot};

/// Every request parser of the five protocols, chosen by the first byte; the rest is the body,
/// query string or path it reads.
pub fn protocol_request(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let endpoint = Endpoint::ALL[usize::from(which) % Endpoint::ALL.len()];
    let updater = if which % 2 == 0 {
        Updater::Tauri
    } else {
        Updater::Electron
    };
    match which % 16 {
        0 => keep(hot_update::parse_body(rest)),
        1 => keep(hot_update::parse_query(form_pairs(&text))),
        2 => keep(license::parse_check(rest)),
        3 => keep(license::parse_package(&text, Some("LIC-1"))),
        4 => keep(tl::parse_upgrade(endpoint, rest)),
        5 => keep(tl::parse_report(rest)),
        6 => keep(tl::parse_download_query(endpoint, &text)),
        7 => keep(version::parse_version(endpoint, rest)),
        8 => keep(statistics::parse_statistics(&text, rest)),
        9 => keep(updater::parse_check(updater, &text)),
        10 => keep(updater::parse_download(updater, &text)),
        11 => keep(tinyaii::parse(rest)),
        12 => keep(telemetry::parse_heartbeat(rest)),
        13 => keep(telemetry::parse_error_report(rest)),
        14 => keep(zealot::Query::from_pairs(form_pairs(&text))),
        _ => {
            // The router, and D's header checks on a timestamp-shaped string.
            for method in ["GET", "POST", "HEAD", "PUT"] {
                keep(routes::route(method, &text));
            }
            let now = Timestamp::from_unix_millis(1_780_000_000_000);
            keep(tl::check_headers(
                Some(&text),
                Some(&text),
                Some("ak"),
                Some("s"),
                now,
            ));
        }
    }
}

/// Seeds for [`protocol_request`]: one documented request per parser.
pub fn protocol_seeds() -> Vec<Vec<u8>> {
    let seeds: [(u8, &str); 16] = [
        (
            0,
            r#"{"currentVersion":"1.0.0","architecture":"arm64-v8a","projectId":"p"}"#,
        ),
        (1, "projectId=p&architectureKey=arm64-v8a&deviceId=d"),
        (
            2,
            r#"{"currentVersion":"1.2.0","licenseKey":"LIC-DEMO0ACTIVE000000000000000000001"}"#,
        ),
        (3, "1.3.0"),
        (
            4,
            r#"{"apkKey":"k","versionCode":1,"appointVersionCode":0,"devModelKey":"m","devKey":"d"}"#,
        ),
        (
            5,
            r#"{"timestamp":"2026-01-01T00:00:00+08:00","eventType":"app_start","appKey":"k","eventData":{"versionCode":1,"code":0,"launchTime":"2026-01-01T00:00:00Z"}}"#,
        ),
        (6, "urlKey=k&versionCode=1&versionId=1"),
        (7, r#"{"winKey":"k","arch":"x64","versionName":"1.0.0"}"#),
        (8, "appKey=k"),
        (
            9,
            "tauriKey=k&target=windows&arch=x86_64&current_version=1.0.0",
        ),
        (
            10,
            "electronKey=k&platform=win32&arch=x64&versionName=1.0.0",
        ),
        (
            11,
            r#"{"app_key":"534a235d30f13cac","current_version":"1.0.0","platform":"windows"}"#,
        ),
        (
            12,
            r#"{"app_key":"k","machine_id":"m","version":"1.0.0","platform":"windows"}"#,
        ),
        (
            13,
            r#"{"app_key":"k","machine_id":"m","version":"1.0.0","error_type":"E","message":"m","stack":"a\nb","os_info":"x"}"#,
        ),
        (
            14,
            "channel_key=c&bundle_id=b&release_version=2.0.0&build_version=100&page=1&per_page=10",
        ),
        (15, "/api/apps/1/releases/2/install"),
    ];
    seeds
        .iter()
        .map(|(which, text)| {
            let mut v = vec![*which];
            v.extend_from_slice(text.as_bytes());
            v
        })
        .collect()
}

/// How many mutated inputs [`run`] tries per target: `FUZZ_ITERATIONS`, else 200,000 (about 2 s per target in a debug build).
pub fn iterations() -> usize {
    std::env::var("FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

/// Runs `target` on every seed and on `iterations` mutations of them (bit flips, byte
/// changes, insertions, deletions, truncations, splices of two seeds, interesting bytes);
/// panics, naming the target and the input in hex, when `target` panics on one.
pub fn run(name: &str, seeds: &[Vec<u8>], iterations: usize, target: impl Fn(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let check = |input: &[u8]| {
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            panic!("{name} panicked on input {}", hex::encode(input));
        }
    };
    for s in seeds {
        check(s);
    }
    for _ in 0..iterations {
        let mut input = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            mutate(&mut input, seeds, &mut rng);
        }
        check(&input);
    }
}

/// Bytes parsers tend to trip on: quotes, escapes, separators, digits, high bytes.
const INTERESTING: &[u8] = b"\"\\{}[]:,=&%+0123456789-.eE\x00\xff\xc3\n ";

fn mutate(input: &mut Vec<u8>, seeds: &[Vec<u8>], rng: &mut XorShift) {
    let len = input.len();
    match rng.below(7) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = INTERESTING[rng.below(INTERESTING.len())];
        }
        2 => {
            let i = rng.below(len + 1);
            input.insert(i, INTERESTING[rng.below(INTERESTING.len())]);
        }
        3 if len > 1 => {
            let i = rng.below(len);
            let n = 1 + rng.below((len - i).min(8));
            input.drain(i..i + n);
        }
        4 => input.truncate(rng.below(len + 1)),
        5 => {
            // The head of this input with the tail of another seed.
            let other = &seeds[rng.below(seeds.len())];
            let (a, b) = (rng.below(len + 1), rng.below(other.len() + 1));
            input.truncate(a);
            input.extend_from_slice(&other[b..]);
        }
        _ => {
            // A run of one byte (long numbers, deep nesting).
            let i = rng.below(len + 1);
            let b = INTERESTING[rng.below(INTERESTING.len())];
            let n = 1 + rng.below(300);
            input.splice(i..i, std::iter::repeat_n(b, n));
        }
    }
}

/// A small fixed pseudo-random sequence (xorshift64), so that every run tries the same inputs.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        // The result is below n, which is a usize.
        usize::try_from(self.0 % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// Keeps a parser's answer from being optimized away (and its type out of the way).
fn keep<T>(answer: T) {
    std::hint::black_box(answer);
}
