//! The integration-test harness: `spawn_app` starts the real api (the same
//! `app::api::Api` the binary runs) on a random port, with its own PostgreSQL
//! database cloned from a migrated template and its own Redis key prefix, so
//! tests run in parallel without seeing each other.
//!
//! A panic here is a failed test, which is the right outcome for a broken
//! harness, so `expect` is allowed in this crate.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod app;
#[cfg(feature = "containers")]
mod containers;
mod databases;
mod events;
mod lock_races;
mod logs;
mod proxy;
mod redis_keys;
mod routes;
pub mod task_list_naive;
mod users;
mod work_items;

pub use app::{spawn_app, spawn_app_with, TestApp};
pub use databases::{
    create_empty_database, create_test_database, drop_database, environment, TestEnvironment,
};
pub use events::{EventStream, Frame, FrameExt, FRAME_WAIT};
pub use logs::captured_lines_containing;
pub use proxy::TcpProxy;
pub use routes::{open_gate, wait_until_gate_entered};
pub use users::{TestUser, PASSWORD};
