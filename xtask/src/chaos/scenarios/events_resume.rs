//! Scenario 5: kill -9 of an api with 1,000 live-event streams open, under
//! writes through the other replica. Every stream is the example client
//! (`examples/follow-events`): on the disconnect it reconnects to the other
//! replica with `Last-Event-ID`. Each must have heard exactly the project's
//! entries, in the log's stream order — none lost, none twice.

use crate::chaos::database;
use crate::chaos::process::Process;
use crate::chaos::Run;
use crate::http::request;
use crate::sync::locked;
use anyhow::Result;
use follow_events::{Flow, Follower};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const STREAMS: usize = 1_000;
/// Task creates a second through replica B, before and after the kill.
const WRITES_PER_SEC: u64 = 40;

pub async fn run(run: &mut Run) -> Result<()> {
    println!("5. kill -9 of an api with {STREAMS} live-event streams open");
    let project = run.project("Events").await?;
    let url = &run.settings.database_url;
    let created: String = database::row(
        url,
        "SELECT id::text FROM activity_logs WHERE project_id = $1::text::uuid AND action = 'project.created'",
        &[&project],
    )
    .await?
    .try_get(0)?;

    // Every follower starts from the project's first entry: one that
    // connects late replays what it missed, so each must end with them all.
    let bases = vec![run.api(0).to_owned(), run.api(1).to_owned()];
    let heard: Vec<Arc<Mutex<Vec<String>>>> = (0..STREAMS).map(|_| Arc::default()).collect();
    let mut followers = tokio::task::JoinSet::new();
    for ids in &heard {
        let mut follower = Follower::new(bases.clone(), project.clone(), run.token.clone());
        follower.last_event_id = Some(created.clone());
        let ids = Arc::clone(ids);
        followers.spawn(async move {
            follower
                .follow(|frame| {
                    if let Some(id) = &frame.id {
                        locked(&ids).push(id.clone());
                    }
                    Flow::Continue
                })
                .await;
        });
    }
    let open_on_a = streams_open(&run.http, run.api(0), STREAMS).await;

    let writes = write_for(run, &project, Duration::from_secs(3)).await?;
    run.apis[0].kill()?;
    let writes = writes + write_for(run, &project, Duration::from_secs(4)).await?;

    let expected: Vec<String> = crate::postgres::connect(url)
        .await?
        .query(
            "SELECT id::text FROM activity_logs WHERE project_id = $1::text::uuid
              AND action <> 'project.created' ORDER BY txid, id",
            &[&project],
        )
        .await?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while heard.iter().any(|ids| locked(ids).len() < expected.len()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    followers.abort_all();

    let (mut exact, mut lost, mut duplicated) = (0, 0, 0);
    for ids in &heard {
        let ids = locked(ids);
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        duplicated += ids.len() - distinct.len();
        lost += expected.iter().filter(|id| !distinct.contains(id)).count();
        exact += usize::from(*ids == expected);
    }
    run.checks.check(
        "every stream resumed on the other replica with nothing lost or twice",
        open_on_a >= STREAMS && writes == expected.len() && exact == STREAMS,
        format!(
            "{open_on_a} streams open on A at the kill; {writes} writes acknowledged, {} entries logged; \
             {exact} of {STREAMS} streams heard exactly the log in order; lost {lost}, duplicated {duplicated}",
            expected.len()
        ),
    );
    run.apis[0] =
        Process::start(&run.settings, &run.http, "opsflow-api", "api-a-restarted-2").await?;
    run.cluster
        .set_rotation(run.apis.iter().map(|api| api.base.clone()).collect());
    Ok(())
}

/// Waits (30 s at most) until `base` counts `wanted` open streams; the count.
async fn streams_open(http: &reqwest::Client, base: &str, wanted: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut open = 0;
    while Instant::now() < deadline {
        open = crate::http::open_event_streams(http, base)
            .await
            .unwrap_or(0);
        if open >= wanted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    open
}

/// Creates tasks through replica B at `WRITES_PER_SEC` for `span`; how many
/// were acknowledged (201).
async fn write_for(run: &Run, project: &str, span: Duration) -> Result<usize> {
    let path = format!("/api/v1/projects/{project}/tasks");
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / WRITES_PER_SEC as u32);
    let until = Instant::now() + span;
    let mut acknowledged = 0;
    while Instant::now() < until {
        ticks.tick().await;
        let created = request(
            &run.http,
            run.api(1),
            "POST",
            &path,
            Some(json!({ "title": "streamed" })),
            Some(&run.token),
        )
        .await;
        acknowledged += usize::from(matches!(created, Ok(answer) if answer.status == 201));
    }
    Ok(acknowledged)
}
