//! Digest newtypes (sha256, sha512, md5) that serialize as lowercase hex.

use std::fmt;

/// A hex string that is not a digest of the expected length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not {expected} lowercase or uppercase hex characters")]
pub struct DigestError {
    /// The offending text.
    pub value: String,
    /// How many hex characters were expected.
    pub expected: usize,
}

/// Lowercase hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

fn from_hex<const N: usize>(value: &str) -> Result<[u8; N], DigestError> {
    let err = || DigestError {
        value: value.to_owned(),
        expected: N * 2,
    };
    let mut out = [0u8; N];
    hex::decode_to_slice(value, &mut out).map_err(|_| err())?;
    Ok(out)
}

macro_rules! digest {
    ($(#[$doc:meta])* $name:ident, $len:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name([u8; $len]);

        impl $name {
            /// Wraps raw digest bytes.
            pub const fn from_bytes(bytes: [u8; $len]) -> Self {
                Self(bytes)
            }

            /// The raw digest bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lowercase hex.
            pub fn to_hex(&self) -> String {
                to_hex(&self.0)
            }

            /// Parses hex (either case).
            ///
            /// # Errors
            /// Returns a [`DigestError`] if the length or a character is wrong.
            pub fn parse(hex: &str) -> Result<Self, DigestError> {
                from_hex::<$len>(hex).map(Self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = DigestError;
            fn try_from(hex: String) -> Result<Self, DigestError> {
                Self::parse(&hex)
            }
        }

        impl From<$name> for String {
            fn from(d: $name) -> String {
                d.to_hex()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                schemars::schema::SchemaObject {
                    instance_type: Some(schemars::schema::InstanceType::String.into()),
                    string: Some(Box::new(schemars::schema::StringValidation {
                        pattern: Some(format!("^[0-9a-fA-F]{{{}}}$", $len * 2)),
                        ..Default::default()
                    })),
                    ..Default::default()
                }
                .into()
            }
        }
    };
}

digest!(
    /// A SHA-256 digest.
    Sha256Digest, 32
);
digest!(
    /// A SHA-512 digest (electron-updater checks files with it, as base64).
    Sha512Digest, 64
);
digest!(
    /// An MD5 digest (protocols A and D answer with it; never used for integrity on its own).
    Md5Digest, 16
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let hex = "d41d8cd98f00b204e9800998ecf8427e";
        let d = Md5Digest::parse(hex).expect("valid");
        assert_eq!(d.to_hex(), hex);
        assert_eq!(Md5Digest::parse(&hex.to_uppercase()).expect("upper"), d);
    }

    #[test]
    fn rejects_wrong_length_and_chars() {
        assert_eq!(
            Sha256Digest::parse("abc").expect_err("refused").to_string(),
            "`abc` is not 64 lowercase or uppercase hex characters"
        );
        let g = "g".repeat(32);
        assert_eq!(
            Md5Digest::parse(&g).expect_err("refused").to_string(),
            format!("`{g}` is not 32 lowercase or uppercase hex characters")
        );
    }
}
