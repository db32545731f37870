//! What handlers get from the composition root: services and checks behind
//! domain ports, never adapters.

use domain::ops::DependencyCheck;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    /// Dependencies `/ready` asks, in the order they are reported.
    pub dependency_checks: Vec<Arc<dyn DependencyCheck>>,
}
