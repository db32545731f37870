//! Ports for operational checks.

use crate::DomainError;
use async_trait::async_trait;

/// One external dependency the service needs to do its work (PostgreSQL, Redis).
/// `/ready` asks each of them and names the ones that do not answer.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DependencyCheck: Send + Sync {
    /// A short stable name for the dependency, shown to operators (`postgres`).
    fn name(&self) -> &'static str;

    /// Can the service do its work without this dependency? `false` for an
    /// accelerator (Redis): `/ready` then reports `degraded` instead of
    /// taking the instance out of the load balancer.
    fn required(&self) -> bool {
        true
    }

    /// Does the dependency answer a trivial request right now?
    ///
    /// # Errors
    /// `DomainError::Unavailable` when it does not answer within the adapter's
    /// own time bound.
    async fn check(&self) -> Result<(), DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Postgres;

    #[async_trait::async_trait]
    impl DependencyCheck for Postgres {
        fn name(&self) -> &'static str {
            "postgres"
        }
        async fn check(&self) -> Result<(), DomainError> {
            Ok(())
        }
    }

    #[test]
    fn a_dependency_is_required_unless_it_says_otherwise() {
        assert!(Postgres.required());
    }
}
