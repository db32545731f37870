//! Background jobs: what a job is, how retries back off, and the queue port the
//! worker's runner drives. Job kinds (reminders, webhooks) add handlers.

mod model;
mod policy;
mod ports;

pub use model::{DeliveryBounds, Job, JobFailure, JobKind, Lane, LeaseToken, Recorded};
pub use policy::RetryPolicy;
pub use ports::{JobHandler, JobObserver, JobQueue};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockJobHandler, MockJobQueue};
