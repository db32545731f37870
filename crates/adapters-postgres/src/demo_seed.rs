//! Demo data for `opsflow seed-demo`: one team, a user per role, projects and
//! tasks, written in one transaction (a failed seed leaves nothing behind).

use crate::error::from_diesel;
use crate::schema::{projects, tasks, team_members, teams, users};
use crate::sql_functions::lower;
use crate::PgPool;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use domain::ids::{ProjectId, TaskId, TeamId, UserId};
use domain::DomainError;

pub struct DemoUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    /// `admin`, `manager` or `member`.
    pub role: &'static str,
}

pub struct DemoSeed {
    pub team_name: String,
    pub users: Vec<DemoUser>,
    pub projects: Vec<(String, Vec<String>)>,
}

/// What the seed did, for the CLI to print.
#[derive(Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    Created {
        team_id: TeamId,
        projects: usize,
        tasks: usize,
    },
    /// The first demo user exists already: nothing was written.
    AlreadySeeded,
}

const STATUSES: [&str; 4] = ["todo", "in_progress", "in_review", "done"];

/// Writes the demo data unless it exists, reporting each step to `progress`.
///
/// # Errors
/// `Unavailable` when PostgreSQL cannot be reached, `Internal` on a failed write.
pub async fn seed_demo(
    pool: &PgPool,
    seed: DemoSeed,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<SeedOutcome, DomainError> {
    let mut connection = pool.get().await?;
    connection
        .transaction(async |connection| {
            let first_email = <[DemoUser]>::first(&seed.users)
                .map(|user| user.email.to_lowercase())
                .unwrap_or_default();
            let existing: i64 = users::table
                .filter(lower(users::email).eq(first_email))
                .count()
                .get_result(connection)
                .await?;
            if existing > 0 {
                return Ok(SeedOutcome::AlreadySeeded);
            }

            let now = Utc::now();
            let team_id = TeamId::new();
            progress(&format!("creating team {:?}", seed.team_name));
            diesel::insert_into(teams::table)
                .values((
                    teams::id.eq(team_id.as_uuid()),
                    teams::name.eq(&seed.team_name),
                ))
                .execute(connection)
                .await?;

            let mut user_ids = Vec::new();
            for user in &seed.users {
                progress(&format!("creating user {} ({})", user.email, user.role));
                let id = UserId::new();
                diesel::insert_into(users::table)
                    .values((
                        users::id.eq(id.as_uuid()),
                        users::email.eq(&user.email),
                        users::name.eq(&user.name),
                        users::password_hash.eq(&user.password_hash),
                    ))
                    .execute(connection)
                    .await?;
                diesel::insert_into(team_members::table)
                    .values((
                        team_members::team_id.eq(team_id.as_uuid()),
                        team_members::user_id.eq(id.as_uuid()),
                        team_members::role.eq(user.role),
                    ))
                    .execute(connection)
                    .await?;
                user_ids.push(id);
            }
            let creator = <[UserId]>::first(&user_ids).copied().unwrap_or_default();

            let mut task_count = 0;
            for (name, titles) in &seed.projects {
                progress(&format!(
                    "creating project {name:?} with {} tasks",
                    titles.len()
                ));
                let project_id = ProjectId::new();
                diesel::insert_into(projects::table)
                    .values((
                        projects::id.eq(project_id.as_uuid()),
                        projects::team_id.eq(team_id.as_uuid()),
                        projects::name.eq(name),
                        projects::created_by.eq(creator.as_uuid()),
                    ))
                    .execute(connection)
                    .await?;
                for (index, title) in titles.iter().enumerate() {
                    let assignee = user_ids
                        .get(index % user_ids.len().max(1))
                        .map(UserId::as_uuid);
                    diesel::insert_into(tasks::table)
                        .values((
                            tasks::id.eq(TaskId::new().as_uuid()),
                            tasks::project_id.eq(project_id.as_uuid()),
                            tasks::title.eq(title),
                            tasks::status.eq(STATUSES[index % STATUSES.len()]),
                            tasks::priority.eq(i16::try_from(index % 4).unwrap_or(1)),
                            tasks::due_at
                                .eq(now + Duration::days(i64::try_from(index).unwrap_or(0) + 1)),
                            tasks::assignee_id.eq(assignee),
                            tasks::created_by.eq(creator.as_uuid()),
                        ))
                        .execute(connection)
                        .await?;
                    task_count += 1;
                }
            }
            Ok(SeedOutcome::Created {
                team_id,
                projects: seed.projects.len(),
                tasks: task_count,
            })
        })
        .await
        .map_err(from_diesel)
}
