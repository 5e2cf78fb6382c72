//! A video's poster frame: one JPEG from about 10% in, fitted into a 600 px box (never
//! upscaled), made by ffmpeg.

use std::io::Cursor;
use std::path::Path;

use crate::ffmpeg::{self, FFMPEG, FfmpegError};
use crate::limits::Limits;
use crate::process;

/// The box the poster is fitted into, like the largest thumbnail.
pub const POSTER_BOX: u32 = 600;

/// An encoded poster frame.
#[derive(Debug, Clone)]
pub struct Poster {
    pub width: u32,
    pub height: u32,
    /// Always `image/jpeg`.
    pub content_type: &'static str,
    /// Where in the video the frame was taken, in seconds.
    pub at_seconds: f64,
    pub bytes: Vec<u8>,
}

/// Where to take the poster: 10% in, but at least 1 s in so a fade-in's black first frame
/// is skipped; clips under 2 s use their first frame; unknown durations try 1 s.
pub fn poster_time(duration_seconds: Option<f64>) -> f64 {
    match duration_seconds {
        Some(d) if d < 2.0 => 0.0,
        Some(d) => (d * 0.1).max(1.0),
        None => 1.0,
    }
}

/// Extracts the poster frame of the video at `path`. `duration_seconds` (from
/// [`crate::probe::probe`]) picks the time; when seeking there yields no frame (a wrong
/// duration, a stream shorter than its container), the first frame is used.
pub async fn poster_frame(
    path: &Path,
    duration_seconds: Option<f64>,
    limits: &Limits,
) -> Result<Poster, FfmpegError> {
    ffmpeg::check_file_size(path, limits)?;
    let at = poster_time(duration_seconds);
    match frame_at(path, at, limits).await {
        Err(FfmpegError::NoFrame) if at > 0.0 => {
            tracing::debug!(at, "no frame at the poster time; using the first frame");
            frame_at(path, 0.0, limits).await
        }
        other => other,
    }
}

async fn frame_at(path: &Path, at_seconds: f64, limits: &Limits) -> Result<Poster, FfmpegError> {
    // Fit into the box without upscaling; `setsar=1` makes the pixels square, so anamorphic
    // video gets its display aspect.
    let scale = format!(
        "scale=w='min({b},iw*sar)':h='min({b},ih)':force_original_aspect_ratio=decrease,setsar=1",
        b = POSTER_BOX
    );
    let mut args: Vec<std::ffi::OsString> = [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-ss",
        &format!("{at_seconds:.3}"),
    ]
    .map(Into::into)
    .to_vec();
    args.extend(ffmpeg::input_args(path));
    args.extend(
        [
            "-map",
            "0:v:0",
            "-frames:v",
            "1",
            "-an",
            "-sn",
            "-dn",
            "-vf",
            &scale,
            "-f",
            "image2pipe",
            "-c:v",
            "mjpeg",
            "-q:v",
            "3",
            "pipe:1",
        ]
        .map(Into::into),
    );
    let output = process::run(FFMPEG, &args, limits.tool_timeout).await?;
    if output.stdout.is_empty() {
        return Err(FfmpegError::NoFrame);
    }
    let (width, height) =
        image::ImageReader::with_format(Cursor::new(&output.stdout), image::ImageFormat::Jpeg)
            .into_dimensions()
            .map_err(|e| FfmpegError::InvalidOutput {
                program: FFMPEG,
                reason: format!("poster is not a JPEG: {e}"),
            })?;
    Ok(Poster {
        width,
        height,
        content_type: "image/jpeg",
        at_seconds,
        bytes: output.stdout,
    })
}

#[cfg(test)]
mod tests {
    use super::poster_time;

    #[test]
    fn poster_time_is_ten_percent_but_at_least_one_second() {
        assert_eq!(poster_time(Some(60.0)), 6.0);
        assert_eq!(poster_time(Some(3.0)), 1.0);
        assert_eq!(poster_time(Some(1.5)), 0.0);
        assert_eq!(poster_time(None), 1.0);
    }
}
