//! Projects: the containers of tasks inside a team.

mod model;
mod ports;
mod service;

pub use model::{Description, NewProject, Project, ProjectChanges, ProjectName};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockProjectRepository;
pub use ports::ProjectRepository;
pub use service::{load_project, ProjectService};
