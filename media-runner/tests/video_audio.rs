//! Video and audio through the system ffprobe/ffmpeg, on clips generated with ffmpeg's lavfi
//! sources: exact facts, an upright poster of the right aspect, typed errors for broken
//! input, and a deadline that kills the tool. Fails (never skips) without ffmpeg.

mod common;

use std::time::{Duration, Instant};

use common::{TempDir, ffmpeg};
use media_runner::Limits;
use media_runner::ffmpeg::FfmpegError;
use media_runner::poster::poster_frame;
use media_runner::probe::{MediaInfo, probe};
use media_runner::process::{self, ProcessError};

fn mp4(dir: &TempDir, name: &str, size: &str, seconds: u32) -> std::path::PathBuf {
    let path = dir.path(name);
    let video = format!("testsrc=duration={seconds}:size={size}:rate=25");
    let audio = format!("sine=frequency=440:duration={seconds}");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &video,
        "-f",
        "lavfi",
        "-i",
        &audio,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        path.to_str().expect("utf-8 path"),
    ]);
    path
}

#[tokio::test]
async fn a_video_is_probed_and_gets_a_poster() {
    let dir = TempDir::new("video");
    let path = mp4(&dir, "clip.mp4", "640x360", 3);
    let limits = Limits::default();
    let MediaInfo::Video(v) = probe(&path, &limits).await.expect("probe") else {
        panic!("not a video")
    };
    assert_eq!((v.width, v.height), (640, 360));
    assert_eq!(
        (v.video_codec.as_str(), v.audio_codec.as_deref()),
        ("h264", Some("aac"))
    );
    let d = v.duration_seconds.expect("duration");
    assert!((2.9..3.2).contains(&d), "duration {d}");
    assert!(
        v.bitrate.is_some_and(|b| b > 10_000),
        "bitrate {:?}",
        v.bitrate
    );

    let poster = poster_frame(&path, v.duration_seconds, &limits)
        .await
        .expect("poster");
    assert_eq!(poster.content_type, "image/jpeg");
    assert_eq!(poster.at_seconds, 1.0, "10% of 3 s is under 1 s: 1 s in");
    let img = image::load_from_memory_with_format(&poster.bytes, image::ImageFormat::Jpeg)
        .expect("poster decodes");
    assert_eq!((img.width(), img.height()), (poster.width, poster.height));
    assert_eq!(poster.width, 600);
    assert!(
        (337..=338).contains(&poster.height),
        "16:9 kept: {}",
        poster.height
    );
}

#[tokio::test]
async fn a_portrait_phone_video_gets_a_portrait_poster() {
    // Phones store portrait video landscape with a 90° display matrix.
    let dir = TempDir::new("rotated");
    let stored = mp4(&dir, "stored.mp4", "640x360", 2);
    let rotated = dir.path("rotated.mp4");
    ffmpeg(&[
        "-i",
        stored.to_str().expect("utf-8"),
        "-c",
        "copy",
        "-metadata:s:v",
        "rotate=90",
        rotated.to_str().expect("utf-8"),
    ]);
    let limits = Limits::default();
    let MediaInfo::Video(v) = probe(&rotated, &limits).await.expect("probe") else {
        panic!("not a video")
    };
    assert_eq!((v.width, v.height), (360, 640));
    let poster = poster_frame(&rotated, v.duration_seconds, &limits)
        .await
        .expect("poster");
    assert!(
        (337..=338).contains(&poster.width) && poster.height == 600,
        "{}x{}",
        poster.width,
        poster.height
    );
}

#[tokio::test]
async fn small_and_very_short_videos() {
    let dir = TempDir::new("short");
    // 320x240, under a second: not upscaled, first frame.
    let path = mp4(&dir, "short.mp4", "320x240", 1);
    let limits = Limits::default();
    let info = probe(&path, &limits).await.expect("probe");
    let poster = poster_frame(&path, info.duration_seconds(), &limits)
        .await
        .expect("poster");
    assert_eq!(
        (poster.width, poster.height, poster.at_seconds),
        (320, 240, 0.0)
    );
    // A wrong (too long) duration still gives a frame: the first one.
    let poster = poster_frame(&path, Some(500.0), &limits)
        .await
        .expect("poster at a time past the end");
    assert_eq!(poster.at_seconds, 0.0);
}

#[tokio::test]
async fn audio_is_probed() {
    let dir = TempDir::new("audio");
    let wav = dir.path("tone.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=2",
        "-ar",
        "44100",
        "-ac",
        "2",
        wav.to_str().expect("utf-8"),
    ]);
    let MediaInfo::Audio(a) = probe(&wav, &Limits::default()).await.expect("probe") else {
        panic!("not audio")
    };
    assert_eq!(
        (a.audio_codec.as_str(), a.channels, a.sample_rate),
        ("pcm_s16le", Some(2), Some(44_100))
    );
    assert!((1.99..2.01).contains(&a.duration_seconds.expect("duration")));
    // The overall bitrate counts the WAV header too: within 0.1% of 44100 Hz x 2 x 16 bit.
    let bitrate = a.bitrate.expect("bitrate") as f64;
    assert!(
        (bitrate / 1_411_200.0 - 1.0).abs() < 0.001,
        "bitrate {bitrate}"
    );

    let mp3 = dir.path("tone.mp3");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=2",
        "-ac",
        "1",
        "-ar",
        "48000",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "96k",
        mp3.to_str().expect("utf-8"),
    ]);
    let MediaInfo::Audio(a) = probe(&mp3, &Limits::default()).await.expect("probe mp3") else {
        panic!("not audio")
    };
    assert_eq!(
        (a.audio_codec.as_str(), a.channels, a.sample_rate),
        ("mp3", Some(1), Some(48_000))
    );
    let json = serde_json::to_value(MediaInfo::Audio(a)).expect("json");
    assert_eq!(json["kind"], "audio");
}

#[tokio::test]
async fn a_truncated_mp4_gives_a_typed_error_quickly() {
    let dir = TempDir::new("truncated");
    let whole = std::fs::read(mp4(&dir, "whole.mp4", "640x360", 3)).expect("read");
    let cut = dir.path("cut.mp4");
    std::fs::write(&cut, &whole[..whole.len() / 2]).expect("write");
    let started = Instant::now();
    let err = probe(&cut, &Limits::default())
        .await
        .expect_err("truncated mp4 must fail");
    assert!(started.elapsed() < Duration::from_secs(10));
    match &err {
        FfmpegError::Process(ProcessError::Failed {
            program,
            stderr_tail,
            ..
        }) => {
            assert_eq!(program, "ffprobe");
            assert!(
                stderr_tail.contains("moov atom not found"),
                "message: {stderr_tail}"
            );
        }
        other => panic!("expected a failed ffprobe run, got {other:?}"),
    }
    let message = media_runner::MediaError::from(err).message();
    assert!(
        message.contains("ffprobe failed") && message.contains("moov atom not found"),
        "{message}"
    );
    let err = poster_frame(&cut, Some(3.0), &Limits::default())
        .await
        .expect_err("no poster either");
    assert!(
        matches!(err, FfmpegError::Process(ProcessError::Failed { .. })),
        "got {err:?}"
    );
}

#[tokio::test]
async fn a_tool_past_its_deadline_is_killed() {
    // A 1 ms deadline: ffprobe cannot even start up in time.
    let dir = TempDir::new("timeout");
    let path = mp4(&dir, "clip.mp4", "320x240", 1);
    let limits = Limits {
        tool_timeout: Duration::from_millis(1),
        ..Limits::default()
    };
    let err = probe(&path, &limits).await.expect_err("timeout");
    assert!(
        matches!(err, FfmpegError::Process(ProcessError::Timeout { .. })),
        "got {err:?}"
    );
    assert!(media_runner::MediaError::from(err).is_retryable());

    // The child is really gone once the error is returned: it wrote its pid, then slept.
    let pid_file = dir.path("pid");
    let script = format!("echo $$ > {}; exec sleep 30", pid_file.display());
    let started = Instant::now();
    let err = process::run("sh", ["-c", &script], Duration::from_millis(300))
        .await
        .expect_err("timeout");
    assert!(matches!(err, ProcessError::Timeout { .. }), "got {err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let pid = std::fs::read_to_string(&pid_file)
        .expect("pid written")
        .trim()
        .to_owned();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let state = status
        .lines()
        .find(|l| l.starts_with("State:"))
        .unwrap_or("gone");
    assert!(
        state == "gone" || state.contains('Z'),
        "child {pid} still alive: {state}"
    );
}

#[tokio::test]
async fn missing_tools_and_failures_are_typed() {
    let err = process::run("powernode-no-such-tool", ["x"], Duration::from_secs(5))
        .await
        .expect_err("missing");
    assert!(
        matches!(&err, ProcessError::NotFound { program } if program == "powernode-no-such-tool"),
        "got {err:?}"
    );
    let err = process::run(
        "sh",
        ["-c", "echo banner >&2; echo 'the real reason' >&2; exit 3"],
        Duration::from_secs(5),
    )
    .await
    .expect_err("exit 3");
    match err {
        ProcessError::Failed {
            status,
            stderr_tail,
            ..
        } => {
            assert_eq!(status.code(), Some(3));
            assert!(stderr_tail.ends_with("the real reason"), "{stderr_tail}");
        }
        other => panic!("got {other:?}"),
    }
}
