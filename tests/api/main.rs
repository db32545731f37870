//! Black-box HTTP tests against the real api, PostgreSQL and Redis. One binary
//! with one module per capability (one link instead of many).

// Helpers here are test code too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod bodies;
mod comments;
mod conditional_reads;
mod cors;
mod errors;
mod event_backpressure;
mod events;
mod health;
mod invitations;
mod job_queue;
mod list_cache;
mod list_totals;
mod metrics;
mod migrations;
mod noisy_neighbours;
mod openapi;
mod pool;
mod projects;
mod query_plans;
mod rate_limit;
mod rbac_sweep;
mod redis_outage;
mod reminders;
mod request_id;
mod security_probe;
mod seed;
mod sessions;
mod shutdown;
mod statements;
mod stream_seats;
mod task_list;
mod tasks;
mod team_activity;
mod teams;
mod tokens;
mod webhook_deliveries;
mod webhooks;
mod write_facts;
