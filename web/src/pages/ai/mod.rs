//! AI: the account's providers (live breaker state, latency, test), the playground that streams
//! an answer token by token, API keys for `/v1`, the budget, usage charts and the request
//! ledger. One file per part.

mod keys;
mod ledger;
mod playground;
mod providers;
mod usage;

use shared::Permission;
use sycamore::prelude::*;

use crate::components::layout::{PageHeader, Section, Shell};
use crate::session::use_session;

/// The AI page.
#[component]
pub fn AiPage() -> View {
    let session = use_session();
    let can_manage = session.can(Permission::AiManage);
    let can_use = session.can(Permission::AiUse);
    // Bumped after anything that changes spend, so the usage and ledger reload.
    let spent = create_signal(0u32);
    view! {
        Shell(section=Section::Ai) {
            PageHeader(title="AI".to_string()) {}
            providers::Providers(can_manage=can_manage)
            (if can_use { view! { playground::Playground(spent=spent) } } else { view! {} })
            (if can_manage { view! { keys::KeysAndBudget(spent=spent) } } else { view! {} })
            usage::Usage(spent=spent)
            ledger::Ledger(spent=spent)
        }
    }
}
