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
    #[error("`{version}` is not a valid {scheme} version: {reason}")]
    Invalid {
        /// The scheme it was checked against.
        scheme: VersionScheme,
        /// The offending version, as given.
        version: String,
        /// What is wrong with it.
        reason: String,
    },
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
    /// License and dotted: numbers with trailing zeros removed, so derived `Vec` order works.
    Nums(Vec<Num>),
}

/// A decimal number of any length, compared by value: its digits without leading zeros.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Num(String);

impl Num {
    fn new(digits: &str) -> Num {
        let t = digits.trim_start_matches('0');
        Num(if t.is_empty() { "0" } else { t }.to_owned())
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

/// A token of protocol A. Upstream (`compareVersionStrings`) compares two numbers by value and
/// anything else by text, a number written as `String(n)`. That is cyclic once a token mixes
/// digits and letters (`10` < `1a` < `2` < `10`), and Rust's sort needs a total order. So a
/// token starting with a digit sorts by the value of its leading digits, then by upstream's
/// text. This agrees with upstream on every pair except a mixed token against another
/// digit-led token whose leading digits (as written; a number without its leading zeros)
/// differ in length (`1a` vs `10`: upstream says greater, we say less). Equality is exactly
/// upstream's. Checked against upstream's code on random pairs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    /// Starts with a digit: the leading number, then the lowercase text (the canonical decimal
    /// for an all-digit token, as `String(Number(t))` gives upstream). Digits sort below
    /// letters in upstream's text order too.
    Digits(Num, String),
    /// Starts with a letter: the lowercase text.
    Letters(String),
}

/// A `Gem::Version` segment.
#[derive(Clone, Debug, PartialEq, Eq)]
enum GemSeg {
    Num(Num),
    Str(String),
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
            // SemVer 2.0 §10: build metadata does not take part in precedence.
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

    /// The name used in manifests (`semver`, `hot-update`, `zealot`, `license`, `dotted`).
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
                "SemVer MAJOR.MINOR.PATCH[-PRE][+BUILD], without a leading v (e.g. 1.2.3 or 1.2.3-beta.1)"
            }
            VersionScheme::HotUpdate => "any non-blank text (e.g. 1.2.3 or 1.2.3-beta)",
            VersionScheme::Zealot => {
                "a RubyGems version, optionally after a prefix (e.g. 1.2.3, 1.2.3.rc1 or android-1.2.3)"
            }
            VersionScheme::License => "MAJOR.MINOR.PATCH, optionally prefixed with v (e.g. 1.2.3)",
            VersionScheme::Dotted => "numbers separated by dots (e.g. 1.2 or 1.2.3.4)",
        }
    }

    fn invalid(self, version: &str, reason: impl Into<String>) -> VersionError {
        VersionError::Invalid {
            scheme: self,
            version: version.to_owned(),
            reason: reason.into(),
        }
    }

    /// Parses `version` once into a key that sorts by this scheme.
    ///
    /// # Errors
    /// [`VersionError::Empty`] for an empty or blank version, [`VersionError::Invalid`] when it
    /// is not of the scheme's form.
    pub fn key(self, version: &str) -> Result<VersionKey, VersionError> {
        if js_trim(version).is_empty() {
            return Err(VersionError::Empty);
        }
        let key = match self {
            VersionScheme::Semver => Key::Semver(
                semver::Version::parse(version)
                    .map_err(|e| self.invalid(version, e.to_string()))?,
            ),
            // Upstream stores any trimmed non-empty text (`createVersionWithArtifacts`), even
            // one without tokens, which then sorts below every version that has some.
            VersionScheme::HotUpdate => Key::Tokens(hot_update_tokens(version)),
            VersionScheme::Zealot => {
                let stripped = zealot_strip(version)
                    .ok_or_else(|| self.invalid(version, "it contains no version number"))?;
                Key::Gem(gem_segments(stripped).ok_or_else(|| {
                    self.invalid(
                        version,
                        format!("`{stripped}` is not a RubyGems version number"),
                    )
                })?)
            }
            VersionScheme::License => {
                // ZmoAuth `parseSemver`: `trim()`, then `/^v?\d+\.\d+\.\d+$/i`.
                let t = js_trim(version);
                let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
                let parts = numeric_parts(t).filter(|p| p.len() == 3).ok_or_else(|| {
                    self.invalid(version, "expected three numbers separated by dots")
                })?;
                Key::Nums(trim_zeros(parts))
            }
            VersionScheme::Dotted => {
                let parts = numeric_parts(version)
                    .ok_or_else(|| self.invalid(version, "expected numbers separated by dots"))?;
                Key::Nums(trim_zeros(parts))
            }
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
    /// [`VersionError`] saying what is wrong.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        self.key(version).map(|_| ())
    }
}

/// JavaScript's `String.prototype.trim` (protocols A and C run on Node): its whitespace is
/// Rust's (Unicode `White_Space`) without U+0085 and with U+FEFF.
pub(crate) fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c == '\u{feff}' || (c != '\u{85}' && c.is_whitespace()))
}

/// The end of the run of bytes from `from` on that satisfy `ok`.
fn run_end(b: &[u8], from: usize, ok: impl Fn(u8) -> bool) -> usize {
    from + b
        .get(from..)
        .map_or(0, |r| r.iter().take_while(|&&c| ok(c)).count())
}

/// `^\d+(\.\d+)*$` (ASCII digits, as in JavaScript without the `u` flag) split into numbers.
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

/// hotUpdateManage `versionTokenize`: split on `[^0-9A-Za-z]+`, drop empty parts, all-digit
/// parts become numbers and the rest is lowercased. Upstream's `Number(part)` loses precision
/// past 2^53; we keep every digit.
fn hot_update_tokens(v: &str) -> Vec<Token> {
    v.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| {
            let t = t.to_ascii_lowercase();
            let digits = t.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                Token::Letters(t)
            } else if digits == t.len() {
                let n = Num::new(&t);
                let text = n.0.clone();
                Token::Digits(n, text)
            } else {
                Token::Digits(Num::new(&t[..digits]), t)
            }
        })
        .collect()
}

/// Zealot `VersionCompare#semver` (`app/models/concerns/version_compare.rb`) keeps the leftmost
/// match of `((\d+\.?)+)(([-_\.]?\w+)*\d*)?`, Ruby's `\d` and `\w` being ASCII. Nothing after
/// the first digit can fail, so the match is the greedy path, backtracking only inside one
/// `[-_\.]?\w+` (a `_` not followed by a word character is itself the `\w+`). `None` when there
/// is no digit: upstream then hands the whole text to `Gem::Version`, which rejects it.
fn zealot_strip(v: &str) -> Option<&str> {
    let b = v.as_bytes();
    let start = b.iter().position(u8::is_ascii_digit)?;
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    // (\d+\.?)+
    let mut i = start;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i = run_end(b, i, |c| c.is_ascii_digit());
        if b.get(i) == Some(&b'.') {
            i += 1;
        }
    }
    // ([-_\.]?\w+)*  (the trailing \d* then matches nothing: digits are \w)
    loop {
        let with_sep = match b.get(i) {
            Some(b'-' | b'_' | b'.') => run_end(b, i + 1, word),
            _ => i,
        };
        let next = if with_sep > i + 1 {
            with_sep
        } else {
            run_end(b, i, word)
        };
        if next == i {
            break;
        }
        i = next;
    }
    v.get(start..i)
}

/// RubyGems `Gem::Version.new` (`lib/rubygems/version.rb`): the text must match
/// `[0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?` (else "Malformed version
/// number string"), then `-` means `.pre.`, and [`gem_canonical`] gives the segments.
fn gem_segments(v: &str) -> Option<Vec<GemSeg>> {
    let (head, tail) = match v.split_once('-') {
        Some((h, t)) => (h, Some(t)),
        None => (v, None),
    };
    let segment = |p: &str, dash: bool| {
        !p.is_empty()
            && p.bytes()
                .all(|c| c.is_ascii_alphanumeric() || (dash && c == b'-'))
    };
    let mut parts = head.split('.');
    let first = parts.next()?;
    let valid = !first.is_empty()
        && first.bytes().all(|c| c.is_ascii_digit())
        && parts.all(|p| segment(p, false))
        && tail.is_none_or(|t| t.split('.').all(|p| segment(p, true)));
    valid.then(|| gem_canonical(v.replace('-', ".pre.")))
}

/// `Gem::Version#canonical_segments` as rewritten in RubyGems 3.5 (Zealot's image runs Ruby
/// 3.4.8, so RubyGems 3.6): two substitutions on the text, then `scan(/\d+|[a-z]+/i)`.
/// The second one also drops zeros inside the pre-release part (`1.pre.0a` → `1, pre, a`),
/// which the older segment-based version kept.
fn gem_canonical(mut text: String) -> Vec<GemSeg> {
    let zero_or_dot = |c: u8| matches!(c, b'0' | b'.');
    // sub(/(?<=[a-zA-Z.])[.0]+\z/, ""): the leftmost start inside the trailing run of `.`/`0`
    // whose previous character is a letter or a dot.
    let b = text.as_bytes();
    let run = b.len() - b.iter().rev().take_while(|&&c| zero_or_dot(c)).count();
    let cut = if run > 0 && run < b.len() && b[run - 1].is_ascii_alphabetic() {
        Some(run)
    } else {
        (run + 1..b.len()).find(|&p| b[p - 1] == b'.')
    };
    if let Some(p) = cut {
        text.truncate(p);
    }
    // sub!(/(?<=\.|\A)[0.]+(?=[a-zA-Z])/, ""): the first run of `0`/`.` that starts a
    // segment and is followed by a letter.
    let b = text.as_bytes();
    let found = (0..b.len())
        .filter(|&p| zero_or_dot(b[p]) && (p == 0 || b[p - 1] == b'.'))
        .map(|p| (p, run_end(b, p, zero_or_dot)))
        .find(|&(_, end)| b.get(end).is_some_and(u8::is_ascii_alphabetic));
    if let Some((p, end)) = found {
        text.replace_range(p..end, "");
    }
    // scan(/\d+|[a-z]+/i), digits becoming integers.
    let b = text.as_bytes();
    let mut segs = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let end = run_end(b, i, |c| c.is_ascii_digit());
            segs.push(GemSeg::Num(Num::new(&text[i..end])));
            i = end;
        } else if b[i].is_ascii_alphabetic() {
            let end = run_end(b, i, |c| c.is_ascii_alphabetic());
            segs.push(GemSeg::Str(text[i..end].to_owned()));
            i = end;
        } else {
            i += 1;
        }
    }
    segs
}

/// `Gem::Version#<=>`: segment by segment, a missing segment counts as 0, a string segment is
/// below a number, strings compare bytewise.
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
}
