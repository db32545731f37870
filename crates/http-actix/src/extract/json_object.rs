//! `Json<T>`: a request body that must be a JSON *object*.
//!
//! actix's `web::Json<T>` hands the body to serde, and serde reads a JSON array
//! into a struct's fields in order: `["x"]` would be accepted as `{"name":"x"}`,
//! and `[null, null]` as a PATCH clearing both fields. Every OpsFlow body is an
//! object, so this extractor checks that first, then deserializes with the
//! failing field's path recorded, and words errors for API clients (no Rust
//! type names). Size limit (`413`) and content type (`415`) stay actix's
//! `JsonConfig` rules, mapped in `extract/mod.rs`.

use crate::problem::ApiError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use domain::FieldError;
use futures_util::future::LocalBoxFuture;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use std::ops::Deref;

/// A JSON object body deserialized into `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// What `web::Json` deserializes: the body as a map, so a non-object fails
/// before `T` ever sees it.
struct ObjectBody<T>(T);

/// Marker the error handler recognises to answer with a field list.
pub(crate) const FIELD_ERROR_MARK: &str = "\u{1}field:";

impl<'de, T: DeserializeOwned> Deserialize<'de> for ObjectBody<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if !value.is_object() {
            return Err(D::Error::custom(format!(
                "{FIELD_ERROR_MARK}body\u{1}must be a JSON object"
            )));
        }
        serde_path_to_error::deserialize(value)
            .map(ObjectBody)
            .map_err(|error| {
                let path = error.path().to_string();
                let message = error.into_inner().to_string();
                // A missing field is reported at its parent's path.
                let missing = message
                    .strip_prefix("missing field `")
                    .and_then(|rest| rest.split_once('`'))
                    .map(|(name, _)| name.to_owned());
                let (field, rule) = match (missing, path.as_str()) {
                    (Some(name), ".") => (name, "is required".to_owned()),
                    (Some(name), parent) => (format!("{parent}.{name}"), "is required".to_owned()),
                    (None, ".") => ("body".to_owned(), client_wording(&message)),
                    (None, _) => (path, client_wording(&message)),
                };
                D::Error::custom(format!("{FIELD_ERROR_MARK}{field}\u{1}{rule}"))
            })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let inner = web::Json::<ObjectBody<T>>::from_request(request, payload);
        Box::pin(async move { inner.await.map(|body| Json(body.into_inner().0)) })
    }
}

/// Parses raw bytes (bodies that may be absent, read as `web::Bytes`) with the
/// same object-only rule and error wording as [`Json`].
///
/// # Errors
/// `400` naming the field and the rule.
pub(crate) fn object_from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice::<ObjectBody<T>>(bytes)
        .map(|body| body.0)
        .map_err(|error| body_error(&error.to_string()))
}

/// The `400` for a body serde refused: the field and rule when this module
/// produced the error, else serde_json's syntax message (line and column).
pub(crate) fn body_error(message: &str) -> ApiError {
    let tagged = message
        .split_once(FIELD_ERROR_MARK)
        .and_then(|(_, rest)| rest.split_once('\u{1}'));
    match tagged {
        Some((field, rule)) => {
            // serde_json appends " at line L column C" to custom errors.
            let rule = rule.split(" at line ").next().unwrap_or(rule);
            ApiError::BadRequest {
                detail: format!("Invalid JSON body: {field} {rule}."),
                errors: vec![FieldError::new(field, rule)],
            }
        }
        None => ApiError::BadRequest {
            detail: format!("Invalid JSON body: {}.", client_wording(message)),
            errors: vec![FieldError::new("body", "must be valid JSON")],
        },
    }
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

    fn parse(body: &str) -> Result<Sample, ApiError> {
        serde_json::from_str::<ObjectBody<Sample>>(body)
            .map(|b| b.0)
            .map_err(|e| body_error(&e.to_string()))
    }

    fn first_field(error: ApiError) -> (String, String) {
        match error {
            ApiError::BadRequest { errors, .. } => {
                (errors[0].field.clone(), errors[0].message.clone())
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_array_is_not_an_object() {
        let (field, message) = first_field(parse(r#"["x"]"#).unwrap_err());
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("body", "must be a JSON object")
        );
        assert!(parse(r#"null"#).is_err());
        assert!(parse(r#"{"name":"x"}"#).is_ok());
    }

    #[test]
    fn errors_name_the_field_in_json_words() {
        let (field, message) = first_field(parse(r#"{"name":"x","count":"3"}"#).unwrap_err());
        assert_eq!(field, "count");
        assert!(message.contains("non-negative integer"), "{message}");
        assert!(
            !message.contains("u32") && !message.contains("line"),
            "{message}"
        );
        let (field, message) = first_field(parse(r#"{"name":1}"#).unwrap_err());
        assert_eq!(field, "name");
        assert!(message.contains("expected a string"), "{message}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let (field, message) = first_field(parse(r#"{}"#).unwrap_err());
        assert_eq!((field.as_str(), message.as_str()), ("name", "is required"));
    }

    #[test]
    fn syntax_errors_say_where() {
        let (field, _) = first_field(parse(r#"{"name":"#).unwrap_err());
        assert_eq!(field, "body");
    }
}
