//! The adapter's own error type, `PgError`, and its one mapping into the
//! domain's error (`impl From<PgError> for DomainError`), so callers never see
//! a storage-specific error and the mapping lives in one place. The underlying
//! diesel error stays attached as the `source` of `DomainError::Internal`, so a
//! 500's log line shows PostgreSQL's own message.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::DomainError;

/// Everything that can go wrong in this adapter.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PgError {
    /// A statement or transaction failed.
    #[error("postgres query failed")]
    Query(#[from] DieselError),
    /// No connection could be had from the pool in time.
    #[error("no postgres connection")]
    Pool(#[source] diesel_async::pooled_connection::deadpool::PoolError),
    /// A business refusal decided mid-transaction (rolls the transaction back
    /// and is returned as-is).
    #[error(transparent)]
    Domain(DomainError),
    /// A checked write's facts moved mid-transaction: roll back (what it
    /// claimed with the write, an idempotency key, is released) and answer
    /// `Checked::FactsMoved`. The one caller turns it into that answer.
    #[error("the facts the write was decided on moved")]
    FactsMoved,
}

impl From<PgError> for DomainError {
    fn from(error: PgError) -> Self {
        match error {
            PgError::Query(DieselError::NotFound) => DomainError::NotFound("record"),
            PgError::Query(error @ DieselError::DatabaseError(..)) if lost(&error) => {
                DomainError::unavailable("postgres", error)
            }
            PgError::Query(error) => DomainError::internal_from("postgres query failed", error),
            PgError::Pool(error) => DomainError::unavailable("postgres", PgError::Pool(error)),
            PgError::Domain(error) => error,
            PgError::FactsMoved => DomainError::internal("unanswered facts-moved rollback"),
        }
    }
}

/// Did the statement fail because the server went away (a restart, a
/// failover), not because of the statement? Those are a 503 the client may
/// retry, never a 500: `make chaos` restarts PostgreSQL under load and
/// counts. diesel-async reports a dropped socket as `UnableToSendCommand`
/// ("connection closed"); a server shutting down first sends SQLSTATE 57P01
/// or 57P03, which diesel files as `Unknown` without the code, so their
/// fixed messages are matched.
fn connection_lost(kind: &DatabaseErrorKind, message: &str) -> bool {
    matches!(
        kind,
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
    ) || (matches!(kind, DatabaseErrorKind::Unknown)
        && (message.starts_with("terminating connection due to administrator command")
            || message.starts_with("the database system is shutting down")
            || message.starts_with("the database system is starting up")))
}

/// A pool checkout failure, as the domain sees it.
pub(crate) fn from_pool(
    error: diesel_async::pooled_connection::deadpool::PoolError,
) -> DomainError {
    PgError::Pool(error).into()
}

fn lost(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(kind, info) => connection_lost(kind, info.message()),
        _ => false,
    }
}

/// A diesel failure, as the domain sees it (shorthand for the `From` chain).
pub(crate) fn from_diesel(error: DieselError) -> DomainError {
    PgError::Query(error).into()
}

/// The violated unique constraint's name, if `error` is a unique violation.
pub(crate) fn unique_violation(error: &DieselError) -> Option<&str> {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            info.constraint_name()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DomainError {
        PgError::Query(DieselError::DatabaseError(
            kind,
            Box::new(message.to_owned()),
        ))
        .into()
    }

    #[test]
    fn a_lost_connection_is_unavailable_not_internal() {
        for (kind, message) in [
            (DatabaseErrorKind::UnableToSendCommand, "connection closed"),
            (
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection",
            ),
            (
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            (
                DatabaseErrorKind::Unknown,
                "the database system is shutting down",
            ),
        ] {
            assert!(
                matches!(
                    database_error(kind, message),
                    DomainError::Unavailable {
                        dependency: "postgres",
                        ..
                    }
                ),
                "{message}"
            );
        }
    }

    #[test]
    fn other_database_errors_stay_internal() {
        assert!(matches!(
            database_error(DatabaseErrorKind::Unknown, "division by zero"),
            DomainError::Internal { .. }
        ));
    }
}
