//! The native `JobSignal`: one connection that LISTENs on `powernode_jobs` and bumps a counter
//! on every notification, reconnecting by itself. Claimers waiting on the counter are woken at
//! once when a job is enqueued, instead of polling the table.

use std::time::Duration;

use powernode_api::maybe_async_trait;
use powernode_api::ports::JobSignal;
use tokio::sync::watch;
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel enqueue notifies (see `JobInsert`).
pub const CHANNEL: &str = "powernode_jobs";

/// LISTEN/NOTIFY wake-ups.
pub struct PgJobSignal {
    generation: watch::Sender<u64>,
}

impl PgJobSignal {
    /// Starts listening in the background (on the current tokio runtime).
    pub fn spawn(database_url: &str) -> std::sync::Arc<Self> {
        let (generation, _) = watch::channel(0u64);
        let signal = std::sync::Arc::new(Self { generation });
        let url = database_url.to_string();
        let weak = std::sync::Arc::downgrade(&signal);
        tokio::spawn(async move {
            while let Some(signal) = weak.upgrade() {
                if let Err(e) = signal.listen(&url).await {
                    tracing::warn!(error = %e, "job notifications: connection lost; reconnecting");
                }
                drop(signal);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        signal
    }

    fn bump(&self) {
        self.generation.send_modify(|g| *g = g.wrapping_add(1));
    }

    async fn listen(&self, url: &str) -> Result<(), tokio_postgres::Error> {
        let (client, mut connection) = tokio_postgres::connect(url, NoTls).await?;
        let driver = async {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(_))) => self.bump(),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e),
                    None => return Ok(()),
                }
            }
        };
        let subscribe = async {
            client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
            // Anything enqueued while we were not listening: let waiters look again.
            self.bump();
            std::future::pending::<Result<(), tokio_postgres::Error>>().await
        };
        tokio::select! {
            r = driver => r,
            r = subscribe => r,
        }
    }
}

maybe_async_trait! {
impl JobSignal for PgJobSignal {
    fn can_wait(&self) -> bool {
        true
    }
    fn generation(&self) -> u64 {
        *self.generation.borrow()
    }
    async fn wait(&self, since: u64, timeout: Duration) {
        let mut rx = self.generation.subscribe();
        if *rx.borrow_and_update() != since {
            return;
        }
        let _ = tokio::time::timeout(timeout, rx.changed()).await;
    }
}
}
