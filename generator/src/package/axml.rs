//! Android binary XML (the compiled `AndroidManifest.xml` in an APK): a tree of chunks, each
//! with a header `{u16 type, u16 header size, u32 size}`, little-endian, as described in
//! AOSP's `ResourceTypes.h`. The document holds a string pool (UTF-8 or UTF-16), a resource
//! map (the resource id of each attribute name, by string index) and start/end element
//! chunks whose attributes carry typed values.
//!
//! The chunk reader and the string pool are shared with [`super::arsc`].

use super::{PackageError, Result};

/// `RES_STRING_POOL_TYPE`.
pub const STRING_POOL: u16 = 0x0001;
/// `RES_XML_TYPE`: the document.
pub const XML: u16 = 0x0003;
/// `RES_XML_START_ELEMENT_TYPE`.
pub const XML_START_ELEMENT: u16 = 0x0102;
/// `RES_XML_END_ELEMENT_TYPE`.
pub const XML_END_ELEMENT: u16 = 0x0103;
/// `RES_XML_RESOURCE_MAP_TYPE`.
pub const XML_RESOURCE_MAP: u16 = 0x0180;

/// `Res_value` types.
pub mod value_type {
    /// No value.
    pub const NULL: u8 = 0x00;
    /// A resource reference (`@string/app_name`): `data` is the resource id.
    pub const REFERENCE: u8 = 0x01;
    /// A string: `data` indexes the string pool.
    pub const STRING: u8 = 0x03;
    /// A reference through a shared library's package id, resolved like [`REFERENCE`].
    pub const DYNAMIC_REFERENCE: u8 = 0x07;
    /// A decimal integer.
    pub const INT_DEC: u8 = 0x10;
    /// A hexadecimal integer.
    pub const INT_HEX: u8 = 0x11;
    /// A boolean.
    pub const INT_BOOLEAN: u8 = 0x12;
}

/// `ResStringPool_header` flag: strings are UTF-8 (else UTF-16).
const UTF8_FLAG: u32 = 0x0100;
/// "No string" index.
pub const NO_INDEX: u32 = 0xFFFF_FFFF;
/// `android:label`.
pub const ATTR_LABEL: u32 = 0x0101_0001;
/// `android:versionCode`.
pub const ATTR_VERSION_CODE: u32 = 0x0101_021b;
/// `android:versionName`.
pub const ATTR_VERSION_NAME: u32 = 0x0101_021c;
/// The namespace of Android's attributes.
pub const ANDROID_NS: &str = "http://schemas.android.com/apk/res/android";

/// Bounds-checked little-endian reads over one entry's bytes, with errors that name the entry.
#[derive(Clone, Copy)]
pub struct Bytes<'a> {
    /// The whole entry.
    pub data: &'a [u8],
    /// Its name, for errors.
    pub entry: &'static str,
}

impl<'a> Bytes<'a> {
    /// A truncation error at `offset`.
    pub fn truncated(&self, what: impl Into<String>, offset: usize) -> PackageError {
        PackageError::Truncated {
            entry: self.entry.to_owned(),
            what: what.into(),
            offset,
        }
    }

    /// A malformed-structure error at `offset`.
    pub fn malformed(&self, what: impl Into<String>, offset: usize) -> PackageError {
        PackageError::Malformed {
            entry: self.entry.to_owned(),
            what: what.into(),
            offset,
        }
    }

    /// `len` bytes at `offset`, or a truncation error naming `what`.
    pub fn slice(&self, offset: usize, len: usize, what: &str) -> Result<&'a [u8]> {
        offset
            .checked_add(len)
            .and_then(|end| self.data.get(offset..end))
            .ok_or_else(|| self.truncated(what, offset))
    }

    /// The byte at `offset`.
    pub fn u8(&self, offset: usize, what: &str) -> Result<u8> {
        Ok(self.slice(offset, 1, what)?[0])
    }

    /// The little-endian u16 at `offset`.
    pub fn u16(&self, offset: usize, what: &str) -> Result<u16> {
        let b = self.slice(offset, 2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// The little-endian u32 at `offset`.
    pub fn u32(&self, offset: usize, what: &str) -> Result<u32> {
        let b = self.slice(offset, 4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The chunk header at `offset`, checked to fit inside `end`.
    pub fn chunk(&self, offset: usize, end: usize) -> Result<Chunk> {
        let kind = self.u16(offset, "chunk header")?;
        let header_size = usize::from(self.u16(offset + 2, "chunk header")?);
        let size = to_usize(self.u32(offset + 4, "chunk header")?);
        if header_size < 8 || size < header_size {
            return Err(self.malformed(
                format!(
                    "chunk 0x{kind:04x} has header size {header_size} and size {size}, which cannot be"
                ),
                offset,
            ));
        }
        if offset.checked_add(size).is_none_or(|e| e > end) {
            return Err(self.truncated(format!("chunk 0x{kind:04x} of {size} bytes"), offset));
        }
        Ok(Chunk {
            kind,
            offset,
            header_size,
            size,
        })
    }

    /// The chunks from `start` to `end`, each checked to fit.
    pub fn chunks(&self, start: usize, end: usize) -> Result<Vec<Chunk>> {
        let mut out = Vec::new();
        let mut at = start;
        while at < end {
            if end - at < 8 {
                return Err(self.truncated("chunk header", at));
            }
            let c = self.chunk(at, end)?;
            at = c.end();
            out.push(c);
        }
        Ok(out)
    }
}

/// Widens a u32 read from the file (usize is at least 32 bits on every target we build).
pub fn to_usize(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// One chunk's header.
#[derive(Clone, Copy, Debug)]
pub struct Chunk {
    /// Its type.
    pub kind: u16,
    /// Where it starts in the entry.
    pub offset: usize,
    /// Its header's size.
    pub header_size: usize,
    /// Its whole size.
    pub size: usize,
}

impl Chunk {
    /// Where its body starts.
    pub fn body(&self) -> usize {
        self.offset + self.header_size
    }

    /// Where it ends.
    pub fn end(&self) -> usize {
        self.offset + self.size
    }
}

/// A string pool (`ResStringPool`): strings are decoded when asked for.
pub struct StringPool<'a> {
    bytes: Bytes<'a>,
    chunk: Chunk,
    count: usize,
    utf8: bool,
    strings_start: usize,
}

impl<'a> StringPool<'a> {
    /// Reads the pool's header and checks that its offset table fits.
    pub fn parse(bytes: Bytes<'a>, chunk: Chunk) -> Result<Self> {
        let o = chunk.offset;
        if chunk.header_size < 28 {
            return Err(bytes.malformed("string pool header shorter than 28 bytes", o));
        }
        let count = to_usize(bytes.u32(o + 8, "string pool header")?);
        let styles = to_usize(bytes.u32(o + 12, "string pool header")?);
        let flags = bytes.u32(o + 16, "string pool header")?;
        let strings_start = to_usize(bytes.u32(o + 20, "string pool header")?);
        let table = count
            .checked_add(styles)
            .and_then(|n| n.checked_mul(4))
            .and_then(|n| n.checked_add(chunk.header_size));
        if table.is_none_or(|t| t > chunk.size) {
            return Err(bytes.truncated(
                format!("string pool offsets ({count} strings)"),
                chunk.body(),
            ));
        }
        if count > 0 && strings_start > chunk.size {
            return Err(bytes.truncated("string pool data", o));
        }
        Ok(StringPool {
            bytes,
            chunk,
            count,
            utf8: flags & UTF8_FLAG != 0,
            strings_start,
        })
    }

    /// How many strings there are.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// String `i`.
    ///
    /// # Errors
    /// When the index is out of range or the string runs past the pool.
    pub fn get(&self, i: u32) -> Result<String> {
        let b = self.bytes;
        let idx = to_usize(i);
        if idx >= self.count {
            return Err(b.malformed(
                format!("string index {i} past the pool's {} strings", self.count),
                self.chunk.offset,
            ));
        }
        let rel = to_usize(b.u32(self.chunk.body() + idx * 4, "string pool offsets")?);
        let start = self.chunk.offset + self.strings_start;
        let at = start
            .checked_add(rel)
            .filter(|&a| a < self.chunk.end())
            .ok_or_else(|| b.truncated(format!("string {i}"), start))?;
        // The string must stay inside its pool's chunk.
        let pool = Bytes {
            data: &b.data[..self.chunk.end()],
            entry: b.entry,
        };
        if self.utf8 {
            // UTF-16 length (skipped), then UTF-8 length: each one or two bytes, the high bit of
            // the first byte marking the two-byte form.
            let (_, n1) = utf8_len(&pool, at)?;
            let (len, n2) = utf8_len(&pool, at + n1)?;
            let s = pool.slice(at + n1 + n2, len, &format!("string {i}"))?;
            Ok(String::from_utf8_lossy(s).into_owned())
        } else {
            let first = usize::from(pool.u16(at, &format!("string {i}"))?);
            let (len, n) = if first & 0x8000 != 0 {
                let second = usize::from(pool.u16(at + 2, &format!("string {i}"))?);
                (((first & 0x7FFF) << 16) | second, 4)
            } else {
                (first, 2)
            };
            let units = pool.slice(
                at + n,
                len.checked_mul(2)
                    .ok_or_else(|| b.truncated(format!("string {i}"), at))?,
                &format!("string {i}"),
            )?;
            let units = units
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]));
            Ok(char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect())
        }
    }

    /// String `i`, or `None` for [`NO_INDEX`].
    ///
    /// # Errors
    /// As [`StringPool::get`].
    pub fn get_opt(&self, i: u32) -> Result<Option<String>> {
        if i == NO_INDEX {
            Ok(None)
        } else {
            self.get(i).map(Some)
        }
    }
}

fn utf8_len(b: &Bytes<'_>, at: usize) -> Result<(usize, usize)> {
    let first = usize::from(b.u8(at, "string length")?);
    if first & 0x80 != 0 {
        let second = usize::from(b.u8(at + 1, "string length")?);
        Ok((((first & 0x7F) << 8) | second, 2))
    } else {
        Ok((first, 1))
    }
}

/// An attribute's typed value (`Res_value`), with the raw string when the document kept one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string.
    String(String),
    /// An integer (decimal or hexadecimal).
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A resource reference (`@string/...`): the resource id.
    Reference(u32),
    /// Any other type, as (type, data).
    Other(u8, u32),
}

/// One attribute of an element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI, if any.
    pub namespace: Option<String>,
    /// Local name.
    pub name: String,
    /// The Android resource id of the name, when the resource map gives one.
    pub resource_id: Option<u32>,
    /// The value.
    pub value: Value,
}

impl Attribute {
    /// Whether this is the Android attribute `id` (by resource id when the document has one
    /// for it, else by name in the Android namespace).
    pub fn is_android(&self, id: u32, name: &str) -> bool {
        match self.resource_id {
            Some(r) => r == id,
            None => {
                self.name == name && self.namespace.as_deref().is_none_or(|ns| ns == ANDROID_NS)
            }
        }
    }
}

/// One start element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Nesting depth (the root element is 1).
    pub depth: usize,
    /// Attributes in document order.
    pub attributes: Vec<Attribute>,
}

/// Parses a binary XML document into its start elements, in document order, up to and
/// including depth `max_depth` (deeper elements are skipped without decoding their
/// attributes).
///
/// # Errors
/// A [`PackageError`] naming `entry` for anything malformed or truncated.
pub fn parse(data: &[u8], entry: &'static str, max_depth: usize) -> Result<Vec<Element>> {
    let b = Bytes { data, entry };
    if data.len() < 8 {
        return Err(b.truncated("document header", 0));
    }
    let kind = b.u16(0, "document header")?;
    if kind != XML {
        return Err(b.malformed(
            format!("not Android binary XML (first chunk type 0x{kind:04x}, expected 0x0003)"),
            0,
        ));
    }
    let doc = b.chunk(0, data.len())?;
    let mut pool: Option<StringPool<'_>> = None;
    let mut resource_map: Vec<u32> = Vec::new();
    let mut elements = Vec::new();
    let mut depth = 0usize;
    for c in b.chunks(doc.body(), doc.end())? {
        match c.kind {
            STRING_POOL if pool.is_none() => pool = Some(StringPool::parse(b, c)?),
            XML_RESOURCE_MAP => {
                resource_map = b
                    .slice(c.body(), c.size - c.header_size, "resource map")?
                    .chunks_exact(4)
                    .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
                    .collect();
            }
            XML_START_ELEMENT => {
                depth += 1;
                if depth <= max_depth {
                    let pool = pool
                        .as_ref()
                        .ok_or_else(|| b.malformed("element before the string pool", c.offset))?;
                    elements.push(element(&b, c, pool, &resource_map, depth)?);
                }
            }
            XML_END_ELEMENT => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| b.malformed("end element without a start", c.offset))?;
            }
            _ => {}
        }
    }
    Ok(elements)
}

/// Reads a start element: the node header (line, comment), then `ResXMLTree_attrExt` and its
/// attributes (`ResXMLTree_attribute`, each 20 bytes unless the element says otherwise).
fn element(
    b: &Bytes<'_>,
    c: Chunk,
    pool: &StringPool<'_>,
    resource_map: &[u32],
    depth: usize,
) -> Result<Element> {
    let ext = c.body();
    let what = "start element";
    if ext + 20 > c.end() {
        return Err(b.truncated(what, c.offset));
    }
    let name = pool.get(b.u32(ext + 4, what)?)?;
    let attr_start = usize::from(b.u16(ext + 8, what)?);
    let attr_size = usize::from(b.u16(ext + 10, what)?);
    let count = usize::from(b.u16(ext + 12, what)?);
    if count > 0 && attr_size < 20 {
        return Err(b.malformed(
            format!("attribute size {attr_size} is under 20 bytes"),
            c.offset,
        ));
    }
    let mut attributes = Vec::with_capacity(count);
    for i in 0..count {
        let at = ext + attr_start + i * attr_size;
        if at + 20 > c.end() {
            return Err(b.truncated(format!("attribute {i} of <{name}>"), at));
        }
        let ns = b.u32(at, "attribute")?;
        let name_idx = b.u32(at + 4, "attribute")?;
        let raw = b.u32(at + 8, "attribute")?;
        let data_type = b.u8(at + 15, "attribute")?;
        let data = b.u32(at + 16, "attribute")?;
        let resource_id = resource_map
            .get(to_usize(name_idx))
            .copied()
            .filter(|&r| r != 0);
        let value = match data_type {
            value_type::STRING => Value::String(pool.get(data)?),
            value_type::INT_DEC | value_type::INT_HEX => {
                // A Res_value's data is a 32-bit int; read it as signed, as Android does.
                Value::Int(i64::from(i32::from_le_bytes(data.to_le_bytes())))
            }
            value_type::INT_BOOLEAN => Value::Bool(data != 0),
            value_type::REFERENCE | value_type::DYNAMIC_REFERENCE => Value::Reference(data),
            value_type::NULL if raw != NO_INDEX => Value::String(pool.get(raw)?),
            t => match pool.get_opt(raw)? {
                Some(s) => Value::String(s),
                None => Value::Other(t, data),
            },
        };
        attributes.push(Attribute {
            namespace: pool.get_opt(ns)?,
            name: pool.get(name_idx)?,
            resource_id,
            value,
        });
    }
    Ok(Element {
        name,
        depth,
        attributes,
    })
}
