//! Every request's correlation id: accepted from the client when safe to
//! echo, else made here; kept in the request's extensions for handlers and in
//! a task-local for the error responses actix builds without the request.

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request's correlation id, available to handlers through the request's
/// extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

tokio::task_local! {
    /// The id of the request this task is answering, so an error's response
    /// (`ApiError::error_response`, which actix calls without the request)
    /// is built once, whole, with the id in its body.
    pub(crate) static CURRENT_REQUEST_ID: String;
}

/// The id of the request being answered, when called inside one.
pub fn current_request_id() -> Option<String> {
    CURRENT_REQUEST_ID.try_with(Clone::clone).ok()
}

/// A client-sent id is kept when it is short and made of safe characters, so it
/// can be logged and echoed without escaping; anything else is replaced.
pub fn accept_request_id(candidate: Option<&str>) -> Option<String> {
    let candidate = candidate?;
    let valid = (1..=64).contains(&candidate.len())
        && candidate
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'));
    valid.then(|| candidate.to_owned())
}

#[cfg(test)]
mod tests {
    use super::accept_request_id;

    #[test]
    fn safe_client_request_ids_are_kept() {
        assert_eq!(
            accept_request_id(Some("abc-123_x.y")).as_deref(),
            Some("abc-123_x.y")
        );
        let longest = "a".repeat(64);
        assert_eq!(accept_request_id(Some(&longest)), Some(longest.clone()));
    }

    #[test]
    fn unsafe_or_oversized_request_ids_are_replaced() {
        assert_eq!(accept_request_id(None), None);
        assert_eq!(accept_request_id(Some("")), None);
        assert_eq!(accept_request_id(Some(&"a".repeat(65))), None);
        assert_eq!(accept_request_id(Some("has space")), None);
        assert_eq!(accept_request_id(Some("new\nline")), None);
        assert_eq!(accept_request_id(Some("ünïcode")), None);
    }
}
