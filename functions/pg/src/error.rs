//! Classifying driver errors for the API's error mapping (503 for an outage, 409 for a
//! unique violation where the service asks, 500 for the rest).

use std::error::Error as _;

use powernode_api::db::DbError;
use tokio_postgres::error::SqlState;

/// Classifies a `tokio-postgres` error.
pub fn classify(e: tokio_postgres::Error) -> DbError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        return if *code == SqlState::UNIQUE_VIOLATION {
            DbError::UniqueViolation(db.constraint().map(str::to_string))
        } else if *code == SqlState::FOREIGN_KEY_VIOLATION {
            DbError::ForeignKeyViolation(db.constraint().map(str::to_string))
        } else if is_outage(code) {
            DbError::Unavailable(db.message().to_string())
        } else {
            DbError::Query(format!("{}: {}", code.code(), db.message()))
        };
    }
    // Without a server error: a closed connection or an I/O failure is an outage; anything else
    // (a parameter that could not be encoded, a row that could not be decoded) is a bug.
    let io = e
        .source()
        .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
    if e.is_closed() || io {
        DbError::Unavailable(e.to_string())
    } else {
        DbError::Query(e.to_string())
    }
}

fn is_outage(code: &SqlState) -> bool {
    // Class 08 is connection exceptions; 57P0x are shutdowns; 53300 is too many connections.
    code.code().starts_with("08")
        || [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
        ]
        .contains(code)
}
