//! Project value types.

use crate::ids::{ProjectId, TeamId, UserId};
use crate::DomainError;
use chrono::{DateTime, Utc};

crate::text::line_value!(
    /// A project name, trimmed, 1..=200 characters.
    ProjectName,
    field = "name",
    max = 200
);

/// An optional free text of at most 10,000 characters (projects and tasks).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(Option<String>);

impl Description {
    pub const RULE: crate::text::TextRule = crate::text::TextRule {
        min: 0,
        max: 10000,
        lines: crate::text::Lines::Multi,
    };

    /// # Errors
    /// `Invalid` on `description`.
    pub fn parse(raw: Option<&str>) -> Result<Self, DomainError> {
        if let Some(text) = raw {
            crate::text::check(text, "description", Self::RULE)?;
        }
        Ok(Self(raw.map(str::to_owned)))
    }

    /// A description read back from storage, which only ever stored parsed ones.
    pub fn stored(description: Option<String>) -> Self {
        Self(description)
    }

    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }

    pub fn into_inner(self) -> Option<String> {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub team_id: TeamId,
    pub name: ProjectName,
    pub description: Description,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
impl Project {
    /// A project named "P" of `team`, for the services' unit tests.
    pub(crate) fn sample(id: ProjectId, team: TeamId) -> Self {
        Self {
            id,
            team_id: team,
            name: ProjectName::stored("P".into()),
            description: Description::default(),
            created_by: UserId::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewProject {
    pub id: ProjectId,
    pub team_id: TeamId,
    pub name: ProjectName,
    pub description: Description,
    pub created_by: UserId,
}

/// A PATCH: `None` leaves a field as it is; `Some(None)` clears the description.
#[derive(Debug, Clone, Default)]
pub struct ProjectChanges {
    pub name: Option<ProjectName>,
    pub description: Option<Description>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_descriptions_read_back_as_parsed() {
        assert_eq!(
            ProjectName::parse("  Launch ").unwrap().into_inner(),
            "Launch"
        );
        assert_eq!(
            Description::parse(Some("Ship it\nsoon"))
                .unwrap()
                .into_inner(),
            Some("Ship it\nsoon".to_owned())
        );
        assert_eq!(Description::parse(None).unwrap().into_inner(), None);
    }

    #[test]
    fn names_and_descriptions_are_bounded() {
        assert!(ProjectName::parse(" ").is_err());
        assert!(ProjectName::parse(&"p".repeat(200)).is_ok());
        assert!(ProjectName::parse(&"p".repeat(201)).is_err());
        assert!(Description::parse(None).is_ok());
        assert!(Description::parse(Some(&"d".repeat(10_000))).is_ok());
        assert!(Description::parse(Some(&"d".repeat(10_001))).is_err());
    }
}

#[cfg(test)]
mod description_tests {
    use super::*;

    #[test]
    fn a_description_gives_back_the_text_it_holds() {
        let parsed = Description::parse(Some("notes")).unwrap();
        assert_eq!(parsed.as_str(), Some("notes"));
        assert_eq!(
            Description::stored(Some("kept".into())).as_str(),
            Some("kept")
        );
        assert_eq!(Description::stored(None).into_inner(), None);
    }
}
