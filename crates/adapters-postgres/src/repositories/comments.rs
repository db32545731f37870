//! `CommentRepository` on PostgreSQL. Lists join the author in the same query
//! (no N+1 for `author {id, name}`).

use crate::error::from_diesel;
use crate::schema::{comments, projects, tasks, teams, users};
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::sql::recorded_write::written_with_outbox;
use crate::sql::soft_delete::{soft_delete, Trashable};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::activity::Actor;
use domain::comments::{Comment, CommentBody, CommentRecord, CommentRepository};
use domain::ids::{CommentId, ProjectId, TaskId, TeamId, UserId};
use domain::outbox::Outbox;
use domain::paging::{PageRequest, Paged};
use domain::DomainError;
use uuid::Uuid;

pub struct PgCommentRepository {
    pool: PgPool,
}

impl PgCommentRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// `write` (ending in `RETURNING *`) with its outbox in one statement;
    /// the comment as written, with its author's name.
    async fn written(&self, write: PreparedSql, outbox: &Outbox) -> Result<Comment, DomainError> {
        let sql = written_with_outbox(write, outbox, WRITTEN_COMMENT);
        let mut connection = self.pool.get().await?;
        let row: Option<WrittenComment> = sql
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        let row = row.ok_or(DomainError::NotFound("comment"))?;
        self.pool.announce_activity(outbox.activity.project_id);
        Ok(comment((
            row.id,
            row.task_id,
            row.author_id,
            row.author_name,
            row.body,
            row.created_at,
            row.updated_at,
        )))
    }
}

/// A written comment's columns, over `written AS t`, with the author's name.
const WRITTEN_COMMENT: &str = "t.id, t.task_id, t.author_id, \
     (SELECT u.name FROM users u WHERE u.id = t.author_id) AS author_name, \
     t.body, t.created_at, t.updated_at";

#[derive(QueryableByName)]
struct WrittenComment {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    task_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    author_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    author_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    body: String,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    updated_at: DateTime<Utc>,
}

type CommentRow = (
    Uuid,
    Uuid,
    Uuid,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn comment(
    (id, task_id, author_id, author_name, body, created_at, updated_at): CommentRow,
) -> Comment {
    Comment {
        id: CommentId(id),
        task_id: TaskId(task_id),
        author: Actor {
            id: UserId(author_id),
            name: author_name,
        },
        body: CommentBody::stored(body),
        created_at,
        updated_at,
    }
}

macro_rules! comment_columns {
    () => {
        (
            comments::id,
            comments::task_id,
            users::id,
            users::name,
            comments::body,
            comments::created_at,
            comments::updated_at,
        )
    };
}

async fn load(
    connection: &mut AsyncPgConnection,
    id: CommentId,
) -> Result<Option<CommentRecord>, diesel::result::Error> {
    let row: Option<(CommentRow, Uuid, Uuid)> = comments::table
        .inner_join(users::table)
        .inner_join(tasks::table.inner_join(projects::table.inner_join(teams::table)))
        .filter(comments::id.eq(id.as_uuid()))
        .filter(comments::deleted_at.is_null())
        .filter(tasks::deleted_at.is_null())
        .filter(projects::deleted_at.is_null())
        .filter(teams::deleted_at.is_null())
        .select((comment_columns!(), projects::id, projects::team_id))
        .first(connection)
        .await
        .optional()?;
    Ok(row.map(|(row, project_id, team_id)| CommentRecord {
        comment: comment(row),
        project_id: ProjectId(project_id),
        team_id: TeamId(team_id),
    }))
}

#[async_trait]
impl CommentRepository for PgCommentRepository {
    async fn create(
        &self,
        id: CommentId,
        task: TaskId,
        author: UserId,
        body: CommentBody,
        outbox: Outbox,
    ) -> Result<Comment, DomainError> {
        let mut write = PreparedSql::new("");
        write.push(
            "INSERT INTO comments (id, task_id, author_id, body) VALUES (?, ?, ?, ?) RETURNING *",
            vec![
                Bind::Uuid(id.as_uuid()),
                Bind::Uuid(task.as_uuid()),
                Bind::Uuid(author.as_uuid()),
                Bind::Text(body.as_str().to_owned()),
            ],
        );
        self.written(write, &outbox).await
    }

    async fn get(&self, id: CommentId) -> Result<Option<CommentRecord>, DomainError> {
        let mut connection = self.pool.get().await?;
        load(&mut connection, id).await.map_err(from_diesel)
    }

    async fn list(&self, task: TaskId, page: PageRequest) -> Result<Paged<Comment>, DomainError> {
        let mut connection = self.pool.get().await?;
        let live = comments::task_id
            .eq(task.as_uuid())
            .and(comments::deleted_at.is_null());
        let rows: Vec<CommentRow> = comments::table
            .inner_join(users::table)
            .filter(live)
            .order((comments::created_at.asc(), comments::id.asc()))
            .limit(i64::from(page.limit))
            .offset(i64::from(page.offset))
            .select(comment_columns!())
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        let total: i64 = comments::table
            .filter(live)
            .count()
            .get_result(&mut connection)
            .await
            .map_err(from_diesel)?;
        Ok(Paged {
            items: rows.into_iter().map(comment).collect(),
            total,
        })
    }

    async fn update(
        &self,
        id: CommentId,
        body: CommentBody,
        outbox: Outbox,
    ) -> Result<Comment, DomainError> {
        let mut write = PreparedSql::new("");
        write.push(
            "UPDATE comments SET body = ?, updated_at = ? \
              WHERE id = ? AND deleted_at IS NULL RETURNING *",
            vec![
                Bind::Text(body.as_str().to_owned()),
                Bind::Time(Utc::now()),
                Bind::Uuid(id.as_uuid()),
            ],
        );
        self.written(write, &outbox).await
    }

    async fn soft_delete(&self, id: CommentId, outbox: Outbox) -> Result<(), DomainError> {
        soft_delete(&self.pool, Trashable::Comment, id.as_uuid(), &outbox).await
    }
}
