//! The cron trigger's entry point (wasm32 only): the export the `spin-trigger-cron` plugin
//! calls on schedule, `handle-cron-event` of `wit/cron.wit`.
//!
//! The bindings are generated here with the wit-bindgen that spin-sdk re-exports (as its own
//! `#[redis_component]` does) because the plugin's `spin-cron-sdk` is not on crates.io; what
//! its `#[cron_component]` macro generates is the same export.

use crate::sweep::{fired_at, sweep};

mod bindings {
    spin_sdk::wit_bindgen::generate!({
        world: "spin-cron",
        path: "wit/cron.wit",
        runtime_path: "::spin_sdk::wit_bindgen::rt",
    });
}

use bindings::fermyon::spin_cron::cron_types::{Error, Metadata};

struct Cron;

impl bindings::Guest for Cron {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        // spin-sdk's executor drives the outbound HTTP futures, as for the Redis entry point.
        spin_sdk::http::run(async move {
            let result = async {
                let consumer = crate::instance::consumer()?;
                let at = fired_at(metadata.timestamp, jobs::platform::now());
                Ok::<_, crate::error::EntryError>(sweep(consumer.client(), at).await?)
            }
            .await;
            match result {
                Ok(report) => {
                    tracing::info!(relayed = report.relayed, ticks = report.ticks, "swept");
                    Ok(())
                }
                Err(e) => {
                    tracing::error!(error = %e, "sweep failed; the next one retries");
                    Err(Error::Other(e.to_string()))
                }
            }
        })
    }
}

bindings::export!(Cron with_types_in bindings);
