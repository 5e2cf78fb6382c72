//! Bytes to text. UTF-8 is the norm; what else a text file is in can only be guessed, so:
//!
//! - a byte order mark decides (UTF-8, UTF-16LE, UTF-16BE);
//! - valid UTF-8 is UTF-8;
//! - invalid UTF-8 with more valid non-ASCII characters than invalid sequences is UTF-8 with a
//!   few damaged bytes: those become U+FFFD and the rest is kept;
//! - otherwise it is a legacy single-byte text (an "é" in Latin-1 is an invalid sequence, and
//!   a Latin-1 text has no valid multi-byte ones), read as Windows-1252, the superset of
//!   Latin-1 that browsers use for it; HTML first gets its `<meta charset>` honoured.
//!
//! Whatever the encoding, a text in which more than 1 character in 100 is a control character
//! (NUL included; tab, line breaks, form feed and escape excepted) is binary data, refused: a
//! UTF-16 file without a byte order mark is half NULs, an executable far more than that.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::TextError;

/// How far into an HTML file a `<meta charset>` is looked for (the HTML standard's prescan
/// looks at 1024 bytes).
const META_PRESCAN_BYTES: usize = 1024;

/// The text of a plain text or Markdown file.
pub(super) fn decode_text(bytes: &[u8]) -> Result<Cow<'_, str>, TextError> {
    refuse_binary(decode(bytes, None))
}

/// The text of an HTML file: as [`decode_text`], but a non-UTF-8 file's `<meta charset>` is
/// honoured before guessing.
pub(super) fn decode_html(bytes: &[u8]) -> Result<Cow<'_, str>, TextError> {
    refuse_binary(decode(bytes, meta_charset(bytes)))
}

fn decode<'a>(bytes: &'a [u8], declared: Option<&'static Encoding>) -> Cow<'a, str> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom_len..).unwrap_or_default();
        return encoding.decode_without_bom_handling(rest).0;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text);
    }
    if let Some(encoding) = declared {
        return encoding.decode_without_bom_handling(bytes).0;
    }
    let (mut valid_non_ascii, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid_non_ascii += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    if valid_non_ascii > invalid {
        String::from_utf8_lossy(bytes)
    } else {
        WINDOWS_1252.decode_without_bom_handling(bytes).0
    }
}

fn refuse_binary(text: Cow<'_, str>) -> Result<Cow<'_, str>, TextError> {
    let mut chars = 0usize;
    let mut controls = 0usize;
    for c in text.chars() {
        chars += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b') {
            controls += 1;
        }
    }
    if controls > 0 && controls * 100 > chars {
        return Err(TextError::Binary);
    }
    Ok(text)
}

/// The encoding a `<meta charset=...>` (or `http-equiv` content type) near the start of an
/// HTML file names. UTF-16 names mean UTF-8 here, as the HTML standard says: a file that
/// reached this point has no UTF-16 byte order mark, so the declaration is wrong.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = bytes.get(..META_PRESCAN_BYTES).unwrap_or(bytes);
    let lower = head.to_ascii_lowercase();
    let at = lower.windows(8).position(|w| w == b"charset=")? + 8;
    let rest = lower.get(at..)?;
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| matches!(b, b'"' | b'\'' | b';' | b'>' | b'/') || b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let encoding = Encoding::for_label(rest.get(..end)?)?;
    Some(if encoding == UTF_16LE || encoding == UTF_16BE {
        UTF_8
    } else {
        encoding
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8]) -> Option<String> {
        decode_text(bytes).ok().map(Cow::into_owned)
    }

    #[test]
    fn utf8_boms_and_legacy_text_are_read() {
        assert_eq!(text("café ✓".as_bytes()).as_deref(), Some("café ✓"));
        assert_eq!(text(b"\xef\xbb\xbfbom").as_deref(), Some("bom"));
        // UTF-16LE and BE with their byte order marks.
        assert_eq!(text(b"\xff\xfeh\0i\0").as_deref(), Some("hi"));
        assert_eq!(text(b"\xfe\xff\0h\0i").as_deref(), Some("hi"));
        // Latin-1 / Windows-1252: "Café" and a euro sign (0x80 in Windows-1252).
        assert_eq!(text(b"Caf\xe9 \x80").as_deref(), Some("Café €"));
        // UTF-8 with one damaged byte stays UTF-8.
        assert_eq!(
            text(b"na\xc3\xafve \xc3\xa9t\xc3\xa9 \xff end").as_deref(),
            Some("naïve été \u{fffd} end")
        );
    }

    #[test]
    fn binary_data_is_refused() {
        assert!(matches!(
            decode_text(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"),
            Err(TextError::Binary)
        ));
        // UTF-16 without a byte order mark: every other byte is NUL.
        assert!(matches!(
            decode_text(b"h\0e\0l\0l\0o\0"),
            Err(TextError::Binary)
        ));
        // A stray control character in a long text is not binary.
        let mut long = "word ".repeat(100).into_bytes();
        long.push(0);
        assert!(decode_text(&long).is_ok());
    }

    #[test]
    fn html_meta_charset_is_honoured_for_non_utf8_files() {
        let page = b"<html><head><meta charset=\"koi8-r\"></head><body>\xf0\xd2\xc9\xd7\xc5\xd4</body></html>";
        let got = decode_html(page).ok().map(Cow::into_owned);
        assert!(got.is_some_and(|t| t.contains("Привет")));
        let declared_utf16 =
            b"<meta http-equiv=Content-Type content='text/html; charset=utf-16'>caf\xc3\xa9 \xff";
        assert_eq!(meta_charset(declared_utf16), Some(UTF_8));
    }
}
