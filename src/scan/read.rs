//! Reading one file: size cap, special-file refusal, binary sniffing and
//! encoding detection. Every problem becomes a [`SkipReason`] with a detail;
//! nothing here panics or aborts a scan.

use crate::finding::SkipReason;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// How many leading bytes are checked for NUL (git's heuristic uses 8000).
const BINARY_SNIFF_LEN: usize = 8192;

/// The text encoding a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (or bytes that are mostly UTF-8) without BOM.
    Utf8,
    /// UTF-8 with a byte-order mark (stripped before scanning).
    Utf8Bom,
    /// UTF-16 little-endian with BOM, decoded to UTF-8 for scanning.
    Utf16Le,
    /// UTF-16 big-endian with BOM, decoded to UTF-8 for scanning.
    Utf16Be,
}

/// Why a file's content cannot be scanned, with a human detail (the OS
/// error, the size, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The reason, as counted in every report.
    pub reason: SkipReason,
    /// What exactly happened.
    pub detail: String,
}

impl Skip {
    /// A skip for `reason` with `detail`.
    pub fn new(reason: SkipReason, detail: impl Into<String>) -> Skip {
        Skip {
            reason,
            detail: detail.into(),
        }
    }

    /// The skip for a file larger than `max` bytes.
    pub fn too_large(size: u64, max: u64) -> Skip {
        Skip::new(
            SkipReason::TooLarge,
            format!("{size} bytes > limit of {max}"),
        )
    }
}

/// A file's content ready to scan.
#[derive(Debug)]
pub struct Loaded {
    /// How the bytes were decoded.
    pub encoding: Encoding,
    /// Size of the file on disk.
    pub size: u64,
    /// UTF-8 text decoded from UTF-16 (otherwise the scan uses the read buffer).
    pub decoded: Option<Vec<u8>>,
    /// Offset of the content in the read buffer (3 after a UTF-8 BOM).
    pub offset: usize,
}

impl Loaded {
    /// The bytes to scan: decoded text, or the read buffer past any BOM.
    pub fn content<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match &self.decoded {
            Some(d) => d,
            None => &buf[self.offset..],
        }
    }
}

/// Reads `path` into `buf` (reused between files) and classifies its bytes.
pub fn read_file(path: &Path, max_size: u64, buf: &mut Vec<u8>) -> Result<Loaded, Skip> {
    let unreadable = |e: std::io::Error| Skip::new(SkipReason::Unreadable, e.to_string());
    // Check the type before opening: opening a FIFO for reading would block.
    let meta = std::fs::symlink_metadata(path).map_err(unreadable)?;
    if meta.file_type().is_symlink() {
        return Err(Skip::new(
            SkipReason::Symlink,
            "symbolic links are not followed",
        ));
    }
    if !meta.is_file() {
        return Err(Skip::new(SkipReason::Special, "not a regular file"));
    }
    if meta.len() > max_size {
        return Err(Skip::too_large(meta.len(), max_size));
    }
    let file = File::open(path).map_err(unreadable)?;
    buf.clear();
    // Read at most one byte past the cap: a file growing after the size check
    // is still refused instead of read without bound.
    file.take(max_size + 1)
        .read_to_end(buf)
        .map_err(unreadable)?;
    if buf.len() as u64 > max_size {
        return Err(Skip::new(
            SkipReason::TooLarge,
            format!("grew past the limit of {max_size} bytes while being read"),
        ));
    }
    classify(buf, meta.len())
}

/// Reads a file that a directory walk listed as a regular file into `buf`
/// and classifies its bytes. No `stat`: the walk's file type stands in for
/// it, the open refuses symlinks and never blocks
/// ([`crate::util::fs::open_listed`]), and the read stops one byte past
/// `max_size`; only a file that turns out too large is looked at again, to
/// say how large (or that it is no longer a regular file).
pub fn read_listed(path: &Path, max_size: u64, buf: &mut Vec<u8>) -> Result<Loaded, Skip> {
    let unreadable = |e: std::io::Error| Skip::new(SkipReason::Unreadable, e.to_string());
    let file = match crate::util::fs::open_listed(path) {
        Ok(f) => f,
        Err(e) if crate::util::fs::is_symlink_refusal(&e) => {
            return Err(Skip::new(
                SkipReason::Symlink,
                "symbolic links are not followed",
            ))
        }
        Err(e) => return Err(unreadable(e)),
    };
    match crate::util::fs::read_capped(&file, max_size, buf).map_err(unreadable)? {
        Ok(()) => classify(buf, buf.len() as u64),
        Err(_) => {
            let meta = file.metadata().map_err(unreadable)?;
            Err(if !meta.is_file() {
                Skip::new(SkipReason::Special, "not a regular file")
            } else if meta.len() > max_size {
                Skip::too_large(meta.len(), max_size)
            } else {
                Skip::new(
                    SkipReason::TooLarge,
                    format!("grew past the limit of {max_size} bytes while being read"),
                )
            })
        }
    }
}

/// Classifies bytes already in memory (used for files, stdin and git blobs).
pub fn classify(buf: &[u8], size: u64) -> Result<Loaded, Skip> {
    if let Some(rest) = buf.strip_prefix(&[0xFF, 0xFE]) {
        return Ok(Loaded {
            encoding: Encoding::Utf16Le,
            size,
            decoded: Some(decode_utf16(rest, u16::from_le_bytes)),
            offset: 0,
        });
    }
    if let Some(rest) = buf.strip_prefix(&[0xFE, 0xFF]) {
        return Ok(Loaded {
            encoding: Encoding::Utf16Be,
            size,
            decoded: Some(decode_utf16(rest, u16::from_be_bytes)),
            offset: 0,
        });
    }
    let sniff = &buf[..buf.len().min(BINARY_SNIFF_LEN)];
    if memchr::memchr(0, sniff).is_some() {
        return Err(Skip::new(SkipReason::Binary, "NUL byte in the first 8 KiB"));
    }
    if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(Loaded {
            encoding: Encoding::Utf8Bom,
            size,
            decoded: None,
            offset: 3,
        });
    }
    Ok(Loaded {
        encoding: Encoding::Utf8,
        size,
        decoded: None,
        offset: 0,
    })
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Vec<u8> {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    for ch in char::decode_utf16(units) {
        out.push(ch.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_binary_bom_and_utf16() {
        assert_eq!(classify(b"a\0b", 3).unwrap_err().reason, SkipReason::Binary);
        let l = classify(b"\xEF\xBB\xBFabc", 6).unwrap();
        assert_eq!((l.encoding, l.offset), (Encoding::Utf8Bom, 3));
        let mut v = vec![0xFF, 0xFE];
        for u in "K=v\n".encode_utf16() {
            v.extend(u.to_le_bytes());
        }
        let l = classify(&v, v.len() as u64).unwrap();
        assert_eq!(l.encoding, Encoding::Utf16Le);
        assert_eq!(l.content(&v), b"K=v\n");
        // Invalid UTF-8 is text, not binary: it is scanned byte-wise.
        assert_eq!(classify(b"a\xFFb", 3).unwrap().encoding, Encoding::Utf8);
    }
}
