//! `CommentRepository` on PostgreSQL. Lists join the author in the same query
//! (no N+1 for `author {id, name}`).

use crate::error::{from_diesel, PgError};
use crate::schema::{comments, projects, tasks, teams, users};
use crate::sql::recorded_write::with_outbox;
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

async fn load_comment(
    connection: &mut AsyncPgConnection,
    id: CommentId,
) -> Result<Comment, PgError> {
    load(connection, id)
        .await?
        .map(|record| record.comment)
        .ok_or(PgError::Domain(DomainError::NotFound("comment")))
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
        with_outbox(&self.pool, &outbox, async |tx| {
            diesel::insert_into(comments::table)
                .values((
                    comments::id.eq(id.as_uuid()),
                    comments::task_id.eq(task.as_uuid()),
                    comments::author_id.eq(author.as_uuid()),
                    comments::body.eq(body.as_str()),
                ))
                .execute(tx)
                .await?;
            load_comment(tx, id).await
        })
        .await
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
        with_outbox(&self.pool, &outbox, async |tx| {
            let updated = diesel::update(
                comments::table
                    .filter(comments::id.eq(id.as_uuid()))
                    .filter(comments::deleted_at.is_null()),
            )
            .set((
                comments::body.eq(body.as_str()),
                comments::updated_at.eq(Utc::now()),
            ))
            .execute(tx)
            .await?;
            if updated == 0 {
                return Err(PgError::Domain(DomainError::NotFound("comment")));
            }
            load_comment(tx, id).await
        })
        .await
    }

    async fn soft_delete(&self, id: CommentId, outbox: Outbox) -> Result<(), DomainError> {
        soft_delete(&self.pool, Trashable::Comment, id.as_uuid(), &outbox).await
    }
}
