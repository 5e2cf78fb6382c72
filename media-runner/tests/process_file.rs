//! One call per file, as the consumer uses it: the metadata JSON and derivatives by kind.

mod common;

use common::{TempDir, ffmpeg};
use media_runner::{DerivativeKind, Limits, process_file};

#[tokio::test]
async fn each_kind_of_file_gets_its_processing() {
    let limits = Limits::default();

    let photo = process_file(&common::sample("jpg/gps/DSCN0010.jpg"), &limits)
        .await
        .expect("photo");
    let json = serde_json::to_value(&photo.metadata).expect("json");
    assert_eq!(
        (json["mime_type"].as_str(), json["kind"].as_str()),
        (Some("image/jpeg"), Some("image"))
    );
    assert_eq!(
        (json["width"].as_u64(), json["exif"]["model"].as_str()),
        (Some(640), Some("COOLPIX P6000"))
    );
    let names: Vec<_> = photo.derivatives.iter().map(|d| d.kind.name()).collect();
    assert_eq!(names, ["thumbnail_150", "thumbnail_300", "thumbnail_600"]);

    let dir = TempDir::new("process-file");
    let video = dir.path("clip.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=duration=2:size=640x360:rate=25",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        video.to_str().expect("utf-8"),
    ]);
    let processed = process_file(&video, &limits).await.expect("video");
    let json = serde_json::to_value(&processed.metadata).expect("json");
    assert_eq!(
        (json["mime_type"].as_str(), json["kind"].as_str()),
        (Some("video/mp4"), Some("video"))
    );
    assert!(json.get("audio_codec").is_none(), "no audio stream: {json}");
    assert_eq!(processed.derivatives.len(), 1);
    assert_eq!(
        (
            processed.derivatives[0].kind,
            processed.derivatives[0].width
        ),
        (DerivativeKind::Poster, 600)
    );

    let text = dir.path("notes.txt");
    std::fs::write(&text, "just text\n").expect("write");
    let processed = process_file(&text, &limits).await.expect("text");
    let json = serde_json::to_value(&processed.metadata).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"mime_type": "text/plain", "kind": "other"})
    );
    assert!(processed.derivatives.is_empty());

    let err = process_file(&common::sample("jpg/corrupted.jpg"), &limits)
        .await
        .expect_err("corrupt");
    assert!(!err.is_retryable());
    assert!(
        err.message()
            .starts_with("image: the image is corrupt or truncated"),
        "{}",
        err.message()
    );

    // Images are read into memory, videos streamed by ffmpeg: a small in-memory limit refuses
    // the photo before reading it and leaves the video alone.
    let small = Limits {
        max_in_memory_bytes: 1_000,
        ..Limits::default()
    };
    let err = process_file(&common::sample("jpg/gps/DSCN0010.jpg"), &small)
        .await
        .expect_err("photo over the limit");
    assert_eq!((err.code(), err.is_retryable()), ("file-too-large", false));
    assert!(
        err.message()
            .contains("161713 bytes, over the limit of 1000 bytes"),
        "{}",
        err.message()
    );
    process_file(&video, &small)
        .await
        .expect("the video is not read into memory");
}
