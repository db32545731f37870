//! Role-based access control: one pure table (role × action → allow/deny) that
//! every service consults. Non-members never reach this table: services answer
//! them 404 first, so a resource's existence is not revealed.

mod policy;

pub use policy::{Action, Role};

use crate::ids::{TeamId, UserId};
use crate::teams::TeamRepository;
use crate::DomainError;

/// The caller's role in `team`. A non-member gets `NotFound(what)`, naming the
/// resource they asked for (a task, a project), never the team behind it.
///
/// # Errors
/// `NotFound(what)` for non-members; storage errors as they come.
pub async fn role_in(
    teams: &dyn TeamRepository,
    team: TeamId,
    caller: UserId,
    what: &'static str,
) -> Result<Role, DomainError> {
    teams
        .membership(team, caller)
        .await?
        .map(|(_, role)| role)
        .ok_or(DomainError::NotFound(what))
}

/// `role_in`, then the RBAC table.
///
/// # Errors
/// `NotFound(what)` for non-members, `Forbidden` when the role does not allow `action`.
pub async fn authorize(
    teams: &dyn TeamRepository,
    team: TeamId,
    caller: UserId,
    action: Action,
    what: &'static str,
) -> Result<Role, DomainError> {
    let role = role_in(teams, team, caller, what).await?;
    if role.allows(action) {
        Ok(role)
    } else {
        Err(DomainError::Forbidden(
            "your role in this team does not allow this",
        ))
    }
}
