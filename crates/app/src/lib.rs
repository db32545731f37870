//! Composition roots. This crate is the only one that knows every adapter: it
//! reads configuration, builds pools and adapters, and hands them, behind domain
//! ports, to the HTTP layer and the worker.

pub mod api;
pub mod config;
mod dns;
pub mod metrics;
pub mod pools;
pub mod probe;
pub mod security;
pub mod seed;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
pub mod worker_process;
mod write_memo;

pub use config::{Config, ConfigError, Environment};
