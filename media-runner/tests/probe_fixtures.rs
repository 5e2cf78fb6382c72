//! ffprobe's real JSON, kept as fixtures named by ffprobe version, read by `probe::parse`:
//! a table of cases that does not need ffprobe installed, and shows what each field comes
//! from. Made with Debian's ffprobe 5.1 from lavfi clips (`ffprobe -v error -print_format
//! json -show_format -show_streams`); add files from newer versions beside them.

use media_runner::probe::{AudioInfo, MediaInfo, VideoInfo, parse};

fn fixture(name: &str) -> MediaInfo {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let json = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&json).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn video(name: &str) -> VideoInfo {
    match fixture(name) {
        MediaInfo::Video(v) => v,
        other => panic!("{name}: expected video, got {other:?}"),
    }
}

fn audio(name: &str) -> AudioInfo {
    match fixture(name) {
        MediaInfo::Audio(a) => a,
        other => panic!("{name}: expected audio, got {other:?}"),
    }
}

#[test]
fn h264_aac_mp4() {
    let v = video("ffprobe_5_1_clip_mp4.json");
    assert_eq!(
        (
            v.width,
            v.height,
            v.video_codec.as_str(),
            v.audio_codec.as_deref()
        ),
        (640, 360, "h264", Some("aac"))
    );
    assert!(
        v.duration_seconds.is_some_and(|d| (3.0..3.1).contains(&d)),
        "{:?}",
        v.duration_seconds
    );
    assert!(v.bitrate.is_some());
}

#[test]
fn a_quarter_turned_video_reports_displayed_dimensions() {
    // Stored 640x360 with a 90° display matrix, as phones record portrait video.
    let v = video("ffprobe_5_1_rotated_mp4.json");
    assert_eq!((v.width, v.height), (360, 640));
}

#[test]
fn vp9_webm_without_audio() {
    let v = video("ffprobe_5_1_clip_webm.json");
    assert_eq!(
        (v.width, v.height, v.video_codec.as_str(), v.audio_codec),
        (320, 240, "vp9", None)
    );
}

#[test]
fn pcm_wav() {
    let a = audio("ffprobe_5_1_tone_wav.json");
    assert_eq!(
        (a.audio_codec.as_str(), a.channels, a.sample_rate),
        ("pcm_s16le", Some(2), Some(44_100))
    );
    assert_eq!(a.duration_seconds, Some(2.0));
}

#[test]
fn an_mp3_with_cover_art_is_audio() {
    // The cover is a video stream marked attached_pic: still an audio file.
    let a = audio("ffprobe_5_1_cover_mp3.json");
    assert_eq!(
        (a.audio_codec.as_str(), a.channels, a.sample_rate),
        ("mp3", Some(1), Some(48_000))
    );
}
