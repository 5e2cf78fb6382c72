//! The limits every processing step enforces, so one hostile or broken upload cannot exhaust
//! the runner's memory, disk or time.

use std::time::Duration;

/// Largest image accepted, in pixels (width × height), checked from the header before decoding.
/// 100 MP is above any phone or consumer camera; a decoded RGBA image of that size is 400 MB.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;
/// Largest file accepted, in bytes: 5 GiB, the API's default upload limit (a long video;
/// ffprobe and ffmpeg stream it from disk).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Largest image or PDF accepted, in bytes: those are read whole into memory. 512 MiB is
/// above any camera's file and most scanned PDFs.
pub const DEFAULT_MAX_IN_MEMORY_BYTES: u64 = 512 * 1024 * 1024;
/// Wall-clock limit for one ffprobe or ffmpeg run; the child is killed when it passes.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(120);

/// What a processing step may accept and spend. `Limits::default()` suits the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest image accepted, in pixels (width × height); larger ones are refused before
    /// any pixel is decoded (decompression bombs claim huge dimensions in a tiny file).
    pub max_pixels: u64,
    /// Largest input file accepted, in bytes, checked before reading it.
    pub max_file_bytes: u64,
    /// Largest image or PDF accepted, in bytes: they are read whole into memory.
    pub max_in_memory_bytes: u64,
    /// Wall-clock limit for each external tool run (ffprobe, ffmpeg).
    pub tool_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_in_memory_bytes: DEFAULT_MAX_IN_MEMORY_BYTES,
            tool_timeout: DEFAULT_TOOL_TIMEOUT,
        }
    }
}

impl Limits {
    /// The size limit for files read whole into memory (images, PDFs): the smaller of
    /// `max_file_bytes` and `max_in_memory_bytes`.
    pub fn in_memory_limit(&self) -> u64 {
        self.max_file_bytes.min(self.max_in_memory_bytes)
    }
}
