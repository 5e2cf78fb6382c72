//! Video and audio facts from `ffprobe -print_format json -show_format -show_streams`: exact
//! numbers (ffmpeg's log lines round them and give channels as words).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ffmpeg::{self, FFPROBE, FfmpegError};
use crate::limits::Limits;
use crate::process;

/// What a video or audio file is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum MediaInfo {
    Video(VideoInfo),
    Audio(AudioInfo),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VideoInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// Width as displayed: a phone video stored landscape with a 90° rotation is portrait.
    pub width: u32,
    pub height: u32,
    pub video_codec: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_codec: Option<String>,
    /// Overall bitrate, bits per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AudioInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    pub audio_codec: String,
    /// Overall bitrate, bits per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<u32>,
    /// Samples per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
}

impl MediaInfo {
    pub fn duration_seconds(&self) -> Option<f64> {
        match self {
            MediaInfo::Video(v) => v.duration_seconds,
            MediaInfo::Audio(a) => a.duration_seconds,
        }
    }
}

/// Runs ffprobe on the file at `path` within `limits.tool_timeout`.
pub async fn probe(path: &Path, limits: &Limits) -> Result<MediaInfo, FfmpegError> {
    ffmpeg::check_file_size(path, limits)?;
    let mut args: Vec<std::ffi::OsString> = [
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
    ]
    .map(Into::into)
    .to_vec();
    args.extend(ffmpeg::input_args(path));
    let output = process::run(FFPROBE, &args, limits.tool_timeout).await?;
    parse(&output.stdout)
}

/// Reads ffprobe's JSON (public so fixtures from other ffprobe versions can be checked).
pub fn parse(json: &[u8]) -> Result<MediaInfo, FfmpegError> {
    let out: ProbeOutput =
        serde_json::from_slice(json).map_err(|e| FfmpegError::InvalidOutput {
            program: FFPROBE,
            reason: e.to_string(),
        })?;
    let format = out.format.unwrap_or_default();
    // Cover art in an MP3 or M4A is a "video" stream marked attached_pic: not a video.
    let video = out
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("video") && s.disposition.attached_pic == 0);
    let audio = out
        .streams
        .iter()
        .find(|s| s.codec_type.as_deref() == Some("audio"));
    let duration = number::<f64>(format.duration.as_deref())
        .or_else(|| video.or(audio).and_then(|s| number(s.duration.as_deref())))
        .filter(|d| d.is_finite() && *d >= 0.0);
    let bitrate = number(format.bit_rate.as_deref())
        .or_else(|| video.or(audio).and_then(|s| number(s.bit_rate.as_deref())));
    let codec = |s: &Stream| s.codec_name.clone().unwrap_or_else(|| "unknown".to_owned());

    if let Some(v) = video {
        let (Some(w), Some(h)) = (v.width, v.height) else {
            return Err(FfmpegError::InvalidOutput {
                program: FFPROBE,
                reason: "video stream without dimensions".into(),
            });
        };
        let quarter_turn = v
            .side_data_list
            .iter()
            .filter_map(|d| d.rotation)
            .any(|r| (r.abs() % 180.0 - 90.0).abs() < 1.0);
        let (width, height) = if quarter_turn { (h, w) } else { (w, h) };
        return Ok(MediaInfo::Video(VideoInfo {
            duration_seconds: duration,
            width,
            height,
            video_codec: codec(v),
            audio_codec: audio.map(codec),
            bitrate,
        }));
    }
    if let Some(a) = audio {
        return Ok(MediaInfo::Audio(AudioInfo {
            duration_seconds: duration,
            audio_codec: codec(a),
            bitrate,
            channels: a.channels,
            sample_rate: number(a.sample_rate.as_deref()),
        }));
    }
    Err(FfmpegError::NoMediaStreams)
}

/// ffprobe prints most numbers as strings, and "N/A" when unknown.
fn number<T: std::str::FromStr>(s: Option<&str>) -> Option<T> {
    s.and_then(|s| s.trim().parse().ok())
}

#[derive(Debug, Deserialize)]
struct ProbeOutput {
    #[serde(default)]
    streams: Vec<Stream>,
    format: Option<Format>,
}

#[derive(Debug, Default, Deserialize)]
struct Format {
    duration: Option<String>,
    bit_rate: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Stream {
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    channels: Option<u32>,
    sample_rate: Option<String>,
    bit_rate: Option<String>,
    duration: Option<String>,
    #[serde(default)]
    disposition: Disposition,
    #[serde(default)]
    side_data_list: Vec<SideData>,
}

#[derive(Debug, Default, Deserialize)]
struct Disposition {
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Debug, Deserialize)]
struct SideData {
    rotation: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_art_is_not_video_and_rotation_swaps_dimensions() {
        let mp3 = br#"{"streams":[{"codec_type":"audio","codec_name":"mp3","channels":2,"sample_rate":"44100"},
            {"codec_type":"video","codec_name":"mjpeg","width":500,"height":500,"disposition":{"attached_pic":1}}],
            "format":{"duration":"12.5","bit_rate":"128000"}}"#;
        let MediaInfo::Audio(a) = parse(mp3).expect("parses") else {
            panic!("not audio")
        };
        assert_eq!(
            (a.audio_codec.as_str(), a.channels, a.sample_rate),
            ("mp3", Some(2), Some(44100))
        );
        assert_eq!((a.duration_seconds, a.bitrate), (Some(12.5), Some(128_000)));

        let phone = br#"{"streams":[{"codec_type":"video","codec_name":"h264","width":1920,"height":1080,
            "side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]}],"format":{"duration":"N/A"}}"#;
        let MediaInfo::Video(v) = parse(phone).expect("parses") else {
            panic!("not video")
        };
        assert_eq!((v.width, v.height, v.duration_seconds), (1080, 1920, None));

        assert!(matches!(
            parse(br#"{"streams":[],"format":{}}"#),
            Err(FfmpegError::NoMediaStreams)
        ));
        assert!(matches!(
            parse(b"not json"),
            Err(FfmpegError::InvalidOutput { .. })
        ));
    }
}
