//! The text of a document for knowledge bases: plain text, Markdown, HTML and PDF, as clean
//! paragraphs with no markup, within limits a hostile upload cannot exhaust.
//!
//! Which reader a file gets ([`TextFormat::resolve`]): the API stores the type it sniffed at
//! upload, and sniffing cannot tell Markdown from plain text, and tells HTML only when the file
//! starts with a tag (a `README.md` opening with `<p align="center">` sniffs as HTML). So for
//! those the file name's extension decides when it is one of ours; a PDF is a PDF by its
//! signature whatever it is called.
//!
//! The result is normalised the same way for every format ([`normalise`]): runs of spaces and
//! tabs become one space, lines are trimmed, paragraphs are separated by one blank line, and
//! control characters (NUL included, which the API refuses) are dropped.
//!
//! One module per reader: `text/charset.rs` (bytes to text), `text/markdown.rs`,
//! `text/html.rs`, `text/pdf.rs`.

mod charset;
mod html;
mod markdown;
mod pdf;

use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::limits::Limits;
use crate::mime;

/// The most text one document may hold, in bytes of UTF-8: the API's own limit
/// (`MAX_TEXT_BYTES` of the knowledge service), so an over-long text fails here with a clear
/// message instead of as a refused request.
pub const DEFAULT_MAX_TEXT_BYTES: usize = 900_000;
/// Largest plain text, Markdown or HTML file read: markup rarely makes up more than nine
/// tenths of a page, so 64 MiB covers any file whose text fits the text limit.
pub const DEFAULT_MAX_MARKUP_BYTES: u64 = 64 * 1024 * 1024;
/// How far one stream of a PDF may decompress (page contents, fonts, forms): far above any
/// real page, far below what a decompression bomb asks for.
pub const DEFAULT_MAX_PDF_STREAM_BYTES: usize = 64 * 1024 * 1024;
/// How far all the streams of a PDF may decompress together.
pub const DEFAULT_MAX_PDF_TOTAL_STREAM_BYTES: u64 = 1024 * 1024 * 1024;

/// What text extraction may accept and spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    /// Largest text returned, in bytes of UTF-8 after normalisation.
    pub max_text_bytes: usize,
    /// Largest plain text, Markdown or HTML file read.
    pub max_markup_bytes: u64,
    /// Largest PDF read (whole, into memory).
    pub max_pdf_bytes: u64,
    /// How far one PDF stream may decompress.
    pub max_pdf_stream_bytes: usize,
    /// How far all of a PDF's streams may decompress together.
    pub max_pdf_total_stream_bytes: u64,
    /// Wall-clock budget of one PDF, checked between pages.
    pub max_pdf_duration: Duration,
}

impl Default for TextLimits {
    fn default() -> Self {
        Self::from_limits(&Limits::default())
    }
}

impl TextLimits {
    /// The defaults, within the runner's file limits; a PDF gets twice the tool timeout.
    pub fn from_limits(limits: &Limits) -> Self {
        Self {
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
            max_markup_bytes: DEFAULT_MAX_MARKUP_BYTES.min(limits.max_file_bytes),
            max_pdf_bytes: limits.in_memory_limit(),
            max_pdf_stream_bytes: DEFAULT_MAX_PDF_STREAM_BYTES,
            max_pdf_total_stream_bytes: DEFAULT_MAX_PDF_TOTAL_STREAM_BYTES,
            max_pdf_duration: limits.tool_timeout.saturating_mul(2),
        }
    }
}

/// The formats text is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextFormat {
    Plain,
    Markdown,
    Html,
    Pdf,
}

impl TextFormat {
    /// The name people know the format by.
    pub fn name(self) -> &'static str {
        match self {
            TextFormat::Plain => "plain text",
            TextFormat::Markdown => "Markdown",
            TextFormat::Html => "HTML",
            TextFormat::Pdf => "PDF",
        }
    }

    /// Which reader a file gets, from the type the API stored for it (`content_type`, sniffed
    /// at upload), its name and its first bytes (`head`).
    pub fn resolve(
        content_type: &str,
        file_name: Option<&str>,
        head: &[u8],
    ) -> Result<Self, TextError> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence == "application/pdf" {
            return Ok(TextFormat::Pdf);
        }
        // XML is markup none of the readers knows: its tags would end up in the text.
        let text_family = essence.is_empty()
            || essence == mime::OCTET_STREAM
            || essence == "application/xhtml+xml"
            || (essence.starts_with("text/") && !essence.ends_with("xml"));
        if text_family && let Some(by_name) = file_name.and_then(Self::by_extension) {
            return Ok(by_name);
        }
        match essence.as_str() {
            "text/markdown" | "text/x-markdown" => Ok(TextFormat::Markdown),
            "text/html" | "application/xhtml+xml" => Ok(TextFormat::Html),
            e if text_family && e.starts_with("text/") => Ok(TextFormat::Plain),
            // Not sniffed (an older upload, another producer), or text that is not UTF-8
            // (sniffing takes UTF-16 for binary data): look for ourselves.
            _ if text_family => match mime::sniff_mime(head) {
                "application/pdf" => Ok(TextFormat::Pdf),
                "text/html" => Ok(TextFormat::Html),
                "text/plain" => Ok(TextFormat::Plain),
                _ if encoding_rs::Encoding::for_bom(head).is_some() => Ok(TextFormat::Plain),
                _ => Err(TextError::Unsupported(display_type(&essence))),
            },
            _ => Err(TextError::Unsupported(display_type(&essence))),
        }
    }

    /// The format a file name's extension names, if it is one of the text formats.
    fn by_extension(name: &str) -> Option<Self> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext.to_ascii_lowercase().as_str() {
            "md" | "markdown" | "mdown" | "mkd" | "mkdn" => Some(TextFormat::Markdown),
            "html" | "htm" | "xhtml" => Some(TextFormat::Html),
            "txt" | "text" | "csv" | "tsv" | "log" => Some(TextFormat::Plain),
            _ => None,
        }
    }
}

fn display_type(essence: &str) -> String {
    if essence.is_empty() {
        mime::OCTET_STREAM.to_owned()
    } else {
        essence.to_owned()
    }
}

/// A document's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtractedText {
    /// Normalised: paragraphs separated by one blank line, no control characters.
    pub text: String,
    /// The reader that produced it.
    pub format: TextFormat,
    /// Pages of a PDF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
}

/// Why a file's text could not be read. Every variant but [`TextError::Io`] and
/// [`TextError::Internal`] is about the file and final ([`TextError::is_retryable`]).
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("a file of type {0} cannot be read as text (plain text, Markdown, HTML and PDF can)")]
    Unsupported(String),
    #[error("the file is {bytes} bytes, over the limit of {limit} bytes for {format}")]
    FileTooLarge {
        bytes: u64,
        limit: u64,
        format: &'static str,
    },
    #[error("the file is binary data, not text")]
    Binary,
    #[error("the PDF could not be read: {0}")]
    PdfInvalid(String),
    #[error("the PDF is encrypted and cannot be read without its password")]
    PdfEncrypted,
    #[error(
        "the PDF has no text layer (a scan or images only); its text would need OCR, which is not done"
    )]
    PdfNoTextLayer,
    #[error("the PDF could not be read (the text extractor crashed on it: {0})")]
    PdfExtractorPanicked(String),
    #[error("no text found in the file")]
    Empty,
    #[error("the text is over the limit of {limit} bytes")]
    TooLong { limit: usize },
    #[error("reading the text took longer than {} s and was stopped", .0.as_secs())]
    TimedOut(Duration),
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl TextError {
    /// Whether another attempt could succeed: the file does not change between attempts, so
    /// only the machine's faults are worth one.
    pub fn is_retryable(&self) -> bool {
        matches!(self, TextError::Io(_) | TextError::Internal(_))
    }

    /// A stable kebab-case code for the failure.
    pub fn code(&self) -> &'static str {
        match self {
            TextError::Unsupported(_) => "text-unsupported-type",
            TextError::FileTooLarge { .. } => "file-too-large",
            TextError::Binary => "text-binary",
            TextError::PdfInvalid(_) => "pdf-corrupt",
            TextError::PdfEncrypted => "pdf-encrypted",
            TextError::PdfNoTextLayer => "pdf-no-text-layer",
            TextError::PdfExtractorPanicked(_) => "pdf-extractor-crashed",
            TextError::Empty => "text-empty",
            TextError::TooLong { .. } => "text-too-long",
            TextError::TimedOut(_) => "text-timeout",
            TextError::Io(_) => "io-error",
            TextError::Internal(_) => "internal",
        }
    }
}

/// The text of `bytes`, read as [`TextFormat::resolve`] says. CPU-bound: call it from a
/// blocking thread ([`extract_text_from_path`] does).
pub fn extract_text(
    bytes: &[u8],
    content_type: &str,
    file_name: Option<&str>,
    limits: &TextLimits,
) -> Result<ExtractedText, TextError> {
    let format = TextFormat::resolve(content_type, file_name, bytes)?;
    check_size(format, bytes.len() as u64, limits)?;
    read(bytes, format, limits)
}

/// [`extract_text`] of the file at `path`, on a blocking thread; the size is checked before
/// the file is read.
pub async fn extract_text_from_path(
    path: &Path,
    content_type: &str,
    file_name: Option<&str>,
    limits: &TextLimits,
) -> Result<ExtractedText, TextError> {
    let path = path.to_owned();
    let content_type = content_type.to_owned();
    let file_name = file_name.map(str::to_owned);
    let limits = *limits;
    tokio::task::spawn_blocking(move || {
        let size = std::fs::metadata(&path)?.len();
        let head = mime::read_head(&path)?;
        let format = TextFormat::resolve(&content_type, file_name.as_deref(), &head)?;
        check_size(format, size, &limits)?;
        read(&std::fs::read(&path)?, format, &limits)
    })
    .await
    .map_err(|e| TextError::Internal(format!("the extraction task failed: {e}")))?
}

fn check_size(format: TextFormat, bytes: u64, limits: &TextLimits) -> Result<(), TextError> {
    let limit = match format {
        TextFormat::Pdf => limits.max_pdf_bytes,
        _ => limits.max_markup_bytes,
    };
    if bytes > limit {
        return Err(TextError::FileTooLarge {
            bytes,
            limit,
            format: format.name(),
        });
    }
    Ok(())
}

fn read(bytes: &[u8], format: TextFormat, limits: &TextLimits) -> Result<ExtractedText, TextError> {
    let (raw, pages) = match format {
        TextFormat::Plain => (charset::decode_text(bytes)?.into_owned(), None),
        TextFormat::Markdown => (markdown::to_text(&charset::decode_text(bytes)?), None),
        TextFormat::Html => (html::to_text(&charset::decode_html(bytes)?), None),
        TextFormat::Pdf => {
            let read = pdf::to_text(bytes, limits)?;
            (read.text, Some(read.pages))
        }
    };
    let text = normalise(&raw);
    if text.is_empty() {
        return Err(match format {
            TextFormat::Pdf => TextError::PdfNoTextLayer,
            _ => TextError::Empty,
        });
    }
    if text.len() > limits.max_text_bytes {
        return Err(TextError::TooLong {
            limit: limits.max_text_bytes,
        });
    }
    Ok(ExtractedText {
        text,
        format,
        pages,
    })
}

/// Clean text from what a reader produced: `\r\n`, `\r`, U+2028 become line breaks; form feeds
/// and U+2029 paragraph breaks; other control characters, byte order marks, soft hyphens and
/// zero-width spaces go; ligatures become their letters; runs of other whitespace become one
/// space; lines are trimmed (code loses its indentation: the text is for search, not for
/// display); runs of blank lines become one; the text starts and ends with a non-blank line.
pub fn normalise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    // A blank line came after the last line with text: one is written before the next.
    let mut pending_break = false;
    let mut line = String::new();
    let flush = |line: &mut String, out: &mut String, pending_break: &mut bool| {
        let trimmed = line.trim_end_matches(' ');
        if trimmed.is_empty() {
            *pending_break = !out.is_empty();
        } else {
            if !out.is_empty() {
                out.push('\n');
                if *pending_break {
                    out.push('\n');
                }
            }
            out.push_str(trimmed);
            *pending_break = false;
        }
        line.clear();
    };
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                flush(&mut line, &mut out, &mut pending_break);
            }
            '\n' | '\u{0b}' | '\u{2028}' => flush(&mut line, &mut out, &mut pending_break),
            '\u{0c}' | '\u{2029}' => {
                flush(&mut line, &mut out, &mut pending_break);
                flush(&mut line, &mut out, &mut pending_break);
            }
            '\u{feff}' | '\u{00ad}' | '\u{200b}' => {}
            // Typographic ligatures (PDFs are full of them) would keep "ﬁrst" from matching
            // "first" in a search.
            '\u{fb00}'..='\u{fb06}' => line.push_str(ligature(c)),
            c if c.is_whitespace() => {
                if !line.is_empty() && !line.ends_with(' ') {
                    line.push(' ');
                }
            }
            c if c.is_control() => {}
            c => line.push(c),
        }
    }
    flush(&mut line, &mut out, &mut pending_break);
    out
}

/// The letters of a Latin ligature (U+FB00 to U+FB06).
fn ligature(c: char) -> &'static str {
    match c {
        '\u{fb00}' => "ff",
        '\u{fb01}' => "fi",
        '\u{fb02}' => "fl",
        '\u{fb03}' => "ffi",
        '\u{fb04}' => "ffl",
        _ => "st",
    }
}

/// [`TextError::TimedOut`] once `budget` has run out since `started`.
fn check_deadline(started: Instant, budget: Duration) -> Result<(), TextError> {
    if started.elapsed() > budget {
        Err(TextError::TimedOut(budget))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_collapses_spaces_and_keeps_one_blank_line_between_paragraphs() {
        let raw = "\u{feff}  First\tline   here \r\nsecond\u{00a0}line\r\n\r\n\r\n\n  Next\u{0}para\u{00ad}graph\x0cAfter a \u{fb01}nal page\n\n";
        assert_eq!(
            normalise(raw),
            "First line here\nsecond line\n\nNextparagraph\n\nAfter a final page"
        );
        assert_eq!(normalise(" \n\t\n"), "");
    }

    #[test]
    fn the_declared_type_and_the_name_pick_the_reader() {
        let f = |t: &str, name: Option<&str>, head: &[u8]| TextFormat::resolve(t, name, head);
        assert_eq!(
            f("application/pdf", Some("x.md"), b"%PDF-").ok(),
            Some(TextFormat::Pdf)
        );
        assert_eq!(
            f("text/plain", Some("README.md"), b"# Hi").ok(),
            Some(TextFormat::Markdown)
        );
        // A Markdown file that opens with an HTML block sniffs as HTML.
        assert_eq!(
            f("text/html", Some("README.md"), b"<p align=center>").ok(),
            Some(TextFormat::Markdown)
        );
        assert_eq!(
            f("text/plain", Some("page.HTM"), b"<meta>").ok(),
            Some(TextFormat::Html)
        );
        assert_eq!(
            f("text/html; charset=utf-8", None, b"<p>").ok(),
            Some(TextFormat::Html)
        );
        assert_eq!(
            f("text/markdown", None, b"# x").ok(),
            Some(TextFormat::Markdown)
        );
        assert_eq!(
            f("text/plain", Some("notes"), b"hi").ok(),
            Some(TextFormat::Plain)
        );
        assert_eq!(f("text/csv", None, b"a,b").ok(), Some(TextFormat::Plain));
        // Not sniffed at upload (UTF-16, Latin-1): the name, else the bytes decide.
        assert_eq!(
            f("application/octet-stream", Some("a.txt"), b"\xff\xfeh\0").ok(),
            Some(TextFormat::Plain)
        );
        assert_eq!(f("", None, b"plain words").ok(), Some(TextFormat::Plain));
        assert_eq!(
            f("application/octet-stream", None, b"\xfe\xff\0h\0i").ok(),
            Some(TextFormat::Plain)
        );
        assert!(matches!(
            f("application/octet-stream", None, b"\0\x01\x02"),
            Err(TextError::Unsupported(t)) if t == "application/octet-stream"
        ));
        assert!(matches!(
            f("image/png", Some("scan.txt"), b"\x89PNG"),
            Err(TextError::Unsupported(t)) if t == "image/png"
        ));
        let msg = f("application/zip", None, b"PK")
            .map(drop)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            msg.as_deref(),
            Some(
                "a file of type application/zip cannot be read as text (plain text, Markdown, HTML and PDF can)"
            )
        );
    }

    #[test]
    fn limits_and_empty_text_are_typed_errors() {
        let limits = TextLimits {
            max_text_bytes: 10,
            ..TextLimits::default()
        };
        assert!(matches!(
            extract_text(b"far more than ten bytes", "text/plain", None, &limits),
            Err(TextError::TooLong { limit: 10 })
        ));
        assert!(matches!(
            extract_text(b" \n\t\n ", "text/plain", None, &limits),
            Err(TextError::Empty)
        ));
        let small = TextLimits {
            max_markup_bytes: 4,
            ..TextLimits::default()
        };
        assert!(matches!(
            extract_text(b"# long", "text/markdown", None, &small),
            Err(TextError::FileTooLarge {
                bytes: 6,
                limit: 4,
                format: "Markdown"
            })
        ));
    }
}
