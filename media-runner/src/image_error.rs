//! What can go wrong with an image (thumbnails and image metadata share it).

/// Why an image could not be read or thumbnailed. The Display text is meant for the
/// processing job's error message, so it names the cause in plain words.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file is larger than `Limits::in_memory_limit()`.
    #[error("the file is {bytes} bytes, over the limit of {limit} bytes")]
    FileTooLarge { bytes: u64, limit: u64 },
    /// The header claims more pixels than `Limits::max_pixels` (a decompression bomb, or
    /// just too big): refused before decoding.
    #[error("the image is {width}x{height} ({pixels} pixels), over the limit of {limit} pixels")]
    TooManyPixels {
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
    /// Not an image format the runner reads (JPEG, PNG, GIF, WebP, BMP, TIFF).
    #[error("unsupported image format: {0}")]
    Unsupported(String),
    /// The data is not a valid image of its format (truncated, corrupted).
    #[error("the image is corrupt or truncated: {0}")]
    Corrupt(String),
    /// A decoder or encoder panicked on this input; caught so the runner keeps working.
    #[error("the image could not be processed (the decoder crashed on it: {0})")]
    DecoderPanicked(String),
    /// Encoding a thumbnail failed (should not happen for a decoded image).
    #[error("encoding the thumbnail failed: {0}")]
    Encode(String),
    /// The file could not be read.
    #[error("the file could not be read: {0}")]
    Io(#[from] std::io::Error),
}

impl From<image::ImageError> for ImageError {
    fn from(e: image::ImageError) -> Self {
        use image::ImageError as E;
        match e {
            E::Unsupported(u) => Self::Unsupported(u.to_string()),
            E::IoError(io) => Self::Io(io),
            E::Encoding(enc) => Self::Encode(enc.to_string()),
            // Limits are checked before decoding; the decoder's own limit is a second guard,
            // so hitting it still means "too big", reported as corrupt-or-hostile input.
            other => Self::Corrupt(other.to_string()),
        }
    }
}

/// Runs `f`, turning a panic inside a decoder into [`ImageError::DecoderPanicked`]. The
/// codecs are fuzzed but not proven panic-free on hostile input; one bad upload must fail its
/// job, not the runner.
pub(crate) fn catch_decoder_panic<T>(
    f: impl FnOnce() -> Result<T, ImageError>,
) -> Result<T, ImageError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            tracing::error!(panic = %msg, "image decoder panicked");
            Err(ImageError::DecoderPanicked(msg))
        }
    }
}
