//! Multipart uploads with progress. `fetch` cannot report upload progress, so uploads go through
//! `XMLHttpRequest`, with the same token handling and error envelope as every other call.

use std::rc::Rc;

use serde::de::DeserializeOwned;
use shared::Success;
use shared::api::files::{File, FileVersion};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

use super::http::{self, ApiError};

/// Uploads a new file; `progress` gets the fraction sent (0 to 1).
pub async fn file(
    file: &web_sys::File,
    progress: impl Fn(f64) + 'static,
) -> Result<File, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::Network)?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| ApiError::Network)?;
    post("/api/v1/files/upload", form, Rc::new(progress)).await
}

/// Uploads a new version of file `id`.
pub async fn version(
    id: Uuid,
    file: &web_sys::File,
    change_description: &str,
    progress: impl Fn(f64) + 'static,
) -> Result<FileVersion, ApiError> {
    let form = web_sys::FormData::new().map_err(|_| ApiError::Network)?;
    form.append_with_blob_and_filename("file", file, &file.name())
        .map_err(|_| ApiError::Network)?;
    if !change_description.trim().is_empty() {
        form.append_with_str("change_description", change_description.trim())
            .map_err(|_| ApiError::Network)?;
    }
    post(
        &format!("/api/v1/files/{id}/versions"),
        form,
        Rc::new(progress),
    )
    .await
}

async fn post<T: DeserializeOwned>(
    path: &str,
    form: web_sys::FormData,
    progress: Rc<dyn Fn(f64)>,
) -> Result<T, ApiError> {
    let token = http::usable_access_token().await;
    let mut answer = send(path, &form, token.as_deref(), progress.clone()).await?;
    if answer.status == 401
        && token.is_some()
        && let Some(t) = http::token_after_401(token.as_deref()).await
    {
        progress(0.0);
        answer = send(path, &form, Some(&t), progress).await?;
    }
    if !(200..300).contains(&answer.status) {
        return Err(http::error_from_parts(
            answer.status,
            &answer.body,
            answer.retry_after,
        ));
    }
    serde_json::from_str::<Success<T>>(&answer.body)
        .map(|s| s.data)
        .map_err(|e| ApiError::Decode(e.to_string()))
}

struct Answer {
    status: u16,
    body: String,
    retry_after: Option<u64>,
}

async fn send(
    path: &str,
    form: &web_sys::FormData,
    token: Option<&str>,
    progress: Rc<dyn Fn(f64)>,
) -> Result<Answer, ApiError> {
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| ApiError::Network)?;
    xhr.open("POST", path).map_err(|_| ApiError::Network)?;
    let _ = xhr.set_request_header("Accept", "application/json");
    if let Some(t) = token {
        let _ = xhr.set_request_header("Authorization", &format!("Bearer {t}"));
    }
    let on_progress =
        Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress(e.loaded() / e.total());
            }
        });
    if let Ok(upload) = xhr.upload() {
        upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    // `loadend` fires once, after success, error or abort alike.
    let done = js_sys::Promise::new(&mut |resolve, _| {
        xhr.set_onloadend(Some(&resolve));
    });
    xhr.send_with_opt_form_data(Some(form))
        .map_err(|_| ApiError::Network)?;
    let _ = JsFuture::from(done).await;
    drop(on_progress);
    let status = xhr.status().map_err(|_| ApiError::Network)?;
    if status == 0 {
        return Err(ApiError::Network);
    }
    Ok(Answer {
        status,
        body: xhr.response_text().ok().flatten().unwrap_or_default(),
        retry_after: xhr
            .get_response_header("Retry-After")
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse().ok()),
    })
}
