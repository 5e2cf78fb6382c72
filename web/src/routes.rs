//! The app's URLs. The native host and the Worker serve `index.html` for any path that is not
//! the API's, so each of these survives a reload.

use sycamore_router::Route;

/// One screen.
#[derive(Route, Clone, Debug, PartialEq, Eq)]
pub enum AppRoute {
    /// The files grid.
    #[to("/")]
    Files,
    /// One file's detail.
    #[to("/files/<id>")]
    File {
        /// The file's id (checked by the page).
        id: String,
    },
    /// Queues and jobs.
    #[to("/queues")]
    Queues,
    /// Storage backends.
    #[to("/storage")]
    Storage,
    /// The account's users.
    #[to("/users")]
    Users,
    /// Webhook endpoints and received events.
    #[to("/webhooks")]
    Webhooks,
    /// AI providers, playground, keys, budget, usage and ledger.
    #[to("/ai")]
    Ai,
    /// Knowledge bases.
    #[to("/knowledge")]
    Knowledge,
    /// One knowledge base: its documents and search.
    #[to("/knowledge/<id>")]
    KnowledgeBase {
        /// The base's id (checked by the page).
        id: String,
    },
    /// Agents: the fleet table, create, edit, delete, and starting a run.
    #[to("/agents")]
    Agents,
    /// Runs of every agent, filtered by agent and status.
    #[to("/agents/runs")]
    AgentRuns,
    /// One run: its steps as they land.
    #[to("/agents/runs/<id>")]
    AgentRun {
        /// The run's id (checked by the page).
        id: String,
    },
    /// A share link's public page (no sign-in).
    #[to("/shared/<token>")]
    Shared {
        /// The share's token.
        token: String,
    },
    /// Sign in.
    #[to("/login")]
    Login,
    /// Create an account.
    #[to("/register")]
    Register,
    /// Anything else.
    #[not_found]
    NotFound,
}
