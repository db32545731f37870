//! `ProjectRepository` on PostgreSQL.

use crate::error::from_diesel;
use crate::repositories::write_context::{self, WriteContextRow};
use crate::schema::{projects, team_members, teams};
use crate::sql::constant_sql::constant_sql_expression;
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::sql::recorded_write::written_with_outbox;
use crate::sql::rows::optional_role;
use crate::sql::soft_delete::{soft_delete, Trashable};
use crate::PgPool;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use domain::access::Role;
use domain::ids::{ProjectId, TeamId, UserId};
use domain::outbox::{Outbox, WriteContext};
use domain::paging::{PageRequest, Paged};
use domain::projects::{Description, NewProject, Project, ProjectName, ProjectRepository};
use domain::DomainError;
use uuid::Uuid;

pub struct PgProjectRepository {
    pool: PgPool,
}

impl PgProjectRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = projects)]
struct ProjectRow {
    id: Uuid,
    team_id: Uuid,
    name: String,
    description: Option<String>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ProjectRow> for Project {
    fn from(row: ProjectRow) -> Self {
        Project {
            id: ProjectId(row.id),
            team_id: TeamId(row.team_id),
            name: ProjectName::stored(row.name),
            description: Description::stored(row.description),
            created_by: UserId(row.created_by),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A project, the caller's role, and the write context, by name.
#[derive(QueryableByName)]
struct ProjectForWriteRow {
    #[diesel(embed)]
    project: ProjectRow,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    caller_role: Option<String>,
    #[diesel(embed)]
    context: WriteContextRow,
}

#[async_trait]
impl ProjectRepository for PgProjectRepository {
    async fn create(&self, project: NewProject, outbox: Outbox) -> Result<Project, DomainError> {
        let mut write = PreparedSql::new("");
        write.push(
            "INSERT INTO projects (id, team_id, name, description, created_by) \
             VALUES (?, ?, ?, ?, ?) RETURNING *",
            vec![
                Bind::Uuid(project.id.as_uuid()),
                Bind::Uuid(project.team_id.as_uuid()),
                Bind::Text(project.name.into_inner()),
                Bind::OptionalText(project.description.into_inner()),
                Bind::Uuid(project.created_by.as_uuid()),
            ],
        );
        let mut connection = self.pool.get().await?;
        let row: ProjectRow = written_with_outbox(write, &outbox, "t.*")
            .get_result(&mut connection)
            .await
            .map_err(from_diesel)?;
        self.pool.announce_activity(outbox.activity.project_id);
        Ok(Project::from(row))
    }

    /// The same statement as the list's (one query shape, one prepared
    /// statement); the generation it also reads is two short index ranges
    /// of the project's activity log.
    async fn get(
        &self,
        id: ProjectId,
        caller: UserId,
    ) -> Result<Option<(Project, Option<Role>)>, DomainError> {
        Ok(self
            .get_with_list_generation(id, caller)
            .await?
            .map(|(project, role, _)| (project, role)))
    }

    async fn get_for_write(
        &self,
        id: ProjectId,
        caller: UserId,
    ) -> Result<Option<(Project, Option<Role>, WriteContext)>, DomainError> {
        let mut connection = self.pool.get().await?;
        let mut sql = PreparedSql::new(
            "SELECT p.id, p.team_id, p.name, p.description, p.created_by, p.created_at, \
             p.updated_at, m.role AS caller_role, ",
        );
        sql.push(
            &write_context::columns("p.team_id"),
            vec![Bind::Uuid(caller.as_uuid())],
        );
        sql.push(
            " FROM projects p \
             JOIN teams tm ON tm.id = p.team_id AND tm.deleted_at IS NULL \
             LEFT JOIN team_members m ON m.team_id = p.team_id AND m.user_id = ? \
             WHERE p.id = ? AND p.deleted_at IS NULL",
            vec![Bind::Uuid(caller.as_uuid()), Bind::Uuid(id.as_uuid())],
        );
        let row: Option<ProjectForWriteRow> = sql
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(|row| {
            let project = Project::from(row.project);
            let context = row.context.into_context(project.team_id, caller)?;
            Ok((project, optional_role(row.caller_role.as_deref())?, context))
        })
        .transpose()
    }

    async fn get_with_list_generation(
        &self,
        id: ProjectId,
        caller: UserId,
    ) -> Result<Option<(Project, Option<Role>, i64)>, DomainError> {
        let mut connection = self.pool.get().await?;
        // The generation comes from the project's activity log, read in this
        // statement's own snapshot (`ListGeneration`).
        let row: Option<(ProjectRow, Option<String>, i64)> = projects::table
            .inner_join(teams::table)
            .left_join(
                team_members::table.on(team_members::team_id
                    .eq(projects::team_id)
                    .and(team_members::user_id.eq(caller.as_uuid()))),
            )
            .filter(projects::id.eq(id.as_uuid()))
            .filter(projects::deleted_at.is_null())
            .filter(teams::deleted_at.is_null())
            .select((
                ProjectRow::as_select(),
                team_members::role.nullable(),
                ListGeneration,
            ))
            .first(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(|(project, role, generation)| {
            Ok((
                Project::from(project),
                optional_role(role.as_deref())?,
                generation,
            ))
        })
        .transpose()
    }

    async fn list(&self, team: TeamId, page: PageRequest) -> Result<Paged<Project>, DomainError> {
        let mut connection = self.pool.get().await?;
        let live = projects::team_id
            .eq(team.as_uuid())
            .and(projects::deleted_at.is_null());
        let rows: Vec<ProjectRow> = projects::table
            .filter(live)
            .order((projects::created_at.desc(), projects::id.desc()))
            .limit(i64::from(page.limit))
            .offset(i64::from(page.offset))
            .select(ProjectRow::as_select())
            .load(&mut connection)
            .await
            .map_err(from_diesel)?;
        let total: i64 = projects::table
            .filter(live)
            .count()
            .get_result(&mut connection)
            .await
            .map_err(from_diesel)?;
        Ok(Paged {
            items: rows.into_iter().map(Project::from).collect(),
            total,
        })
    }

    async fn update(&self, project: Project, outbox: Outbox) -> Result<Project, DomainError> {
        let mut write = PreparedSql::new("");
        write.push(
            "UPDATE projects SET name = ?, description = ?, updated_at = ? \
              WHERE id = ? AND deleted_at IS NULL RETURNING *",
            vec![
                Bind::Text(project.name.as_str().to_owned()),
                Bind::OptionalText(project.description.as_str().map(str::to_owned)),
                Bind::Time(Utc::now()),
                Bind::Uuid(project.id.as_uuid()),
            ],
        );
        let mut connection = self.pool.get().await?;
        let row: Option<ProjectRow> = written_with_outbox(write, &outbox, "t.*")
            .get_result(&mut connection)
            .await
            .optional()
            .map_err(from_diesel)?;
        let project = row
            .map(Project::from)
            .ok_or(DomainError::NotFound("project"))?;
        self.pool.announce_activity(outbox.activity.project_id);
        Ok(project)
    }

    async fn soft_delete(&self, id: ProjectId, outbox: Outbox) -> Result<(), DomainError> {
        // Its tasks are hidden by the join on live projects in every task
        // query; they keep their own deleted_at untouched, so undeleting a
        // project would bring them back as they were.
        soft_delete(&self.pool, Trashable::Project, id.as_uuid(), &outbox).await
    }
}

constant_sql_expression!(
    /// The project's task-list generation, for a statement on `projects`,
    /// derived from its activity log (every write a list shows commits an
    /// entry in its own transaction): `M`, the newest writing transaction
    /// below the horizon (the oldest transaction still running, as the live
    /// events read it), plus the number of writing transactions above it
    /// this statement sees. Below the horizon nothing can appear any more;
    /// above it, what one snapshot sees is a subset of what any later one
    /// sees. So two reads get the same number only when they see the same
    /// entries, and it never decreases (migration `…_list_generation_from_activity`).
    /// Both parts are ranges of `activity_logs_stream_idx`.
    ListGeneration: diesel::sql_types::BigInt =
        "(SELECT COALESCE((SELECT max(l.txid) FROM activity_logs l \
                            WHERE l.project_id = projects.id AND l.txid < h.horizon), 0) \
               + (SELECT count(DISTINCT l.txid) FROM activity_logs l \
                   WHERE l.project_id = projects.id AND l.txid >= h.horizon) \
           FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon) h)"
);
