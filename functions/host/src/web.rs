//! The web UI's files (web/dist, built by scripts/lib/web.sh), served for every `GET` the API
//! does not route. An unknown path gets `index.html`, so the app's own URLs survive a reload.

use std::path::Path;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, HeaderValue};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

/// The built web UI.
#[derive(Clone)]
pub struct WebUi {
    files: ServeDir<ServeFile>,
}

impl WebUi {
    /// The UI in `dir`, or `None` when `dir` holds no build (no `index.html`).
    pub fn open(dir: &Path) -> Option<Self> {
        let index = dir.join("index.html");
        index.is_file().then(|| Self {
            files: ServeDir::new(dir).fallback(ServeFile::new(index)),
        })
    }

    /// Answers a `GET`/`HEAD` for one of the UI's files.
    pub async fn serve(&self, req: Request) -> Response {
        let immutable = req.uri().path().starts_with("/pkg-");
        let mut response = match self.files.clone().oneshot(req).await {
            Ok(r) => r.map(axum::body::Body::new),
            Err(never) => match never {},
        };
        // The build's files live under a content-hashed directory and never change; every
        // other file (index.html above all) names the current build and must be revalidated.
        let policy = if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(policy));
        response.into_response()
    }
}
