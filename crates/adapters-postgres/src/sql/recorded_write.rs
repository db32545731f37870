//! A write and its outbox (activity entry, jobs, withdrawn reminder) in one
//! statement: the shape every recorded write of projects, tasks and comments
//! shares (create, update, soft delete). Either all are stored or none: an
//! activity feed that misses a change, or a webhook told of one that never
//! happened, is worse than none. (A write that must hold a lock across
//! several statements — a membership change — stores its outbox with
//! `outbox::store` inside its own transaction instead.)

use crate::sql::outbox::{self, WOKEN};
use crate::sql::prepared_sql::PreparedSql;
use domain::outbox::Outbox;

/// A write and its outbox in one statement, without BEGIN and COMMIT (one
/// statement is atomic, and a round trip is the cost a write pays most):
/// `write` (a data-modifying statement ending in `RETURNING *`) runs as the
/// CTE `written`; the outbox is stored only
/// if it returned a row (`EXISTS (SELECT 1 FROM written)`), so a
/// compare-and-set that matched nothing stores nothing; the statement
/// answers `select` (a select list over `written AS t`), or no row.
pub(crate) fn written_with_outbox(
    write: PreparedSql,
    outbox: &Outbox,
    select: &str,
) -> PreparedSql {
    let mut sql = PreparedSql::new("WITH written AS (");
    sql.append(write);
    sql.push("\n), ", Vec::new());
    outbox::push_ctes(&mut sql, outbox, "EXISTS (SELECT 1 FROM written)");
    sql.push(
        &format!("\nSELECT {select}, {WOKEN} FROM written t"),
        Vec::new(),
    );
    sql
}
