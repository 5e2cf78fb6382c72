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

    /// A stable kebab-case code for the failure, for the API and the UI to branch on (the
    /// message may change wording; the code does not).
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::Image(e) => match e {
                ImageError::FileTooLarge { .. } => "file-too-large",
                ImageError::TooManyPixels { .. } => "image-too-many-pixels",
                ImageError::Unsupported(_) => "image-unsupported",
                ImageError::Corrupt(_) => "image-corrupt",
                ImageError::DecoderPanicked(_) => "image-decoder-crashed",
                ImageError::Encode(_) => "image-encode-failed",
                ImageError::Io(_) => "io-error",
            },
            MediaError::Pdf(e) => match e {
                PdfError::FileTooLarge { .. } => "file-too-large",
                PdfError::Invalid(_) => "pdf-corrupt",
                PdfError::ParserPanicked(_) => "pdf-parser-crashed",
            },
            MediaError::Ffmpeg(e) => match e {
                FfmpegError::Process(p) => match p {
                    ProcessError::NotFound { .. } => "tool-not-found",
                    ProcessError::PermissionDenied { .. } => "tool-not-executable",
                    ProcessError::Spawn { .. } => "tool-spawn-failed",
                    ProcessError::Timeout { .. } => "tool-timeout",
                    // The tool ran and rejected the file.
                    ProcessError::Failed { .. } => "media-unreadable",
                    ProcessError::Io { .. } => "io-error",
                },
                FfmpegError::InvalidOutput { .. } => "tool-invalid-output",
                FfmpegError::NoMediaStreams => "media-no-streams",
                FfmpegError::NoFrame => "video-no-frame",
                FfmpegError::FileTooLarge { .. } => "file-too-large",
                FfmpegError::Io(_) => "io-error",
            },
            MediaError::FileTooLarge { .. } => "file-too-large",
            MediaError::Io(_) => "io-error",
            MediaError::Internal(_) => "internal",
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_final_and_the_machine_s_faults_are_retried() {
        let corrupt = MediaError::from(ImageError::Corrupt("bad Huffman code".into()));
        assert_eq!(
            (corrupt.code(), corrupt.is_retryable()),
            ("image-corrupt", false)
        );
        assert_eq!(
            corrupt.message(),
            "image: the image is corrupt or truncated: bad Huffman code"
        );
        let timeout = MediaError::from(FfmpegError::Process(ProcessError::Timeout {
            program: "ffmpeg".into(),
            timeout: std::time::Duration::from_secs(120),
        }));
        assert_eq!(
            (timeout.code(), timeout.is_retryable()),
            ("tool-timeout", true)
        );
        assert_eq!(
            timeout.message(),
            "video/audio: ffmpeg did not finish within 120s and was killed"
        );
        let missing = MediaError::from(FfmpegError::Process(ProcessError::NotFound {
            program: "ffprobe".into(),
        }));
        assert_eq!(
            (missing.code(), missing.is_retryable()),
            ("tool-not-found", true)
        );
    }
}
