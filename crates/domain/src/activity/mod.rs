//! The activity log: every write to a project, task or comment leaves one entry,
//! written in the same transaction as the write itself.

mod model;
mod ports;
mod service;

pub use model::{ActivityAction, ActivityEntry, Actor, ChangeSet, EntityType, NewActivity};
pub use ports::ActivityRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockActivityRepository;
pub use service::ActivityService;
