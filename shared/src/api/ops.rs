//! Bodies of the operational routes.

use serde::{Deserialize, Serialize};

/// Answer of `GET /health` and `GET /ready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok`, or `degraded` when a dependency is down.
    pub status: String,
    /// One entry per dependency checked (empty for `/health`).
    pub checks: Vec<DependencyCheck>,
}

/// One dependency's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependencyCheck {
    /// `postgres` or `redis`.
    pub name: String,
    /// Whether it answered.
    pub ok: bool,
    /// Round trip in milliseconds when it answered.
    pub latency_ms: Option<u64>,
}
