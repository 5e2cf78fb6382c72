//! Filenames as clients send them, made safe to store and to put in a header.

/// Longest stored filename, in bytes.
pub const MAX_FILENAME_BYTES: usize = 255;

/// The name to store: the last path segment (either separator), without control or
/// bidirectional-override characters, trimmed, at most 255 bytes on a character boundary;
/// `file` when nothing is left.
pub fn sanitize(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let trimmed = cleaned.trim().trim_matches('.').trim();
    let mut name = String::new();
    for c in trimmed.chars() {
        if name.len() + c.len_utf8() > MAX_FILENAME_BYTES {
            break;
        }
        name.push(c);
    }
    if name.is_empty() { "file".into() } else { name }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `Content-Disposition: attachment` for `name` (RFC 6266): an ASCII fallback in `filename`
/// (quotes and backslashes replaced) and the exact name in `filename*`, percent-encoded UTF-8.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        // RFC 5987 attr-char.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_lose_paths_controls_and_length() {
        assert_eq!(sanitize("../../etc/passwd"), "passwd");
        assert_eq!(sanitize("C:\\Users\\x\\evil.exe"), "evil.exe");
        assert_eq!(sanitize("a\r\nSet-Cookie: x=1.txt"), "aSet-Cookie: x=1.txt");
        assert_eq!(sanitize("photo\u{202E}gpj.exe"), "photogpj.exe");
        assert_eq!(sanitize("  ..  "), "file");
        assert_eq!(sanitize(""), "file");
        assert_eq!(sanitize("dir/"), "file");
        let long = "é".repeat(200);
        let cut = sanitize(&long);
        assert!(cut.len() <= MAX_FILENAME_BYTES && cut.chars().all(|c| c == 'é'));
        assert_eq!(sanitize("Résumé 2026.pdf"), "Résumé 2026.pdf");
    }

    #[test]
    fn dispositions_keep_the_name_and_cannot_break_the_header() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        let d = content_disposition("Résumé \"final\".pdf");
        assert_eq!(
            d,
            "attachment; filename=\"R_sum_ _final_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
        assert!(!content_disposition("a\r\nb").contains('\n'));
    }
}
