//! Shared by the integration tests: where the real sample images are, and the external
//! tools. Nothing here skips a test: a missing sample or tool fails it with the fix.
#![allow(dead_code)] // each test binary uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::Command;

/// The real photos (every EXIF orientation, GPS, a corrupted file, invalid EXIF, a TIFF).
/// `POWERNODE_MEDIA_SAMPLES` overrides the default, the copy in the repository (`tests/media-samples`,
/// with its licence notes).
pub fn samples() -> PathBuf {
    let dir = std::env::var_os("POWERNODE_MEDIA_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/media-samples"));
    assert!(
        dir.join("jpg/orientation").is_dir(),
        "media samples not found in {} (set POWERNODE_MEDIA_SAMPLES to the media-samples folder)",
        dir.display()
    );
    dir
}

pub fn sample(rel: &str) -> PathBuf {
    samples().join(rel)
}

pub fn read_sample(rel: &str) -> Vec<u8> {
    let path = sample(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Panics with the install hint when `tool` is not on PATH.
pub fn require_tool(tool: &str) {
    let found = Command::new(tool)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is not installed: these tests need ffmpeg/ffprobe \
         (`bash -c 'source scripts/lib/services.sh && pn_install_media_tools'`)"
    );
}

/// Runs ffmpeg with `args` (quietly), panicking with its stderr on failure.
pub fn ffmpeg(args: &[&str]) {
    require_tool("ffmpeg");
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("media-runner-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
