//! The one error type services and ports speak. Adapters translate their own
//! failures into it; the transport (`http-actix/src/problem.rs`) is the only
//! place that decides what each becomes on the wire.

use std::fmt;

/// A problem with one input field, reported back to the client as-is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Input that can never succeed as sent.
    #[error("invalid input: {}", join(.0))]
    Invalid(Vec<FieldError>),

    /// Well-formed input refused by a rule with its own problem `code`
    /// (`url_not_allowed`: a webhook target that is not a public address).
    #[error("{code}: {}", .field.message)]
    Refused {
        code: &'static str,
        field: FieldError,
    },

    /// The resource does not exist, or the caller may not know it exists.
    #[error("{0} not found")]
    NotFound(&'static str),

    /// The resource existed but can no longer be used (an invitation that
    /// expired, was revoked or was used): `410 {what}_gone`.
    #[error("{0} is gone")]
    Gone(&'static str),

    /// The caller is known but the action is not allowed for their role.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),

    /// A personal access token whose scopes do not allow the request:
    /// `403 insufficient_scope`.
    #[error("insufficient scope: {0}")]
    InsufficientScope(&'static str),

    /// No valid credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),

    /// The request conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(ConflictKind),

    /// Optimistic lock lost: the stored version differs from the expected one.
    #[error("version conflict: current version is {current}")]
    VersionConflict { current: i64 },

    /// A dependency (database, cache) failed. The cause is for logs only
    /// (`source`); clients are told only that the service is unavailable.
    #[error("{dependency} unavailable")]
    Unavailable {
        dependency: &'static str,
        #[source]
        source: BoxError,
    },

    /// A bug or an unexpected failure. Logged with its cause chain (`source`),
    /// never shown to clients.
    #[error("internal error: {context}")]
    Internal {
        /// What was being done ("loading a task", "hashing a password").
        context: String,
        #[source]
        source: Option<BoxError>,
    },
}

/// Which state a request conflicts with. The transport gives each its name on
/// the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConflictKind {
    #[error("the email address is in use by another account")]
    EmailTaken,
    #[error("the user is a member of the team already")]
    AlreadyMember,
    #[error("a team must keep at least one admin")]
    LastAdmin,
    #[error("the address has a pending invitation to the team already")]
    AlreadyInvited,
    /// A per-team or per-user limit (`webhooks::MAX_WEBHOOKS_PER_TEAM`,
    /// `personal_tokens::MAX_TOKENS_PER_USER`); `owner` is `team` or `user`.
    #[error("the {owner} has {limit} {what} already, the most it may have")]
    LimitReached {
        owner: &'static str,
        what: &'static str,
        limit: usize,
    },
}

/// Any error, kept as the cause of an `Internal` one.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// An unexpected failure with no underlying error (a broken invariant).
    pub fn internal(context: impl Into<String>) -> Self {
        Self::Internal {
            context: context.into(),
            source: None,
        }
    }

    /// `dependency` failed because of `source` (kept for the log line).
    pub fn unavailable(dependency: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Unavailable {
            dependency,
            source: source.into(),
        }
    }

    /// An unexpected failure caused by `source`, which stays reachable through
    /// `std::error::Error::source` for the log line.
    pub fn internal_from(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.into(),
            source: Some(source.into()),
        }
    }
}

/// Combines the errors of several independently parsed fields into one
/// `Invalid` listing every bad field (a non-`Invalid` error wins as-is).
pub fn merge_invalid<const N: usize>(errors: [Option<DomainError>; N]) -> DomainError {
    let mut fields = Vec::new();
    for error in errors.into_iter().flatten() {
        match error {
            DomainError::Invalid(mut more) => fields.append(&mut more),
            other => return other,
        }
    }
    DomainError::Invalid(fields)
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_keeps_its_cause() {
        use std::error::Error as _;
        let cause = std::io::Error::other("disk on fire");
        let error = DomainError::internal_from("writing the task", cause);
        assert_eq!(error.to_string(), "internal error: writing the task");
        let source = error.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("disk on fire"));
    }

    #[test]
    fn an_unavailable_dependency_keeps_its_cause() {
        use std::error::Error as _;
        let error = DomainError::unavailable("redis", "connection refused");
        assert_eq!(error.to_string(), "redis unavailable");
        let source = error.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("connection refused"));
    }

    #[test]
    fn invalid_error_lists_every_field_in_its_message() {
        let error = DomainError::Invalid(vec![
            FieldError::new("title", "must not be empty"),
            FieldError::new("priority", "unknown value"),
        ]);
        assert_eq!(
            error.to_string(),
            "invalid input: title: must not be empty; priority: unknown value"
        );
    }
}
