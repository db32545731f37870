//! `Idempotency-Key` for creating requests. The first successful response for a
//! (user, key) is stored and replayed to retries with the same body; a retry
//! with a different body is `422`; a duplicate arriving while the first is still
//! running is `409`. Only successes are stored: a failed request released its
//! key, so the client can fix the request and retry with the same key.

use crate::problem::{ApiError, Problem};
use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use domain::idempotency::{Claim, IdempotencyStore, KeptResponse};
use domain::ids::UserId;
use domain::DomainError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::Future;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
/// Response headers a replay must carry.
const REPLAYED_HEADERS: [&str; 2] = ["location", "etag"];

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
    fn encode(&self) -> Result<KeptResponse, ApiError> {
        serde_json::to_vec(self)
            .map(KeptResponse)
            .map_err(|error| DomainError::internal_from("idempotent response", error).into())
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

/// Runs `handler` at most once per (caller, key): see the module docs. Without
/// the header, just runs it.
///
/// # Errors
/// `400` for a malformed key, `422` for a key reused with another body, `409`
/// while the first request is in flight, and whatever `handler` returns.
pub async fn once<F, Fut>(
    store: &dyn IdempotencyStore,
    request: &HttpRequest,
    caller: UserId,
    canonical_body: &serde_json::Value,
    handler: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<HttpResponse, ApiError>>,
{
    let Some(raw_key) = request.headers().get(IDEMPOTENCY_KEY) else {
        return handler().await;
    };
    let key = parse_key(raw_key.to_str().unwrap_or_default())?;
    let scope = caller.to_string();
    let fingerprint = fingerprint(request, canonical_body);
    match store.claim(&scope, &key, &fingerprint).await? {
        Claim::Replay(kept) => Ok(replay(&StoredOutcome::decode(&kept)?)),
        Claim::Mismatch => Err(conflict(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was used with a different request.",
        )),
        Claim::InFlight => Err(conflict(
            StatusCode::CONFLICT,
            "idempotency_key_in_flight",
            "A request with this Idempotency-Key is still running; retry shortly.",
        )),
        Claim::Acquired => match handler().await {
            Ok(response) if response.status().is_success() => {
                let (response, outcome) = capture(response)?;
                store
                    .complete(&scope, &key, &fingerprint, &outcome.encode()?)
                    .await?;
                Ok(response)
            }
            other => {
                store.release(&scope, &key).await?;
                other
            }
        },
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
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn capture(response: HttpResponse) -> Result<(HttpResponse, StoredOutcome), ApiError> {
    let status = response.status();
    let headers: Vec<(String, String)> = REPLAYED_HEADERS
        .iter()
        .filter_map(|name| {
            response
                .headers()
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .map(|v| ((*name).to_owned(), v.to_owned()))
        })
        .collect();
    let body = response
        .into_body()
        .try_into_bytes()
        .map_err(|_| domain::DomainError::internal("idempotent response body is streamed"))?;
    let body = String::from_utf8_lossy(&body).into_owned();
    let outcome = StoredOutcome {
        status: status.as_u16(),
        body,
        headers,
    };
    Ok((replay_response(&outcome, false), outcome))
}

fn replay(outcome: &StoredOutcome) -> HttpResponse {
    replay_response(outcome, true)
}

fn replay_response(outcome: &StoredOutcome, replayed: bool) -> HttpResponse {
    let mut response =
        HttpResponse::build(StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK));
    response.content_type("application/json");
    for (name, value) in &outcome.headers {
        response.insert_header((name.as_str(), value.as_str()));
    }
    if replayed {
        response.insert_header((REPLAYED, "true"));
    }
    response.body(outcome.body.clone())
}

fn conflict(status: StatusCode, code: &str, detail: &str) -> ApiError {
    ApiError::Problem(Box::new(Problem::new(status, code, detail)))
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
