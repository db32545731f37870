//! Role-based access control: one pure table (role × action → allow/deny) that
//! every service consults. Non-members never reach this table: services answer
//! them `NotFound` first, so a resource's existence is not revealed.

mod policy;

pub use policy::{Action, Role};

use crate::ids::{TeamId, UserId};
use crate::teams::{Team, TeamRepository};
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
    membership(teams, team, caller, what)
        .await
        .map(|(_, role)| role)
}

/// The live team and the caller's role in it. A non-member gets
/// `NotFound(what)`; a caller whose account was deleted (their access token
/// is still unexpired) gets `Unauthenticated`, as on every endpoint.
///
/// # Errors
/// `NotFound(what)`, `Unauthenticated`; storage errors as they come.
pub async fn membership(
    teams: &dyn TeamRepository,
    team: TeamId,
    caller: UserId,
    what: &'static str,
) -> Result<(Team, Role), DomainError> {
    match teams.membership(team, caller).await? {
        Some(found) => Ok(found),
        None => Err(not_a_member(teams, caller, what).await?),
    }
}

/// Why a caller with no membership is refused: an outsider (`NotFound`), or
/// a caller whose account was deleted (`Unauthenticated`). Asked only on that
/// path, so a member's request costs nothing extra.
///
/// # Errors
/// Storage errors as they come (the refusal itself is the `Ok` value).
async fn not_a_member(
    teams: &dyn TeamRepository,
    caller: UserId,
    what: &'static str,
) -> Result<DomainError, DomainError> {
    Ok(if teams.account_exists(caller).await? {
        DomainError::NotFound(what)
    } else {
        DomainError::Unauthenticated("user no longer exists")
    })
}

/// The RBAC table's answer for `role` and `action`.
fn allowed(role: Role, action: Action) -> Result<(), DomainError> {
    if role.allows(action) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "your role in this team does not allow this",
        ))
    }
}

/// The caller's role when it was read together with the resource (one
/// statement): `None` means not a member, which is `NotFound(what)`, unless
/// the caller's account is gone (`Unauthenticated`, asked only on that path).
///
/// # Errors
/// `NotFound(what)`, `Unauthenticated`; storage errors as they come.
pub async fn role_read_with(
    teams: &dyn TeamRepository,
    role: Option<Role>,
    caller: UserId,
    what: &'static str,
) -> Result<Role, DomainError> {
    match role {
        Some(role) => Ok(role),
        None => Err(not_a_member(teams, caller, what).await?),
    }
}

/// `role_read_with`, then the RBAC table.
///
/// # Errors
/// `NotFound(what)`, `Unauthenticated`, `Forbidden`.
pub async fn authorize_read_with(
    teams: &dyn TeamRepository,
    role: Option<Role>,
    caller: UserId,
    action: Action,
    what: &'static str,
) -> Result<Role, DomainError> {
    let role = role_read_with(teams, role, caller, what).await?;
    allowed(role, action)?;
    Ok(role)
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
    authorize_membership(teams, team, caller, action, what)
        .await
        .map(|(_, role)| role)
}

/// `membership`, then the RBAC table; returns the team as well.
///
/// # Errors
/// `NotFound(what)` for non-members, `Forbidden` when the role does not allow `action`.
pub async fn authorize_membership(
    teams: &dyn TeamRepository,
    team: TeamId,
    caller: UserId,
    action: Action,
    what: &'static str,
) -> Result<(Team, Role), DomainError> {
    let (team, role) = membership(teams, team, caller, what).await?;
    allowed(role, action)?;
    Ok((team, role))
}
