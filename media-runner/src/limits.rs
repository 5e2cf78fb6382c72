//! The limits every processing step enforces, so one hostile or broken upload cannot exhaust
//! the runner's memory, disk or time.

use std::time::Duration;

/// Largest image accepted, in pixels (width × height), checked from the header before decoding.
/// 100 MP is above any phone or consumer camera; a decoded RGBA image of that size is 400 MB.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;
/// Largest file accepted, in bytes (2 GiB: a long phone video; images are read into memory,
/// and `max_pixels` bounds what decoding them can cost).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Wall-clock limit for one ffprobe or ffmpeg run; the child is killed when it passes.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// What a processing step may accept and spend. `Limits::default()` suits the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest image accepted, in pixels (width × height); larger ones are refused before
    /// any pixel is decoded (decompression bombs claim huge dimensions in a tiny file).
    pub max_pixels: u64,
    /// Largest input file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Wall-clock limit for each external tool run (ffprobe, ffmpeg).
    pub tool_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            tool_timeout: DEFAULT_TOOL_TIMEOUT,
        }
    }
}
