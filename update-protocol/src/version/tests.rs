use super::*;
use Ordering::{Equal, Greater, Less};
use VersionScheme::*;

#[test]
fn orderings_per_protocol() {
    let cases: &[(VersionScheme, &str, &str, Ordering)] = &[
        // The spec's headline difference.
        (HotUpdate, "1.0.0-beta", "1.0.0", Greater),
        (Semver, "1.0.0-beta", "1.0.0", Less),
        (Zealot, "1.0.0-beta", "1.0.0", Less),
        // Numbers compare as numbers.
        (HotUpdate, "1.10", "1.9", Greater),
        (Zealot, "1.10", "1.9", Greater),
        (Dotted, "1.10", "1.9", Greater),
        (License, "1.10.0", "1.9.9", Greater),
        (Semver, "1.10.0", "1.9.0", Greater),
        // SemVer precedence (semver.org §11), build metadata ignored (§10).
        (Semver, "1.0.0-alpha", "1.0.0-alpha.1", Less),
        (Semver, "1.0.0-alpha.beta", "1.0.0-beta", Less),
        (Semver, "1.0.0-beta.2", "1.0.0-beta.11", Less),
        (Semver, "1.0.0-rc.1", "1.0.0", Less),
        (Semver, "1.0.0+build.1", "1.0.0+build.2", Equal),
        // Protocol A (hotUpdateManage compareVersionStrings).
        (HotUpdate, "1.0.0", "1.0", Greater),
        (HotUpdate, "V1.0", "v1.0", Equal),
        (HotUpdate, "1.0.0-beta", "1.0.0-alpha", Greater),
        (HotUpdate, "1.0.0-rc", "1.0.0-beta.1", Greater),
        (HotUpdate, "1.0.0_rc", "1.0.0.rc", Equal),
        (HotUpdate, "1.0.0 rc", "1.0.0--rc", Equal),
        (HotUpdate, "1.0.a", "1.0.0", Greater),
        (HotUpdate, "1.0.0b1", "1.0.0", Greater),
        (HotUpdate, "1.0.0b1", "1.0.1", Less),
        (HotUpdate, "1.0.0b1", "1.0.0b2", Less),
        (HotUpdate, "1.0.0rc2", "1.0.0rc10", Greater),
        (HotUpdate, "1.007", "1.7", Equal),
        (HotUpdate, "1.01a", "1.1a", Less),
        (HotUpdate, "1.01a", "1.1", Less),
        (HotUpdate, "1.0a", "1.00a", Greater),
        (HotUpdate, "1.1a", "1.1", Greater),
        (HotUpdate, "1.1a", "1.2", Less),
        (HotUpdate, "..-", "0", Less),
        (HotUpdate, "..-", "+", Equal),
        (
            HotUpdate,
            "1.123456789012345678901234567890",
            "1.123456789012345678901234567889",
            Greater,
        ),
        (HotUpdate, "1.000000000000000000000000000002", "1.10", Less),
        // Zealot: prefix strip and RubyGems.
        (Zealot, "1.0.0.rc1", "1.0.0", Less),
        (Zealot, "1.0.0.rc1", "1.0.0.rc2", Less),
        (Zealot, "1.0.0.beta", "1.0.0.alpha", Greater),
        (Zealot, "android-1.2.3", "1.2.3", Equal),
        (Zealot, "v1.2", "1.2", Equal),
        (Zealot, "v1.2.43.33333", "1.2.43.33333", Equal),
        (Zealot, "1.2.0", "1.2", Equal),
        (Zealot, "1.2.3 (45)", "1.2.3", Equal),
        (Zealot, "2.0.0.pre", "1.9", Greater),
        (Zealot, "0.1.0.pre1", "0.1.0.rc2", Less),
        (Zealot, "0.1.0.alpha.1", "0.1.0.pre1", Less),
        (Zealot, "1.1.beta9", "1.1", Less),
        (Zealot, "20200127.013811", "20200127.13811", Equal),
        (Zealot, "608151815", "99999999", Greater),
        (
            Zealot,
            "1.123456789012345678901234567890",
            "1.123456789012345678901234567889",
            Greater,
        ),
        // RubyGems test_gem_version.rb (test_spaceship, test_semver, test_equals2).
        (Zealot, "1.0", "1.0.0", Equal),
        (Zealot, "1.0", "1.0.a", Greater),
        (Zealot, "1.8.2", "0.0.0", Greater),
        (Zealot, "1.8.2", "1.8.2.a", Greater),
        (Zealot, "1.8.2.b", "1.8.2.a", Greater),
        (Zealot, "1.8.2.a10", "1.8.2.a9", Greater),
        (Zealot, "0.beta.1", "0.0.beta.1", Equal),
        (Zealot, "0.0.beta", "0.0.beta.1", Less),
        (Zealot, "0.0.beta", "0.beta.1", Less),
        (Zealot, "5.a", "5.0.0.rc2", Less),
        (Zealot, "5.x", "5.0.0.rc2", Greater),
        (Zealot, "1.9.3", "1.9.2.99", Greater),
        (Zealot, "1.9.3", "1.9.3.1", Less),
        (Zealot, "1.2.b1", "1.2.b.1", Equal),
        (Zealot, "1.0.0-alpha", "1.0.0-alpha.1", Less),
        (Zealot, "1.0.0-alpha.1", "1.0.0-beta.2", Less),
        (Zealot, "1.0.0-beta.2", "1.0.0-beta.11", Less),
        (Zealot, "1.0.0-beta.11", "1.0.0-rc.1", Less),
        (Zealot, "1.0.0-rc1", "1.0.0", Less),
        (Zealot, "1.0.0-1", "1", Less),
        (Zealot, "1.2.pre.1", "1.2.0.pre.1.0", Equal),
        (Zealot, "1.0.RC1", "1.0.rc1", Less),
        // RubyGems 3.5+ canonical_segments also drops pre-release zeros before a letter.
        (Zealot, "1-rc1", "01-0a", Greater),
        (Zealot, "1.0.a.0", "1.a", Equal),
        // License: v prefix and trimming (ZmoAuth parseSemver).
        (License, "v1.2.3", "1.2.3", Equal),
        (License, "V1.2.3", "1.2.3", Equal),
        (License, " 1.2.3 ", "1.2.3", Equal),
        (License, "\u{feff}1.2.3\n", "1.2.3", Equal),
        (License, "1.02.3", "1.2.3", Equal),
        (License, "1.2.10", "1.2.9", Greater),
        (License, "2.0.0", "10.0.0", Less),
        // Dotted: missing components are zero.
        (Dotted, "1.0", "1.0.0", Equal),
        (Dotted, "1.0.1", "1.0", Greater),
        (Dotted, "01.2", "1.2", Equal),
        (Dotted, "1", "1.0.0.0", Equal),
        (Dotted, "1.123456789012345678901234567890", "1.2", Greater),
    ];
    for &(scheme, a, b, want) in cases {
        assert_eq!(scheme.compare(a, b), Ok(want), "{scheme}: {a} vs {b}");
        assert_eq!(
            scheme.compare(b, a),
            Ok(want.reverse()),
            "{scheme}: {b} vs {a}"
        );
    }
}

#[test]
fn accepts_each_schemes_forms() {
    let cases: &[(VersionScheme, &str)] = &[
        (Semver, "1.2.3"),
        (Semver, "1.2.3-beta.1+build.5"),
        (HotUpdate, "1.0.0-beta"),
        (HotUpdate, "..-"),
        (HotUpdate, "版本一"),
        (Zealot, "608151815"),
        (Zealot, "1.2.3.4"),
        (Zealot, "0.1.0.alpha.1"),
        (Zealot, "1.0.0-beta-2"),
        (Zealot, "build 7-beta"),
        (License, "V1.2.3"),
        (License, " 1.2.3 "),
        (License, "v01.002.0003"),
        (Dotted, "7"),
        (Dotted, "1.2.3.4.5"),
    ];
    for &(scheme, v) in cases {
        assert_eq!(scheme.validate(v), Ok(()), "{scheme} rejected {v:?}");
    }
}

#[test]
fn rejects_versions_outside_each_scheme() {
    let cases: &[(VersionScheme, &str)] = &[
        (Semver, "1.2"),
        (Semver, "v1.2.3"),
        (Semver, " 1.2.3"),
        (Semver, "01.2.3"),
        (Semver, "1.0.0-01"),
        (Zealot, "beta"),
        (Zealot, "1.2_3"),
        (Zealot, "1.2_"),
        (Zealot, "1..2"),
        (Zealot, "1a"),
        (Zealot, "1.0-_x"),
        (License, "1.2"),
        (License, "1.2.3.4"),
        (License, "1.2.3-beta"),
        (License, "x1.2.3"),
        (License, "vv1.2.3"),
        (License, "1.2.3\u{85}"),
        (Dotted, "1.0.0-beta"),
        (Dotted, "1..2"),
        (Dotted, "1.2."),
        (Dotted, "v1.2"),
        (Dotted, " 1.2"),
    ];
    for &(scheme, v) in cases {
        assert!(
            matches!(scheme.validate(v), Err(VersionError::Invalid { .. })),
            "{scheme} accepted {v:?}"
        );
    }
    for scheme in VersionScheme::ALL {
        for blank in ["", "   ", "\t\n", "\u{feff}"] {
            assert_eq!(scheme.validate(blank), Err(VersionError::Empty), "{scheme}");
        }
    }
}

#[test]
fn errors_carry_the_scheme_and_version() {
    let e = License.validate("1.2").expect_err("invalid");
    assert_eq!(
        e,
        VersionError::Invalid {
            scheme: License,
            version: "1.2".to_owned(),
            reason: "expected three numbers separated by dots".to_owned(),
        }
    );
    assert_eq!(
        e.to_string(),
        "`1.2` is not a valid license version: expected three numbers separated by dots"
    );
    assert_eq!(
        Zealot.validate("1.2_3").map_err(|e| e.to_string()),
        Err(
            "`1.2_3` is not a valid zealot version: `1.2_3` is not a RubyGems version number"
                .to_owned()
        )
    );
}

#[test]
fn names_round_trip_through_serde() {
    for scheme in VersionScheme::ALL {
        let json = serde_json::to_string(&scheme).expect("serialize");
        assert_eq!(json, format!("\"{}\"", scheme.as_str()));
        assert_eq!(
            serde_json::from_str::<VersionScheme>(&json).expect("deserialize"),
            scheme
        );
        assert!(!scheme.describe().is_empty());
    }
}

#[test]
fn sorting_is_total_on_mixed_tokens() {
    // Upstream's comparison is cyclic on these (10 < 1a < 2 < 10); ours is a total order.
    let mut v = [
        "1.2", "1.10", "1.1a", "1.beta", "1.1a2", "1.0", "2", "1.01a", "1",
    ];
    v.sort_by(|a, b| HotUpdate.compare(a, b).expect("valid"));
    assert_eq!(
        v,
        [
            "1", "1.0", "1.01a", "1.1a", "1.1a2", "1.2", "1.10", "1.beta", "2"
        ]
    );
}

#[test]
fn gem_version_matches_rubygems() {
    // test_gem_version.rb test_initialize_invalid, plus shapes the pattern excludes.
    for v in [
        "junk",
        "1.0\n2.0",
        "1..2",
        "1.2 3.4",
        "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
        "1a",
        "1.2.",
        "1.0-",
        "1.0-a..b",
        "1_2",
    ] {
        assert_eq!(gem_segments(v), None, "{v:?}");
    }
    let num = |n: &str| GemSeg::Num(Num::new(n));
    let text = |s: &str| GemSeg::Str(s.to_owned());
    // test_canonical_segments, then the 3.5+ rewrite's edge cases.
    for (v, want) in [
        ("1.0.0", vec![num("1")]),
        ("1.0.0.a.1.0", vec![num("1"), text("a"), num("1")]),
        (
            "1.2.3-1",
            vec![num("1"), num("2"), num("3"), text("pre"), num("1")],
        ),
        ("1.pre.0a", vec![num("1"), text("pre"), text("a")]),
        // `sub!` replaces only the first run.
        (
            "1.0.pre.0a",
            vec![num("1"), text("pre"), num("0"), text("a")],
        ),
        ("0", vec![num("0")]),
        ("1.10", vec![num("1"), num("10")]),
    ] {
        assert_eq!(gem_segments(v), Some(want), "{v}");
    }
    // Zealot strips the trailing dot that makes RubyGems reject the first one.
    assert_eq!(
        Zealot.compare(
            "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
            "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e"
        ),
        Ok(Equal)
    );
}

#[test]
fn zealot_strip_takes_the_leftmost_version() {
    // The examples in Zealot's version_compare.rb, then edge cases of the regex.
    for (input, want) in [
        ("android-1.2.3", Some("1.2.3")),
        ("608151815", Some("608151815")),
        ("1.2.3.4", Some("1.2.3.4")),
        ("0.1.0.pre1", Some("0.1.0.pre1")),
        ("0.1.0.alpha.1", Some("0.1.0.alpha.1")),
        ("v1.2.43.33333", Some("1.2.43.33333")),
        ("1.1.beta9", Some("1.1.beta9")),
        ("20200127.013811", Some("20200127.013811")),
        ("v1.2", Some("1.2")),
        ("1.2.3 (45)", Some("1.2.3")),
        ("build 7-beta", Some("7-beta")),
        ("1.0.0--beta", Some("1.0.0")),
        ("1.2_", Some("1.2_")),
        ("1.2_-x", Some("1.2_-x")),
        ("1.2.", Some("1.2.")),
        ("1..2", Some("1..2")),
        ("beta", None),
        ("", None),
    ] {
        assert_eq!(zealot_strip(input), want, "{input}");
    }
}
