//! How a rate-limit decision is told to the client: the `RateLimit-*`
//! headers on every limited answer, and whole seconds for `Retry-After`.

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use domain::ops::RateDecision;

pub(crate) const LIMIT: &str = "ratelimit-limit";

/// `RateLimit-Limit`, `-Remaining`, `-Reset` (whole seconds, rounded up).
pub fn add_headers(headers: &mut HeaderMap, decision: &RateDecision) {
    let pairs = [
        (LIMIT, decision.limit.to_string()),
        ("ratelimit-remaining", decision.remaining.to_string()),
        (
            "ratelimit-reset",
            ceil_seconds(decision.reset_after).to_string(),
        ),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

pub fn ceil_seconds(duration: std::time::Duration) -> u64 {
    duration.as_micros().div_ceil(1_000_000) as u64
}
