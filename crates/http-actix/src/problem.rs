//! The only place errors become HTTP: status codes and RFC 9457
//! `application/problem+json` bodies. Internal details never reach the client;
//! `middleware::request_context` logs them with the request id.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::{ConflictKind, DomainError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document, with OpsFlow's extension members.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:opsflow:problem:validation_failed",
    "title": "Bad Request",
    "status": 400,
    "detail": "Invalid JSON body: due_at must be an RFC 3339 date-time, e.g. 2026-12-04T09:00:00Z.",
    "code": "validation_failed",
    "request_id": "019b0e4c-7a15-7047-94e6-9b8c7d6e5f40",
    "errors": [{"field": "due_at", "message": "must be an RFC 3339 date-time, e.g. 2026-12-04T09:00:00Z"}]
}))]
pub struct Problem {
    /// `urn:opsflow:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable reason (`validation_failed`, `not_found`, ...).
    pub code: String,
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// The stored version, on `version_conflict`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// Which dependencies failed, on `/ready`'s 503.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"field": "title", "message": "must be 1 to 200 characters, not all blank"}))]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

impl From<&FieldError> for ProblemField {
    fn from(error: &FieldError) -> Self {
        Self {
            field: error.field.clone(),
            message: error.message.clone(),
        }
    }
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:opsflow:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            request_id: None,
            errors: Vec::new(),
            current_version: None,
            unavailable: None,
        }
    }

    /// The problem for a status when nothing more specific is known (errors raised
    /// by actix itself or by a third-party middleware).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status.as_u16() {
            400 => ("bad_request", "The request could not be understood."),
            401 => ("unauthenticated", "Authentication is required."),
            403 => ("forbidden", "You are not allowed to do this."),
            404 => ("not_found", "No such resource."),
            405 => ("method_not_allowed", "This method is not allowed here."),
            413 => ("payload_too_large", "The request body is too large."),
            415 => (
                "unsupported_media_type",
                "Send JSON with Content-Type: application/json.",
            ),
            429 => ("rate_limited", "Too many requests."),
            503 => ("unavailable", "The service is temporarily unavailable."),
            code if code >= 500 => ("internal_error", "An unexpected error occurred."),
            _ => ("error", "The request failed."),
        };
        Self::new(status, code, detail)
    }

    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code()).json(&self);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        response
    }
}

/// Every error a handler or extractor can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),

    /// Malformed input caught at the edge, before any domain type exists.
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },

    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },

    #[error("unsupported content type")]
    UnsupportedMediaType,

    /// The body did not arrive within the configured time.
    #[error("request body not received within {after:?}")]
    RequestTimeout { after: std::time::Duration },

    #[error("no route for this path")]
    RouteNotFound,

    /// The path exists but not with this method; `allow` lists the ones it has.
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },

    /// A conditional write without any version (neither body nor If-Match).
    #[error("precondition required")]
    PreconditionRequired,

    /// `If-Match` named a version that is not the current one.
    #[error("precondition failed: current version is {current}")]
    PreconditionFailed { current: i64 },

    /// A fully formed problem from the HTTP layer itself (idempotency conflicts).
    #[error("{}", .0.detail)]
    Problem(Box<Problem>),

    /// Over a rate limit: `429` with `Retry-After` and the quota's headers.
    #[error("rate limited")]
    RateLimited(domain::ops::RateDecision),

    /// `/ready` when some dependencies do not answer.
    #[error("dependencies unavailable: {0:?}")]
    DependenciesUnavailable(Vec<String>),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn problem(&self) -> Problem {
        match self {
            ApiError::Domain(error) => domain_problem(error),
            ApiError::BadRequest { detail, errors } => {
                let mut problem =
                    Problem::new(StatusCode::BAD_REQUEST, "validation_failed", detail);
                problem.errors = errors.iter().map(ProblemField::from).collect();
                problem
            }
            ApiError::PayloadTooLarge { limit } => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The request body exceeds the limit of {limit} bytes."),
            ),
            ApiError::UnsupportedMediaType => {
                Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            }
            ApiError::RequestTimeout { after } => Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "The request body did not arrive within {} ms.",
                    after.as_millis()
                ),
            ),
            ApiError::Problem(problem) => (**problem).clone(),
            ApiError::PreconditionRequired => Problem::new(
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "Send the version you last read, as \"version\" in the body or as If-Match.",
            ),
            ApiError::PreconditionFailed { current } => {
                let mut problem = Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "precondition_failed",
                    format!("If-Match does not match the current version {current}."),
                );
                problem.current_version = Some(*current);
                problem
            }
            ApiError::RouteNotFound => Problem::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "No resource exists at this path.",
            ),
            ApiError::MethodNotAllowed { allow } => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("This resource allows only {allow}."),
            ),
            ApiError::DependenciesUnavailable(names) => {
                let mut problem = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "dependency_unavailable",
                    format!("Not ready: {} not answering.", names.join(", ")),
                );
                problem.unavailable = Some(names.clone());
                problem
            }
            ApiError::RateLimited(decision) => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "Too many requests: the limit is {} per minute. Retry after {} s.",
                    decision.limit,
                    crate::rate_limit_headers::ceil_seconds(decision.retry_after).max(1)
                ),
            ),
        }
    }
}

fn domain_problem(error: &DomainError) -> Problem {
    match error {
        DomainError::Refused { code, field } => {
            let mut problem = Problem::new(StatusCode::BAD_REQUEST, code, field.message.clone());
            problem.errors = vec![ProblemField::from(field)];
            problem
        }
        DomainError::Invalid(errors) => {
            let mut problem = Problem::new(
                StatusCode::BAD_REQUEST,
                "validation_failed",
                "The request has invalid fields.",
            );
            problem.errors = errors.iter().map(ProblemField::from).collect();
            problem
        }
        DomainError::NotFound(what) => Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No such {what}."),
        ),
        DomainError::Forbidden(why) => Problem::new(StatusCode::FORBIDDEN, "forbidden", *why),
        DomainError::InsufficientScope(why) => {
            Problem::new(StatusCode::FORBIDDEN, "insufficient_scope", *why)
        }
        DomainError::Gone(what) => Problem::new(
            StatusCode::GONE,
            &format!("{what}_gone"),
            format!("This {what} expired, was revoked or was used already."),
        ),
        DomainError::Unauthenticated(why) => {
            Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", *why)
        }
        DomainError::Conflict(kind) => {
            let (code, detail) = match kind {
                ConflictKind::EmailTaken => {
                    ("email_taken", "An account with this email exists already.")
                }
                ConflictKind::AlreadyMember => (
                    "already_member",
                    "This user is a member of the team already.",
                ),
                ConflictKind::LastAdmin => ("last_admin", "A team must keep at least one admin."),
                ConflictKind::AlreadyInvited => (
                    "already_invited",
                    "This address has a pending invitation to the team already.",
                ),
                ConflictKind::LimitReached { owner, what, limit } => {
                    return Problem::new(
                        StatusCode::CONFLICT,
                        "limit_reached",
                        format!("A {owner} may have at most {limit} {what}; delete one first."),
                    );
                }
            };
            Problem::new(StatusCode::CONFLICT, code, detail)
        }
        DomainError::VersionConflict { current } => {
            let mut problem = Problem::new(
                StatusCode::CONFLICT,
                "version_conflict",
                format!("The resource changed since you read it; it is now at version {current}."),
            );
            problem.current_version = Some(*current);
            problem
        }
        DomainError::Unavailable { .. } => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "A dependency is temporarily unavailable; retry shortly.",
        ),
        DomainError::Internal { .. } => Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

impl ResponseError for ApiError {
    /// Decided by `problem()`, the one place that maps an error to HTTP.
    fn status_code(&self) -> StatusCode {
        self.problem().status_code()
    }

    /// The whole response, built once: the problem document carries the id
    /// of the request being answered (`request_id::current_request_id`,
    /// set around every request) and the headers the error calls for.
    fn error_response(&self) -> HttpResponse {
        let problem = self
            .problem()
            .with_request_id(crate::request_id::current_request_id());
        // RFC 6750 §3: a refused credential names the scheme; a token
        // lacking a scope says which error it met.
        let challenge = match (problem.status, problem.code.as_str()) {
            (401, _) => Some("Bearer"),
            (403, "insufficient_scope") => Some("Bearer error=\"insufficient_scope\""),
            _ => None,
        };
        let mut response = problem.into_response();
        if let Some(challenge) = challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let ApiError::RateLimited(decision) = self {
            let retry = crate::rate_limit_headers::ceil_seconds(decision.retry_after).max(1);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry));
            crate::rate_limit_headers::add_headers(response.headers_mut(), decision);
        }
        if let ApiError::MethodNotAllowed { allow } = self {
            if let Ok(value) = HeaderValue::from_str(allow) {
                response.headers_mut().insert(header::ALLOW, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_never_reveal_their_message() {
        let error = ApiError::from(DomainError::internal("db password is hunter2"));
        let problem = error.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
        assert_eq!(problem.code, "internal_error");
    }

    #[test]
    fn version_conflict_carries_the_current_version() {
        let problem = ApiError::from(DomainError::VersionConflict { current: 7 }).problem();
        assert_eq!(problem.status, 409);
        assert_eq!(problem.code, "version_conflict");
        assert_eq!(problem.current_version, Some(7));
    }

    #[test]
    fn invalid_fields_are_listed_in_errors() {
        let problem = ApiError::from(DomainError::invalid("title", "must not be empty")).problem();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.code, "validation_failed");
        assert_eq!(problem.errors.len(), 1);
        assert_eq!(problem.errors[0].field, "title");
        assert_eq!(problem.errors[0].message, "must not be empty");
    }
}
