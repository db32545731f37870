//! `opsflow seed-demo`: demo logins for trying the API by hand.
//!
//! The demo data is written **through the services**, exactly as the API would
//! write it: passwords hashed by the configured hasher, memberships through the
//! team rules, and every project and task with its activity entry
//! (`task.created`...), so the demo looks like data a real team produced.

use crate::api::app_state;
use crate::config::Config;
use crate::pools::{postgres_pool, redis_store};
use anyhow::Context;
use chrono::{Duration, Utc};
use domain::auth::{Email, Registration};
use domain::ids::{ProjectId, TeamId, UserId};
use domain::projects::{Description, ProjectName};
use domain::tasks::{Priority, Status, TaskDraft};
use domain::teams::{parse_role, TeamName};
use domain::DomainError;
use http_actix::AppState;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The demo password, printed by the command; demo data is for local use only.
pub const DEMO_PASSWORD: &str = "opsflow-demo-password";

const USERS: [(&str, &str, &str); 3] = [
    ("admin@demo.opsflow.test", "Ada Admin", "admin"),
    ("manager@demo.opsflow.test", "Max Manager", "manager"),
    ("member@demo.opsflow.test", "Mia Member", "member"),
];

const PROJECTS: [(&str, &[&str]); 2] = [
    (
        "Website relaunch",
        &[
            "Draft sitemap",
            "Pick a font",
            "Write copy",
            "Set up CI",
            "Accessibility audit",
            "Launch checklist",
        ],
    ),
    (
        "Mobile app",
        &[
            "Login screen",
            "Push notifications",
            "Offline mode",
            "App store listing",
        ],
    ),
];

/// # Errors
/// When PostgreSQL is unreachable, migrations fail, or a write is refused.
pub async fn seed_demo(config: &Config) -> anyhow::Result<()> {
    println!("seed-demo: applying pending migrations");
    adapters_postgres::run_pending_migrations(&config.database_url)
        .await
        .context("applying migrations before seeding")?;
    let postgres = postgres_pool(config)?;
    let redis = redis_store(config)?;
    let live = crate::api::LiveEvents::idle(&postgres);
    let state = app_state(config, &postgres, &redis, Vec::new(), live)?;
    let outcome = write(&state).await;
    postgres.close();
    match outcome.context("writing demo data")? {
        None => println!("seed-demo: demo data exists already; nothing written"),
        Some((team, tasks)) => println!(
            "seed-demo: created team {team} with {} projects and {tasks} tasks",
            PROJECTS.len()
        ),
    }
    print_tour(config.listen);
    Ok(())
}

/// Writes the demo; `None` when its first user exists already.
async fn write(state: &AppState) -> Result<Option<(TeamId, usize)>, DomainError> {
    println!(
        "seed-demo: registering {} users (one password hash each)",
        USERS.len()
    );
    let mut ids: Vec<UserId> = Vec::new();
    for (email, name, _) in USERS {
        match state
            .auth
            .register(Registration::parse(email, DEMO_PASSWORD, name)?)
            .await
        {
            Ok(user) => ids.push(user.id),
            Err(DomainError::Conflict { .. }) if ids.is_empty() => return Ok(None),
            Err(error) => return Err(error),
        }
    }
    let admin = ids.first().copied().unwrap_or_default();
    let team = state
        .teams
        .create(admin, TeamName::parse("Demo Team")?)
        .await?
        .team
        .id;
    for (email, _, role) in USERS.iter().skip(1) {
        println!("  - adding {email} as {role}");
        state
            .teams
            .add_member(admin, team, Email::parse(email)?, parse_role(role)?)
            .await?;
    }
    let mut created = 0;
    for (name, titles) in PROJECTS {
        println!("  - project {name:?} with {} tasks", titles.len());
        let project = state
            .projects
            .create(
                admin,
                team,
                ProjectName::parse(name)?,
                Description::parse(None)?,
            )
            .await?
            .id;
        created += seed_tasks(state, admin, project, &ids, titles).await?;
    }
    Ok(Some((team, created)))
}

async fn seed_tasks(
    state: &AppState,
    admin: UserId,
    project: ProjectId,
    members: &[UserId],
    titles: &[&str],
) -> Result<usize, DomainError> {
    for (index, title) in titles.iter().enumerate() {
        let days = i64::try_from(index).unwrap_or(0) + 1;
        let draft = TaskDraft::parse(
            title,
            None,
            Some(Status::ALL[index % Status::ALL.len()].as_str()),
            Some(Priority::ALL[index % Priority::ALL.len()].as_str()),
            Some(Utc::now() + Duration::days(days)),
            members.get(index % members.len().max(1)).copied(),
        )?;
        state.tasks.create(admin, project, draft, None).await?;
    }
    Ok(titles.len())
}

/// Where to point a browser: the address the api listens on (from the same
/// configuration), with a wildcard bind shown as loopback.
fn print_tour(listen: SocketAddr) {
    let host = if listen.ip().is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        listen.ip()
    };
    let base = format!("http://{}", SocketAddr::new(host, listen.port()));
    println!("\nLogins (password for all: {DEMO_PASSWORD}):");
    for (email, _, role) in USERS {
        println!("  {role:<8} {email}");
    }
    println!("\nTry (against the api at {base}, from OPSFLOW_LISTEN):");
    println!("  curl -s {base}/health");
    println!("  curl -s {base}/ready");
    // The login answer's access token, cut out with sed (no jq needed), then
    // used: the tour ends with a request that needs it.
    println!(
        "  TOKEN=$(curl -s -X POST {base}/api/v1/auth/login -H 'Content-Type: application/json' \\\n       -d '{{\"email\":\"{}\",\"password\":\"{DEMO_PASSWORD}\"}}' \\\n       | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')",
        USERS[0].0
    );
    println!("  curl -s {base}/api/v1/teams -H \"Authorization: Bearer $TOKEN\"");
    println!("  xdg-open {base}/docs/    # macOS: open");
}
