//! Transactional email: each function renders one message (subject and plain text) and queues
//! a `notifications.email` job on `email` with it, inside the caller's transaction where there is
//! one, so a rolled-back share or user sends nothing. The job (in `jobs/`, native consumers
//! only) does the SMTP; it reaches no data, so everything it needs is in its arguments.
//!
//! Every email has an idempotency key naming what it is about (`email:share:{share_id}`,
//! `email:invite:{user_id}`, `email:dead:{job_id}:{user_id}`): a repeated enqueue within the
//! queue's idempotency window (24 h) finds the first job and queues nothing. That is what lets
//! the dead-job sweep run every minute over the last hour and tell each person once.
//!
//! No message ever carries a password: not a share's (the recipient is told to ask for it), not
//! an invited user's first one (they get it from whoever invited them, or reset it).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use shared::api::jobs::NotifyReport;
use uuid::Uuid;

use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::ports::Conn;
use crate::queue;
use crate::queue::enqueue::{Enqueued, NewJob};
use crate::store::sql;

/// The job type that sends (registered in `shared::job::JOB_TYPES`).
pub const JOB_TYPE: &str = "notifications.email";
/// Its queue, which only native consumers poll.
pub const QUEUE: &str = "email";
/// How far back the dead-job sweep looks. Shorter than the idempotency window (24 h), so a job
/// seen by several passes is still deduped by its key.
pub const DEAD_LOOKBACK: Duration = Duration::hours(1);
/// Most dead jobs one pass reads; a mass failure beyond it mails the oldest ones only.
pub const DEAD_BATCH: i64 = 500;
/// The most of a job's last error quoted in its email.
const ERROR_EXCERPT_CHARS: usize = 500;

/// Jobs to announce after commit (what `queue::push::announce` takes).
pub type Announce = Vec<(Uuid, String, Option<DateTime<Utc>>)>;

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// What a share's email says about the share.
#[derive(Debug, Clone)]
pub struct ShareNotice<'a> {
    /// The link's secret token.
    pub token: &'a str,
    /// The file's name.
    pub file_name: &'a str,
    /// Who shared it (name, else email).
    pub creator: &'a str,
    /// When the link stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Whether it asks for a password (which the email never contains).
    pub password_protected: bool,
}

/// The email telling `to` about a share link: the app's share page, who shared what.
pub fn share_email(public_url: &str, to: &str, share: &ShareNotice<'_>) -> Email {
    let link = format!("{public_url}/shared/{}", share.token);
    let mut text = format!(
        "{} shared \"{}\" with you.\n\nOpen it here:\n{link}\n",
        share.creator, share.file_name
    );
    if let Some(at) = share.expires_at {
        text.push_str(&format!(
            "\nThe link works until {}.\n",
            at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    if share.password_protected {
        text.push_str(&format!(
            "\nThe link asks for a password, which is not in this email: ask {} for it.\n",
            share.creator
        ));
    }
    Email {
        to: to.to_string(),
        subject: format!("{} shared \"{}\" with you", share.creator, share.file_name),
        text,
    }
}

/// Queues the share's email in `c` (the share's transaction).
pub async fn share_created(
    api: &Api,
    c: &dyn Conn,
    account: Uuid,
    share_id: Uuid,
    email: &Email,
) -> ApiResult<Announce> {
    let key = format!("email:share:{share_id}");
    Ok(enqueue(api, c, Some(account), key, email)
        .await?
        .into_iter()
        .collect())
}

/// The email telling a new user which account they joined, who added them and where to sign
/// in. Their password is not in it.
pub fn invite_email(public_url: &str, to: &str, account: &str, inviter: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("You were added to {account} on Powernode"),
        text: format!(
            "You were added to {account} by {inviter}.\n\nSign in at {public_url}/login with this \
             email address ({to}). Your password is not in this email: {inviter} set it and can \
             tell you.\n"
        ),
    }
}

/// Queues the new user's email in `c` (the transaction that created them).
pub async fn user_invited(
    api: &Api,
    c: &dyn Conn,
    account: Uuid,
    user_id: Uuid,
    email: &Email,
) -> ApiResult<Announce> {
    let key = format!("email:invite:{user_id}");
    Ok(enqueue(api, c, Some(account), key, email)
        .await?
        .into_iter()
        .collect())
}

/// A dead job, as its email describes it.
#[derive(Debug, Clone)]
pub struct DeadJob {
    /// Id.
    pub id: Uuid,
    /// Queue.
    pub queue: String,
    /// Type.
    pub job_type: String,
    /// Attempts spent.
    pub attempts: i64,
    /// When it died.
    pub died_at: DateTime<Utc>,
    /// Its last error, if it recorded one.
    pub last_error: Option<String>,
}

/// The email telling an owner (or a platform admin) that a job is dead.
pub fn dead_job_email(public_url: &str, to: &str, job: &DeadJob) -> Email {
    let error = job.last_error.as_deref().map_or_else(
        || "(no error recorded)".to_string(),
        |e| {
            let mut excerpt: String = e.chars().take(ERROR_EXCERPT_CHARS).collect();
            if e.chars().count() > ERROR_EXCERPT_CHARS {
                excerpt.push('…');
            }
            excerpt
        },
    );
    Email {
        to: to.to_string(),
        subject: format!("Job {} failed for good", job.job_type),
        text: format!(
            "A {} job on the {} queue is dead after {} attempt(s), at {}.\n\nJob: {}\nLast \
             error: {error}\n\nIts arguments and every error are on the Queues page, where it \
             can be retried or discarded:\n{public_url}/queues\n",
            job.job_type,
            job.queue,
            job.attempts,
            job.died_at.format("%Y-%m-%d %H:%M:%S UTC"),
            job.id,
        ),
    }
}

/// One pass of the dead-job notifier: every job that died within [`DEAD_LOOKBACK`] (but email
/// jobs) gets one email per active owner of its account, or per platform admin for platform
/// work. Safe to run every minute: each email's key is `email:dead:{job_id}:{user_id}`, so a
/// job seen by many passes is mailed once per person. (A job retried by hand that dies again
/// within the idempotency window is not mailed a second time.)
///
/// The scheduler runs it every minute as `maintenance.notify_dead_jobs`
/// (`service::maintenance`); tests also call it directly.
pub async fn notify_dead_jobs(api: &Api) -> ApiResult<NotifyReport> {
    let since = api.now() - DEAD_LOOKBACK;
    let rows = api
        .db()
        .query(
            sql::NOTIFY_DEAD_JOBS,
            &[since.into(), JOB_TYPE.into(), DEAD_BATCH.into()],
        )
        .await?;
    let mut report = NotifyReport::default();
    if rows.is_empty() {
        return Ok(report);
    }
    let mut last_job = None;
    let tx = api.db().begin().await?;
    let mut announced = Announce::new();
    for row in &rows {
        let job = DeadJob {
            id: row.get("job_id")?,
            queue: row.get("queue")?,
            job_type: row.get("job_type")?,
            attempts: row.get("attempts")?,
            died_at: row.get("finalized_at")?,
            last_error: row.get("last_error")?,
        };
        if last_job != Some(job.id) {
            report.dead_jobs += 1;
            last_job = Some(job.id);
        }
        let account: Option<Uuid> = row.get("account_id")?;
        let user: Uuid = row.get("user_id")?;
        let to: String = row.get("email")?;
        let email = dead_job_email(&api.config().public_url, &to, &job);
        let key = format!("email:dead:{}:{user}", job.id);
        if let Some(new) = enqueue(api, &*tx, account, key, &email).await? {
            report.enqueued += 1;
            announced.push(new);
        }
    }
    tx.commit().await?;
    queue::push::announce(api, announced).await;
    Ok(report)
}

/// Queues `email` under `key`; the job to announce when it is new, `None` when the key already
/// had one (this email was queued before: the first one stands).
async fn enqueue(
    api: &Api,
    c: &dyn Conn,
    account: Option<Uuid>,
    key: String,
    email: &Email,
) -> ApiResult<Option<(Uuid, String, Option<DateTime<Utc>>)>> {
    let mut job = NewJob::new(
        JOB_TYPE,
        json!({ "to": email.to, "subject": email.subject, "text": email.text }),
    );
    job.account_id = account;
    job.queue = QUEUE.into();
    job.idempotency_key = Some(key);
    match queue::enqueue::enqueue(api, c, &job).await? {
        Enqueued::Created(id) => Ok(Some((id, job.queue, None))),
        // Queued before; with other text (a name changed since, say) the first one stands too.
        Enqueued::Existing(_) | Enqueued::KeyConflict => Ok(None),
        Enqueued::UnknownQueue => Err(ApiError::internal("the email queue is missing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_email_has_the_link_and_never_a_password() {
        let share = ShareNotice {
            token: "tok123",
            file_name: "plan.pdf",
            creator: "Ada",
            expires_at: None,
            password_protected: true,
        };
        let e = share_email("https://pn.example", "bob@example.com", &share);
        assert_eq!(e.to, "bob@example.com");
        assert_eq!(e.subject, "Ada shared \"plan.pdf\" with you");
        assert!(
            e.text.contains("https://pn.example/shared/tok123"),
            "{}",
            e.text
        );
        assert!(e.text.contains("ask Ada for it"), "{}", e.text);
    }

    #[test]
    fn an_invite_names_the_account_the_inviter_and_where_to_sign_in() {
        let e = invite_email("https://pn.example", "new@example.com", "Acme", "Ada");
        assert_eq!(e.subject, "You were added to Acme on Powernode");
        assert!(
            e.text.contains("You were added to Acme by Ada"),
            "{}",
            e.text
        );
        assert!(e.text.contains("https://pn.example/login"), "{}", e.text);
    }

    #[test]
    fn a_dead_job_email_quotes_a_bounded_error() {
        let job = DeadJob {
            id: Uuid::nil(),
            queue: "default".into(),
            job_type: "system.fail".into(),
            attempts: 4,
            died_at: DateTime::<Utc>::UNIX_EPOCH,
            last_error: Some("x".repeat(2000)),
        };
        let e = dead_job_email("https://pn.example", "o@example.com", &job);
        assert_eq!(e.subject, "Job system.fail failed for good");
        assert!(e.text.contains(&format!("{}…", "x".repeat(500))));
        assert!(!e.text.contains(&"x".repeat(501)));
        assert!(e.text.contains("https://pn.example/queues"));
    }
}
