//! The HTTP edge of OpsFlow: routing, extraction, middleware, wire types and the
//! one mapping from errors to RFC 9457 problem documents. Handlers are thin: they
//! parse, call a domain service and shape the response. This crate depends on
//! `domain` only, never on an adapter.

pub mod client_ip;
pub mod envelope;
pub mod extract;
pub mod idempotency;
pub mod method_table;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod ops_server;
pub mod paging;
pub mod problem;
pub mod rate_limit_headers;
pub mod rate_limit_policy;
pub mod request_id;
pub mod routes;
pub mod server;
pub mod sse;
pub mod state;
pub mod stream_limits;

pub use ops_server::serve_health;
pub use server::{build_app, no_extra_routes, serve, ExtraRoutes, HttpSettings};
pub use state::{AppState, CookieSettings};
