//! The background job runner: claims due jobs from the queue port with a lease,
//! dispatches them to the handler for their kind, and records the outcome
//! (done, retry later with backoff, or dead-lettered).

mod runner;
mod webhook_delivery;

pub use runner::{Runner, RunnerSettings, Turn};
pub use webhook_delivery::{signature, WebhookDeliveryHandler};
