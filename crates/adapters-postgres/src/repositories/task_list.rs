//! The task list query, written as SQL on purpose: keyset paging needs a row
//! comparison `(sort_key, id) < ($k, $id)` that the query builder would hide.
//! Every piece of SQL text below is a constant chosen by a typed value
//! (`SortField`, `AssigneeFilter`, ...); every value from the client is a bound
//! parameter. Nothing from the query string is ever spliced into the SQL.

use crate::repositories::task_rows::{TaskRow, TASK_COLUMNS};
use crate::sql::prepared_sql::{Bind, PreparedSql as Sql};
use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::tasks::{
    total_is_kept, AssigneeFilter, ListTotal, Position, SortField, SortKey, TaskListQuery,
    TOTAL_CAP,
};

/// The sort expression. `due_at` may be null; nulls sort last in both
/// directions by mapping them to +/- infinity, which also keeps the keyset
/// comparison a plain row comparison.
fn sort_expression(field: SortField, descending: bool) -> &'static str {
    match (field, descending) {
        (SortField::CreatedAt, _) => "t.created_at",
        (SortField::UpdatedAt, _) => "t.updated_at",
        (SortField::Priority, _) => "t.priority",
        (SortField::Title, _) => "t.title",
        (SortField::DueAt, false) => "COALESCE(t.due_at, 'infinity'::timestamptz)",
        (SortField::DueAt, true) => "COALESCE(t.due_at, '-infinity'::timestamptz)",
    }
}

/// `WHERE ...` shared by the page query and the count.
fn filters(sql: &mut Sql, query: &TaskListQuery) {
    sql.push(
        " WHERE t.project_id = ? AND t.deleted_at IS NULL",
        vec![Bind::Uuid(query.project.as_uuid())],
    );
    match query.statuses.as_slice() {
        [] => {}
        // One status is an equality, so the (project_id, status, created_at, id)
        // index returns rows already in order; ANY() would lose that.
        [one] => sql.push(
            " AND t.status = ?",
            vec![Bind::Text(one.as_str().to_owned())],
        ),
        many => sql.push(
            " AND t.status = ANY(?)",
            vec![Bind::Texts(
                many.iter().map(|s| s.as_str().to_owned()).collect(),
            )],
        ),
    }
    if !query.priorities.is_empty() {
        sql.push(
            " AND t.priority = ANY(?)",
            vec![Bind::Ranks(
                query.priorities.iter().map(|p| p.rank()).collect(),
            )],
        );
    }
    match query.assignee {
        AssigneeFilter::Any => {}
        AssigneeFilter::Nobody => sql.push(" AND t.assignee_id IS NULL", vec![]),
        AssigneeFilter::User(user) => {
            sql.push(" AND t.assignee_id = ?", vec![Bind::Uuid(user.as_uuid())])
        }
    }
    if let Some(before) = query.due_before {
        sql.push(" AND t.due_at < ?", vec![Bind::Time(before)]);
    }
    if let Some(after) = query.due_after {
        sql.push(" AND t.due_at > ?", vec![Bind::Time(after)]);
    }
    if let Some(q) = &query.title_contains {
        sql.push(
            " AND t.title ILIKE ? ESCAPE '\\'",
            vec![Bind::Text(format!("%{}%", escape_like(q)))],
        );
    }
}

/// `%`, `_` and `\` in the search text are literal characters, not patterns.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn page_sql(query: &TaskListQuery) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {TASK_COLUMNS} FROM tasks t"));
    filters(&mut sql, query);
    let expression = sort_expression(query.sort.field, query.sort.descending);
    let (direction, comparison) = if query.sort.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    if let Position::After(cursor) = &query.position {
        let key = match &cursor.key {
            SortKey::Time(time) => Bind::Time(*time),
            SortKey::OptionalTime(Some(time)) => Bind::Text(time.to_rfc3339()),
            SortKey::OptionalTime(None) => Bind::Text(
                if query.sort.descending {
                    "-infinity"
                } else {
                    "infinity"
                }
                .to_owned(),
            ),
            SortKey::Priority(rank) => Bind::Rank(*rank),
            SortKey::Title(title) => Bind::Text(title.clone()),
        };
        let placeholder = if matches!(query.sort.field, SortField::DueAt) {
            "?::timestamptz"
        } else {
            "?"
        };
        sql.push(
            &format!(" AND ({expression}, t.id) {comparison} ({placeholder}, ?)"),
            vec![key, Bind::Uuid(cursor.id.as_uuid())],
        );
    }
    let offset = match query.position {
        Position::Offset(offset) => offset,
        Position::After(_) => 0,
    };
    sql.push(
        &format!(" ORDER BY {expression} {direction}, t.id {direction} LIMIT ? OFFSET ?"),
        vec![
            Bind::BigInt(i64::from(query.limit) + 1),
            Bind::BigInt(i64::from(offset)),
        ],
    );
    sql
}

/// The total: summed from the kept per-status counters when only the project
/// and statuses filter (a lookup of at most four rows), else counted over the
/// matches but stopping after `TOTAL_CAP + 1` (the count never costs more than
/// reading that many index entries).
fn count_sql(query: &TaskListQuery) -> Sql {
    if total_is_kept(query) {
        let mut sql = Sql::new("SELECT COALESCE(sum(live), 0)::bigint AS total FROM task_counts");
        sql.push(
            " WHERE project_id = ?",
            vec![Bind::Uuid(query.project.as_uuid())],
        );
        match query.statuses.as_slice() {
            [] => {}
            [one] => sql.push(" AND status = ?", vec![Bind::Text(one.as_str().to_owned())]),
            many => sql.push(
                " AND status = ANY(?)",
                vec![Bind::Texts(
                    many.iter().map(|s| s.as_str().to_owned()).collect(),
                )],
            ),
        }
        return sql;
    }
    let mut sql = Sql::new("SELECT count(*) AS total FROM (SELECT 1 FROM tasks t");
    filters(&mut sql, query);
    sql.push(
        " LIMIT ?) AS capped",
        vec![Bind::BigInt(TOTAL_CAP.saturating_add(1))],
    );
    sql
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The page (up to `limit + 1` rows) and the total: two statements, whatever the
/// page size.
pub(crate) async fn run(
    connection: &mut AsyncPgConnection,
    query: &TaskListQuery,
) -> Result<(Vec<TaskRow>, ListTotal), diesel::result::Error> {
    let rows: Vec<TaskRow> = page_sql(query).load(connection).await?;
    let total: Total = count_sql(query).get_result(connection).await?;
    // Only a counted total can be capped; kept counters are always exact.
    let total = if !total_is_kept(query) && total.total > TOTAL_CAP {
        ListTotal {
            count: TOTAL_CAP,
            capped: true,
        }
    } else {
        ListTotal::exact(total.total)
    };
    Ok((rows, total))
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    plan: String,
}

/// `EXPLAIN (FORMAT JSON)` of exactly the page query `run` executes, with the
/// same bound values: how the index test proves which index serves the list.
pub(crate) async fn explain(
    connection: &mut AsyncPgConnection,
    query: &TaskListQuery,
) -> Result<serde_json::Value, diesel::result::Error> {
    let mut sql = page_sql(query);
    sql.prefix("EXPLAIN (FORMAT JSON) ");
    let lines: Vec<PlanLine> = sql.load(connection).await?;
    let text: String = lines.into_iter().map(|line| line.plan).collect();
    serde_json::from_str(&text)
        .map_err(|error| diesel::result::Error::DeserializationError(Box::new(error)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::{ProjectId, TaskId};
    use domain::tasks::{Status, TaskCursor, TaskSort};

    fn query() -> TaskListQuery {
        TaskListQuery::unfiltered(ProjectId::new())
    }

    #[test]
    fn client_values_become_placeholders_never_sql_text() {
        let hostile = "x'; DROP TABLE tasks; --";
        let sql = page_sql(&TaskListQuery {
            title_contains: Some(hostile.into()),
            statuses: vec![Status::Todo, Status::Done],
            ..query()
        });
        assert!(!sql.text().contains("DROP"), "{}", sql.text());
        assert!(
            sql.text().contains("t.title ILIKE $3 ESCAPE"),
            "{}",
            sql.text()
        );
        assert!(sql.text().contains("t.status = ANY($2)"), "{}", sql.text());
        assert_eq!(sql.bind_count(), 5);
    }

    #[test]
    fn keyset_pages_compare_the_sort_key_and_id_in_the_sort_direction() {
        let mut parsed = TaskListQuery {
            sort: TaskSort::parse("title").unwrap(),
            ..query()
        };
        parsed.position = Position::After(TaskCursor {
            project: parsed.project,
            sort: TaskSort::parse("title").unwrap(),
            key: SortKey::Title("M".into()),
            id: TaskId::new(),
        });
        let sql = page_sql(&parsed);
        assert!(
            sql.text().contains(
                "AND (t.title, t.id) > ($2, $3) ORDER BY t.title ASC, t.id ASC LIMIT $4 OFFSET $5"
            ),
            "{}",
            sql.text()
        );
    }

    #[test]
    fn like_wildcards_in_the_search_are_literal() {
        assert_eq!(escape_like(r"50%_off\"), r"50\%\_off\\");
    }
}
