//! The task list query as typed values. The HTTP layer parses the query string
//! into it (`http-actix/src/routes/task_query.rs`); adapters receive only these
//! types, so nothing from the query string can reach SQL as text.

use super::model::{Priority, Status, Task};
use crate::ids::{ProjectId, TaskId, UserId};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Any,
    Nobody,
    User(UserId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    DueAt,
    Priority,
    Title,
}

impl SortField {
    pub const ALL: [SortField; 5] = [
        SortField::CreatedAt,
        SortField::UpdatedAt,
        SortField::DueAt,
        SortField::Priority,
        SortField::Title,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortField::CreatedAt => "created_at",
            SortField::UpdatedAt => "updated_at",
            SortField::DueAt => "due_at",
            SortField::Priority => "priority",
            SortField::Title => "title",
        }
    }
}

/// A whitelisted sort; ties are always broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskSort {
    pub field: SortField,
    pub descending: bool,
}

impl TaskSort {
    pub const DEFAULT: TaskSort = TaskSort {
        field: SortField::CreatedAt,
        descending: true,
    };

    pub fn parse(raw: &str) -> Option<Self> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, raw),
        };
        SortField::ALL
            .into_iter()
            .find(|field| field.as_str() == name)
            .map(|field| TaskSort { field, descending })
    }

    pub fn as_string(self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.field.as_str()
        )
    }
}

/// The value of the sort column on the last row of a page.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Time(DateTime<Utc>),
    /// `due_at`, which may be null (nulls sort last in both directions).
    OptionalTime(Option<DateTime<Utc>>),
    Priority(i16),
    Title(String),
}

impl SortKey {
    pub fn of(task: &Task, field: SortField) -> Self {
        match field {
            SortField::CreatedAt => SortKey::Time(task.created_at),
            SortField::UpdatedAt => SortKey::Time(task.updated_at),
            SortField::DueAt => SortKey::OptionalTime(task.fields.due_at),
            SortField::Priority => SortKey::Priority(task.fields.priority.rank()),
            SortField::Title => SortKey::Title(task.fields.title.as_str().to_owned()),
        }
    }
}

/// Keyset position: "after the row with this sort value and this id", valid
/// only for the project and sort it was made for.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskCursor {
    pub project: ProjectId,
    pub sort: TaskSort,
    pub key: SortKey,
    pub id: TaskId,
}

impl TaskCursor {
    /// Opaque to clients: hex of `sort|project|id|value`.
    pub fn encode(&self) -> String {
        let value = match &self.key {
            SortKey::Time(time) | SortKey::OptionalTime(Some(time)) => {
                time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
            }
            SortKey::OptionalTime(None) => String::new(),
            SortKey::Priority(rank) => rank.to_string(),
            SortKey::Title(title) => title.clone(),
        };
        let plain = format!(
            "{}|{}|{}|{}",
            self.sort.as_string(),
            self.project,
            self.id,
            value
        );
        hex::encode(plain)
    }

    /// `None` for anything that is not a cursor this service made for this
    /// `project` and `sort`: another list's cursor would silently skip rows.
    pub fn decode(raw: &str, project: ProjectId, sort: TaskSort) -> Option<Self> {
        if !raw.len().is_multiple_of(2) || raw.len() > 1024 {
            return None;
        }
        let plain = String::from_utf8(hex::decode(raw).ok()?).ok()?;
        let mut parts = plain.splitn(4, '|');
        let (sort_part, project_part, id_part, value) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if TaskSort::parse(sort_part)? != sort || project_part.parse::<ProjectId>().ok()? != project
        {
            return None;
        }
        let time = || {
            DateTime::parse_from_rfc3339(value)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        let key = match sort.field {
            SortField::CreatedAt | SortField::UpdatedAt => SortKey::Time(time()?),
            SortField::DueAt if value.is_empty() => SortKey::OptionalTime(None),
            SortField::DueAt => SortKey::OptionalTime(Some(time()?)),
            SortField::Priority => {
                SortKey::Priority(value.parse().ok().filter(|r| (0..=3).contains(r))?)
            }
            SortField::Title => SortKey::Title(value.to_owned()),
        };
        Some(Self {
            project,
            sort,
            key,
            id: id_part.parse().ok()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Position {
    Offset(u32),
    After(TaskCursor),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskListQuery {
    pub project: ProjectId,
    pub statuses: Vec<Status>,
    pub priorities: Vec<Priority>,
    pub assignee: AssigneeFilter,
    pub due_before: Option<DateTime<Utc>>,
    pub due_after: Option<DateTime<Utc>>,
    /// Case-insensitive substring of the title.
    pub title_contains: Option<String>,
    pub sort: TaskSort,
    pub limit: u32,
    pub position: Position,
}

/// A page of tasks, newest cursor included.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    pub total: ListTotal,
    pub limit: u32,
    pub offset: u32,
    pub next_cursor: Option<TaskCursor>,
}

/// How many tasks match a list's filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListTotal {
    /// Exact, or [`TOTAL_CAP`] when `capped`.
    pub count: i64,
    /// The filters were unusual enough that counting stopped at the cap.
    pub capped: bool,
}

impl ListTotal {
    pub fn exact(count: i64) -> Self {
        Self {
            count,
            capped: false,
        }
    }
}

/// Where the count of an unusual filter combination stops: counting every
/// match would cost more than the page itself. The unfiltered list and a
/// `status` filter alone are always exact (kept counters, not a count).
pub const TOTAL_CAP: i64 = 10_000;

/// Whether `query`'s total can be read from the kept per-status counters:
/// no filter other than the project and the statuses.
pub fn total_is_kept(query: &TaskListQuery) -> bool {
    query.priorities.is_empty()
        && query.assignee == AssigneeFilter::Any
        && query.due_before.is_none()
        && query.due_after.is_none()
        && query.title_contains.is_none()
}

/// `q`: at most 200 characters, no control characters; blank means no filter.
pub const SEARCH_RULE: crate::text::TextRule = crate::text::TextRule {
    min: 0,
    max: 200,
    lines: crate::text::Lines::Single,
};

impl TaskListQuery {
    /// The first page of every task in `project`, in the default order: the
    /// query with no filter set (what a bare `GET .../tasks` asks).
    pub fn unfiltered(project: ProjectId) -> Self {
        Self {
            project,
            statuses: Vec::new(),
            priorities: Vec::new(),
            assignee: AssigneeFilter::Any,
            due_before: None,
            due_after: None,
            title_contains: None,
            sort: TaskSort::DEFAULT,
            limit: crate::paging::DEFAULT_LIMIT,
            position: Position::Offset(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_only_fit_their_own_sort() {
        for (sort, key) in [
            (TaskSort::DEFAULT, SortKey::Time(Utc::now())),
            (
                TaskSort {
                    field: SortField::DueAt,
                    descending: false,
                },
                SortKey::OptionalTime(None),
            ),
            (
                TaskSort {
                    field: SortField::Priority,
                    descending: true,
                },
                SortKey::Priority(3),
            ),
            (
                TaskSort {
                    field: SortField::Title,
                    descending: false,
                },
                SortKey::Title("a|b ü".into()),
            ),
        ] {
            let project = ProjectId::new();
            let cursor = TaskCursor {
                project,
                sort,
                key,
                id: TaskId::new(),
            };
            assert_eq!(
                TaskCursor::decode(&cursor.encode(), project, sort),
                Some(cursor.clone())
            );
            let other = TaskSort {
                descending: !sort.descending,
                ..sort
            };
            assert_eq!(TaskCursor::decode(&cursor.encode(), project, other), None);
            assert_eq!(
                TaskCursor::decode(&cursor.encode(), ProjectId::new(), sort),
                None,
                "another project's cursor"
            );
        }
    }

    #[test]
    fn only_project_and_status_filters_keep_the_total_in_counters() {
        let project = ProjectId::new();
        let base = TaskListQuery::unfiltered(project);
        assert!(total_is_kept(&base));
        assert!(total_is_kept(&TaskListQuery {
            statuses: vec![Status::Done],
            ..base.clone()
        }));
        let filtered = [
            TaskListQuery {
                priorities: vec![Priority::High],
                ..base.clone()
            },
            TaskListQuery {
                assignee: AssigneeFilter::Nobody,
                ..base.clone()
            },
            TaskListQuery {
                due_before: Some(Utc::now()),
                ..base.clone()
            },
            TaskListQuery {
                due_after: Some(Utc::now()),
                ..base.clone()
            },
            TaskListQuery {
                title_contains: Some("x".into()),
                ..base.clone()
            },
        ];
        for query in filtered {
            assert!(!total_is_kept(&query), "{query:?}");
        }
    }

    #[test]
    fn malformed_cursors_decode_to_nothing() {
        let project = ProjectId::new();
        let sort = TaskSort::DEFAULT;
        let cursor = TaskCursor {
            project,
            sort,
            key: SortKey::Time(Utc::now()),
            id: TaskId::new(),
        };
        let good = cursor.encode();
        assert!(TaskCursor::decode(&good, project, sort).is_some());
        // Odd length, non-hex, truncated, and over the 1 KiB bound.
        assert_eq!(TaskCursor::decode(&good[1..], project, sort), None);
        assert_eq!(
            TaskCursor::decode(&format!("zz{}", &good[2..]), project, sort),
            None
        );
        assert_eq!(
            TaskCursor::decode(&good[..good.len() - 2], project, sort),
            None
        );
        let long = format!("{good}{}", "20".repeat(600));
        assert!(long.len() > 1024);
        assert_eq!(TaskCursor::decode(&long, project, sort), None);
        // A due-date cursor may carry "no date"; a created-at one may not.
        let due = TaskSort {
            field: SortField::DueAt,
            descending: false,
        };
        let none = TaskCursor {
            project,
            sort: due,
            key: SortKey::OptionalTime(None),
            id: TaskId::new(),
        };
        assert!(TaskCursor::decode(&none.encode(), project, due).is_some());
        let forged = hex::encode(format!("{}|{project}|{}|", sort.as_string(), TaskId::new()));
        assert_eq!(TaskCursor::decode(&forged, project, sort), None);
    }

    #[test]
    fn a_cursor_may_be_1024_hex_characters_and_no_longer() {
        let project = ProjectId::new();
        let sort = TaskSort {
            field: SortField::Title,
            descending: false,
        };
        let cursor_with = |title_len: usize| TaskCursor {
            project,
            sort,
            key: SortKey::Title("t".repeat(title_len)),
            id: TaskId::new(),
        };
        let overhead = cursor_with(0).encode().len();
        let longest = cursor_with((1024 - overhead) / 2);
        assert_eq!(longest.encode().len(), 1024);
        assert_eq!(
            TaskCursor::decode(&longest.encode(), project, sort),
            Some(longest)
        );
        let over = cursor_with((1024 - overhead) / 2 + 1);
        assert_eq!(over.encode().len(), 1026);
        assert_eq!(TaskCursor::decode(&over.encode(), project, sort), None);
    }

    #[test]
    fn a_due_date_cursor_keeps_its_date() {
        let project = ProjectId::new();
        let sort = TaskSort {
            field: SortField::DueAt,
            descending: true,
        };
        let due = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 4, 9, 0, 0).unwrap();
        let cursor = TaskCursor {
            project,
            sort,
            key: SortKey::OptionalTime(Some(due)),
            id: TaskId::new(),
        };
        assert_eq!(
            TaskCursor::decode(&cursor.encode(), project, sort),
            Some(cursor)
        );
    }
}
