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
        other => DomainError::Internal(format!("postgres: {other}")),
    }
}
