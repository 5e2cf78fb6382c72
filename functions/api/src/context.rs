//! What a handler gets: the API, the request, the route's parameters and the caller.

use shared::tokens::ServiceClaims;
use uuid::Uuid;

use crate::Api;
use crate::error::{ApiError, ApiResult};
use crate::http::ApiRequest;
use crate::store::users::UserPrincipal;

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A public route's caller.
    Anonymous,
    /// A signed-in user.
    User(UserPrincipal),
    /// A consumer holding the service token.
    Service(ServiceClaims),
    /// An account API key of the OpenAI-compatible surface.
    ApiKey {
        /// The key.
        key_id: Uuid,
        /// Its account.
        account_id: Uuid,
    },
}

/// A handler's context.
pub struct Ctx<'a> {
    /// The API (config, ports, ids, clock).
    pub api: &'a Api,
    /// The request.
    pub req: &'a ApiRequest,
    /// Path parameters by name.
    pub params: Vec<(String, String)>,
    /// The caller.
    pub principal: Principal,
}

impl Ctx<'_> {
    /// The signed-in user (routes with `Access::User` always have one).
    pub fn user(&self) -> ApiResult<&UserPrincipal> {
        match &self.principal {
            Principal::User(u) => Ok(u),
            _ => Err(ApiError::unauthorized()),
        }
    }

    /// A path parameter as text.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A path parameter that must be a UUID; anything else cannot name a `what`, so 404.
    pub fn param_id(&self, name: &str, what: &str) -> ApiResult<Uuid> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| Uuid::parse_str(v).ok())
            .ok_or_else(|| ApiError::not_found(what))
    }

    /// The client's address as text, for audit and throttling.
    pub fn client_ip(&self) -> Option<String> {
        self.req.client_ip.map(|ip| ip.to_string())
    }
}
