//! The Redis trigger's entry point (wasm32 only): one message of the jobs channel, one job.
//!
//! Spin calls it once per message and does not redeliver, whatever it returns; an error is only
//! logged. See `outcome` for why that loses nothing.

use crate::consume::Handled;
use crate::error::EntryError;

#[spin_sdk::redis_component]
async fn on_message(payload: Vec<u8>) -> Result<(), EntryError> {
    let consumer = crate::instance::consumer()?;
    match consumer.handle(&payload).await? {
        Handled::NotServed { id, queue } => {
            tracing::debug!(job = %id, queue, "not a queue this consumer serves; left alone");
        }
        Handled::Delivered { id, fate } => tracing::info!(job = %id, %fate, "job handled"),
    }
    Ok(())
}
