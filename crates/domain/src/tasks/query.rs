//! The task list query: every query-string parameter parsed into a typed value
//! once, here. Adapters receive only these types, so nothing from the query
//! string can reach SQL as text.

use super::model::{Priority, Status, Task};
use crate::ids::{ProjectId, TaskId, UserId};
use crate::paging::parse_page;
use crate::{DomainError, FieldError};
use chrono::{DateTime, Utc};

/// The raw query string values, as the HTTP layer received them.
#[derive(Debug, Clone, Default)]
pub struct RawTaskListParams {
    pub status: Option<String>,
    pub priority: Option<String>,
    pub assignee_id: Option<String>,
    pub due_before: Option<String>,
    pub due_after: Option<String>,
    pub q: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub cursor: Option<String>,
}

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
            SortField::Title => SortKey::Title(task.fields.title.clone()),
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
        plain.bytes().map(|byte| format!("{byte:02x}")).collect()
    }

    /// `None` for anything that is not a cursor this service made for this
    /// `project` and `sort`: another list's cursor would silently skip rows.
    pub fn decode(raw: &str, project: ProjectId, sort: TaskSort) -> Option<Self> {
        if !raw.len().is_multiple_of(2) || raw.len() > 1024 {
            return None;
        }
        let bytes: Option<Vec<u8>> = (0..raw.len())
            .step_by(2)
            .map(|i| {
                raw.get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            })
            .collect();
        let plain = String::from_utf8(bytes?).ok()?;
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
    pub total: i64,
    pub limit: u32,
    pub offset: u32,
    pub next_cursor: Option<TaskCursor>,
}

/// `q`: at most 200 characters, no control characters; blank means no filter.
pub const SEARCH_RULE: crate::text::TextRule = crate::text::TextRule {
    min: 0,
    max: 200,
    lines: crate::text::Lines::Single,
};

impl TaskListQuery {
    /// Parses every parameter, reporting all invalid ones at once, each named.
    ///
    /// # Errors
    /// `Invalid` with one entry per bad parameter.
    pub fn parse(
        project: ProjectId,
        caller: UserId,
        raw: &RawTaskListParams,
    ) -> Result<Self, DomainError> {
        let mut errors = Vec::new();
        let statuses = list(
            &raw.status,
            "status",
            Status::parse,
            "todo, in_progress, in_review, done",
            &mut errors,
        );
        let priorities = list(
            &raw.priority,
            "priority",
            Priority::parse,
            "low, medium, high, urgent",
            &mut errors,
        );
        let assignee = match raw.assignee_id.as_deref() {
            None => AssigneeFilter::Any,
            Some("me") => AssigneeFilter::User(caller),
            Some("none") => AssigneeFilter::Nobody,
            Some(value) => value.parse().map(AssigneeFilter::User).unwrap_or_else(|_| {
                errors.push(FieldError::new("assignee_id", "must be a UUID, me or none"));
                AssigneeFilter::Any
            }),
        };
        let due_before = timestamp(&raw.due_before, "due_before", &mut errors);
        let due_after = timestamp(&raw.due_after, "due_after", &mut errors);
        let title_contains = match raw.q.as_deref() {
            None => None,
            Some(q) => match crate::text::parse_line(q, "q", SEARCH_RULE) {
                Ok(q) if q.is_empty() => None,
                Ok(q) => Some(q),
                Err(DomainError::Invalid(mut more)) => {
                    errors.append(&mut more);
                    None
                }
                Err(_) => None,
            },
        };
        let sort = match raw.sort.as_deref() {
            None => TaskSort::DEFAULT,
            Some(value) => TaskSort::parse(value).unwrap_or_else(|| {
                errors.push(FieldError::new("sort", "must be one of created_at, updated_at, due_at, priority, title, optionally prefixed with -"));
                TaskSort::DEFAULT
            }),
        };
        let page = parse_page(
            raw.limit.as_deref(),
            raw.offset.as_deref(),
            raw.cursor.is_some(),
            &mut errors,
        );
        let (limit, offset) = (page.limit, page.offset);
        let position = match (&raw.cursor, &raw.offset) {
            // Refused by parse_page.
            (Some(_), Some(_)) => Position::Offset(0),
            (Some(cursor), None) => match TaskCursor::decode(cursor, project, sort) {
                Some(cursor) => Position::After(cursor),
                None => {
                    errors.push(FieldError::new(
                        "cursor",
                        "is not a valid cursor for this sort",
                    ));
                    Position::Offset(0)
                }
            },
            (None, _) => Position::Offset(offset),
        };
        if !errors.is_empty() {
            return Err(DomainError::Invalid(errors));
        }
        Ok(Self {
            project,
            statuses,
            priorities,
            assignee,
            due_before,
            due_after,
            title_contains,
            sort,
            limit,
            position,
        })
    }
}

fn list<T>(
    raw: &Option<String>,
    name: &str,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    let Some(raw) = raw else { return Vec::new() };
    let parsed: Option<Vec<T>> = raw.split(',').map(|item| parse(item.trim())).collect();
    parsed.unwrap_or_else(|| {
        errors.push(FieldError::new(
            name,
            format!("must be a comma-separated list of {allowed}"),
        ));
        Vec::new()
    })
}

fn timestamp(
    raw: &Option<String>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let raw = raw.as_deref()?;
    match DateTime::parse_from_rfc3339(raw) {
        Ok(time) => Some(time.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(name, "must be an RFC 3339 timestamp"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<TaskListQuery, DomainError> {
        let mut raw = RawTaskListParams::default();
        for (key, value) in pairs {
            let slot = match *key {
                "status" => &mut raw.status,
                "priority" => &mut raw.priority,
                "assignee_id" => &mut raw.assignee_id,
                "due_before" => &mut raw.due_before,
                "due_after" => &mut raw.due_after,
                "q" => &mut raw.q,
                "sort" => &mut raw.sort,
                "limit" => &mut raw.limit,
                "offset" => &mut raw.offset,
                _ => &mut raw.cursor,
            };
            *slot = Some((*value).to_owned());
        }
        TaskListQuery::parse(ProjectId::new(), UserId::new(), &raw)
    }

    fn invalid_fields(pairs: &[(&str, &str)]) -> Vec<String> {
        match parse(pairs) {
            Err(DomainError::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let query = parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(query.sort, TaskSort::DEFAULT);
        assert_eq!((query.limit, query.position), (20, Position::Offset(0)));
        assert_eq!(query.assignee, AssigneeFilter::Any);
    }

    #[test]
    fn filters_parse_into_typed_values() {
        let query = parse(&[
            ("status", "todo,done"),
            ("priority", "urgent"),
            ("assignee_id", "none"),
            ("q", " Docs "),
            ("sort", "-priority"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(query.statuses, [Status::Todo, Status::Done]);
        assert_eq!(query.priorities, [Priority::Urgent]);
        assert_eq!(query.assignee, AssigneeFilter::Nobody);
        assert_eq!(query.title_contains.as_deref(), Some("Docs"));
        assert_eq!(
            query.sort,
            TaskSort {
                field: SortField::Priority,
                descending: true
            }
        );
    }

    #[test]
    fn each_invalid_parameter_is_named() {
        assert_eq!(invalid_fields(&[("status", "todo,blocked")]), ["status"]);
        assert_eq!(invalid_fields(&[("priority", "")]), ["priority"]);
        assert_eq!(
            invalid_fields(&[("assignee_id", "someone")]),
            ["assignee_id"]
        );
        assert_eq!(
            invalid_fields(&[("due_before", "tomorrow")]),
            ["due_before"]
        );
        assert_eq!(invalid_fields(&[("sort", "status")]), ["sort"]);
        assert_eq!(invalid_fields(&[("sort", "--title")]), ["sort"]);
        assert_eq!(
            invalid_fields(&[("limit", "0"), ("offset", "10001")]),
            ["limit", "offset"]
        );
        assert_eq!(invalid_fields(&[("cursor", "zz")]), ["cursor"]);
        assert_eq!(
            invalid_fields(&[("cursor", "00"), ("offset", "1")]),
            ["cursor"]
        );
    }

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
}
