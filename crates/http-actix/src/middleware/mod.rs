//! Cross-cutting request handling that wraps every route.

pub mod cors;
pub mod request_context;

pub use request_context::{request_context, RequestId, REQUEST_ID_HEADER};
