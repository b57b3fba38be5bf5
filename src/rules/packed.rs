//! The embedded pack's rule files, parsed at build time.
//!
//! `build.rs` parses each file of the scanning copy once and writes its
//! values in a compact form: a tag byte, the value's span in the TOML text
//! (two little-endian `u32`), then the payload (strings and keys: a `u32`
//! length and UTF-8 bytes; arrays and tables: a `u32` count and their
//! items). [`from_packed`] deserializes that into the same spec types,
//! spans included, as `toml::from_str` does from the text; parsing the TOML
//! was the largest part of loading the pack. A test checks that both agree
//! on every file.

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde_spanned::de::{is_spanned, SpannedDeserializer};
use std::fmt;
use std::ops::Range;

const STRING: u8 = 0;
const INTEGER: u8 = 1;
const FLOAT: u8 = 2;
const BOOLEAN: u8 = 3;
const ARRAY: u8 = 5;
const TABLE: u8 = 6;

/// A packed file that does not decode into the requested type.
#[derive(Debug)]
pub(super) struct PackedError(String);

impl fmt::Display for PackedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PackedError {}

impl de::Error for PackedError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        PackedError(msg.to_string())
    }
}

/// Deserializes one packed file.
pub(super) fn from_packed<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, PackedError> {
    let mut r = Reader { bytes, pos: 0 };
    let value = T::deserialize(&mut r)?;
    if r.pos != bytes.len() {
        return Err(PackedError(
            "trailing bytes after the packed document".into(),
        ));
    }
    Ok(value)
}

/// A cursor over packed values.
struct Reader<'de> {
    bytes: &'de [u8],
    pos: usize,
}

impl<'de> Reader<'de> {
    fn take(&mut self, n: usize) -> Result<&'de [u8], PackedError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| PackedError("packed document ends early".into()))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<usize, PackedError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn u64(&mut self) -> Result<[u8; 8], PackedError> {
        let b = self.take(8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(a)
    }

    fn str(&mut self) -> Result<&'de str, PackedError> {
        let n = self.u32()?;
        std::str::from_utf8(self.take(n)?).map_err(|e| PackedError(e.to_string()))
    }

    /// The next value's tag and span, consumed.
    fn header(&mut self) -> Result<(u8, Range<usize>), PackedError> {
        let tag = self.take(1)?[0];
        let start = self.u32()?;
        let end = self.u32()?;
        Ok((tag, start..end))
    }

    /// The next value's span, not consumed.
    fn peek_span(&self) -> Result<Range<usize>, PackedError> {
        let mut copy = Reader {
            bytes: self.bytes,
            pos: self.pos,
        };
        copy.header().map(|(_, span)| span)
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = PackedError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PackedError> {
        let (tag, _) = self.header()?;
        match tag {
            STRING => visitor.visit_borrowed_str(self.str()?),
            INTEGER => visitor.visit_i64(i64::from_le_bytes(self.u64()?)),
            FLOAT => visitor.visit_f64(f64::from_le_bytes(self.u64()?)),
            BOOLEAN => visitor.visit_bool(self.take(1)?[0] != 0),
            ARRAY => {
                let left = self.u32()?;
                visitor.visit_seq(Items { r: self, left })
            }
            TABLE => {
                let left = self.u32()?;
                visitor.visit_map(Items { r: self, left })
            }
            other => Err(PackedError(format!("unknown packed tag {other}"))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PackedError> {
        // A key that is present holds a value; absent keys never get here.
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PackedError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PackedError> {
        if is_spanned(name) {
            let span = self.peek_span()?;
            return visitor.visit_map(SpannedDeserializer::<_, PackedError>::new(self, span));
        }
        let _ = fields;
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, PackedError> {
        Err(PackedError(format!(
            "enum {name} is not in the packed form"
        )))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier
        ignored_any
    }
}

impl<'de> IntoDeserializer<'de, PackedError> for &mut Reader<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// The items of an array or the entries of a table.
struct Items<'a, 'de> {
    r: &'a mut Reader<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = PackedError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, PackedError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.r).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Items<'_, 'de> {
    type Error = PackedError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, PackedError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let key = self.r.str()?;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, PackedError> {
        seed.deserialize(&mut *self.r)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::embedded::{DEFAULT_RULES_FOR_SCANNING, DEFAULT_RULES_PACKED};
    use crate::rules::spec::RuleFileSpec;

    #[test]
    fn every_packed_file_reads_as_its_toml_does() {
        assert_eq!(DEFAULT_RULES_FOR_SCANNING.len(), DEFAULT_RULES_PACKED.len());
        for ((name, text), packed) in DEFAULT_RULES_FOR_SCANNING.iter().zip(DEFAULT_RULES_PACKED) {
            let from_text: RuleFileSpec = toml::from_str(text).unwrap();
            let from_packed: RuleFileSpec = from_packed(packed).unwrap();
            // Debug shows every value and every span.
            assert_eq!(
                format!("{from_packed:?}"),
                format!("{from_text:?}"),
                "{name}"
            );
        }
    }

    #[test]
    fn a_damaged_packed_file_is_an_error() {
        let packed = DEFAULT_RULES_PACKED[0];
        for cut in [0, 1, 9, packed.len() / 2, packed.len() - 1] {
            assert!(
                from_packed::<RuleFileSpec>(&packed[..cut]).is_err(),
                "cut {cut}"
            );
        }
        let mut longer = packed.to_vec();
        longer.push(0);
        assert!(from_packed::<RuleFileSpec>(&longer).is_err());
    }
}
