//! Metadata of any uploaded file: its sniffed MIME type, plus, by kind, the image's size,
//! format and EXIF, the PDF's page count, title and author, or the video's or audio's facts
//! from ffprobe.

use std::path::Path;

use serde::Serialize;

use crate::decode;
use crate::error::MediaError;
use crate::exif::{self, Exif};
use crate::image_error::ImageError;
use crate::limits::Limits;
use crate::mime;
use crate::pdf::{self, PdfMetadata};
use crate::probe::{self, AudioInfo, MediaInfo, VideoInfo};

/// Everything the runner learns about a file. Serialises flat:
/// `{"mime_type": "image/jpeg", "kind": "image", "width": 640, ..., "exif": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileMetadata {
    pub mime_type: String,
    #[serde(flatten)]
    pub details: Details,
}

/// What is known beyond the MIME type, by kind of file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Details {
    Image(ImageMetadata),
    Pdf(PdfMetadata),
    Video(VideoInfo),
    Audio(AudioInfo),
    /// Any other file: only the MIME type is known.
    Other {},
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageMetadata {
    /// Width as displayed (EXIF orientation applied), like the thumbnails.
    pub width: u32,
    /// Height as displayed.
    pub height: u32,
    /// "jpeg", "png", "gif", "webp", "bmp" or "tiff".
    pub format: &'static str,
    /// Absent when the file has no EXIF or its EXIF is invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exif: Option<Exif>,
}

/// The kinds of processing a file gets, decided by its sniffed MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Pdf,
    /// Video or audio: ffprobe tells which.
    AudioVideo,
    Other,
}

/// Which processing a file of this (sniffed) MIME type gets.
pub fn kind_of(mime_type: &str) -> Kind {
    match mime_type {
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/bmp" | "image/tiff" => {
            Kind::Image
        }
        "application/pdf" => Kind::Pdf,
        m if m.starts_with("video/") || m.starts_with("audio/") || m == "application/ogg" => {
            Kind::AudioVideo
        }
        _ => Kind::Other,
    }
}

/// Size, format and EXIF of an image, from its header: nothing is decoded, so this is cheap
/// even for a 100 MP photo; the limits still apply.
pub fn image_metadata(bytes: &[u8], limits: &Limits) -> Result<ImageMetadata, ImageError> {
    let header = decode::read_header(bytes, limits)?;
    let exif = exif::read_exif(bytes);
    // Orientations 5 to 8 turn the picture a quarter: displayed width is the stored height.
    let quarter_turn = matches!(exif.as_ref().and_then(|e| e.orientation), Some(5..=8));
    let (width, height) = if quarter_turn {
        (header.height, header.width)
    } else {
        (header.width, header.height)
    };
    Ok(ImageMetadata {
        width,
        height,
        format: decode::format_name(header.format),
        exif,
    })
}

/// The metadata of the file at `path`. Images and PDFs are read into memory (within
/// `limits.in_memory_limit()`) on a blocking thread; video and audio go through ffprobe.
pub async fn extract(path: &Path, limits: &Limits) -> Result<FileMetadata, MediaError> {
    let bytes = tokio::fs::metadata(path).await?.len();
    if bytes > limits.max_file_bytes {
        return Err(MediaError::FileTooLarge {
            bytes,
            limit: limits.max_file_bytes,
        });
    }
    let mime_type = {
        let path = path.to_owned();
        blocking(move || mime::sniff_mime_from_path(&path).map_err(MediaError::from)).await?
    };
    let details = details(path, mime_type, limits).await?;
    Ok(FileMetadata {
        mime_type: mime_type.to_owned(),
        details,
    })
}

async fn details(path: &Path, mime_type: &str, limits: &Limits) -> Result<Details, MediaError> {
    let limits = *limits;
    match kind_of(mime_type) {
        Kind::Image => {
            let path = path.to_owned();
            blocking(move || {
                Ok(Details::Image(image_metadata(
                    &read_in_memory(&path, &limits)?,
                    &limits,
                )?))
            })
            .await
        }
        Kind::Pdf => {
            let path = path.to_owned();
            blocking(move || {
                Ok(Details::Pdf(pdf::pdf_metadata(
                    &read_in_memory(&path, &limits)?,
                    &limits,
                )?))
            })
            .await
        }
        Kind::AudioVideo => Ok(match probe::probe(path, &limits).await? {
            MediaInfo::Video(v) => Details::Video(v),
            MediaInfo::Audio(a) => Details::Audio(a),
        }),
        Kind::Other => Ok(Details::Other {}),
    }
}

/// Reads a file that is processed in memory (an image, a PDF), refusing it first when it is
/// over [`Limits::in_memory_limit`].
pub(crate) fn read_in_memory(path: &Path, limits: &Limits) -> Result<Vec<u8>, MediaError> {
    let bytes = std::fs::metadata(path)?.len();
    let limit = limits.in_memory_limit();
    if bytes > limit {
        return Err(MediaError::FileTooLarge { bytes, limit });
    }
    Ok(std::fs::read(path)?)
}

/// Runs CPU- or disk-bound work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, MediaError> + Send + 'static,
) -> Result<T, MediaError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| MediaError::Internal(format!("blocking task failed: {e}")))?
}
