//! A write and its activity entry in one transaction: the shape every
//! recorded write of projects, tasks and comments shares (create, update, soft
//! delete). Either both are stored or neither: an activity feed that misses a
//! change, or names one that never happened, is worse than none.

use crate::activity_log;
use crate::error::PgError;
use crate::PgPool;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use domain::activity::NewActivity;
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

/// Runs `write`, then records `activity`, in one transaction on one pooled
/// connection.
///
/// # Errors
/// Whatever `write` refuses, or storage errors; nothing is stored then.
pub(crate) async fn with_activity<R, F>(
    pool: &PgPool,
    activity: &NewActivity,
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
            activity_log::insert(tx, activity).await?;
            Ok::<_, PgError>(written)
        })
        .await
        .map_err(DomainError::from)
}
