//! Translation of diesel and pool errors into the domain's error type, so that
//! callers never see a storage-specific error.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use domain::DomainError;

pub(crate) fn from_pool(error: impl std::fmt::Display) -> DomainError {
    DomainError::Unavailable {
        dependency: "postgres",
        message: error.to_string(),
    }
}

pub(crate) fn from_diesel(error: DieselError) -> DomainError {
    match error {
        DieselError::NotFound => DomainError::NotFound("record"),
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            DomainError::Unavailable {
                dependency: "postgres",
                message: info.message().to_owned(),
            }
        }
        other => DomainError::internal_from("postgres query failed", other),
    }
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

/// The error type inside a transaction closure: a database failure (rolls back
/// and maps through `from_diesel`) or a business refusal decided mid-transaction
/// (rolls back and is returned as-is).
#[derive(Debug)]
pub(crate) enum TxError {
    Db(DieselError),
    Domain(DomainError),
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> Self {
        Self::Db(error)
    }
}

impl From<TxError> for DomainError {
    fn from(error: TxError) -> Self {
        match error {
            TxError::Db(error) => from_diesel(error),
            TxError::Domain(error) => error,
        }
    }
}
