//! PDF metadata (page count, title, author) with lopdf's metadata loader, which reads the
//! cross-reference table, the Info dictionary and the page tree without loading every
//! object. lopdf is fuzzed but not proven panic-free, so a panic is caught and reported.

use serde::Serialize;

use crate::limits::Limits;

/// What the runner stores about a PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdfMetadata {
    pub page_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The PDF is encrypted; without its password the page count and Info are unknown (0, absent).
    pub encrypted: bool,
}

/// Why a PDF's metadata could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the file is {bytes} bytes, over the limit of {limit} bytes")]
    FileTooLarge { bytes: u64, limit: u64 },
    #[error("the PDF is corrupt or truncated: {0}")]
    Invalid(String),
    #[error("the PDF could not be read (the parser crashed on it: {0})")]
    ParserPanicked(String),
}

/// Page count, title and author of a PDF. Blank titles and authors count as absent.
pub fn pdf_metadata(bytes: &[u8], limits: &Limits) -> Result<PdfMetadata, PdfError> {
    let len = bytes.len() as u64;
    let limit = limits.in_memory_limit();
    if len > limit {
        return Err(PdfError::FileTooLarge { bytes: len, limit });
    }
    let loaded = std::panic::catch_unwind(|| lopdf::Document::load_metadata_mem(bytes)).map_err(
        |payload| {
            let msg = panic_message(payload.as_ref());
            tracing::error!(panic = %msg, "PDF parser panicked");
            PdfError::ParserPanicked(msg)
        },
    )?;
    let meta = loaded.map_err(|e| PdfError::Invalid(e.to_string()))?;
    let clean = |s: Option<String>| {
        s.map(|s| {
            s.trim_matches(|c: char| c == '\0' || c.is_whitespace())
                .to_owned()
        })
        .filter(|s| !s.is_empty())
    };
    Ok(PdfMetadata {
        page_count: meta.page_count,
        title: clean(meta.title),
        author: clean(meta.author),
        encrypted: meta.encrypted,
    })
}

/// The message a caught panic carried.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}
