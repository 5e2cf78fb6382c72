//! A PDF's text, page by page, with pdf-extract: it decodes fonts (simple encodings, CID fonts,
//! `ToUnicode` maps) and places glyphs by position, so words get their spaces and lines their
//! breaks, where lopdf's own `extract_text` glues the strings of a page together.
//!
//! pdf-extract parses with lopdf 0.42, which inflates streams without bound. So lopdf 0.47,
//! which the runner already has, reads the file first with its stream limit and every stream
//! pdf-extract may inflate (all but images) is inflated once within [`TextLimits`]: a
//! decompression bomb is refused before pdf-extract sees it. Both parsers are fuzzed but not
//! proven panic-free (pdf-extract unwraps freely): a panic is caught and reported.

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use super::{TextError, TextLimits, check_deadline};

/// The text of a PDF, pages apart by a blank line (before [`super::normalise`]).
pub(super) struct PdfText {
    pub text: String,
    pub pages: u32,
}

pub(super) fn to_text(bytes: &[u8], limits: &TextLimits) -> Result<PdfText, TextError> {
    let started = Instant::now();
    guarded(|| check_streams(bytes, limits))?;
    guarded(|| extract(bytes, limits, started))
}

fn guarded<T>(f: impl FnOnce() -> Result<T, TextError>) -> Result<T, TextError> {
    std::panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let msg = crate::pdf::panic_message(payload.as_ref());
        tracing::error!(panic = %msg, "PDF text extraction panicked");
        Err(TextError::PdfExtractorPanicked(msg))
    })
}

/// Refuses a PDF whose streams inflate past the limits, or that lopdf 0.47 cannot open.
fn check_streams(bytes: &[u8], limits: &TextLimits) -> Result<(), TextError> {
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(limits.max_pdf_stream_bytes),
        ..lopdf::LoadOptions::default()
    };
    let doc = lopdf::Document::load_mem_with_options(bytes, options).map_err(|e| match e {
        lopdf::Error::Decryption(_) | lopdf::Error::InvalidPassword => TextError::PdfEncrypted,
        other => TextError::PdfInvalid(other.to_string()),
    })?;
    let mut total = 0u64;
    for object in doc.objects.values() {
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        let name = |key: &[u8]| stream.dict.get(key).and_then(lopdf::Object::as_name).ok();
        // Images are never inflated for text; object and cross-reference streams were
        // inflated within the limit by the loader; an unfiltered stream is as large as it is.
        if name(b"Subtype") == Some(b"Image".as_slice())
            || matches!(name(b"Type"), Some(b"ObjStm" | b"XRef"))
            || stream.dict.get(b"Filter").is_err()
        {
            continue;
        }
        match stream.get_plain_content_with_limit(limits.max_pdf_stream_bytes) {
            Ok(content) => total += content.len() as u64,
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                limit,
            })) => {
                return Err(TextError::PdfInvalid(format!(
                    "a stream decompresses to more than {limit} bytes"
                )));
            }
            // A filter lopdf cannot decode, or a damaged stream: pdf-extract skips it too.
            Err(_) => {}
        }
        if total > limits.max_pdf_total_stream_bytes {
            return Err(TextError::PdfInvalid(format!(
                "its streams decompress to more than {} bytes",
                limits.max_pdf_total_stream_bytes
            )));
        }
    }
    Ok(())
}

fn extract(bytes: &[u8], limits: &TextLimits, started: Instant) -> Result<PdfText, TextError> {
    let mut doc =
        pdf_extract::Document::load_mem(bytes).map_err(|e| TextError::PdfInvalid(e.to_string()))?;
    if doc.is_encrypted() {
        // Encrypted with only an owner password (printing or copying restricted), a PDF opens
        // with the empty user password; otherwise it cannot be read.
        doc.decrypt("").map_err(|_| TextError::PdfEncrypted)?;
    }
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(TextError::PdfInvalid("it has no pages".into()));
    }
    let mut text = String::new();
    let mut failed = 0usize;
    let mut first_error = None;
    for &page in pages.keys() {
        check_deadline(started, limits.max_pdf_duration)?;
        let mut page_text = String::new();
        let mut output = pdf_extract::PlainTextOutput::new(&mut page_text);
        match pdf_extract::output_doc_page(&doc, &mut output, page) {
            Ok(()) => {
                text.push_str(&page_text);
                text.push_str("\n\n");
            }
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("page {page}: {e}"));
            }
        }
        // Normalising only shrinks whitespace: far past the limit now is past it then.
        if text.len() > limits.max_text_bytes.saturating_mul(4) {
            return Err(TextError::TooLong {
                limit: limits.max_text_bytes,
            });
        }
    }
    if failed == pages.len() {
        return Err(TextError::PdfInvalid(first_error.unwrap_or_default()));
    }
    if let Some(error) = first_error {
        tracing::warn!(failed, pages = pages.len(), %error, "some PDF pages could not be read");
    }
    Ok(PdfText {
        text,
        pages: u32::try_from(pages.len()).unwrap_or(u32::MAX),
    })
}
