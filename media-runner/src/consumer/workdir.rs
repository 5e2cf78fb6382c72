//! The runner's private scratch space: one directory per job run under a root only the runner
//! uses, removed when the run ends however it ends (the guard's `Drop`), and emptied at start
//! of whatever a crash left behind.

use std::path::{Path, PathBuf};

/// The root of the runner's scratch directories.
#[derive(Debug, Clone)]
pub struct WorkRoot {
    root: PathBuf,
}

impl WorkRoot {
    /// Creates `root` (owner-only access) and removes what a previous run left in it.
    pub fn prepare(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))?;
        }
        let mut removed = 0usize;
        for entry in std::fs::read_dir(&root)?.flatten() {
            let path = entry.path();
            let gone = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            match gone {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "could not remove a leftover")
                }
            }
        }
        if removed > 0 {
            tracing::info!(removed, root = %root.display(), "removed leftovers of an earlier run");
        }
        Ok(Self { root })
    }

    /// A fresh directory for one run, named after it.
    pub fn job_dir(&self, name: &str) -> std::io::Result<JobDir> {
        let path = self.root.join(name);
        // A re-delivered job may find its own earlier directory: start clean.
        if path.exists() {
            std::fs::remove_dir_all(&path)?;
        }
        std::fs::create_dir(&path)?;
        Ok(JobDir { path })
    }

    /// The root.
    pub fn path(&self) -> &Path {
        &self.root
    }
}

/// One run's directory; removed with everything in it when dropped.
#[derive(Debug)]
pub struct JobDir {
    path: PathBuf,
}

impl JobDir {
    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for JobDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove a job's work dir");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_go_at_start_and_a_run_cleans_up_after_itself() {
        let base = std::env::temp_dir().join(format!("pn-workroot-{}", std::process::id()));
        std::fs::create_dir_all(base.join("crashed-run")).expect("mkdir");
        std::fs::write(base.join("crashed-run/input"), b"x").expect("write");
        let root = WorkRoot::prepare(base.clone()).expect("prepare");
        assert_eq!(std::fs::read_dir(&base).expect("read").count(), 0);
        let dir = root.job_dir("job-1").expect("job dir");
        std::fs::write(dir.path().join("input"), b"y").expect("write");
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
        let _ = std::fs::remove_dir_all(base);
    }
}
