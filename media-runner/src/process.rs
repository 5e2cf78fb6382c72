//! The only place that runs external programs. Every tool module (ffprobe, ffmpeg) calls
//! [`run`], which gives each run a wall-clock deadline, kills the child when it passes (and
//! when the caller's future is dropped), and turns every way a run can go wrong into a
//! [`ProcessError`] variant.

use std::ffi::OsStr;
use std::io;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// How much of stderr an error keeps: tools print their reason last, after banners and
/// progress lines, and a job's error text should stay short.
const STDERR_TAIL_BYTES: usize = 2_000;
/// Output beyond this is not read: nothing the runner asks for (JSON, one JPEG frame) comes
/// close, and a runaway tool then blocks on a full pipe until its deadline kills it.
const MAX_STDOUT_BYTES: u64 = 64 * 1024 * 1024;

/// Why a subprocess did not produce its output.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The program is not installed (or not on PATH).
    #[error("{program} is not installed (not found on PATH)")]
    NotFound { program: String },
    /// The program exists but cannot be executed.
    #[error("{program} cannot be executed (permission denied)")]
    PermissionDenied { program: String },
    /// Starting the program failed for another reason (e.g. too many processes).
    #[error("{program} could not be started: {source}")]
    Spawn { program: String, source: io::Error },
    /// The run passed its deadline and was killed.
    #[error("{program} did not finish within {timeout:?} and was killed")]
    Timeout { program: String, timeout: Duration },
    /// The program ran and exited unsuccessfully (or was killed by a signal).
    #[error("{program} failed ({status}): {stderr_tail}")]
    Failed {
        program: String,
        status: ExitStatus,
        stderr_tail: String,
    },
    /// Reading the program's output failed.
    #[error("reading the output of {program} failed: {source}")]
    Io { program: String, source: io::Error },
}

/// A successful run's output.
#[derive(Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `program` with `args` (no shell, stdin closed) and returns its output when it exits
/// with status 0 within `timeout`. Past the deadline the child is killed and reaped before
/// [`ProcessError::Timeout`] is returned; dropping the returned future kills it too.
pub async fn run<I, S>(program: &str, args: I, timeout: Duration) -> Result<Output, ProcessError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| spawn_error(program, source))?;

    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        // Both were set to piped above, so tokio always provides them.
        return Err(ProcessError::Io {
            program: program.to_owned(),
            source: io::Error::other("child pipes missing"),
        });
    };
    // Both pipes are drained while waiting: a child blocked on a full stderr pipe would
    // otherwise never exit.
    let finished = tokio::time::timeout(timeout, async {
        tokio::join!(
            child.wait(),
            read_capped(stdout, MAX_STDOUT_BYTES),
            read_capped(stderr, MAX_STDOUT_BYTES),
        )
    })
    .await;

    let (status, stdout, stderr) = match finished {
        Ok(parts) => parts,
        Err(_elapsed) => {
            // kill() also waits, so no zombie is left behind.
            if let Err(e) = child.kill().await {
                tracing::warn!(program, error = %e, "killing a timed-out child failed");
            }
            tracing::warn!(program, ?timeout, "tool run timed out and was killed");
            return Err(ProcessError::Timeout {
                program: program.to_owned(),
                timeout,
            });
        }
    };
    let io_err = |source| ProcessError::Io {
        program: program.to_owned(),
        source,
    };
    let status = status.map_err(io_err)?;
    let stdout = stdout.map_err(io_err)?;
    let stderr = stderr.map_err(io_err)?;
    tracing::debug!(program, elapsed_ms = started.elapsed().as_millis() as u64, %status, "tool run finished");

    if !status.success() {
        return Err(ProcessError::Failed {
            program: program.to_owned(),
            status,
            stderr_tail: tail(&stderr, STDERR_TAIL_BYTES),
        });
    }
    Ok(Output { stdout, stderr })
}

fn spawn_error(program: &str, source: io::Error) -> ProcessError {
    let program = program.to_owned();
    match source.kind() {
        io::ErrorKind::NotFound => ProcessError::NotFound { program },
        io::ErrorKind::PermissionDenied => ProcessError::PermissionDenied { program },
        _ => ProcessError::Spawn { program, source },
    }
}

async fn read_capped(pipe: impl AsyncRead + Unpin, cap: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    pipe.take(cap).read_to_end(&mut buf).await?;
    Ok(buf)
}

/// The last `max` bytes of `bytes` as trimmed text, cut at a line start when possible.
pub(crate) fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let cut = &text[start..];
    match cut.find('\n') {
        Some(nl) if nl + 1 < cut.len() => format!("…{}", &cut[nl + 1..]),
        _ => format!("…{cut}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail(b"  short\n", 100), "short");
        let long = "banner line\nmore banner\nthe real reason";
        assert_eq!(tail(long.as_bytes(), 20), "…the real reason");
    }
}
