//! `notifications.email` (`{"to", "subject", "text"}`), queued on `email` by the API with the
//! message already rendered: sends one plain-text email over SMTP (`lettre`).
//!
//! Native only: SMTP needs a TCP client, which the Wasm consumers do not have, so the edge
//! never claims the `email` queue (it is polled there, like the media runner's) and the native
//! consumer (`powernode-jobs`, or the one inside `powernode serve`) sends.
//!
//! Settings: `POWERNODE_SMTP_URL` in lettre's URL form (`smtp://host:port`,
//! `smtps://user:pass@host`, `smtp://host?tls=required`) and `POWERNODE_MAIL_FROM` (default
//! `Powernode <no-reply@localhost>`). Without a URL every run is dead at once with a message that
//! names the variable: retrying cannot configure it.
//!
//! Outcomes: a refused connection, a timeout or a 4xx reply is retried; a 5xx reply (the server
//! refuses the message or the recipient for good) and bad arguments abort. A job error never
//! carries the URL's password: messages are built from lettre's error, which holds no
//! credentials, and anything that could echo the URL is scrubbed of the password.
//!
//! Idempotency: the send is guarded by `email:sent:{job_id}` (`already_processed` → send →
//! `mark_processed`), so a run re-delivered after a successful send (a lost completion, a
//! rescued lease) does not send twice. A crash between the send and the mark can still repeat
//! it; SMTP has no way to dedupe, so this is at-least-once with the window made small.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};
use shared::api::jobs::ClaimedJob;
use shared::maybe_async_trait;

use crate::client::BackendApiClient;
use crate::job::{Job, JobError, Registry};

/// The job type.
pub const JOB_TYPE: &str = "notifications.email";
/// The sender when `POWERNODE_MAIL_FROM` is unset.
pub const DEFAULT_FROM: &str = "Powernode <no-reply@localhost>";
/// How long one SMTP command may take before the attempt is given up (and retried).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest subject and body accepted (the API renders short messages; this bounds a bug).
const MAX_SUBJECT: usize = 500;
const MAX_TEXT: usize = 100_000;

/// Where and as whom mail is sent. `Debug` hides the URL (it may hold a password).
#[derive(Clone, Default)]
pub struct MailSettings {
    /// `POWERNODE_SMTP_URL`; `None`: email is not configured.
    pub url: Option<String>,
    /// `POWERNODE_MAIL_FROM`; `None`: [`DEFAULT_FROM`].
    pub from: Option<String>,
}

impl MailSettings {
    /// From `POWERNODE_SMTP_URL` and `POWERNODE_MAIL_FROM` (empty means unset).
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            url: var("POWERNODE_SMTP_URL"),
            from: var("POWERNODE_MAIL_FROM"),
        }
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("url", &self.url.as_deref().map(redact_url))
            .field("from", &self.from)
            .finish()
    }
}

/// The URL with its password replaced by `***`.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "<unparseable URL>".into(),
    }
}

/// Registers `notifications.email` with `settings`.
pub fn register(r: &mut Registry, client: Arc<BackendApiClient>, settings: MailSettings) {
    r.register(Arc::new(Email::new(client, settings)));
}

/// The job: a transport built once from the settings, or why it could not be.
pub struct Email {
    client: Arc<BackendApiClient>,
    mailer: Result<Mailer, String>,
}

struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The URL's password (percent-decoded as lettre uses it, and as written), to scrub.
    secrets: Vec<String>,
}

impl Email {
    /// The job over `client` (for the idempotency helpers) with `settings`.
    pub fn new(client: Arc<BackendApiClient>, settings: MailSettings) -> Self {
        Self {
            client,
            mailer: Mailer::new(&settings),
        }
    }
}

impl Mailer {
    fn new(settings: &MailSettings) -> Result<Self, String> {
        let Some(url) = settings.url.as_deref() else {
            return Err("email is not configured: set POWERNODE_SMTP_URL".into());
        };
        let secrets = password_forms(url);
        let from = settings.from.as_deref().unwrap_or(DEFAULT_FROM);
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("POWERNODE_MAIL_FROM is not a mailbox ({from:?}): {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                let why = scrub(&secrets, e.to_string());
                format!(
                    "POWERNODE_SMTP_URL is not usable ({}): {why}",
                    redact_url(url)
                )
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self {
            transport,
            from,
            secrets,
        })
    }
}

/// The password as written in the URL and percent-decoded, the forms an error could echo.
fn password_forms(url: &str) -> Vec<String> {
    let Some(raw) = url::Url::parse(url)
        .ok()
        .and_then(|u| u.password().map(str::to_string))
    else {
        return Vec::new();
    };
    let mut forms = vec![raw.clone()];
    if let Some(decoded) = percent_decode(&raw)
        && decoded != raw
    {
        forms.push(decoded);
    }
    forms
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `text` with every form of the password replaced by `***`.
fn scrub(secrets: &[String], text: String) -> String {
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(text, |t, s| t.replace(s.as_str(), "***"))
}

/// The arguments, checked.
struct Args {
    to: Mailbox,
    subject: String,
    text: String,
}

fn args(job: &ClaimedJob) -> Result<Args, JobError> {
    let field = |name: &str| job.args[name].as_str().map(str::to_string);
    let to =
        field("to").ok_or_else(|| JobError::Abort("args.to must be an email address".into()))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| JobError::Abort(format!("args.to is not an email address: {e}")))?;
    let subject = field("subject")
        .filter(|s| !s.trim().is_empty() && s.chars().count() <= MAX_SUBJECT)
        .ok_or_else(|| {
            JobError::Abort(format!(
                "args.subject must be 1 to {MAX_SUBJECT} characters"
            ))
        })?;
    let text = field("text")
        .filter(|t| t.len() <= MAX_TEXT)
        .ok_or_else(|| JobError::Abort(format!("args.text must be at most {MAX_TEXT} bytes")))?;
    Ok(Args { to, subject, text })
}

/// What a failed send means for the job.
fn classify(e: &SmtpError, secrets: &[String]) -> JobError {
    let why = scrub(secrets, e.to_string());
    if e.is_permanent() {
        JobError::Abort(format!("the SMTP server refused the message: {why}"))
    } else {
        // Refused or reset connections, timeouts, TLS failures and 4xx replies may pass later.
        JobError::Retry(format!("sending failed, will retry: {why}"))
    }
}

maybe_async_trait! {
impl Job for Email {
    fn job_type(&self) -> &'static str {
        JOB_TYPE
    }
    async fn execute(&self, job: &ClaimedJob) -> Result<Value, JobError> {
        let mailer = self.mailer.as_ref().map_err(|why| JobError::Abort(why.clone()))?;
        let args = args(job)?;
        let guard = format!("email:sent:{}", job.id);
        if self.client.already_processed(&guard).await? {
            return Ok(json!({ "skipped": "already sent" }));
        }
        // A Message-ID (from the host name) is what receiving servers and threads expect.
        let message = Message::builder()
            .message_id(None)
            .from(mailer.from.clone())
            .to(args.to.clone())
            .subject(args.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(args.text)
            .map_err(|e| JobError::Abort(format!("the message cannot be built: {e}")))?;
        let reply = mailer
            .transport
            .send(message)
            .await
            .map_err(|e| classify(&e, &mailer.secrets))?;
        self.client.mark_processed(&guard).await?;
        tracing::info!(job = %job.id, to = %args.to.email, "email sent");
        Ok(json!({
            "to": args.to.email.to_string(),
            "smtp_code": reply.code().to_string(),
        }))
    }
}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Arc<BackendApiClient> {
        Arc::new(BackendApiClient::new("http://127.0.0.1:9", b"s", "t").expect("client"))
    }

    fn job(args: Value) -> ClaimedJob {
        ClaimedJob {
            id: uuid::Uuid::nil(),
            queue: "email".into(),
            job_type: JOB_TYPE.into(),
            args,
            attempt: 1,
            max_attempts: 4,
            lease_expires_at: chrono::Utc::now(),
            account_id: None,
        }
    }

    #[tokio::test]
    async fn without_a_url_the_job_is_dead_with_the_variable_named() {
        let email = Email::new(client(), MailSettings::default());
        let got = email
            .execute(&job(json!({ "to": "a@b.c", "subject": "s", "text": "t" })))
            .await;
        assert_eq!(
            got,
            Err(JobError::Abort(
                "email is not configured: set POWERNODE_SMTP_URL".into()
            ))
        );
    }

    #[tokio::test]
    async fn bad_arguments_abort() {
        let settings = MailSettings {
            url: Some("smtp://127.0.0.1:9".into()),
            from: None,
        };
        let email = Email::new(client(), settings);
        for bad in [
            json!({}),
            json!({ "to": "not an address", "subject": "s", "text": "t" }),
            json!({ "to": "a@b.c", "subject": " ", "text": "t" }),
            json!({ "to": "a@b.c", "subject": "s" }),
        ] {
            assert!(
                matches!(
                    email.execute(&job(bad.clone())).await,
                    Err(JobError::Abort(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_password_never_shows() {
        let settings = MailSettings {
            url: Some("smtps://mailer:s3cr%40t@smtp.example.com:465".into()),
            from: None,
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("s3cr"), "{shown}");
        assert!(shown.contains("mailer:***@smtp.example.com"), "{shown}");
        let forms = password_forms(settings.url.as_deref().unwrap_or_default());
        assert_eq!(forms, ["s3cr%40t", "s3cr@t"]);
        assert_eq!(
            scrub(&forms, "auth as mailer:s3cr@t failed".into()),
            "auth as mailer:*** failed"
        );
    }

    #[test]
    fn an_unusable_url_or_sender_is_explained_without_the_password() {
        let bad_scheme = Mailer::new(&MailSettings {
            url: Some("http://u:hunter22@mail.example.com".into()),
            from: None,
        });
        let why = bad_scheme.err().unwrap_or_default();
        assert!(why.contains("POWERNODE_SMTP_URL"), "{why}");
        assert!(!why.contains("hunter22"), "{why}");
        let bad_from = Mailer::new(&MailSettings {
            url: Some("smtp://127.0.0.1:25".into()),
            from: Some("not a mailbox".into()),
        });
        assert!(
            bad_from
                .err()
                .unwrap_or_default()
                .contains("POWERNODE_MAIL_FROM")
        );
    }
}
