//! `Idempotency-Key` for creating requests. The first successful response for a
//! (user, key) is kept — in PostgreSQL, in the create's own transaction — and
//! replayed to retries with the same request; the same key with a different
//! request is `422`. A duplicate arriving while the first is still running
//! waits for it and gets its response. A request that fails keeps nothing, so
//! the client can fix it and retry with the same key.

use crate::problem::{ApiError, Problem};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use domain::idempotency::{IdempotentCreate, KeptResponse, Once};
use domain::DomainError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";

/// What a request produced, as a retry will get it back: the HTTP shape of
/// the domain's opaque `KeptResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredOutcome {
    status: u16,
    body: String,
    /// Headers worth replaying (`Location`, `ETag`).
    headers: Vec<(String, String)>,
}

impl StoredOutcome {
    fn encode(&self) -> Result<KeptResponse, DomainError> {
        serde_json::to_vec(self)
            .map(KeptResponse)
            .map_err(|error| DomainError::internal_from("idempotent response", error))
    }

    fn decode(kept: &KeptResponse) -> Result<Self, ApiError> {
        serde_json::from_slice(&kept.0)
            .map_err(|error| DomainError::internal_from("idempotent response", error).into())
    }
}

/// A client-chosen key: 1..=255 visible ASCII characters.
///
/// # Errors
/// `400` naming the `Idempotency-Key` header.
fn parse_key(raw: &str) -> Result<String, ApiError> {
    if (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(raw.to_owned())
    } else {
        Err(DomainError::invalid(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        )
        .into())
    }
}

/// The response a create answers, as a retry will get it back: status,
/// body, and the headers worth replaying.
pub struct Rendered {
    pub status: StatusCode,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

/// The key the request carries, if any, bound to `render` (how a created `T`
/// becomes its response).
///
/// # Errors
/// `400` naming the header when the key is malformed.
pub fn requested<T>(
    request: &HttpRequest,
    canonical_body: &serde_json::Value,
    render: impl Fn(&T) -> Result<Rendered, DomainError> + Send + Sync + 'static,
) -> Result<Option<IdempotentCreate<T>>, ApiError> {
    let Some(raw_key) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = parse_key(raw_key.to_str().unwrap_or_default())?;
    Ok(Some(IdempotentCreate {
        key,
        fingerprint: fingerprint(request, canonical_body),
        render: Arc::new(move |created: &T| {
            let rendered = render(created)?;
            StoredOutcome {
                status: rendered.status.as_u16(),
                body: rendered.body,
                headers: rendered
                    .headers
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value))
                    .collect(),
            }
            .encode()
        }),
    }))
}

/// The HTTP answer to a settled create: what it rendered when it ran (the
/// very bytes a retry will be replayed), the kept response on a replay, `422`
/// for a key reused with another request.
///
/// # Errors
/// `422 idempotency_key_reused`; `500` if a kept response cannot be decoded.
pub fn respond<T>(
    settled: Once<T>,
    render: impl Fn(&T) -> Result<Rendered, DomainError>,
) -> Result<HttpResponse, ApiError> {
    match settled {
        Once::Ran(created) => {
            let rendered = render(&created)?;
            let mut response = HttpResponse::build(rendered.status);
            response.content_type("application/json");
            for (name, value) in rendered.headers {
                response.insert_header((name, value));
            }
            Ok(response.body(rendered.body))
        }
        Once::Replay(kept) => Ok(replay(&StoredOutcome::decode(&kept)?)),
        Once::Mismatch => Err(ApiError::Problem(Box::new(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request.",
        )))),
    }
}

/// The request as the key protects it: method, path and the parsed body
/// re-serialized (so whitespace and key order do not make two equal bodies differ).
fn fingerprint(request: &HttpRequest, body: &serde_json::Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(request.method().as_str());
    hasher.update(b" ");
    hasher.update(request.path());
    hasher.update(b"\n");
    hasher.update(body.to_string());
    hex::encode(hasher.finalize())
}

fn replay(outcome: &StoredOutcome) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK));
    response.content_type("application/json");
    for (name, value) in &outcome.headers {
        response.insert_header((name.as_str(), value.as_str()));
    }
    response.insert_header((REPLAYED, "true"));
    response.body(outcome.body.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_1_to_255_visible_ascii_characters() {
        assert!(parse_key("a").is_ok());
        assert!(parse_key(&"k".repeat(255)).is_ok());
        assert!(parse_key("").is_err());
        assert!(parse_key(&"k".repeat(256)).is_err());
        assert!(parse_key("has space").is_err());
        assert!(parse_key("ünï").is_err());
    }

    #[test]
    fn a_kept_response_round_trips() {
        let outcome = StoredOutcome {
            status: 201,
            body: "{}".into(),
            headers: vec![("etag".into(), "\"1\"".into())],
        };
        let kept = outcome.encode().unwrap();
        assert_eq!(StoredOutcome::decode(&kept).unwrap(), outcome);
    }
}
