//! Teams and their members. Authorization for everything a team owns starts
//! here: membership decides `NotFound` vs the RBAC table's `Forbidden`.

mod locked;
#[cfg(test)]
pub(crate) use locked::fakes;
mod model;
mod ports;
mod removal;
mod service;

pub use locked::{lock_team, record_change, LockedTeam, Roster, TeamLocks};
#[cfg(any(test, feature = "mocks"))]
pub use locked::{MockLockedTeam, MockTeamLocks};
pub use model::{Member, NewTeam, Team, TeamName, TeamView};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockTeamRepository;
pub use ports::TeamRepository;
pub use removal::unassigned_on_removal;
pub use service::{parse_role, would_leave_no_admin, MembershipChange, TeamService};
