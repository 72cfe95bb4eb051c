//! The compiled resource table (`resources.arsc`), read only as far as resolving a string
//! resource such as `@string/app_name`: the table's value string pool, then per package its
//! type chunks (`ResTable_type`), each holding one configuration's entries of one type.
//!
//! A resource id is `0xPPTTEEEE`: package, type (1-based) and entry index. The default
//! configuration (every field of `ResTable_config` zero) is preferred; another configuration
//! that has the entry is the fallback.

use super::axml::{Bytes, Chunk, STRING_POOL, StringPool, to_usize, value_type};
use super::{PackageError, Result};

/// The entry's name inside an APK.
pub const ENTRY: &str = "resources.arsc";
/// `RES_TABLE_TYPE`.
pub const TABLE: u16 = 0x0002;
/// `RES_TABLE_PACKAGE_TYPE`.
pub const PACKAGE: u16 = 0x0200;
/// `RES_TABLE_TYPE_TYPE`.
pub const TYPE: u16 = 0x0201;
/// `RES_TABLE_TYPE_SPEC_TYPE`.
pub const TYPE_SPEC: u16 = 0x0202;

/// `ResTable_type` flags.
const FLAG_SPARSE: u8 = 0x01;
const FLAG_OFFSET16: u8 = 0x02;
/// `ResTable_entry` flags.
const ENTRY_COMPLEX: u16 = 0x0001;
const ENTRY_COMPACT: u16 = 0x0008;
/// A reference to a reference to ... gives up after this many steps (a cycle, or abuse).
const MAX_REFERENCE_DEPTH: usize = 8;

/// A parsed resource table.
pub struct Table<'a> {
    bytes: Bytes<'a>,
    strings: Option<StringPool<'a>>,
    packages: Vec<(u32, Vec<TypeChunk>)>,
}

/// One `ResTable_type` chunk.
#[derive(Clone, Copy, Debug)]
struct TypeChunk {
    chunk: Chunk,
    id: u8,
    flags: u8,
    entry_count: usize,
    entries_start: usize,
    default_config: bool,
}

/// Parses the table's structure: every chunk is checked to fit, and each type chunk's header
/// is read.
///
/// # Errors
/// A [`PackageError`] naming `resources.arsc` when anything is truncated or impossible.
pub fn parse(data: &[u8]) -> Result<Table<'_>> {
    let b = Bytes { data, entry: ENTRY };
    if data.len() < 12 {
        return Err(b.truncated("table header", 0));
    }
    let kind = b.u16(0, "table header")?;
    if kind != TABLE {
        return Err(b.malformed(
            format!("not a resource table (first chunk type 0x{kind:04x}, expected 0x0002)"),
            0,
        ));
    }
    let table = b.chunk(0, data.len())?;
    let mut strings = None;
    let mut packages = Vec::new();
    for c in b.chunks(table.body(), table.end())? {
        match c.kind {
            STRING_POOL if strings.is_none() => strings = Some(StringPool::parse(b, c)?),
            PACKAGE => packages.push(package(&b, c)?),
            _ => {}
        }
    }
    Ok(Table {
        bytes: b,
        strings,
        packages,
    })
}

fn package(b: &Bytes<'_>, c: Chunk) -> Result<(u32, Vec<TypeChunk>)> {
    let id = b.u32(c.offset + 8, "package header")?;
    let mut types = Vec::new();
    for t in b.chunks(c.body(), c.end())? {
        if t.kind != TYPE {
            continue;
        }
        let o = t.offset;
        let what = "type chunk header";
        // id, flags, reserved, entryCount, entriesStart, then ResTable_config (its size first).
        if t.header_size < 24 {
            return Err(b.malformed("type chunk header shorter than 24 bytes", o));
        }
        let config_size = to_usize(b.u32(o + 20, what)?);
        if config_size < 4 || 20 + config_size > t.header_size {
            return Err(b.malformed(
                format!(
                    "configuration of {config_size} bytes in a {}-byte header",
                    t.header_size
                ),
                o,
            ));
        }
        let config = b.slice(o + 24, config_size - 4, what)?;
        types.push(TypeChunk {
            chunk: t,
            id: b.u8(o + 8, what)?,
            flags: b.u8(o + 9, what)?,
            entry_count: to_usize(b.u32(o + 12, what)?),
            entries_start: to_usize(b.u32(o + 16, what)?),
            default_config: config.iter().all(|&x| x == 0),
        });
    }
    Ok((id, types))
}

impl Table<'_> {
    /// The string that resource `id` holds (following references), from the default
    /// configuration when it has one.
    ///
    /// # Errors
    /// When the resource is absent, is not a string, or its chunk is malformed.
    pub fn resolve_string(&self, id: u32) -> Result<String> {
        let mut id = id;
        for _ in 0..MAX_REFERENCE_DEPTH {
            let (data_type, data) = self.value(id)?;
            match data_type {
                value_type::STRING => {
                    let pool = self
                        .strings
                        .as_ref()
                        .ok_or_else(|| self.bytes.malformed("no value string pool", 0))?;
                    return pool.get(data);
                }
                value_type::REFERENCE | value_type::DYNAMIC_REFERENCE => id = data,
                t => {
                    return Err(
                        self.bad(id, format!("holds a value of type 0x{t:02x}, not a string"))
                    );
                }
            }
        }
        Err(self.bad(
            id,
            format!("references go deeper than {MAX_REFERENCE_DEPTH} steps"),
        ))
    }

    fn bad(&self, id: u32, what: String) -> PackageError {
        PackageError::BadField {
            entry: ENTRY.to_owned(),
            field: format!("resource 0x{id:08x}"),
            what,
        }
    }

    /// The simple value (type, data) of resource `id`.
    fn value(&self, id: u32) -> Result<(u8, u32)> {
        let pkg = id >> 24;
        let type_id = (id >> 16) & 0xFF;
        let index = to_usize(id & 0xFFFF);
        let types = self
            .packages
            .iter()
            .find(|(p, _)| *p == pkg)
            .map(|(_, t)| t)
            .ok_or_else(|| self.bad(id, format!("no package 0x{pkg:02x} in the table")))?;
        let candidates = types.iter().filter(|t| u32::from(t.id) == type_id);
        // Default configuration first, then any other that has the entry.
        let (defaults, others): (Vec<&TypeChunk>, Vec<&TypeChunk>) =
            candidates.partition(|t| t.default_config);
        for t in defaults.into_iter().chain(others) {
            if let Some(at) = self.entry_offset(t, index)? {
                return self.entry_value(t, at, id);
            }
        }
        Err(self.bad(id, "not found in the table".to_owned()))
    }

    /// Where entry `index` of a type chunk starts, or `None` when the chunk lacks it.
    fn entry_offset(&self, t: &TypeChunk, index: usize) -> Result<Option<usize>> {
        let b = &self.bytes;
        let c = t.chunk;
        let table = c.body();
        let what = "type chunk entry offsets";
        let rel = if t.flags & FLAG_SPARSE != 0 {
            // Pairs of (u16 entry index, u16 offset / 4), sorted by index.
            let mut found = None;
            for i in 0..t.entry_count {
                let at = table + i * 4;
                if at + 4 > c.end() {
                    return Err(b.truncated(what, at));
                }
                if usize::from(b.u16(at, what)?) == index {
                    found = Some(usize::from(b.u16(at + 2, what)?) * 4);
                    break;
                }
            }
            found
        } else if index >= t.entry_count {
            None
        } else if t.flags & FLAG_OFFSET16 != 0 {
            let at = table + index * 2;
            if at + 2 > c.end() {
                return Err(b.truncated(what, at));
            }
            match b.u16(at, what)? {
                0xFFFF => None,
                v => Some(usize::from(v) * 4),
            }
        } else {
            let at = table + index * 4;
            if at + 4 > c.end() {
                return Err(b.truncated(what, at));
            }
            match b.u32(at, what)? {
                super::axml::NO_INDEX => None,
                v => Some(to_usize(v)),
            }
        };
        Ok(match rel {
            None => None,
            Some(rel) => Some(
                c.offset
                    .checked_add(t.entries_start)
                    .and_then(|s| s.checked_add(rel))
                    .filter(|&a| a.checked_add(8).is_some_and(|e| e <= c.end()))
                    .ok_or_else(|| b.truncated("resource entry", c.offset))?,
            ),
        })
    }

    /// The value of the entry at `at`: a compact entry holds it inline; a full entry is
    /// followed by a `Res_value`; a complex (bag) entry holds no single value.
    fn entry_value(&self, t: &TypeChunk, at: usize, id: u32) -> Result<(u8, u32)> {
        let b = &self.bytes;
        let end = t.chunk.end();
        let what = "resource entry";
        let size = usize::from(b.u16(at, what)?);
        let flags = b.u16(at + 2, what)?;
        if flags & ENTRY_COMPACT != 0 {
            let data_type = u8::try_from(flags >> 8).unwrap_or(0);
            return Ok((data_type, b.u32(at + 4, what)?));
        }
        if flags & ENTRY_COMPLEX != 0 {
            return Err(self.bad(id, "is a complex (bag) resource, not a string".to_owned()));
        }
        let v = at + size;
        if size < 8 || v.checked_add(8).is_none_or(|e| e > end) {
            return Err(b.truncated("resource value", at));
        }
        Ok((b.u8(v + 3, what)?, b.u32(v + 4, what)?))
    }
}
