//! Media processing for the media runner (issue #6): thumbnails, image metadata and EXIF,
//! PDF metadata, video/audio facts and poster frames, and the text of knowledge documents,
//! with limits against hostile input.
//!
//! The consumer (queue loop, API client) is built on top: it downloads a file to a private
//! temp dir, calls [`process_file`], uploads the derivatives and stores the metadata, and on
//! error fails the job with [`MediaError::message`], retrying only when
//! [`MediaError::is_retryable`]. For `knowledge.extract` it calls
//! [`text::extract_text_from_path`] and hands the text, or why there is none, to the API.
//!
//! Layout, one concern per module:
//! - [`consumer`]: the queue consumer around it all (job types, API client, work dirs).
//! - [`limits`]: pixel, file-size and tool-time limits.
//! - [`mime`]: MIME type sniffed from content.
//! - [`decode`]: header check, then decoding (JPEG at reduced DCT scale).
//! - [`thumbnail`]: 150/300/600 px thumbnails, orientation applied.
//! - [`exif`], [`pdf`], [`metadata`]: metadata by kind of file.
//! - [`process`]: the only subprocess wrapper (deadline, kill, typed errors).
//! - [`ffmpeg`], [`probe`], [`poster`]: ffprobe/ffmpeg through [`process`].
//! - [`pipeline`]: one call per file.
//! - [`text`]: the text of plain text, Markdown, HTML and PDF files, for knowledge bases
//!   (`knowledge.extract`).
//! - [`error`]: the error a consumer handles.
//!
//! Needs `ffprobe` and `ffmpeg` on PATH for video and audio (`scripts/lib/services.sh`:
//! `pn_install_media_tools`).

pub mod consumer;
pub mod decode;
pub mod error;
pub mod exif;
pub mod ffmpeg;
pub mod image_error;
pub mod limits;
pub mod metadata;
pub mod mime;
pub mod pdf;
pub mod pipeline;
pub mod poster;
pub mod probe;
pub mod process;
pub mod text;
pub mod thumbnail;

pub use error::MediaError;
pub use image_error::ImageError;
pub use limits::Limits;
pub use metadata::{FileMetadata, extract};
pub use pipeline::{Derivative, DerivativeKind, ProcessedFile, process_file};
pub use thumbnail::{THUMBNAIL_BOXES, Thumbnail, thumbnails, thumbnails_from_path};
