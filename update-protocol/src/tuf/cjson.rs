//! Canonical JSON exactly as securesystemslib's `encode_canonical` writes it, which is what
//! python-tuf and tuf-js hash and sign (design note §1.4): no whitespace, object keys sorted by
//! their raw UTF-8 bytes (= Python's code-point order), only `\` and `"` escaped, everything
//! else (control characters, non-ASCII) written raw, integers in decimal, floats refused.
//!
//! Keys are sorted here explicitly rather than trusting `serde_json::Map` order, because a
//! `preserve_order` feature unified in from any other crate would switch it to insertion order.

use serde::Serialize;
use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CjsonError {
    /// A number that is not an integer: canonical JSON has no floats (python-tuf raises
    /// `SerializationError`), so turn sizes and ratios into integers or strings.
    #[error("float {value} at {path} has no canonical JSON form: use an integer or a string")]
    Float {
        /// JSON-pointer-like location of the number (`/custom/ratio`).
        path: String,
        /// The number as serde_json prints it.
        value: String,
    },
    /// The value could not be turned into JSON at all.
    #[error("cannot serialize to JSON: {0}")]
    Serialize(String),
}

/// The canonical bytes of `value`.
///
/// # Errors
/// [`CjsonError::Float`] when the value holds a non-integer number.
pub fn encode(value: &Value) -> Result<Vec<u8>, CjsonError> {
    let mut out = Vec::new();
    encode_into(value, &mut out, &mut String::new())?;
    Ok(out)
}

/// The canonical bytes of any serializable value (through [`serde_json::Value`]).
///
/// # Errors
/// [`CjsonError::Serialize`] when serde fails, [`CjsonError::Float`] on a non-integer number.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CjsonError> {
    let v = serde_json::to_value(value).map_err(|e| CjsonError::Serialize(e.to_string()))?;
    encode(&v)
}

fn encode_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn encode_into(value: &Value, out: &mut Vec<u8>, path: &mut String) -> Result<(), CjsonError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                out.extend_from_slice(n.to_string().as_bytes());
            } else {
                return Err(CjsonError::Float {
                    path: if path.is_empty() {
                        "/".to_owned()
                    } else {
                        path.clone()
                    },
                    value: n.to_string(),
                });
            }
        }
        Value::String(s) => encode_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let len = path.len();
                path.push_str(&format!("/{i}"));
                encode_into(item, out, path)?;
                path.truncate(len);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                encode_string(key, out);
                out.push(b':');
                let len = path.len();
                path.push('/');
                path.push_str(key);
                if let Some(v) = map.get(key) {
                    encode_into(v, out, path)?;
                }
                path.truncate(len);
            }
            out.push(b'}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of the design note §3.1 (input as JSON text, expected canonical bytes as
    /// securesystemslib 1.6.0 `encode_canonical` writes them).
    pub(crate) const VECTORS: &[(&str, &str)] = &[
        (r#"{"foo bar":2,"foo":1}"#, r#"{"foo":1,"foo bar":2}"#),
        (r#"{"a!":2,"a":1}"#, r#"{"a":1,"a!":2}"#),
        (r#"{"a[":3,"a#":2,"a\"b":1}"#, r#"{"a\"b":1,"a#":2,"a[":3}"#),
        ("{\"name\":\"e\\u0301\"}", "{\"name\":\"e\u{301}\"}"),
        (r#"{"s":"line1\nline2\t"}"#, "{\"s\":\"line1\nline2\t\"}"),
        (
            "{\"\\ud83d\\ude00\":2,\"\\uff01\":1}",
            "{\"\u{ff01}\":1,\"\u{1f600}\":2}",
        ),
        (r#"{"v":9007199254740993}"#, r#"{"v":9007199254740993}"#),
        (
            r#"{"b":[3,1,{"z":null,"y":true}],"a":false,"c":"back\\slash/"}"#,
            r#"{"a":false,"b":[3,1,{"y":true,"z":null}],"c":"back\\slash/"}"#,
        ),
        (
            r#"{"neg":-5,"zero":0,"empty":{},"list":[]}"#,
            r#"{"empty":{},"list":[],"neg":-5,"zero":0}"#,
        ),
        ("{\"ctl\":\"\\u0001\\u007f\"}", "{\"ctl\":\"\u{1}\u{7f}\"}"),
    ];

    #[test]
    fn matches_securesystemslib_vectors() {
        for (input, expected) in VECTORS {
            let v: Value = serde_json::from_str(input).expect("vector parses");
            let got = encode(&v).expect("encodes");
            assert_eq!(
                String::from_utf8(got).expect("utf-8"),
                *expected,
                "input {input}"
            );
        }
    }

    #[test]
    fn rejects_floats_with_their_path() {
        let v: Value = serde_json::from_str(r#"{"custom":{"ratio":[1,0.5]}}"#).expect("parse");
        let err = encode(&v).expect_err("float");
        assert!(
            matches!(&err, CjsonError::Float { path, value } if path == "/custom/ratio/1" && value == "0.5"),
            "{err:?}"
        );
        // 1.0 is a float too, as in Python.
        let v: Value = serde_json::from_str("1.0").expect("parse");
        let err = encode(&v).expect_err("1.0");
        assert!(
            matches!(&err, CjsonError::Float { value, .. } if value == "1.0"),
            "{err:?}"
        );
    }

    #[test]
    fn unicode_is_not_normalised() {
        // NFC would turn e + U+0301 into U+00E9 (2 bytes): we keep the 3 bytes.
        let v = serde_json::json!({"n": "e\u{301}"});
        assert_eq!(encode(&v).expect("ok"), b"{\"n\":\"e\xcc\x81\"}");
    }
}
