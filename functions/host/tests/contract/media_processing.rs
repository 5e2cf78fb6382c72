//! End to end through the real API and the real `media-runner` process: upload a camera JPEG
//! with EXIF, a PNG, a GIF, an MP4 and a WAV; each ends `completed` with its metadata,
//! thumbnails of the right sizes and, for the video, a poster. Broken files end `failed` with a
//! message while the runner keeps serving; a runner killed mid-job leaves its job to be
//! delivered again, and no temp files.
//!
//! On Workers the same tests run with the runner pointed at the Worker: upload through the
//! Worker, processing by the native runner, thumbnails served by the Worker.

use std::time::{Duration, Instant};

use crate::common::files::{processing_jobs, upload_ok};
use crate::common::media::{Runner, ffmpeg_make, image_size, sample};
use crate::common::{Platform, Session};
use serde_json::Value;

/// Waits until the file's processing settles (`completed` or `failed`), up to `limit`.
async fn settled(p: &Platform, who: &Session, id: &str, limit: Duration, runner: &Runner) -> Value {
    let start = Instant::now();
    loop {
        let r = p
            .get(&format!("/api/v1/files/{id}"), Some(&who.access))
            .await;
        let file = r.assert_ok(200).clone();
        if matches!(
            file["processing_status"].as_str(),
            Some("completed" | "failed")
        ) {
            return file;
        }
        assert!(
            start.elapsed() < limit,
            "file {id} still {} after {limit:?}; runner log:\n{}",
            file["processing_status"],
            runner.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One of the file's processing jobs, as the user sees it.
async fn processing_job(p: &Platform, who: &Session, file: &str, job: &str) -> Value {
    let r = p
        .get(
            &format!("/api/v1/files/{file}/processing_jobs"),
            Some(&who.access),
        )
        .await;
    r.assert_ok(200)
        .as_array()
        .expect("list")
        .iter()
        .find(|j| j["id"] == job)
        .cloned()
        .expect("the job is listed")
}

/// GETs a derivative as the user: status and bytes.
async fn derivative(p: &Platform, who: &Session, path: &str) -> (u16, Vec<u8>) {
    let r = p
        .http
        .get(format!("{}{path}", p.base))
        .bearer_auth(&who.access)
        .send()
        .await
        .expect("the API answers");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("bytes").to_vec())
}

/// Checks the three thumbnails: served, fitting their boxes, aspect kept, never upscaled.
async fn assert_thumbnails(p: &Platform, who: &Session, file: &Value, original: (u32, u32)) {
    let id = file["id"].as_str().expect("id");
    for size in [150u32, 300, 600] {
        let url = file["thumbnails"][size.to_string()]
            .as_str()
            .unwrap_or_else(|| panic!("thumbnail {size} of {file}"));
        let (status, bytes) = derivative(p, who, url).await;
        assert_eq!(status, 200, "{id} thumbnail {size}");
        let (w, h) = image_size(&bytes);
        let fits = size.min(original.0.max(original.1));
        assert_eq!(
            w.max(h),
            fits,
            "{id}: {size} box gives {w}x{h} of {original:?}"
        );
        let want = f64::from(original.0) / f64::from(original.1);
        let got = f64::from(w) / f64::from(h);
        assert!(
            (want - got).abs() / want < 0.05,
            "{id}: aspect {got} vs {want}"
        );
    }
}

#[tokio::test]
async fn images_video_and_audio_are_processed_end_to_end() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let runner = Runner::start(&p, 30);
    let wait = Duration::from_secs(90);

    let canon = upload_ok(&p, &owner, "canon.jpg", &sample("jpg/Canon_40D.jpg"), &[]).await;
    let png = ffmpeg_make("a.png", "testsrc=size=800x600", &["-frames:v", "1"]);
    let png = upload_ok(&p, &owner, "chart.png", &png, &[]).await;
    let gif = ffmpeg_make("a.gif", "testsrc=size=320x200:rate=5:duration=1", &[]);
    let gif = upload_ok(&p, &owner, "moving.gif", &gif, &[]).await;
    let mp4 = ffmpeg_make(
        "a.mp4",
        "testsrc=duration=3:size=640x360:rate=25",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ],
    );
    let mp4 = upload_ok(&p, &owner, "clip.mp4", &mp4, &[]).await;
    let wav = ffmpeg_make(
        "a.wav",
        "sine=frequency=440:duration=2",
        &["-ac", "2", "-ar", "44100"],
    );
    let wav = upload_ok(&p, &owner, "tone.wav", &wav, &[]).await;

    // The camera photo: its maker, model and size read from the file, thumbnails upright.
    let id = canon["id"].as_str().expect("id");
    let done = settled(&p, &owner, id, wait, &runner).await;
    assert_eq!(done["processing_status"], "completed", "{done}");
    let meta = &done["metadata"];
    assert_eq!(meta["mime_type"], "image/jpeg", "{meta}");
    assert_eq!(meta["exif"]["make"], "Canon", "{meta}");
    assert_eq!(meta["exif"]["model"], "Canon EOS 40D", "{meta}");
    let (w, h) = (
        meta["width"].as_u64().expect("width") as u32,
        meta["height"].as_u64().expect("height") as u32,
    );
    assert_eq!((w, h), (100, 68), "{meta}");
    assert_thumbnails(&p, &owner, &done, (w, h)).await;
    assert_eq!(done["poster"], Value::Null);

    for (file, size) in [(&png, (800, 600)), (&gif, (320, 200))] {
        let id = file["id"].as_str().expect("id");
        let done = settled(&p, &owner, id, wait, &runner).await;
        assert_eq!(done["processing_status"], "completed", "{done}");
        assert_eq!(
            (
                done["metadata"]["width"].as_u64(),
                done["metadata"]["height"].as_u64()
            ),
            (Some(u64::from(size.0)), Some(u64::from(size.1))),
            "{done}"
        );
        assert_thumbnails(&p, &owner, &done, size).await;
    }

    // The video: its facts and a poster frame.
    let id = mp4["id"].as_str().expect("id");
    let done = settled(&p, &owner, id, wait, &runner).await;
    assert_eq!(done["processing_status"], "completed", "{done}");
    let meta = &done["metadata"];
    let duration = meta["duration_seconds"].as_f64().expect("duration");
    assert!((2.8..=3.3).contains(&duration), "{meta}");
    assert_eq!(
        (meta["width"].as_u64(), meta["height"].as_u64()),
        (Some(640), Some(360)),
        "{meta}"
    );
    assert_eq!(meta["video_codec"], "h264", "{meta}");
    assert_eq!(meta["audio_codec"], "aac", "{meta}");
    assert!(meta["bitrate"].as_u64().is_some_and(|b| b > 0), "{meta}");
    let (status, poster) = derivative(&p, &owner, done["poster"].as_str().expect("poster")).await;
    assert_eq!(status, 200);
    let (pw, ph) = image_size(&poster);
    assert!(
        pw > 0 && (f64::from(pw) / f64::from(ph) - 640.0 / 360.0).abs() < 0.05,
        "{pw}x{ph}"
    );

    // The sound: codec, channels, rate.
    let id = wav["id"].as_str().expect("id");
    let done = settled(&p, &owner, id, wait, &runner).await;
    assert_eq!(done["processing_status"], "completed", "{done}");
    let meta = &done["metadata"];
    assert_eq!(meta["audio_codec"], "pcm_s16le", "{meta}");
    assert_eq!(
        (meta["channels"].as_u64(), meta["sample_rate"].as_u64()),
        (Some(2), Some(44100)),
        "{meta}"
    );
    let duration = meta["duration_seconds"].as_f64().expect("duration");
    assert!((1.9..=2.1).contains(&duration), "{meta}");

    // Every processing job reports what it did.
    for file in [&canon, &png, &gif, &mp4, &wav] {
        let id = file["id"].as_str().expect("id");
        let r = p
            .get(
                &format!("/api/v1/files/{id}/processing_jobs"),
                Some(&owner.access),
            )
            .await;
        for job in r.assert_ok(200).as_array().expect("list") {
            assert_eq!(job["status"], "completed", "{job}");
            assert!(job["result_data"].is_object(), "{job}");
        }
    }
    assert!(runner.leftovers().is_empty(), "{:?}", runner.leftovers());
    p.stop().await;
}

#[tokio::test]
async fn broken_files_fail_with_a_message_and_the_runner_keeps_serving() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let runner = Runner::start(&p, 30);
    let wait = Duration::from_secs(90);

    let corrupt = upload_ok(&p, &owner, "broken.jpg", &sample("jpg/corrupted.jpg"), &[]).await;
    let mp4 = ffmpeg_make(
        "a.mp4",
        "testsrc=duration=4:size=320x240:rate=25",
        &["-c:v", "libx264", "-pix_fmt", "yuv420p"],
    );
    let truncated = upload_ok(&p, &owner, "cut.mp4", &mp4[..mp4.len() / 2], &[]).await;
    let fine = ffmpeg_make("ok.png", "testsrc=size=200x100", &["-frames:v", "1"]);
    let fine = upload_ok(&p, &owner, "fine.png", &fine, &[]).await;

    for broken in [&corrupt, &truncated] {
        let id = broken["id"].as_str().expect("id");
        let done = settled(&p, &owner, id, wait, &runner).await;
        assert_eq!(done["processing_status"], "failed", "{done}");
        let jobs = p
            .get(
                &format!("/api/v1/files/{id}/processing_jobs"),
                Some(&owner.access),
            )
            .await;
        let failed: Vec<Value> = jobs
            .assert_ok(200)
            .as_array()
            .expect("list")
            .iter()
            .filter(|j| j["status"] == "failed")
            .cloned()
            .collect();
        assert!(!failed.is_empty(), "{}", jobs.text);
        for job in &failed {
            let error = job["error"].as_str().unwrap_or_default();
            assert!(error.len() > 10, "a failed job says why: {job}");
        }
    }
    let id = fine["id"].as_str().expect("id");
    let done = settled(&p, &owner, id, wait, &runner).await;
    assert_eq!(
        done["processing_status"], "completed",
        "the runner kept serving: {done}"
    );
    assert_eq!(processing_jobs(&p, &owner, id).await.len(), 2);
    assert!(runner.leftovers().is_empty(), "{:?}", runner.leftovers());
    p.stop().await;
}

#[tokio::test]
async fn a_runner_killed_mid_job_leaves_its_job_to_be_delivered_again() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    // The shortest lease the API grants, so the killed run's job comes back soon.
    let lease = 5;
    let runner = Runner::start(&p, lease);
    // Big enough that processing takes a moment: a 48-megapixel PNG decodes in full.
    let big = ffmpeg_make("big.png", "testsrc2=size=8000x6000", &["-frames:v", "1"]);
    let file = upload_ok(&p, &owner, "big.png", &big, &[]).await;
    let id = file["id"].as_str().expect("id").to_string();
    let thumb_job = processing_jobs(&p, &owner, &id)
        .await
        .into_iter()
        .find(|(t, _)| t == "media.thumbnail")
        .map(|(_, j)| j)
        .expect("a thumbnail job");

    // Kill it while its thumbnail job is in progress.
    let start = Instant::now();
    loop {
        let job = processing_job(&p, &owner, &id, &thumb_job).await;
        if job["status"] == "processing" {
            break;
        }
        assert_ne!(
            job["status"], "completed",
            "too fast to kill mid-job; make the input bigger"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "never started: {}",
            runner.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let runner = runner.kill_and_restart(&p, lease);

    // Its lease runs out; the rescuer (every minute on its own, here asked directly) puts the
    // job back and the new runner completes it.
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _ = p
            .post(
                "/api/v1/worker/maintenance/rescue",
                Some(&p.service_token()),
                serde_json::json!({}),
            )
            .await;
        let r = p
            .get(&format!("/api/v1/files/{id}"), Some(&owner.access))
            .await;
        let file = r.assert_ok(200).clone();
        if file["processing_status"] == "completed" {
            break file;
        }
        assert!(
            Instant::now() < deadline,
            "not re-delivered: {file}\n{}",
            runner.log_text()
        );
    };
    assert_thumbnails(&p, &owner, &done, (8000, 6000)).await;
    let job = processing_job(&p, &owner, &id, &thumb_job).await;
    assert!(job["attempts"].as_i64().is_some_and(|a| a >= 2), "{job}");
    // The killed run's files were removed when the new runner started, its own after its run.
    assert!(runner.leftovers().is_empty(), "{:?}", runner.leftovers());
    p.stop().await;
}
