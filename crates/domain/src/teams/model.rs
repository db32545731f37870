//! Team value types.

use crate::access::Role;
use crate::auth::User;
use crate::ids::TeamId;
use chrono::{DateTime, Utc};

crate::text::line_value!(
    /// A team name, trimmed, 1..=100 characters.
    TeamName,
    field = "name",
    max = 100
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub name: TeamName,
    pub created_at: DateTime<Utc>,
}

/// A team as one caller sees it: with the caller's own role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamView {
    pub team: Team,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct NewTeam {
    pub id: TeamId,
    pub name: TeamName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_are_trimmed_and_bounded() {
        assert_eq!(
            TeamName::parse("  Ops ").map(|n| n.0).ok(),
            Some("Ops".into())
        );
        assert!(TeamName::parse("").is_err());
        assert!(TeamName::parse(&"t".repeat(101)).is_err());
    }
}
