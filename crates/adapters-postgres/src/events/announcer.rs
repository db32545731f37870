//! Telling every api process that projects have new activity, batched: a
//! write that stored an activity entry marks its project here after it
//! committed, and one task per process sends the marked projects in one
//! `pg_notify` statement on its own connection, at most once per `window`.
//!
//! Why not `pg_notify` inside each write's statement: a transaction that
//! notified takes PostgreSQL's global notification-queue lock at commit, so
//! every writing transaction would commit one after another. On the
//! one-statement task create that halved throughput (pgbench, 64 clients:
//! ~1,870 tps with the NOTIFY, ~3,500 without; docs/performance.md). Batched,
//! a process notifies at most `1 / window` times a second whatever its write
//! rate, and an event waits at most `window` longer.
//!
//! Only a wake-up, like every notification here: a lost batch (the process
//! died between commit and send, or the connection broke) delays its events
//! by at most the readers' poll (`hub.rs`), and loses none.

use super::listen::ACTIVITY_CHANNEL;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::ids::ProjectId;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// The projects with unannounced activity; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct ActivityAnnouncer {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    marked: Mutex<HashSet<uuid::Uuid>>,
    ready: Notify,
}

impl ActivityAnnouncer {
    pub fn new() -> Self {
        Self::default()
    }

    /// `project` has committed activity: announce it with the next batch.
    pub fn mark(&self, project: ProjectId) {
        let mut marked = self
            .inner
            .marked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        marked.insert(project.as_uuid());
        drop(marked);
        self.inner.ready.notify_one();
    }

    fn take(&self) -> Vec<String> {
        let mut marked = self
            .inner
            .marked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        marked.drain().map(|project| project.to_string()).collect()
    }

    /// Sends the marked projects until `stop`: one statement per batch, then
    /// `window` of quiet in which new marks gather into the next batch. A
    /// failed send drops its batch (the readers' poll covers it) and opens a
    /// new connection for the next.
    pub async fn run(self, url: String, window: Duration, mut stop: watch::Receiver<bool>) {
        let mut connection: Option<AsyncPgConnection> = None;
        while !*stop.borrow() {
            tokio::select! {
                () = self.inner.ready.notified() => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
            let projects = self.take();
            if projects.is_empty() {
                continue;
            }
            if let Err(error) = send(&mut connection, &url, projects).await {
                tracing::warn!(error = %error, "activity announcement failed; readers fall back to their poll");
                connection = None;
            }
            tokio::select! {
                () = tokio::time::sleep(window) => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
        }
    }
}

async fn send(
    connection: &mut Option<AsyncPgConnection>,
    url: &str,
    projects: Vec<String>,
) -> Result<(), domain::BoxError> {
    if connection.is_none() {
        *connection = Some(AsyncPgConnection::establish(url).await?);
    }
    let Some(connection) = connection.as_mut() else {
        return Ok(());
    };
    diesel::sql_query("SELECT pg_notify($1, project) FROM unnest($2::text[]) AS project")
        .bind::<diesel::sql_types::Text, _>(ACTIVITY_CHANNEL)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(projects)
        .execute(connection)
        .await?;
    Ok(())
}
