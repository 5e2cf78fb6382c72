//! One call per file for the consumer: sniff, read metadata, make derivatives (thumbnails
//! for images, a poster for videos). The consumer uploads what this returns; this module
//! does no I/O beyond reading the file and running ffprobe/ffmpeg.

use std::path::Path;

use crate::error::MediaError;
use crate::limits::Limits;
use crate::metadata::{self, Details, FileMetadata, Kind, blocking};
use crate::mime;
use crate::poster;
use crate::probe::{self, MediaInfo};
use crate::thumbnail;

/// What a derivative is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DerivativeKind {
    /// A thumbnail fitted into a `box_size` px square.
    Thumbnail { box_size: u32 },
    /// A video's poster frame.
    Poster,
}

impl DerivativeKind {
    /// A stable name for storage keys and the API: `thumbnail_150`, `poster`.
    pub fn name(&self) -> String {
        match self {
            DerivativeKind::Thumbnail { box_size } => format!("thumbnail_{box_size}"),
            DerivativeKind::Poster => "poster".to_owned(),
        }
    }
}

/// An encoded file made from the upload.
#[derive(Debug, Clone)]
pub struct Derivative {
    pub kind: DerivativeKind,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// The result of processing one file.
#[derive(Debug, Clone)]
pub struct ProcessedFile {
    pub metadata: FileMetadata,
    /// Thumbnails (smallest first) for images, the poster for videos, nothing otherwise.
    pub derivatives: Vec<Derivative>,
}

/// Processes the file at `path`: metadata for every file, thumbnails for images, a poster
/// for videos. Errors are typed; see [`MediaError::is_retryable`].
pub async fn process_file(path: &Path, limits: &Limits) -> Result<ProcessedFile, MediaError> {
    let bytes = tokio::fs::metadata(path).await?.len();
    if bytes > limits.max_file_bytes {
        return Err(MediaError::FileTooLarge {
            bytes,
            limit: limits.max_file_bytes,
        });
    }
    let limits = *limits;
    let owned = path.to_owned();
    let mime_type =
        blocking(move || mime::sniff_mime_from_path(&owned).map_err(MediaError::from)).await?;
    let with = |details, derivatives| ProcessedFile {
        metadata: FileMetadata {
            mime_type: mime_type.to_owned(),
            details,
        },
        derivatives,
    };
    match metadata::kind_of(mime_type) {
        Kind::Image => {
            let owned = path.to_owned();
            let (meta, thumbs) = blocking(move || {
                let data = metadata::read_in_memory(&owned, &limits)?;
                let meta = metadata::image_metadata(&data, &limits)?;
                Ok((meta, thumbnail::thumbnails(&data, &limits)?))
            })
            .await?;
            let derivatives = thumbs
                .into_iter()
                .map(|t| Derivative {
                    kind: DerivativeKind::Thumbnail {
                        box_size: t.box_size,
                    },
                    content_type: t.content_type,
                    width: t.width,
                    height: t.height,
                    bytes: t.bytes,
                })
                .collect();
            Ok(with(Details::Image(meta), derivatives))
        }
        Kind::AudioVideo => match probe::probe(path, &limits).await? {
            MediaInfo::Video(video) => {
                let p = poster::poster_frame(path, video.duration_seconds, &limits).await?;
                let poster = Derivative {
                    kind: DerivativeKind::Poster,
                    content_type: p.content_type,
                    width: p.width,
                    height: p.height,
                    bytes: p.bytes,
                };
                Ok(with(Details::Video(video), vec![poster]))
            }
            MediaInfo::Audio(audio) => Ok(with(Details::Audio(audio), Vec::new())),
        },
        Kind::Pdf | Kind::Other => {
            let meta = metadata::extract(path, &limits).await?;
            Ok(ProcessedFile {
                metadata: meta,
                derivatives: Vec::new(),
            })
        }
    }
}
