//! The Workers side: the queue and cron entry points.

mod transport;

use std::sync::Arc;

use chrono::DateTime;
use futures_util::future::join_all;
use jobs::client::BackendApiClient;
use jobs::deliver::deliver;
use jobs::job::Registry;
use jobs::schedule::{SCHEDULES, Schedule, Scheduler};
use shared::api::announcement::JobAnnouncement;
use worker::{
    Context, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, RawMessage, ScheduleContext,
    ScheduledEvent, console_error, console_log, event,
};

use crate::settle::{Action, action, announcement};

/// A lease long enough for any edge job; a consumer Worker that dies mid-job leaves it to the
/// rescuer after this.
const DEFAULT_LEASE_SECONDS: i64 = 300;

/// How long messages wait while the Worker lacks a secret or var.
const UNCONFIGURED_RETRY_SECONDS: u32 = 60;

/// What the Worker reads from its vars and secrets.
struct Settings {
    api_url: String,
    service_token: String,
    lease_seconds: i64,
}

impl Settings {
    /// Fails with the name of the first missing secret or var (never its value).
    fn from_env(env: &Env) -> Result<Self, &'static str> {
        let service_token = env
            .secret("WORKER_SERVICE_TOKEN")
            .map(|s| s.to_string())
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or("WORKER_SERVICE_TOKEN")?;
        let api_url = env
            .var("BACKEND_API_URL")
            .map(|v| v.to_string())
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or("BACKEND_API_URL")?;
        let lease_seconds = env
            .var("POWERNODE_LEASE_SECONDS")
            .ok()
            .and_then(|v| v.to_string().parse().ok())
            .filter(|s| *s > 0)
            .unwrap_or(DEFAULT_LEASE_SECONDS);
        Ok(Self {
            api_url,
            service_token,
            lease_seconds,
        })
    }

    fn client(&self) -> Arc<BackendApiClient> {
        Arc::new(BackendApiClient::with_transport(
            &self.api_url,
            self.service_token.as_bytes(),
            jobs::SERVICE_NAME,
            Arc::new(transport::FetchTransport),
        ))
    }
}

#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    let settings = match Settings::from_env(&env) {
        Ok(s) => s,
        Err(missing) => {
            // Leave the batch to Cloudflare's retries, a minute apart, until the deployment is
            // fixed (the jobs wait in Postgres either way).
            console_error!("the consumer Worker is not configured: {missing} is not set");
            batch.retry_all_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(UNCONFIGURED_RETRY_SECONDS)
                    .build(),
            );
            return Ok(());
        }
    };
    let client = settings.client();
    let registry = Arc::new(Registry::with_platform(client.clone()));
    let messages: Vec<RawMessage> = batch.raw_iter().collect();
    let env = &env;
    // The batch's jobs run side by side; each message is settled on its own.
    let runs = messages.iter().map(|message| {
        let client = client.clone();
        let registry = registry.clone();
        let lease = settings.lease_seconds;
        async move {
            let body: serde_json::Value =
                serde_wasm_bindgen::from_value(message.body()).unwrap_or_default();
            let Some(job) = announcement(&body) else {
                console_error!(
                    "message {} is not a job announcement; dropped",
                    message.id()
                );
                message.ack();
                return;
            };
            if shared::job::NATIVE_QUEUES.contains(&job.queue.as_str()) {
                // Never claimed here (no SMTP in a Worker): the API does not announce these
                // queues, so this is a stale or forged message; the native consumer polls it.
                console_error!(
                    "job {}: queue {} is native-only; left alone",
                    job.id,
                    job.queue
                );
                message.ack();
                return;
            }
            let worker_id = format!("cloudflare-consumer:{}", message.id());
            let outcome = deliver(&client, registry, &worker_id, job.id, lease).await;
            if let Err(e) = &outcome {
                console_error!("job {}: the API did not settle it: {e}", job.id);
            }
            settle(env, message, &job, action(&outcome)).await;
        }
    });
    join_all(runs).await;
    Ok(())
}

async fn settle(env: &Env, message: &RawMessage, job: &JobAnnouncement, action: Action) {
    match action {
        Action::Ack => message.ack(),
        Action::Retry { delay_seconds } => message.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(delay_seconds)
                .build(),
        ),
        Action::DeadLetter => {
            // The job is already dead in Postgres; the dead-letter queue is where operators
            // look. If that send fails, Cloudflare's own retries end there too.
            let sent = match env.queue("DEAD_LETTERS") {
                Ok(dlq) => dlq.send(job.clone()).await,
                Err(e) => Err(e),
            };
            match sent {
                Ok(()) => message.ack(),
                Err(e) => {
                    console_error!("job {}: dead, but the dead-letter send failed: {e}", job.id);
                    message.retry();
                }
            }
        }
    }
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let settings = match Settings::from_env(&env) {
        Ok(s) => s,
        Err(missing) => {
            console_error!("the consumer Worker is not configured: {missing} is not set");
            return;
        }
    };
    let client = settings.client();
    // The relay runs here rather than as a queued job: it is what recovers lost queue sends,
    // so it must not depend on the queue.
    match client.relay().await {
        Ok(report) => console_log!("relay: {} jobs re-announced", report.pushed),
        Err(e) => console_error!("relay failed: {e}"),
    }
    // The trigger's own time, not Date.now(): a late invocation still enqueues its minute.
    // Whole milliseconds, well inside i64's range.
    #[allow(clippy::cast_possible_truncation)]
    let Some(now) = DateTime::from_timestamp_millis(event.schedule() as i64) else {
        return;
    };
    let table: Vec<Schedule> = SCHEDULES
        .iter()
        .filter(|s| s.job_type != "maintenance.relay")
        .copied()
        .collect();
    let scheduler = Scheduler::new(client, &table, now);
    match scheduler {
        Ok(mut s) => match s.run_once(now).await {
            Ok(n) => console_log!("cron: {n} ticks enqueued"),
            Err(e) => console_error!("cron: enqueueing ticks failed: {e}"),
        },
        Err(e) => console_error!("cron table: {e}"),
    }
}
