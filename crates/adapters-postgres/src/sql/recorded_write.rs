//! A write and its outbox (activity entry, jobs, withdrawn reminder) in one
//! transaction: the shape every recorded write of projects, tasks and
//! comments shares (create, update, soft delete). Either all are stored or
//! none: an activity feed that misses a change, or a webhook told of one that
//! never happened, is worse than none.

use crate::error::PgError;
use crate::sql::outbox::{self, WOKEN};
use crate::sql::prepared_sql::{Bind, PreparedSql};
use crate::PgPool;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use domain::outbox::Outbox;
use domain::DomainError;
use std::future::Future;

/// `AsyncFnOnce(&mut AsyncPgConnection) -> Result<R, PgError>` whose future is
/// `Send` (the repositories run on a multi-threaded runtime). Stable Rust
/// cannot name an async closure's future in a bound, so this trait names it,
/// the same trick diesel-async uses for `transaction` itself.
pub(crate) trait Write<'r, R>:
    AsyncFnOnce(&'r mut AsyncPgConnection) -> Result<R, PgError>
    + FnOnce(&'r mut AsyncPgConnection) -> <Self as Write<'r, R>>::Fut
{
    type Fut: Future<Output = Result<R, PgError>> + Send;
}

impl<'r, F, R, Fut> Write<'r, R> for F
where
    F: AsyncFnOnce(&'r mut AsyncPgConnection) -> Result<R, PgError>
        + FnOnce(&'r mut AsyncPgConnection) -> Fut,
    Fut: Future<Output = Result<R, PgError>> + Send,
{
    type Fut = Fut;
}

/// Runs `write`, then stores `outbox`, in one transaction on one pooled
/// connection.
///
/// # Errors
/// Whatever `write` refuses, or storage errors; nothing is stored then.
pub(crate) async fn with_outbox<R, F>(
    pool: &PgPool,
    outbox: &Outbox,
    write: F,
) -> Result<R, DomainError>
where
    R: Send,
    F: for<'r> Write<'r, R> + Send,
{
    let mut connection = pool.get().await?;
    connection
        .transaction(async move |tx| {
            let written = write(&mut *tx).await?;
            outbox::store(tx, outbox).await?;
            Ok::<_, PgError>(written)
        })
        .await
        .map_err(DomainError::from)
}

/// A write and its outbox in one statement, without BEGIN and COMMIT (one
/// statement is atomic, and a round trip is the cost a write pays most):
/// `write` (a data-modifying statement ending in `RETURNING *`, with a `?`
/// for each of `binds`) runs as the CTE `written`; the outbox is stored only
/// if it returned a row (`EXISTS (SELECT 1 FROM written)`), so a
/// compare-and-set that matched nothing stores nothing; the statement
/// answers `select` (a select list over `written AS t`), or no row.
pub(crate) fn written_with_outbox(
    write: &str,
    binds: Vec<Bind>,
    outbox: &Outbox,
    select: &str,
) -> PreparedSql {
    let mut sql = PreparedSql::new("WITH written AS (");
    sql.push(write, binds);
    sql.push("\n), ", Vec::new());
    outbox::push_ctes(&mut sql, outbox, "EXISTS (SELECT 1 FROM written)");
    sql.push(
        &format!("\nSELECT {select}, {WOKEN} FROM written t"),
        Vec::new(),
    );
    sql
}
