//! The one error a consumer handles: which step failed, a message fit for the processing
//! job's error text, and whether trying again could help.

use crate::ffmpeg::FfmpegError;
use crate::image_error::ImageError;
use crate::pdf::PdfError;
use crate::process::ProcessError;

/// Why processing a file failed. `Display` (and [`MediaError::message`]) is the text to
/// store as the job's error.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("image: {0}")]
    Image(#[from] ImageError),
    #[error("pdf: {0}")]
    Pdf(#[from] PdfError),
    #[error("video/audio: {0}")]
    Ffmpeg(#[from] FfmpegError),
    #[error("the file is {bytes} bytes, over the limit of {limit} bytes")]
    FileTooLarge { bytes: u64, limit: u64 },
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl MediaError {
    /// The text to store as the processing job's error.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Whether another attempt could succeed. The file's content does not change between
    /// attempts, so bad input (corrupt, unsupported, over a limit, rejected by ffmpeg) is
    /// final; a missing tool, a timeout or an I/O error may be the machine's fault.
    pub fn is_retryable(&self) -> bool {
        match self {
            MediaError::Image(e) => matches!(e, ImageError::Io(_)),
            MediaError::Pdf(_) | MediaError::FileTooLarge { .. } => false,
            MediaError::Ffmpeg(e) => match e {
                FfmpegError::Process(p) => !matches!(p, ProcessError::Failed { .. }),
                FfmpegError::Io(_) => true,
                _ => false,
            },
            MediaError::Io(_) | MediaError::Internal(_) => true,
        }
    }
}
