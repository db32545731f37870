//! The task list's query string, parsed at the edge into the domain's typed
//! `TaskListQuery` (parse, don't validate: the service never sees text). Every
//! bad parameter is named in one `400`.

use chrono::{DateTime, Utc};
use domain::ids::{ProjectId, UserId};
use domain::paging::parse_page;
use domain::tasks::{
    AssigneeFilter, Position, Priority, SortField, Status, TaskCursor, TaskListQuery, TaskSort,
    SEARCH_RULE,
};
use domain::{DomainError, FieldError};
use serde::Deserialize;
use utoipa::IntoParams;

/// The list's query string as sent. Values stay text until [`Self::parse`],
/// so a bad one is reported by name, with the others, rather than by serde.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskListParams {
    /// Comma list of `todo,in_progress,in_review,done`.
    pub status: Option<String>,
    /// Comma list of `low,medium,high,urgent`.
    pub priority: Option<String>,
    /// A user id, `me` or `none`.
    pub assignee_id: Option<String>,
    /// RFC 3339.
    #[param(format = DateTime)]
    pub due_before: Option<String>,
    /// RFC 3339.
    #[param(format = DateTime)]
    pub due_after: Option<String>,
    /// Case-insensitive substring of the title.
    pub q: Option<String>,
    /// `created_at`, `updated_at`, `due_at`, `priority` or `title`; `-` for
    /// descending. Default `-created_at`.
    pub sort: Option<String>,
    /// 1..=100, default 20.
    pub limit: Option<String>,
    /// 0..=10000, default 0; not with `cursor`.
    pub offset: Option<String>,
    /// `meta.next_cursor` of the previous page of this list.
    pub cursor: Option<String>,
}

impl TaskListParams {
    /// Parses every parameter into the domain's typed query, reporting all
    /// invalid ones at once, each named. `assignee_id=me` becomes the caller.
    ///
    /// # Errors
    /// `Invalid` with one entry per bad parameter.
    pub fn parse(&self, project: ProjectId, caller: UserId) -> Result<TaskListQuery, DomainError> {
        let mut errors = Vec::new();
        let statuses = list(
            &self.status,
            "status",
            Status::parse,
            &Status::ALL.map(Status::as_str),
            &mut errors,
        );
        let priorities = list(
            &self.priority,
            "priority",
            Priority::parse,
            &Priority::ALL.map(Priority::as_str),
            &mut errors,
        );
        let assignee = assignee(self.assignee_id.as_deref(), caller, &mut errors);
        let due_before = timestamp(&self.due_before, "due_before", &mut errors);
        let due_after = timestamp(&self.due_after, "due_after", &mut errors);
        let title_contains = search(self.q.as_deref(), &mut errors);
        let sort = sort(self.sort.as_deref(), &mut errors);
        let page = parse_page(
            self.limit.as_deref(),
            self.offset.as_deref(),
            self.cursor.is_some(),
            &mut errors,
        );
        let position = self.position(project, sort, page.offset, &mut errors);
        if !errors.is_empty() {
            return Err(DomainError::Invalid(errors));
        }
        Ok(TaskListQuery {
            project,
            statuses,
            priorities,
            assignee,
            due_before,
            due_after,
            title_contains,
            sort,
            limit: page.limit,
            position,
        })
    }

    /// Where the page starts: after a cursor of this list, or at an offset.
    fn position(
        &self,
        project: ProjectId,
        sort: TaskSort,
        offset: u32,
        errors: &mut Vec<FieldError>,
    ) -> Position {
        match (&self.cursor, &self.offset) {
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
        }
    }
}

/// `me` is the caller, `none` unassigned tasks, else a user id.
fn assignee(raw: Option<&str>, caller: UserId, errors: &mut Vec<FieldError>) -> AssigneeFilter {
    match raw {
        None => AssigneeFilter::Any,
        Some("me") => AssigneeFilter::User(caller),
        Some("none") => AssigneeFilter::Nobody,
        Some(value) => value.parse().map(AssigneeFilter::User).unwrap_or_else(|_| {
            errors.push(FieldError::new("assignee_id", "must be a UUID, me or none"));
            AssigneeFilter::Any
        }),
    }
}

/// The title search; blank means no search.
fn search(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    match domain::text::parse_line(raw?, "q", SEARCH_RULE) {
        Ok(q) if q.is_empty() => None,
        Ok(q) => Some(q),
        Err(DomainError::Invalid(mut more)) => {
            errors.append(&mut more);
            None
        }
        Err(_) => None,
    }
}

fn sort(raw: Option<&str>, errors: &mut Vec<FieldError>) -> TaskSort {
    let Some(value) = raw else {
        return TaskSort::DEFAULT;
    };
    TaskSort::parse(value).unwrap_or_else(|| {
        let fields = SortField::ALL.map(SortField::as_str).join(", ");
        errors.push(FieldError::new(
            "sort",
            format!("must be one of {fields}, optionally prefixed with -"),
        ));
        TaskSort::DEFAULT
    })
}

fn list<T>(
    raw: &Option<String>,
    name: &str,
    parse: fn(&str) -> Option<T>,
    allowed: &[&str],
    errors: &mut Vec<FieldError>,
) -> Vec<T> {
    let Some(raw) = raw else { return Vec::new() };
    let parsed: Option<Vec<T>> = raw.split(',').map(|item| parse(item.trim())).collect();
    parsed.unwrap_or_else(|| {
        errors.push(FieldError::new(
            name,
            format!("must be a comma-separated list of {}", allowed.join(", ")),
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
            errors.push(FieldError::new(name, crate::routes::timestamp::RULE));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<TaskListQuery, DomainError> {
        let mut raw = TaskListParams::default();
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
        raw.parse(ProjectId::new(), UserId::new())
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
}
