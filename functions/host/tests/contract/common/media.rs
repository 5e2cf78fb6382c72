//! The media runner as the end-to-end tests run it: the real `media-runner` binary, a process
//! of its own pointed at the API under test, with a private work dir; and fixture files made
//! by ffmpeg's lavfi sources, plus the real photos of the shared media samples.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{Platform, TempDir, WORKER_SECRET};

/// The `media-runner` binary: `POWERNODE_MEDIA_RUNNER_BIN`, else beside this test's own
/// binary in the cargo target dir (`cargo build -p media-runner` puts it there).
pub fn runner_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("POWERNODE_MEDIA_RUNNER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/debug/deps/<test> -> target/debug/media-runner
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("media-runner"))
        .expect("a target dir");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p media-runner` (./scripts/test does)",
        bin.display()
    );
    bin
}

/// A running media runner.
pub struct Runner {
    child: Option<Child>,
    /// Its work dir (what it must leave empty).
    pub work_dir: PathBuf,
    /// Where its log goes.
    pub log: PathBuf,
    _dir: TempDir,
}

impl Runner {
    /// Starts a runner against `p` with leases of `lease_seconds`, in `dir` if given (a
    /// restart keeps its work dir), else in a new one.
    pub fn start(p: &Platform, lease_seconds: i64) -> Self {
        let dir = TempDir::new();
        let work_dir = dir.0.join("work");
        Self::start_in(p, lease_seconds, dir, work_dir)
    }

    fn start_in(p: &Platform, lease_seconds: i64, dir: TempDir, work_dir: PathBuf) -> Self {
        let log = dir.0.join("runner.log");
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("the runner's log file");
        let child = Command::new(runner_bin())
            .env("BACKEND_API_URL", &p.base)
            .env("WORKER_SERVICE_TOKEN", WORKER_SECRET)
            .env("MEDIA_RUNNER_WORK_DIR", &work_dir)
            .env("MEDIA_RUNNER_CONCURRENCY", "2")
            // A step that hangs fails after 3x this, well within the tests' waits.
            .env("MEDIA_RUNNER_TOOL_TIMEOUT_SECONDS", "15")
            .env("RUST_LOG", "info")
            .arg("--lease-seconds")
            .arg(lease_seconds.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .expect("the media runner starts");
        Self {
            child: Some(child),
            work_dir,
            log,
            _dir: dir,
        }
    }

    /// Kills it at once (SIGKILL: no clean-up of its own), then starts a new runner on the
    /// same work dir, as a supervisor would.
    pub fn kill_and_restart(mut self, p: &Platform, lease_seconds: i64) -> Self {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let dir = std::mem::replace(&mut self._dir, TempDir::new());
        let work_dir = self.work_dir.clone();
        Self::start_in(p, lease_seconds, dir, work_dir)
    }

    /// Files left in the work dir.
    pub fn leftovers(&self) -> Vec<PathBuf> {
        fn walk(d: &Path, out: &mut Vec<PathBuf>) {
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                }
                out.push(p);
            }
        }
        let mut out = Vec::new();
        walk(&self.work_dir, &mut out);
        out
    }

    /// The runner's log so far (for failure messages).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The real photos: `POWERNODE_MEDIA_SAMPLES`, else the repository's copy beside the media
/// runner's tests (`media-runner/tests/media-samples`, with its licence notes).
pub fn sample(rel: &str) -> Vec<u8> {
    let dir = std::env::var_os("POWERNODE_MEDIA_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../media-runner/tests/media-samples")
        });
    let path = dir.join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "sample {} unreadable ({e}): set POWERNODE_MEDIA_SAMPLES to the media-samples folder",
            path.display()
        )
    })
}

/// A file made by ffmpeg from the lavfi `source` (e.g. `testsrc=size=640x480`), with `args`
/// (more inputs, codecs) before the output name.
pub fn ffmpeg_make(name: &str, source: &str, args: &[&str]) -> Vec<u8> {
    let dir = TempDir::new();
    let out = dir.0.join(name);
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            source,
        ])
        .args(args)
        .arg(&out)
        .status()
        .expect("ffmpeg runs (./scripts/test installs it: pn_install_media_tools)");
    assert!(status.success(), "ffmpeg {source} {args:?} failed");
    std::fs::read(&out).expect("ffmpeg's output")
}

/// Width and height of an image, as ffprobe reads them.
pub fn image_size(bytes: &[u8]) -> (u32, u32) {
    let dir = TempDir::new();
    let path = dir.0.join("image");
    std::fs::write(&path, bytes).expect("write");
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
        ])
        .args(["-of", "csv=p=0"])
        .arg(&path)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text
        .trim()
        .split(',')
        .map(|n| n.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}
