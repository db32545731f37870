//! The five faults, in order, and the write-durability check two share.

mod events_resume;
mod kill_worker;
mod postgres_restart;
mod redis_pause;
mod sigterm_api;

use super::{database, load::Record, Run};
use anyhow::Result;

pub async fn all(run: &mut Run, project: &str) -> Result<()> {
    redis_pause::run(run, project).await?;
    postgres_restart::run(run, project).await?;
    sigterm_api::run(run, project).await?;
    kill_worker::run(run).await?;
    events_resume::run(run).await
}

/// Every create and update the load saw acknowledged is in the database.
async fn no_acknowledged_write_lost(run: &Run, record: &Record) -> Result<()> {
    let url = &run.settings.database_url;
    let ids = &record.acked_creates;
    let found: i64 = database::row(
        url,
        "SELECT count(*) FROM tasks WHERE id::text = ANY($1)",
        &[ids],
    )
    .await?
    .try_get(0)?;
    run.checks.check(
        "every acknowledged create is stored",
        found == ids.len() as i64,
        format!("{found} of {}", ids.len()),
    );
    let (tasks, versions): (Vec<String>, Vec<i64>) = record
        .acked_versions
        .iter()
        .map(|(t, v)| (t.clone(), *v))
        .unzip();
    let behind: i64 = database::row(
        url,
        "SELECT count(*) FROM unnest($1::text[], $2::bigint[]) AS acked(id, version)
          WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id::text = acked.id AND t.version >= acked.version)",
        &[&tasks, &versions],
    )
    .await?
    .try_get(0)?;
    run.checks.check(
        "every acknowledged update is stored",
        behind == 0,
        format!(
            "{} tasks, {behind} behind their acknowledged version",
            tasks.len()
        ),
    );
    Ok(())
}
