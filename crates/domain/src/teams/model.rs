//! Team value types.

use crate::access::Role;
use crate::auth::User;
use crate::ids::TeamId;
use crate::DomainError;
use chrono::{DateTime, Utc};

/// A team name, trimmed, 1..=100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamName(String);

impl TeamName {
    pub const RULE: crate::text::TextRule = crate::text::TextRule {
        min: 1,
        max: 100,
        lines: crate::text::Lines::Single,
    };

    /// # Errors
    /// `Invalid` on the `name` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        crate::text::parse_line(raw, "name", Self::RULE).map(Self)
    }

    /// A name read back from storage, which only ever stored parsed ones.
    pub fn stored(name: String) -> Self {
        Self(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

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
