//! Request bodies, read and decoded once, in one place.
//!
//! Reading: at most `BodyLimits::max_bytes` (`413`), within
//! `BodyLimits::read_timeout` from the first byte asked for (`408`): a client
//! that sends one byte every few seconds would otherwise hold a connection
//! and a worker's attention for as long as it likes (actix bounds the time to
//! read the *headers*, not the body).
//!
//! Decoding: every OpsFlow body is a JSON object, decoded straight into its
//! typed struct with the failing field's path (`serde_path_to_error`), never
//! through an intermediate `serde_json::Value` — so a key sent twice reaches
//! the struct's own visitor and is refused (`duplicate field`), instead of
//! the map keeping the last one. serde_json would read a JSON array into a
//! struct's fields in order (`["x"]` as `{"name":"x"}`); the first byte is
//! checked to be `{` before serde sees anything.

use crate::problem::ApiError;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use domain::FieldError;
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Request bodies above this get `413` (the contract's 1 MiB).
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// How long a body may take to arrive unless configured
/// (`OPSFLOW_BODY_READ_TIMEOUT_MS`).
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The bounds on reading a body; app data, set by `server::build_app`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub read_timeout: Duration,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            max_bytes: JSON_BODY_LIMIT,
            read_timeout: DEFAULT_BODY_READ_TIMEOUT,
        }
    }
}

/// Reads the whole body within the limits.
///
/// # Errors
/// `413` past `max_bytes` (at once when `Content-Length` says so), `408` when
/// it does not arrive within `read_timeout`, `400` when the stream breaks.
pub async fn read_body(
    limits: BodyLimits,
    declared_length: Option<usize>,
    mut payload: Payload,
) -> Result<Bytes, ApiError> {
    if declared_length.is_some_and(|length| length > limits.max_bytes) {
        return Err(ApiError::PayloadTooLarge {
            limit: limits.max_bytes,
        });
    }
    let read = async {
        let mut body = BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|_| ApiError::bad_request("The request body was cut off."))?;
            if body.len() + chunk.len() > limits.max_bytes {
                return Err(ApiError::PayloadTooLarge {
                    limit: limits.max_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    actix_web::rt::time::timeout(limits.read_timeout, read)
        .await
        .map_err(|_| ApiError::RequestTimeout {
            after: limits.read_timeout,
        })?
}

fn limits_of(request: &HttpRequest) -> BodyLimits {
    request
        .app_data::<BodyLimits>()
        .copied()
        .unwrap_or_default()
}

fn declared_length(request: &HttpRequest) -> Option<usize> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

/// `application/json` or any `application/*+json`, parameters ignored.
fn is_json(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            let essence = value.split(';').next().unwrap_or_default().trim();
            let essence = essence.to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// A JSON object body decoded into `T`; `415` unless the content type is
/// JSON.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(request);
        let limits = limits_of(request);
        let length = declared_length(request);
        let payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let body = read_body(limits, length, payload).await?;
            decode_object(&body).map(Json)
        })
    }
}

/// A body that may be absent (refresh and logout read the token from a
/// cookie otherwise), read within the same limits; any content type.
#[derive(Debug)]
pub struct OptionalBody(pub Bytes);

impl FromRequest for OptionalBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limits = limits_of(request);
        let length = declared_length(request);
        let payload = payload.take();
        Box::pin(async move { read_body(limits, length, payload).await.map(OptionalBody) })
    }
}

/// Decodes a JSON object into `T` in one pass.
///
/// # Errors
/// `400` naming the failing field (or `body`) and the rule, in JSON words.
pub fn decode_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|byte| !byte.is_ascii_whitespace());
    if first != Some(&b'{') {
        let rule = if first.is_none() {
            "must not be empty: send a JSON object"
        } else {
            "must be a JSON object"
        };
        return Err(field_error("body", rule.to_owned()));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = without_position(&inner.to_string());
        let (field, rule) = describe(&path, &message, inner.is_syntax() || inner.is_eof());
        field_error(&field, rule)
    })?;
    // Anything after the object (`{...} x`) is not one JSON document.
    deserializer.end().map_err(|error| {
        field_error(
            "body",
            format!(
                "must be valid JSON ({})",
                without_position(&error.to_string())
            ),
        )
    })?;
    Ok(value)
}

fn field_error(field: &str, rule: String) -> ApiError {
    ApiError::BadRequest {
        detail: format!("Invalid JSON body: {field} {rule}."),
        errors: vec![FieldError::new(field, rule)],
    }
}

/// serde_json appends " at line L column C" to its messages.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// The field a serde error is about and the rule it broke, worded for API
/// clients: a missing field is named itself (serde reports it at its parent),
/// an unknown or repeated key is named without repeating it in the rule, and
/// Rust type names become JSON words.
fn describe(path: &str, message: &str, syntax: bool) -> (String, String) {
    // serde_path_to_error reports some errors at the key itself (unknown
    // field) and others at its parent (missing, duplicate): name the key once.
    let at = |name: &str| match path {
        "." | "" => name.to_owned(),
        path if path == name || path.ends_with(&format!(".{name}")) => path.to_owned(),
        parent => format!("{parent}.{name}"),
    };
    let quoted = |rest: &str| rest.split_once('`').map(|(name, _)| name.to_owned());
    if syntax {
        return ("body".to_owned(), format!("must be valid JSON ({message})"));
    }
    if let Some(name) = message.strip_prefix("missing field `").and_then(quoted) {
        return (at(&name), "is required".to_owned());
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let name = quoted(rest).unwrap_or_default();
        let expected = rest
            .split_once(", expected ")
            .map(|(_, list)| format!("; expected {list}"))
            .unwrap_or_default();
        return (at(&name), format!("is not a known field{expected}"));
    }
    if let Some(name) = message.strip_prefix("duplicate field `").and_then(quoted) {
        return (at(&name), "is given more than once".to_owned());
    }
    let field = match path {
        "." | "" => "body".to_owned(),
        path => path.to_owned(),
    };
    (field, client_wording(message))
}

/// serde's messages name Rust types ("expected u32", "expected struct X");
/// clients should read JSON words.
pub(crate) fn client_wording(message: &str) -> String {
    const WORDS: [(&str, &str); 14] = [
        ("a borrowed string", "a string"),
        ("usize", "a non-negative integer"),
        ("u64", "a non-negative integer"),
        ("u32", "a non-negative integer"),
        ("u16", "a non-negative integer"),
        ("u8", "a non-negative integer"),
        ("isize", "an integer"),
        ("i64", "an integer"),
        ("i32", "an integer"),
        ("i16", "an integer"),
        ("i8", "an integer"),
        ("f64", "a number"),
        ("f32", "a number"),
        ("a sequence", "an array"),
    ];
    let mut wording = message.to_owned();
    for (rust, json) in WORDS {
        wording = wording.replace(&format!("expected {rust}"), &format!("expected {json}"));
    }
    if let Some(at) = wording.find("expected struct ") {
        wording.truncate(at);
        wording.push_str("expected an object");
    }
    if let Some(at) = wording.find("expected enum ") {
        wording.truncate(at);
        wording.push_str("expected one of the documented values");
    }
    wording
        .replace("expected unit", "expected null")
        .replace("expected option", "expected a value or null")
        .replace("expected a map", "expected an object")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        count: Option<u32>,
    }

    fn first_field(body: &str) -> (String, String) {
        match decode_object::<Sample>(body.as_bytes()) {
            Err(ApiError::BadRequest { errors, .. }) => {
                (errors[0].field.clone(), errors[0].message.clone())
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_an_object_is_a_body() {
        assert_eq!(
            first_field(r#"["x"]"#),
            ("body".to_owned(), "must be a JSON object".to_owned())
        );
        assert_eq!(first_field("null").0, "body");
        assert_eq!(first_field("  ").0, "body");
        assert!(decode_object::<Sample>(br#" {"name":"x"}"#).is_ok());
    }

    #[test]
    fn errors_name_the_field_in_json_words() {
        let (field, message) = first_field(r#"{"name":"x","count":"3"}"#);
        assert_eq!(field, "count");
        assert!(message.contains("non-negative integer"), "{message}");
        assert!(
            !message.contains("u32") && !message.contains("line"),
            "{message}"
        );
        let (field, message) = first_field(r#"{"name":1}"#);
        assert_eq!(field, "name");
        assert!(message.contains("expected a string"), "{message}");
    }

    #[test]
    fn a_missing_field_is_named() {
        assert_eq!(
            first_field("{}"),
            ("name".to_owned(), "is required".to_owned())
        );
    }

    #[test]
    fn a_key_sent_twice_is_refused_naming_it() {
        assert_eq!(
            first_field(r#"{"name":"a","name":"b"}"#),
            ("name".to_owned(), "is given more than once".to_owned())
        );
    }

    #[test]
    fn an_unknown_field_is_named_once() {
        let (field, message) = first_field(r#"{"name":"a","state":1}"#);
        assert_eq!(field, "state");
        assert!(!message.contains("state"), "{message}");
        assert!(
            message.starts_with("is not a known field; expected"),
            "{message}"
        );
    }

    #[test]
    fn syntax_errors_and_trailing_data_are_the_bodys() {
        assert_eq!(first_field(r#"{"name":"#).0, "body");
        assert_eq!(first_field(r#"{"name":"a"} x"#).0, "body");
    }
}
