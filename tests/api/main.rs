//! Black-box HTTP tests against the real api, PostgreSQL and Redis. One binary
//! with one module per capability (one link instead of many).

mod cors;
mod errors;
mod health;
mod migrations;
mod openapi;
mod request_id;
mod shutdown;
