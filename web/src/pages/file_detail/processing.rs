//! The file's processing jobs and their state.

use sycamore::prelude::*;

use super::Loaded;
use crate::format;

/// The jobs table.
#[component(inline_props)]
pub fn Jobs(loaded: Loaded) -> View {
    view! {
        section(class="card", aria-labelledby="jobs-title") {
            h2(id="jobs-title") { "Processing" }
            table {
                thead { tr { th { "Job" } th { "Status" } th { "Attempts" } th { "Finished" } th { "Error" } } }
                tbody {
                    Keyed(
                        list=loaded.jobs,
                        key=|j| (j.id, j.status.clone(), j.attempts),
                        view=|j| {
                            let badge = format!("badge badge-{}", j.status);
                            let finished = j.completed_at.as_ref().map(format::datetime).unwrap_or_default();
                            let error = j.error.unwrap_or_default();
                            let (job_type, status, attempts) = (j.job_type, j.status, j.attempts);
                            view! {
                                tr {
                                    td { (job_type) }
                                    td { span(class=badge) { (status) } }
                                    td { (attempts) }
                                    td { (finished) }
                                    td { (error) }
                                }
                            }
                        },
                    )
                }
            }
        }
    }
}
