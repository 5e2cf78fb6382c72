//! What probe.rs (ffprobe) and poster.rs (ffmpeg) share: the programs, the safe way to name
//! an input, and the error type of the FFmpeg tools.

use std::ffi::OsString;
use std::path::Path;

use crate::process::ProcessError;

pub const FFPROBE: &str = "ffprobe";
pub const FFMPEG: &str = "ffmpeg";

/// Why ffprobe or ffmpeg gave no usable result.
#[derive(Debug, thiserror::Error)]
pub enum FfmpegError {
    /// The tool could not run, timed out, or rejected the input (a non-zero exit: for
    /// example a truncated MP4 ends with "moov atom not found").
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The tool succeeded but printed something the runner cannot read.
    #[error("{program} gave output that could not be read: {reason}")]
    InvalidOutput {
        program: &'static str,
        reason: String,
    },
    /// The file holds neither a video nor an audio stream.
    #[error("the file has no video or audio stream")]
    NoMediaStreams,
    /// No video frame could be decoded for the poster.
    #[error("no video frame could be decoded for the poster")]
    NoFrame,
    #[error("the file is {bytes} bytes, over the limit of {limit} bytes")]
    FileTooLarge { bytes: u64, limit: u64 },
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
}

/// Input options for every run on an uploaded file. Only local files may be opened: an
/// uploaded HLS playlist or concat script could otherwise make the tool fetch URLs or read
/// other local paths through other protocols.
pub(crate) fn input_args(path: &Path) -> Vec<OsString> {
    // The `file:` prefix also keeps a name starting with '-' from being read as an option.
    let mut input = OsString::from("file:");
    input.push(path.as_os_str());
    vec![
        "-protocol_whitelist".into(),
        "file".into(),
        "-i".into(),
        input,
    ]
}

pub(crate) fn check_file_size(path: &Path, limits: &crate::Limits) -> Result<(), FfmpegError> {
    let bytes = std::fs::metadata(path)?.len();
    if bytes > limits.max_file_bytes {
        return Err(FfmpegError::FileTooLarge {
            bytes,
            limit: limits.max_file_bytes,
        });
    }
    Ok(())
}
