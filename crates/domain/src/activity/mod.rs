//! The activity log: every write to a project, task or comment leaves one entry,
//! written in the same transaction as the write itself; every change of a
//! team's name, people or integrations leaves one in the team's audit trail
//! (`team.rs`).

mod model;
mod ports;
mod service;
mod team;

pub use model::{ActivityAction, ActivityEntry, Actor, ChangeSet, EntityType, NewActivity};
pub use ports::ActivityRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockActivityRepository;
pub use service::ActivityService;
#[cfg(any(test, feature = "mocks"))]
pub use team::MockTeamActivityRepository;
pub use team::{NewTeamActivity, TeamActivityRepository, TeamChange};
