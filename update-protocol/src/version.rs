//! One version ordering per wire protocol. They disagree on purpose (each matches the server
//! its clients were written against): `1.0.0-beta` is above `1.0.0` for protocol A and below
//! it for SemVer and Zealot. See `shared/spec/seed-protocols.md`, "Cross-seed notes".

use std::cmp::Ordering;
use std::fmt;

/// Which ordering a version string follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum VersionScheme {
    /// SemVer 2.0 (`1.0.0-beta` < `1.0.0`); no leading `v`.
    Semver,
    /// Protocol A: alphanumeric tokens, numbers compared as numbers, the longer list wins a
    /// tie (`1.0.0-beta` > `1.0.0`).
    HotUpdate,
    /// Protocol B: Zealot's prefix strip, then RubyGems' `Gem::Version` order
    /// (`1.0.0-beta` < `1.0.0`, `1.0.0.rc1` < `1.0.0`, `android-1.2.3` = `1.2.3`).
    Zealot,
    /// Protocol C: `x.y.z` with an optional `v`, numeric per component.
    License,
    /// Protocol E: numeric dot-separated components; missing ones count as 0.
    Dotted,
}

/// Why a version does not follow a scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Empty or only whitespace.
    #[error("version is empty")]
    Empty,
    /// Not of the scheme's form.
    #[error("version `{version}` is not valid for the {scheme} ordering: expected {expected}")]
    Invalid {
        /// The scheme.
        scheme: &'static str,
        /// The offending version.
        version: String,
        /// The accepted form.
        expected: &'static str,
    },
}

/// A decimal number of any length, compared by value: digit strings without leading zeros.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Num(String);

impl Num {
    fn new(digits: &str) -> Num {
        let t = digits.trim_start_matches('0');
        Num(if t.is_empty() {
            "0".to_owned()
        } else {
            t.to_owned()
        })
    }

    fn is_zero(&self) -> bool {
        self.0 == "0"
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A token of protocol A. Upstream compares a number with a non-number by their texts, which
/// is not a total order when a token mixes digits and letters (`10` < `1a` < `2` < `10`); Rust's
/// sort needs a total order, so a token starting with digits sorts by that number, then the
/// rest. This agrees with upstream whenever a token is all digits or starts with a letter.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    /// Digits first (their texts sort below any letter, as upstream): the number, then the
    /// lowercase rest (empty for a plain number).
    Numeric(Num, String),
    /// Starts with a letter: lowercase text.
    Alpha(String),
}

/// A RubyGems version segment.
#[derive(Clone, Debug, PartialEq, Eq)]
enum GemSeg {
    Num(Num),
    Str(String),
}

/// A parsed version, ordered by its scheme. Keys of different schemes are never compared in
/// practice; if they are, they order by scheme first.
#[derive(Clone, Debug)]
pub struct VersionKey(Key);

#[derive(Clone, Debug)]
enum Key {
    Semver(semver::Version),
    Tokens(Vec<Token>),
    Gem(Vec<GemSeg>),
    /// License and dotted: numbers with trailing zeros removed.
    Nums(Vec<Num>),
}

impl Key {
    fn rank(&self) -> u8 {
        match self {
            Key::Semver(_) => 0,
            Key::Tokens(_) => 1,
            Key::Gem(_) => 2,
            Key::Nums(_) => 3,
        }
    }
}

impl Ord for VersionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (Key::Semver(a), Key::Semver(b)) => a.cmp_precedence(b),
            (Key::Tokens(a), Key::Tokens(b)) => a.cmp(b),
            (Key::Gem(a), Key::Gem(b)) => gem_cmp(a, b),
            (Key::Nums(a), Key::Nums(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl PartialOrd for VersionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for VersionKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for VersionKey {}

impl fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl VersionScheme {
    /// Every scheme.
    pub const ALL: [VersionScheme; 5] = [
        VersionScheme::Semver,
        VersionScheme::HotUpdate,
        VersionScheme::Zealot,
        VersionScheme::License,
        VersionScheme::Dotted,
    ];

    /// The name used in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionScheme::Semver => "semver",
            VersionScheme::HotUpdate => "hot-update",
            VersionScheme::Zealot => "zealot",
            VersionScheme::License => "license",
            VersionScheme::Dotted => "dotted",
        }
    }

    /// The accepted form, for error hints.
    pub fn describe(self) -> &'static str {
        match self {
            VersionScheme::Semver => {
                "SemVer MAJOR.MINOR.PATCH[-PRE][+BUILD] (e.g. 1.2.3 or 1.2.3-beta.1)"
            }
            VersionScheme::HotUpdate => "any text with at least one letter or digit (e.g. 1.2.3)",
            VersionScheme::Zealot => {
                "a RubyGems version, optionally after a prefix (e.g. 1.2.3, 1.2.3.rc1, android-1.2.3)"
            }
            VersionScheme::License => "MAJOR.MINOR.PATCH, optionally prefixed with v (e.g. 1.2.3)",
            VersionScheme::Dotted => "numbers separated by dots (e.g. 1.2 or 1.2.3.4)",
        }
    }

    fn invalid(self, version: &str) -> VersionError {
        VersionError::Invalid {
            scheme: self.as_str(),
            version: version.to_owned(),
            expected: self.describe(),
        }
    }

    /// Parses `version` once into a key that sorts by this scheme.
    ///
    /// # Errors
    /// [`VersionError`] when the version is empty or not of the scheme's form.
    pub fn key(self, version: &str) -> Result<VersionKey, VersionError> {
        if version.trim().is_empty() {
            return Err(VersionError::Empty);
        }
        let key = match self {
            VersionScheme::Semver => {
                Key::Semver(semver::Version::parse(version).map_err(|_| self.invalid(version))?)
            }
            VersionScheme::HotUpdate => {
                let tokens = hot_update_tokens(version);
                if tokens.is_empty() {
                    return Err(self.invalid(version));
                }
                Key::Tokens(tokens)
            }
            VersionScheme::Zealot => {
                let stripped = zealot_strip(version).ok_or_else(|| self.invalid(version))?;
                Key::Gem(gem_segments(stripped).ok_or_else(|| self.invalid(version))?)
            }
            VersionScheme::License => {
                let t = version.trim();
                let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
                let parts = numeric_parts(t).filter(|p| p.len() == 3);
                Key::Nums(trim_zeros(parts.ok_or_else(|| self.invalid(version))?))
            }
            VersionScheme::Dotted => Key::Nums(trim_zeros(
                numeric_parts(version).ok_or_else(|| self.invalid(version))?,
            )),
        };
        Ok(VersionKey(key))
    }

    /// Compares two versions by this scheme.
    ///
    /// # Errors
    /// [`VersionError`] when either is not of the scheme's form.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        Ok(self.key(a)?.cmp(&self.key(b)?))
    }

    /// Checks that `version` follows this scheme.
    ///
    /// # Errors
    /// [`VersionError`] naming the expected form.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        self.key(version).map(|_| ())
    }
}

/// `^\d+(\.\d+)*$` split into numbers.
fn numeric_parts(s: &str) -> Option<Vec<Num>> {
    s.split('.')
        .map(|p| (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).then(|| Num::new(p)))
        .collect()
}

fn trim_zeros(mut v: Vec<Num>) -> Vec<Num> {
    while v.last().is_some_and(Num::is_zero) {
        v.pop();
    }
    v
}

/// hotUpdateManage `versionTokenize`: split on `[^0-9A-Za-z]+`, drop empties, lowercase.
fn hot_update_tokens(v: &str) -> Vec<Token> {
    v.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| {
            let t = t.to_ascii_lowercase();
            let digits = t.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                Token::Alpha(t)
            } else {
                Token::Numeric(Num::new(&t[..digits]), t[digits..].to_owned())
            }
        })
        .collect()
}

/// Zealot's `VersionCompare` first takes the leftmost match of
/// `((\d+\.?)+)(([-_\.]?\w+)*\d*)?` (Ruby `\w` is ASCII `[A-Za-z0-9_]`); every quantifier is
/// greedy and nothing after it can fail, so the match is the longest run this loop accepts.
fn zealot_strip(v: &str) -> Option<&str> {
    let b = v.as_bytes();
    let start = b.iter().position(u8::is_ascii_digit)?;
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = start;
    // (\d+\.?)+
    while i < b.len() && b[i].is_ascii_digit() {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
        }
    }
    // ([-_.]?\w+)*
    loop {
        let mut j = i;
        if j < b.len() && matches!(b[j], b'-' | b'_' | b'.') {
            j += 1;
        }
        let w = j;
        while j < b.len() && word(b[j]) {
            j += 1;
        }
        if j == w {
            break;
        }
        i = j;
    }
    v.get(start..i)
}

/// RubyGems `Gem::Version.new` (its `ANCHORED_VERSION_PATTERN`) and `canonical_segments`:
/// `-` means `.pre.`, segments are runs of digits or of letters, and trailing zeros of the
/// release part and of the pre-release part are dropped.
fn gem_segments(v: &str) -> Option<Vec<GemSeg>> {
    let v = v.trim();
    let (head, tail) = match v.split_once('-') {
        Some((h, t)) => (h, Some(t)),
        None => (v, None),
    };
    let mut parts = head.split('.');
    let first = parts.next()?;
    let alnum = |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric());
    if first.is_empty() || !first.bytes().all(|c| c.is_ascii_digit()) || !parts.all(alnum) {
        return None;
    }
    if let Some(t) = tail {
        let ok =
            |p: &str| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
        if !t.split('.').all(ok) {
            return None;
        }
    }
    let text = v.replace('-', ".pre.");
    let mut segs = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let digit = b[i].is_ascii_digit();
        let j = (i..b.len())
            .find(|&k| !(b[k].is_ascii_alphabetic() && !digit || b[k].is_ascii_digit() && digit))
            .unwrap_or(b.len());
        if j == i {
            i += 1; // a separator
            continue;
        }
        let s = &text[i..j];
        segs.push(if digit {
            GemSeg::Num(Num::new(s))
        } else {
            GemSeg::Str(s.to_owned())
        });
        i = j;
    }
    let split = segs
        .iter()
        .position(|s| matches!(s, GemSeg::Str(_)))
        .unwrap_or(segs.len());
    let mut pre = segs.split_off(split);
    let zero = |s: &GemSeg| matches!(s, GemSeg::Num(n) if n.is_zero());
    while segs.last().is_some_and(zero) {
        segs.pop();
    }
    while pre.last().is_some_and(zero) {
        pre.pop();
    }
    segs.extend(pre);
    Some(segs)
}

/// `Gem::Version#<=>`: a missing segment is 0, a string segment is below a number.
fn gem_cmp(a: &[GemSeg], b: &[GemSeg]) -> Ordering {
    let zero = GemSeg::Num(Num::new("0"));
    for i in 0..a.len().max(b.len()) {
        let (l, r) = (a.get(i).unwrap_or(&zero), b.get(i).unwrap_or(&zero));
        let o = match (l, r) {
            (GemSeg::Num(x), GemSeg::Num(y)) => x.cmp(y),
            (GemSeg::Str(x), GemSeg::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
            (GemSeg::Str(_), GemSeg::Num(_)) => Ordering::Less,
            (GemSeg::Num(_), GemSeg::Str(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
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
            // Protocol A details (hotUpdateManage compareVersionStrings).
            (HotUpdate, "1.0.0", "1.0", Greater),
            (HotUpdate, "V1.0", "v1.0", Equal),
            (HotUpdate, "1.0.0-beta", "1.0.0-alpha", Greater),
            (HotUpdate, "1.0.0_rc", "1.0.0.rc", Equal),
            (HotUpdate, "1.0.a", "1.0.0", Greater),
            (HotUpdate, "1.007", "1.7", Equal),
            (
                HotUpdate,
                "1.123456789012345678901234567890",
                "1.123456789012345678901234567889",
                Greater,
            ),
            // Zealot: prefix strip and RubyGems.
            (Zealot, "1.0.0.rc1", "1.0.0", Less),
            (Zealot, "1.0.0.rc1", "1.0.0.rc2", Less),
            (Zealot, "1.0.0.beta", "1.0.0.alpha", Greater),
            (Zealot, "android-1.2.3", "1.2.3", Equal),
            (Zealot, "v1.2", "1.2", Equal),
            (Zealot, "1.2.0", "1.2", Equal),
            (Zealot, "1.2.3 (45)", "1.2.3", Equal),
            (Zealot, "2.0.0.pre", "1.9", Greater),
            // License: v prefix and trimming.
            (License, "v1.2.3", "1.2.3", Equal),
            (License, "V1.2.3", "1.2.3", Equal),
            (License, " 1.2.3 ", "1.2.3", Equal),
            // Dotted: missing components are zero.
            (Dotted, "1.0", "1.0.0", Equal),
            (Dotted, "1.0.1", "1.0", Greater),
            (Dotted, "01.2", "1.2", Equal),
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
    fn rejects_versions_outside_each_scheme() {
        let cases: &[(VersionScheme, &str)] = &[
            (Semver, "1.2"),
            (Semver, "v1.2.3"),
            (Semver, ""),
            (HotUpdate, "   "),
            (HotUpdate, "..-"),
            (Zealot, "beta"),
            (Zealot, "1.2_3"),
            (License, "1.2"),
            (License, "1.2.3.4"),
            (License, "1.2.3-beta"),
            (License, "x1.2.3"),
            (Dotted, "1.0.0-beta"),
            (Dotted, "1..2"),
            (Dotted, "v1.2"),
        ];
        for &(scheme, v) in cases {
            assert!(scheme.validate(v).is_err(), "{scheme} accepted {v:?}");
        }
        assert_eq!(Semver.validate(""), Err(VersionError::Empty));
    }

    #[test]
    fn sorting_never_panics_on_mixed_tokens() {
        // Upstream's comparison is cyclic on these; ours is a total order.
        let mut v = ["1.2", "1.10", "1.1a", "1.beta", "1.1a2", "1.0", "2"];
        v.sort_by(|a, b| HotUpdate.compare(a, b).expect("valid"));
        assert_eq!(v, ["1.0", "1.1a", "1.1a2", "1.2", "1.10", "1.beta", "2"]);
    }

    #[test]
    fn zealot_strip_takes_the_leftmost_version() {
        for (input, want) in [
            ("android-1.2.3", "1.2.3"),
            ("v1.2", "1.2"),
            ("1.0.0.rc1", "1.0.0.rc1"),
            ("1.2.3 (45)", "1.2.3"),
            ("build 7-beta", "7-beta"),
        ] {
            assert_eq!(zealot_strip(input), Some(want), "{input}");
        }
        assert_eq!(zealot_strip("beta"), None);
    }
}
