//! Background jobs: what a job is, how retries back off, and the queue port the
//! worker's runner drives. Job kinds (reminders, webhooks) add handlers.

mod model;
mod new_job;
mod payload;
mod policy;
mod ports;

pub use model::{
    DeliveryBounds, Finished, Job, JobFailure, JobKind, Lane, LeaseToken, Outcome, Recorded,
};
pub use new_job::{Delivery, EventData, NewJob, StoredJob};
pub use payload::{ActivityEvent, ActorRef, DeliveryPayload, ReminderDue};
pub use policy::RetryPolicy;
pub use ports::{BatchJobHandler, JobHandler, JobObserver, JobQueue};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockBatchJobHandler, MockJobHandler, MockJobQueue};
