//! `webhook_endpoints` and `webhook_events`. Account-facing queries are scoped to the account;
//! the receiver and the worker routes look rows up by id alone (see each function).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{query_one, query_opt, sql};
use crate::db::{DbError, Row};
use crate::ports::Conn;

/// An endpoint row; `secret_sealed` is the encrypted signing secret.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointRow {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// Name.
    pub name: String,
    /// `generic`, `github` or `stripe`.
    pub provider: String,
    /// `encrypted:...`.
    pub secret_sealed: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

fn endpoint(r: &Row) -> Result<EndpointRow, DbError> {
    Ok(EndpointRow {
        id: r.get("id")?,
        account_id: r.get("account_id")?,
        name: r.get("name")?,
        provider: r.get("provider")?,
        secret_sealed: r.get("secret_sealed")?,
        created_at: r.get("created_at")?,
    })
}

/// Inserts an endpoint.
pub async fn insert_endpoint(c: &dyn Conn, e: &EndpointRow) -> Result<(), DbError> {
    c.execute(
        sql::WEBHOOK_ENDPOINT_INSERT,
        &[
            e.id.into(),
            e.account_id.into(),
            e.name.as_str().into(),
            e.provider.as_str().into(),
            e.secret_sealed.as_str().into(),
            e.created_at.into(),
        ],
    )
    .await
    .map(drop)
}

/// A page of the account's endpoints, newest first, and how many there are.
pub async fn list_endpoints(
    c: &dyn Conn,
    account: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EndpointRow>, i64), DbError> {
    let rows = c
        .query(
            sql::WEBHOOK_ENDPOINT_LIST,
            &[account.into(), limit.into(), offset.into()],
        )
        .await?
        .iter()
        .map(endpoint)
        .collect::<Result<Vec<_>, _>>()?;
    let total = query_one(c, sql::WEBHOOK_ENDPOINT_LIST_COUNT, &[account.into()])
        .await?
        .get("total")?;
    Ok((rows, total))
}

/// One of the account's endpoints.
pub async fn get_endpoint(
    c: &dyn Conn,
    account: Uuid,
    id: Uuid,
) -> Result<Option<EndpointRow>, DbError> {
    query_opt(c, sql::WEBHOOK_ENDPOINT_GET, &[id.into(), account.into()])
        .await?
        .as_ref()
        .map(endpoint)
        .transpose()
}

/// Any account's endpoint: the receiver's look-up, where the URL's id is all there is.
pub async fn get_endpoint_any_account(
    c: &dyn Conn,
    id: Uuid,
) -> Result<Option<EndpointRow>, DbError> {
    query_opt(c, sql::WEBHOOK_ENDPOINT_GET_ANY_ACCOUNT, &[id.into()])
        .await?
        .as_ref()
        .map(endpoint)
        .transpose()
}

/// Deletes one of the account's endpoints with its events; false when it was not theirs.
pub async fn delete_endpoint(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<bool, DbError> {
    Ok(
        c.execute(sql::WEBHOOK_ENDPOINT_DELETE, &[id.into(), account.into()])
            .await?
            == 1,
    )
}

/// An event row (without its payload unless read with [`get_event`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// Id.
    pub id: Uuid,
    /// Endpoint.
    pub endpoint_id: Uuid,
    /// Owner.
    pub account_id: Uuid,
    /// The sender's delivery id.
    pub delivery_id: String,
    /// The sender's event type.
    pub event_type: Option<String>,
    /// `pending`, `processed` or `failed`.
    pub state: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Processing ended.
    pub processed_at: Option<DateTime<Utc>>,
}

fn event(r: &Row) -> Result<EventRow, DbError> {
    Ok(EventRow {
        id: r.get("id")?,
        endpoint_id: r.get("endpoint_id")?,
        account_id: r.get("account_id")?,
        delivery_id: r.get("delivery_id")?,
        event_type: r.get("event_type")?,
        state: r.get("state")?,
        error: r.get("error")?,
        received_at: r.get("received_at")?,
        processed_at: r.get("processed_at")?,
    })
}

/// A new event, as the receiver stores it.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Id.
    pub id: Uuid,
    /// The endpoint (and its account).
    pub endpoint: &'a EndpointRow,
    /// The sender's delivery id.
    pub delivery_id: &'a str,
    /// The sender's event type.
    pub event_type: Option<&'a str>,
    /// The raw body.
    pub payload: &'a [u8],
    /// Received.
    pub received_at: DateTime<Utc>,
}

/// Stores an event: `Some(id)` when new, `None` when the endpoint already has this delivery id.
pub async fn insert_event(c: &dyn Conn, e: &NewEvent<'_>) -> Result<Option<Uuid>, DbError> {
    query_opt(
        c,
        sql::WEBHOOK_EVENT_INSERT,
        &[
            e.id.into(),
            e.endpoint.id.into(),
            e.endpoint.account_id.into(),
            e.delivery_id.into(),
            e.event_type.into(),
            e.payload.to_vec().into(),
            e.received_at.into(),
        ],
    )
    .await?
    .map(|r| r.get("id"))
    .transpose()
}

/// The event the endpoint stored for a delivery id.
pub async fn find_by_delivery(
    c: &dyn Conn,
    endpoint: Uuid,
    delivery_id: &str,
) -> Result<Option<Uuid>, DbError> {
    query_opt(
        c,
        sql::WEBHOOK_EVENT_FIND_BY_DELIVERY,
        &[endpoint.into(), delivery_id.into()],
    )
    .await?
    .map(|r| r.get("id"))
    .transpose()
}

/// Filters of the event log.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// One endpoint's events.
    pub endpoint_id: Option<Uuid>,
    /// One state's.
    pub state: Option<String>,
}

/// A page of the account's events, newest first, and how many match.
pub async fn list_events(
    c: &dyn Conn,
    account: Uuid,
    filter: &EventFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EventRow>, i64), DbError> {
    let rows = c
        .query(
            sql::WEBHOOK_EVENT_LIST,
            &[
                account.into(),
                filter.endpoint_id.into(),
                filter.state.clone().into(),
                limit.into(),
                offset.into(),
            ],
        )
        .await?
        .iter()
        .map(event)
        .collect::<Result<Vec<_>, _>>()?;
    let total = query_one(
        c,
        sql::WEBHOOK_EVENT_LIST_COUNT,
        &[
            account.into(),
            filter.endpoint_id.into(),
            filter.state.clone().into(),
        ],
    )
    .await?
    .get("total")?;
    Ok((rows, total))
}

/// An event with its payload and its endpoint's provider; `account` `None` reads any
/// account's (the worker routes).
pub async fn get_event(
    c: &dyn Conn,
    account: Option<Uuid>,
    id: Uuid,
) -> Result<Option<(EventRow, String, Vec<u8>)>, DbError> {
    let Some(r) = query_opt(c, sql::WEBHOOK_EVENT_GET, &[id.into(), account.into()]).await? else {
        return Ok(None);
    };
    Ok(Some((event(&r)?, r.get("provider")?, r.get("payload")?)))
}

/// Records the outcome of a pending event; false when it is not pending.
pub async fn report(
    c: &dyn Conn,
    id: Uuid,
    state: &str,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<bool, DbError> {
    Ok(query_opt(
        c,
        sql::WEBHOOK_EVENT_REPORT,
        &[id.into(), state.into(), error.into(), at.into()],
    )
    .await?
    .is_some())
}

/// Puts one of the account's events back to pending; false when it is not theirs.
pub async fn reset_pending(c: &dyn Conn, account: Uuid, id: Uuid) -> Result<bool, DbError> {
    Ok(query_opt(
        c,
        sql::WEBHOOK_EVENT_RESET_PENDING,
        &[id.into(), account.into()],
    )
    .await?
    .is_some())
}
