//! What a file is, from its first bytes (never from what the client claims).

/// How many leading bytes sniffing looks at.
pub const SNIFF_BYTES: usize = 8192;

/// The content type of a file starting with `head`: a known signature, else `text/plain` for
/// UTF-8 text without NULs, else `application/octet-stream`.
pub fn content_type(head: &[u8]) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    if head.is_empty() {
        return "application/octet-stream".into();
    }
    // A multi-byte character cut at the end of the sample is still text.
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > head.len(),
    };
    if text && !head.contains(&0) {
        "text/plain".into()
    } else {
        "application/octet-stream".into()
    }
}

/// The category a content type falls in: `image`, `video`, `audio`, `document` or `other`.
pub fn category(content_type: &str) -> &'static str {
    let (top, sub) = content_type.split_once('/').unwrap_or((content_type, ""));
    match top {
        "image" => "image",
        "video" => "video",
        "audio" => "audio",
        "text" => "document",
        "application"
            if sub == "pdf"
                || sub.starts_with("vnd.openxmlformats")
                || sub.starts_with("vnd.oasis")
                || sub == "msword"
                || sub == "rtf"
                || sub.starts_with("vnd.ms-") =>
        {
            "document"
        }
        _ => "other",
    }
}

/// The processing jobs a file of `content_type` gets (API.md: images a thumbnail and a
/// metadata job, video a video and a metadata job, audio an audio and a metadata job, anything
/// else a metadata job).
pub fn processing_jobs(content_type: &str) -> &'static [&'static str] {
    match category(content_type) {
        "image" => &["media.thumbnail", "media.metadata"],
        "video" => &["media.video", "media.metadata"],
        "audio" => &["media.audio", "media.metadata"],
        _ => &["media.metadata"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_win_over_names_and_text_is_told_from_binary() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(content_type(png), "image/png");
        assert_eq!(content_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(content_type("héllo, world\n".as_bytes()), "text/plain");
        assert_eq!(
            content_type(&"é".as_bytes()[..1]),
            "text/plain",
            "a cut character"
        );
        assert_eq!(
            content_type(b"\0\x01\x02binary"),
            "application/octet-stream"
        );
        assert_eq!(content_type(b""), "application/octet-stream");
    }

    #[test]
    fn categories_pick_the_processing() {
        assert_eq!(
            processing_jobs("image/png"),
            ["media.thumbnail", "media.metadata"]
        );
        assert_eq!(
            processing_jobs("video/mp4"),
            ["media.video", "media.metadata"]
        );
        assert_eq!(
            processing_jobs("audio/mpeg"),
            ["media.audio", "media.metadata"]
        );
        assert_eq!(processing_jobs("text/plain"), ["media.metadata"]);
        assert_eq!(category("application/pdf"), "document");
        assert_eq!(category("application/zip"), "other");
    }
}
