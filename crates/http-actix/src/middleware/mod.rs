//! Cross-cutting request handling that wraps every route.

pub mod cors;
pub mod head;
pub mod private_answers;
pub mod rate_limit;
pub mod request_context;

pub use crate::rate_limit_policy::RateLimitPolicy;
pub use crate::request_id::{RequestId, REQUEST_ID_HEADER};
pub use head::head_as_get;
pub use private_answers::private_answers;
pub use rate_limit::rate_limit;
pub use request_context::request_context;
