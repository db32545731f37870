//! Operational concerns the HTTP layer needs but must not implement itself:
//! checking that the dependencies answer.

mod ports;

pub use ports::DependencyCheck;
