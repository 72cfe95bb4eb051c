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
mod tests;
