//! Validated identifiers: app ids, channel and architecture keys, and file names that end up in
//! URLs and paths, restricted to a safe ASCII set so that every emitted path is portable and a
//! valid TUF target path.

use std::fmt;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("{kind} is empty")]
    Empty {
        /// What kind of name it was.
        kind: &'static str,
    },
    /// The name is longer than allowed.
    #[error("{kind} `{name}` is longer than {max} characters")]
    TooLong {
        /// What kind of name it was.
        kind: &'static str,
        /// The offending name.
        name: String,
        /// The limit.
        max: usize,
    },
    /// The name has a character outside the allowed set.
    #[error("{kind} `{name}` has the character {ch:?}; allowed: {allowed}")]
    BadChar {
        /// What kind of name it was.
        kind: &'static str,
        /// The offending name.
        name: String,
        /// The first bad character.
        ch: char,
        /// The allowed set, for the hint.
        allowed: &'static str,
    },
    /// The name starts with a character that is not allowed first.
    #[error("{kind} `{name}` must start with a letter or digit")]
    BadStart {
        /// What kind of name it was.
        kind: &'static str,
        /// The offending name.
        name: String,
    },
}

/// Characters allowed in identifiers: they become path segments and URL parts unescaped.
const ID_CHARS: &str = "letters, digits, '.', '_' and '-'";
/// Characters allowed in file names and versions: the TUF-safe set minus '/'.
const FILE_CHARS: &str = "letters, digits, '.', '_', '+', '~' and '-'";

fn check(
    kind: &'static str,
    name: &str,
    max: usize,
    extra: &[char],
    allowed: &'static str,
) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { kind });
    }
    if name.len() > max {
        return Err(NameError::TooLong {
            kind,
            name: name.to_owned(),
            max,
        });
    }
    if let Some(ch) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || extra.contains(c)))
    {
        return Err(NameError::BadChar {
            kind,
            name: name.to_owned(),
            ch,
            allowed,
        });
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(NameError::BadStart {
            kind,
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Checks a version string for use in paths: the TUF-safe set, at most 64 characters.
///
/// # Errors
/// Returns a [`NameError`] naming the first problem.
pub fn check_path_version(version: &str) -> Result<(), NameError> {
    check(
        "version",
        version,
        64,
        &['.', '_', '+', '~', '-'],
        FILE_CHARS,
    )
}

macro_rules! safe_name {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:literal, [$($extra:literal),*], $allowed:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a name.
            ///
            /// # Errors
            /// Returns a [`NameError`] naming the first problem.
            pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
                let name = name.into();
                check($kind, &name, $max, &[$($extra),*], $allowed)?;
                Ok(Self(name))
            }

            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(name: String) -> Result<Self, NameError> {
                Self::new(name)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = NameError;
            fn from_str(name: &str) -> Result<Self, NameError> {
                Self::new(name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

safe_name!(
    /// An app's id: the directory name of its releases and its segment in every site path.
    AppId, "app id", 64, ['.', '_', '-'], ID_CHARS
);
safe_name!(
    /// A channel's key within an app (for example `stable` or `beta`).
    ChannelKey, "channel key", 64, ['.', '_', '-'], ID_CHARS
);
safe_name!(
    /// An architecture's key within an app (for example `arm64-v8a`), as protocol A has them.
    ArchKey, "architecture key", 64, ['.', '_', '-'], ID_CHARS
);
safe_name!(
    /// The file name an artifact is published under.
    FileName, "file name", 128, ['.', '_', '+', '~', '-'], FILE_CHARS
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_usual_names() {
        for ok in ["android-demo", "arm64-v8a", "x86_64", "a", "v1.2"] {
            assert!(AppId::new(ok).is_ok(), "{ok}");
        }
        assert!(FileName::new("demo-1.0.0+build.7.apk").is_ok());
    }

    #[test]
    fn rejects_path_traversal_and_separators() {
        for bad in ["..", ".hidden", "-x"] {
            let why = "must start with a letter or digit";
            assert_eq!(
                AppId::new(bad).expect_err("refused").to_string(),
                format!("app id `{bad}` {why}")
            );
            assert_eq!(
                FileName::new(bad).expect_err("refused").to_string(),
                format!("file name `{bad}` {why}")
            );
        }
        for (bad, c) in [
            ("a/b", "'/'"),
            ("a\\b", "'\\\\'"),
            ("a b", "' '"),
            ("é", "'é'"),
        ] {
            assert_eq!(
                AppId::new(bad).expect_err("refused").to_string(),
                format!(
                    "app id `{bad}` has the character {c}; allowed: letters, digits, '.', '_' and '-'"
                )
            );
            assert_eq!(
                FileName::new(bad).expect_err("refused").to_string(),
                format!(
                    "file name `{bad}` has the character {c}; allowed: letters, digits, '.', '_', \
                     '+', '~' and '-'"
                )
            );
        }
        assert!(matches!(AppId::new(""), Err(NameError::Empty { .. })));
        assert!(matches!(
            AppId::new("x".repeat(65)),
            Err(NameError::TooLong { max: 64, .. })
        ));
    }

    #[test]
    fn versions_for_paths() {
        assert!(check_path_version("1.0.0-beta+7").is_ok());
        let allowed = "allowed: letters, digits, '.', '_', '+', '~' and '-'";
        assert_eq!(
            check_path_version("1.0/2")
                .expect_err("refused")
                .to_string(),
            format!("version `1.0/2` has the character '/'; {allowed}")
        );
        assert_eq!(
            check_path_version("1 0").expect_err("refused").to_string(),
            format!("version `1 0` has the character ' '; {allowed}")
        );
    }
}
