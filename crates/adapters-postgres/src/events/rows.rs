//! The feed's statements: the tail read (the projects this process streams,
//! after its cursor, below the horizon) and a stream's replay.

use crate::error::from_diesel;
use crate::repositories::activity_log::{entry, EntryRow};
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::activity::ActivityEntry;
use domain::ids::{ActivityId, ProjectId};
use domain::DomainError;
use uuid::Uuid;

/// A place in stream order: the writing transaction's id, then the entry's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Position {
    pub txid: i64,
    pub id: Uuid,
}

impl Position {
    /// Before every entry.
    pub const START: Position = Position {
        txid: 0,
        id: Uuid::nil(),
    };

    /// Before every entry of transaction `txid` and after all earlier ones.
    pub fn before(txid: i64) -> Position {
        Position {
            txid,
            id: Uuid::nil(),
        }
    }
}

/// Every transaction below it has ended (committed or aborted): nothing
/// can appear below it any more.
const HORIZON: &str = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

/// The entries of `projects` after the cursor and below the horizon, read
/// in the statement's own snapshot (its horizon with it).
fn tail_sql() -> String {
    format!(
        "SELECT h.horizon, a.txid, a.id, a.project_id, a.actor_id, u.name AS actor_name,
                a.action, a.entity_id, a.changes, a.created_at
           FROM (SELECT {HORIZON} AS horizon) AS h
           LEFT JOIN LATERAL (
                SELECT l.* FROM activity_logs l
                 WHERE l.project_id = ANY($1) AND (l.txid, l.id) > ($2, $3) AND l.txid < h.horizon
                 ORDER BY l.txid, l.id
                 LIMIT $4) AS a ON true
           LEFT JOIN users u ON u.id = a.actor_id
          ORDER BY a.txid, a.id"
    )
}

#[derive(QueryableByName)]
struct TailRow {
    #[diesel(sql_type = BigInt)]
    horizon: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    txid: Option<i64>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    project_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    actor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    actor_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    action: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    entity_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    changes: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    created_at: Option<DateTime<Utc>>,
}

/// One tail read.
pub(crate) struct Tail {
    pub horizon: i64,
    pub entries: Vec<(Position, ProjectId, ActivityEntry)>,
}

pub(crate) async fn tail(
    connection: &mut AsyncPgConnection,
    projects: &[Uuid],
    after: Position,
    limit: i64,
) -> Result<Tail, DomainError> {
    let rows: Vec<TailRow> = diesel::sql_query(tail_sql())
        .bind::<Array<SqlUuid>, _>(projects)
        .bind::<BigInt, _>(after.txid)
        .bind::<SqlUuid, _>(after.id)
        .bind::<BigInt, _>(limit)
        .load(connection)
        .await
        .map_err(from_diesel)?;
    let horizon = <[TailRow]>::first(&rows).map_or(0, |row| row.horizon);
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(txid), Some(id), Some(project), Some(actor), Some(name), Some(action)) = (
            row.txid,
            row.id,
            row.project_id,
            row.actor_id,
            row.actor_name,
            row.action,
        ) else {
            continue;
        };
        let stored: EntryRow = (
            id,
            actor,
            name,
            action,
            row.entity_id.unwrap_or_default(),
            row.changes.unwrap_or_default(),
            row.created_at.unwrap_or_default(),
        );
        entries.push((Position { txid, id }, ProjectId(project), entry(stored)?));
    }
    Ok(Tail { horizon, entries })
}

#[derive(QueryableByName)]
struct Horizon {
    #[diesel(sql_type = BigInt)]
    horizon: i64,
}

/// The horizon alone: where a feed that has sent nothing starts.
pub(crate) async fn horizon(connection: &mut AsyncPgConnection) -> Result<i64, DomainError> {
    let row: Horizon = diesel::sql_query(format!("SELECT {HORIZON} AS horizon"))
        .get_result(connection)
        .await
        .map_err(from_diesel)?;
    Ok(row.horizon)
}

#[derive(QueryableByName)]
struct At {
    #[diesel(sql_type = BigInt)]
    txid: i64,
}

/// Where entry `id` of `project` sits, if it is one.
pub(crate) async fn position_of(
    connection: &mut AsyncPgConnection,
    project: ProjectId,
    id: ActivityId,
) -> Result<Option<Position>, DomainError> {
    let at: Option<At> =
        diesel::sql_query("SELECT txid FROM activity_logs WHERE id = $1 AND project_id = $2")
            .bind::<SqlUuid, _>(id.0)
            .bind::<SqlUuid, _>(project.as_uuid())
            .get_result(connection)
            .await
            .map(Some)
            .or_else(|error| match error {
                diesel::result::Error::NotFound => Ok(None),
                other => Err(from_diesel(other)),
            })?;
    Ok(at.map(|at| Position {
        txid: at.txid,
        id: id.0,
    }))
}

#[derive(QueryableByName)]
struct ReplayRow {
    #[diesel(sql_type = BigInt)]
    txid: i64,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    actor_id: Uuid,
    #[diesel(sql_type = Text)]
    actor_name: String,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = SqlUuid)]
    entity_id: Uuid,
    #[diesel(sql_type = Jsonb)]
    changes: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

/// `project`'s entries after `after` up to `upto` (inclusive), in stream
/// order, at most `limit`.
pub(crate) async fn replay(
    connection: &mut AsyncPgConnection,
    project: ProjectId,
    after: Position,
    upto: Position,
    limit: i64,
) -> Result<Vec<(Position, ActivityEntry)>, DomainError> {
    let rows: Vec<ReplayRow> = diesel::sql_query(
        "SELECT a.txid, a.id, a.actor_id, u.name AS actor_name, a.action, a.entity_id,
                a.changes, a.created_at
           FROM activity_logs a JOIN users u ON u.id = a.actor_id
          WHERE a.project_id = $1 AND (a.txid, a.id) > ($2, $3) AND (a.txid, a.id) <= ($4, $5)
          ORDER BY a.txid, a.id
          LIMIT $6",
    )
    .bind::<SqlUuid, _>(project.as_uuid())
    .bind::<BigInt, _>(after.txid)
    .bind::<SqlUuid, _>(after.id)
    .bind::<BigInt, _>(upto.txid)
    .bind::<SqlUuid, _>(upto.id)
    .bind::<BigInt, _>(limit)
    .load(connection)
    .await
    .map_err(from_diesel)?;
    rows.into_iter()
        .map(|row| {
            let at = Position {
                txid: row.txid,
                id: row.id,
            };
            let stored: EntryRow = (
                row.id,
                row.actor_id,
                row.actor_name,
                row.action,
                row.entity_id,
                row.changes,
                row.created_at,
            );
            Ok((at, entry(stored)?))
        })
        .collect()
}

#[derive(QueryableByName)]
struct Visible {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// The ids of `project`'s entries already committed above `position`: what
/// a stream that starts now must not send (the hub would, once they fall
/// below the horizon).
pub(crate) async fn visible_after(
    connection: &mut AsyncPgConnection,
    project: ProjectId,
    position: Position,
) -> Result<Vec<Uuid>, DomainError> {
    let rows: Vec<Visible> = diesel::sql_query(
        "SELECT id FROM activity_logs WHERE project_id = $1 AND (txid, id) > ($2, $3)",
    )
    .bind::<SqlUuid, _>(project.as_uuid())
    .bind::<BigInt, _>(position.txid)
    .bind::<SqlUuid, _>(position.id)
    .load(connection)
    .await
    .map_err(from_diesel)?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}
