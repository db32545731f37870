//! What is measured against: a user, a team and a project through the API,
//! then nine more projects, 10,000 tasks in each and 200,000 comments with
//! SQL (status and priority independent of each other, a third without due
//! date). Seeded ids are predictable (task n of project p is
//! `00000000-0000-4000-8000-1000000nnnnn` plus p × 100,000), so the PATCH
//! load and its pgbench ceiling can pick any task without a lookup.

use crate::http::request;
use anyhow::Result;
use serde_json::json;
use std::io::Write;

pub const EMAIL: &str = "bench@example.com";
/// The seeded task the PATCH capture sends (the load skips it).
pub const PATCHED_TASK: &str = "00000000-0000-4000-8000-100000000001";

pub struct Fixtures {
    pub token: String,
    pub project: String,
}

pub async fn fixtures(http: &reqwest::Client, base: &str) -> Result<Fixtures> {
    let (token, _) = crate::http::sign_up(http, base, EMAIL, super::PASSWORD, "Bench").await?;
    let team = request(
        http,
        base,
        "POST",
        "/api/v1/teams",
        Some(json!({ "name": "Bench" })),
        Some(&token),
    )
    .await?
    .id()?;
    let projects = format!("/api/v1/teams/{team}/projects");
    let project = request(
        http,
        base,
        "POST",
        &projects,
        Some(json!({ "name": "Bench" })),
        Some(&token),
    )
    .await?
    .id()?;
    Ok(Fixtures { token, project })
}

fn progress(done: usize, total: usize, what: &str) {
    let filled = done * 40 / total;
    eprint!(
        "\rseeding [{:<40}] {:>3}% {what}",
        "#".repeat(filled),
        done * 100 / total
    );
    let _ = std::io::stderr().flush();
}

pub async fn tasks_and_comments(url: &str, project: &str) -> Result<()> {
    let db = crate::postgres::connect(url).await?;
    let row = db.query_one("SELECT p.team_id::text, u.id::text FROM projects p, users u WHERE p.id::text = $1 LIMIT 1", &[&project]).await?;
    let (team, user): (String, String) = (row.try_get(0)?, row.try_get(1)?);
    let steps = 20;
    for p in 0..10 {
        progress(p, steps, &format!("project {}/10: 10,000 tasks", p + 1));
        let project_id = if p == 0 {
            project.to_owned()
        } else {
            let insert = "INSERT INTO projects (id, team_id, name, created_by)
                          VALUES (gen_random_uuid(), $1::text::uuid, $2, $3::text::uuid) RETURNING id::text";
            db.query_one(insert, &[&team, &format!("Bench {p}"), &user])
                .await?
                .try_get(0)?
        };
        db.batch_execute(&format!(
            "INSERT INTO tasks (id, project_id, title, status, priority, due_at, created_by, created_at, updated_at)
             SELECT ('00000000-0000-4000-8000-' || (100000000000 + {p} * 100000 + n))::uuid, '{project_id}', 'Task ' || n,
                    (ARRAY['todo','in_progress','in_review','done'])[1 + n % 4], ((n / 4) % 4)::smallint,
                    CASE WHEN n % 3 = 0 THEN NULL ELSE now() + make_interval(hours => n % 500) END,
                    '{user}', now() - make_interval(secs => 10000 - n), now() - make_interval(secs => n % 977)
               FROM generate_series(1, 10000) AS n"
        ))
        .await?;
    }
    // 200,000 comments: two on every task of the ten projects, in ten batches.
    for p in 0..10 {
        progress(
            10 + p,
            steps,
            &format!("comments {}/200,000", p * 20_000 + 20_000),
        );
        db.batch_execute(&format!(
            "INSERT INTO comments (id, task_id, author_id, body, created_at)
             SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || (100000000000 + {p} * 100000 + 1 + n / 2))::uuid,
                    '{user}', 'Comment ' || n, now() - make_interval(secs => n)
               FROM generate_series(0, 19999) AS n"
        ))
        .await?;
    }
    progress(steps, steps, "VACUUM ANALYZE");
    db.batch_execute("VACUUM ANALYZE").await?;
    eprintln!();
    Ok(())
}

/// The measured task of GET: the newest of the project.
pub async fn newest_task(url: &str, project: &str) -> Result<String> {
    let db = crate::postgres::connect(url).await?;
    let newest =
        "SELECT id::text FROM tasks WHERE project_id::text = $1 ORDER BY created_at DESC LIMIT 1";
    Ok(db.query_one(newest, &[&project]).await?.try_get(0)?)
}
