//! A base's documents: add a text or a stored file (queued for ingestion), list, get, delete.
//!
//! A text document is known by its title, a file document by its file: adding one again
//! replaces its text, and the ingestion job then embeds only the chunks that changed. Content
//! the base already holds changes nothing.

use serde_json::json;
use shared::api::knowledge::{AddDocumentRequest, KnowledgeDocument};
use shared::pagination::{PageRequest, Pagination};
use uuid::Uuid;

use super::{EXTRACT_JOB, EXTRACT_QUEUE, INGEST_JOB, INGEST_QUEUE, sha256_hex, text_problem};
use crate::Api;
use crate::context::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::ports::Conn;
use crate::queue;
use crate::service::audit;
use crate::service::jobs::{Announce, enqueue_platform_job};
use crate::service::validate::Checks;
use crate::store::{self, knowledge::NewDocument};

/// Queues the ingestion of a document.
pub(crate) async fn enqueue_ingestion(
    api: &Api,
    c: &dyn Conn,
    account: Uuid,
    document: Uuid,
) -> ApiResult<Announce> {
    enqueue_platform_job(
        api,
        c,
        account,
        INGEST_QUEUE,
        INGEST_JOB,
        json!({ "document_id": document }),
    )
    .await
}

fn check_title(checks: &mut Checks, title: Option<&str>) -> Option<String> {
    let title = title?.trim();
    if (1..=300).contains(&title.chars().count()) && !title.chars().any(char::is_control) {
        Some(title.to_string())
    } else {
        checks.fail(
            "title",
            "must be 1 to 300 characters, without control characters",
        );
        None
    }
}

/// `POST /api/v1/knowledge/bases/:id/documents`: 202 with the document.
pub async fn add(
    ctx: &Ctx<'_>,
    base: Uuid,
    req: AddDocumentRequest,
) -> ApiResult<KnowledgeDocument> {
    let account = ctx.user()?.account_id;
    let api = ctx.api;
    let mut checks = Checks::new();
    let title = check_title(&mut checks, req.title.as_deref());
    match (&req.text, req.file_id) {
        (Some(_), Some(_)) => checks.fail("file_id", "give either text or file_id, not both"),
        (None, None) => checks.fail("text", "give the text, or the file_id of a stored file"),
        (Some(text), None) => {
            if let Some(why) = text_problem(text) {
                checks.fail("text", why);
            }
            if title.is_none() && req.title.is_none() {
                checks.fail("title", "is required with text");
            }
        }
        (None, Some(_)) => {}
    }
    checks.finish()?;
    super::bases::find(api, account, base).await?;
    let (id, announce) = match (req.text, req.file_id) {
        (Some(text), _) => {
            let title = title.ok_or_else(|| ApiError::internal("checked title vanished"))?;
            add_text(ctx, account, base, &title, &text).await?
        }
        (None, Some(file)) => add_file(ctx, account, base, title, file).await?,
        (None, None) => return Err(ApiError::internal("checked body vanished")),
    };
    queue::push::announce(api, announce).await;
    store::knowledge::get_document(api.db(), account, base, id)
        .await?
        .ok_or_else(|| ApiError::not_found("knowledge document"))
}

/// A transaction holding the lock of one of the account's bases (404 if there is none), so two
/// adds of one title or one file take turns.
async fn locked_base(api: &Api, account: Uuid, base: Uuid) -> ApiResult<Box<dyn crate::ports::Tx>> {
    let tx = api.db().begin().await?;
    if !store::knowledge::lock_base(&*tx, account, base).await? {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("knowledge base"));
    }
    Ok(tx)
}

async fn add_text(
    ctx: &Ctx<'_>,
    account: Uuid,
    base: Uuid,
    title: &str,
    text: &str,
) -> ApiResult<(Uuid, Announce)> {
    let api = ctx.api;
    let sha = sha256_hex(text);
    let tx = locked_base(api, account, base).await?;
    if let Some(same) = store::knowledge::document_with_content(&*tx, base, &sha).await? {
        let _ = tx.rollback().await;
        return Ok((same, Vec::new()));
    }
    let now = api.now();
    let (id, action) = match store::knowledge::document_titled(&*tx, base, title).await? {
        Some(id) => {
            store::knowledge::replace_body(&*tx, id, Some(text), Some(&sha), Some(title), now)
                .await?;
            (id, "knowledge_document.replaced")
        }
        None => {
            let id = api.new_id();
            store::knowledge::insert_document(
                &*tx,
                &NewDocument {
                    id,
                    account_id: account,
                    base_id: base,
                    title,
                    file_id: None,
                    body: Some(text),
                    content_sha256: Some(&sha),
                    now,
                },
            )
            .await?;
            (id, "knowledge_document.added")
        }
    };
    let announce = enqueue_ingestion(api, &*tx, account, id).await?;
    audit::by_user(
        ctx,
        &*tx,
        action,
        "knowledge_document",
        id,
        json!({"knowledge_base_id": base, "title": title, "bytes": text.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok((id, announce))
}

async fn add_file(
    ctx: &Ctx<'_>,
    account: Uuid,
    base: Uuid,
    title: Option<String>,
    file_id: Uuid,
) -> ApiResult<(Uuid, Announce)> {
    let api = ctx.api;
    let file = store::files::get(api.db(), account, file_id)
        .await?
        .filter(|f| f.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("file"))?;
    let title: String = title.unwrap_or_else(|| file.filename.chars().take(300).collect());
    let tx = locked_base(api, account, base).await?;
    let now = api.now();
    let (id, action) = match store::knowledge::document_of_file(&*tx, base, file_id).await? {
        Some(id) => {
            // Read again (the file may have a new version); its old text stays until the new
            // one arrives, so unchanged text is recognised then and changes nothing.
            store::knowledge::set_status(&*tx, id, "pending", None, None, now).await?;
            (id, "knowledge_document.reread")
        }
        None => {
            let id = api.new_id();
            store::knowledge::insert_document(
                &*tx,
                &NewDocument {
                    id,
                    account_id: account,
                    base_id: base,
                    title: &title,
                    file_id: Some(file_id),
                    body: None,
                    content_sha256: None,
                    now,
                },
            )
            .await?;
            (id, "knowledge_document.added")
        }
    };
    let announce = enqueue_platform_job(
        api,
        &*tx,
        account,
        EXTRACT_QUEUE,
        EXTRACT_JOB,
        json!({ "document_id": id, "file_id": file_id, "version": file.version }),
    )
    .await?;
    audit::by_user(
        ctx,
        &*tx,
        action,
        "knowledge_document",
        id,
        json!({"knowledge_base_id": base, "file_id": file_id}),
    )
    .await?;
    tx.commit().await?;
    Ok((id, announce))
}

/// `GET /api/v1/knowledge/bases/:id/documents`.
pub async fn list(
    ctx: &Ctx<'_>,
    base: Uuid,
    page: PageRequest,
) -> ApiResult<(Vec<KnowledgeDocument>, Pagination)> {
    let account = ctx.user()?.account_id;
    super::bases::find(ctx.api, account, base).await?;
    let (rows, total) = store::knowledge::list_documents(
        ctx.api.db(),
        account,
        base,
        i64::from(page.per_page),
        page.offset(),
    )
    .await?;
    Ok((rows, page.meta(u64::try_from(total).unwrap_or(0))))
}

/// `GET /api/v1/knowledge/bases/:id/documents/:doc_id`.
pub async fn get(ctx: &Ctx<'_>, base: Uuid, id: Uuid) -> ApiResult<KnowledgeDocument> {
    let account = ctx.user()?.account_id;
    store::knowledge::get_document(ctx.api.db(), account, base, id)
        .await?
        .ok_or_else(|| ApiError::not_found("knowledge document"))
}

/// `DELETE /api/v1/knowledge/bases/:id/documents/:doc_id`: the document as it was; its chunks
/// go with it.
pub async fn delete(ctx: &Ctx<'_>, base: Uuid, id: Uuid) -> ApiResult<KnowledgeDocument> {
    let doc = get(ctx, base, id).await?;
    let account = ctx.user()?.account_id;
    let tx = ctx.api.db().begin().await?;
    if !store::knowledge::delete_document(&*tx, account, base, id).await? {
        let _ = tx.rollback().await;
        return Err(ApiError::not_found("knowledge document"));
    }
    audit::by_user(
        ctx,
        &*tx,
        "knowledge_document.deleted",
        "knowledge_document",
        id,
        json!({"knowledge_base_id": base, "title": doc.title}),
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}
