//! Comments on tasks.

mod model;
mod ports;
mod service;
#[cfg(test)]
mod service_tests;

pub use model::{Comment, CommentBody, CommentRecord};
pub use ports::CommentRepository;
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockCommentRepository;
pub use service::CommentService;
