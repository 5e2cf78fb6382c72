//! Signing keys: from the environment, or generated once into `<data dir>/secrets.json`
//! (mode 0600) so a restarted platform keeps accepting the tokens it issued.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::config::var;

/// The platform's keys. `Debug` is deliberately not derived.
#[derive(Clone, Serialize, Deserialize)]
pub struct Secrets {
    /// `JWT_SECRET`.
    pub jwt_secret: String,
    /// `WORKER_SERVICE_TOKEN`.
    pub worker_service_token: String,
    /// `POWERNODE_ENCRYPTION_KEY` (credentials at rest; used from the files issue on).
    pub encryption_key: String,
}

impl Secrets {
    /// Environment first, then the data dir's file, generating what is missing.
    pub fn load(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join("secrets.json");
        let stored: Option<Secrets> = match fs::read(&path) {
            Ok(bytes) => Some(
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not valid", path.display()))?,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let generated = || -> Result<Secrets> {
            Ok(Secrets {
                jwt_secret: random_key()?,
                worker_service_token: random_key()?,
                encryption_key: random_key()?,
            })
        };
        let base = match stored {
            Some(s) => s,
            None => {
                let fresh = generated()?;
                write_private(&path, &serde_json::to_vec_pretty(&fresh)?)?;
                fresh
            }
        };
        Ok(Secrets {
            jwt_secret: var("JWT_SECRET").unwrap_or(base.jwt_secret),
            worker_service_token: var("WORKER_SERVICE_TOKEN").unwrap_or(base.worker_service_token),
            encryption_key: var("POWERNODE_ENCRYPTION_KEY").unwrap_or(base.encryption_key),
        })
    }
}

fn random_key() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("OS randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)?;
    Ok(())
}
