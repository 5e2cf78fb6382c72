//! The MIME type of a file, sniffed from its first bytes (never trusted from the upload's
//! name or headers): this decides which processing a file gets.

use std::io::Read;
use std::path::Path;

/// How much of a file sniffing reads: enough for every signature `infer` knows at a fixed
/// offset (ISO 9660 looks at 32 KiB) and for the text check.
pub const SNIFF_BYTES: usize = 64 * 1024;
/// The type of anything not recognised.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// The sniffed MIME type of `bytes` (the start of a file is enough). Files with no known
/// signature that are valid UTF-8 without NUL bytes are `text/plain`.
pub fn sniff_mime(bytes: &[u8]) -> &'static str {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type();
    }
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if !head.is_empty() && !head.contains(&0) && is_utf8_prefix(head) {
        return "text/plain";
    }
    OCTET_STREAM
}

/// [`sniff_mime`] of the first [`SNIFF_BYTES`] of the file at `path`.
pub fn sniff_mime_from_path(path: &Path) -> std::io::Result<&'static str> {
    Ok(sniff_mime(&read_head(path)?))
}

/// The first [`SNIFF_BYTES`] of the file at `path` (all of a shorter file).
pub fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    std::fs::File::open(path)?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// UTF-8, allowing a multi-byte character cut at the end of the sniffed prefix.
fn is_utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_signatures_and_text() {
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(sniff_mime(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(sniff_mime("héllo, world\n".as_bytes()), "text/plain");
        // "é" cut in the middle by the sniff window is still text.
        assert_eq!(sniff_mime(&"hé".as_bytes()[..2]), "text/plain");
        assert_eq!(sniff_mime(b"\0\x01\x02\xff"), OCTET_STREAM);
        assert_eq!(sniff_mime(b""), OCTET_STREAM);
    }
}
