//! Cross-cutting request handling that wraps every route.

pub mod cors;
pub mod head;
pub mod rate_limit;
pub mod request_context;

pub use head::head_as_get;
pub use rate_limit::{rate_limit, RateLimitPolicy};
pub use request_context::{request_context, RequestId, REQUEST_ID_HEADER};
