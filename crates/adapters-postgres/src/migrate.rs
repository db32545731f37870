//! Embedded migrations, applied under a PostgreSQL advisory lock.
//!
//! Two processes (say, two api replicas starting together) migrating one fresh
//! database at once collide on catalog rows; the session-level advisory lock makes
//! the second wait and then find nothing left to do.

use diesel::connection::SimpleConnection;
use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use domain::DomainError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// An arbitrary constant that names "the OpsFlow migration lock" to PostgreSQL.
const MIGRATION_LOCK_KEY: i64 = 0x0F5F_1000;

/// Applies every pending migration and returns the versions applied.
///
/// # Errors
/// `Unavailable` when PostgreSQL cannot be reached, `Internal` when a migration fails.
pub async fn run_pending_migrations(url: &str) -> Result<Vec<String>, DomainError> {
    with_locked_connection(url, |connection| {
        connection
            .run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|error| DomainError::internal_from("migration failed", error))
    })
    .await
}

/// Reverts every applied migration (used by the up → down → up test and by
/// `opsflow migrate --revert-all` on a development database).
///
/// # Errors
/// As for [`run_pending_migrations`].
pub async fn revert_all_migrations(url: &str) -> Result<Vec<String>, DomainError> {
    with_locked_connection(url, |connection| {
        connection
            .revert_all_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect())
            .map_err(|error| DomainError::internal_from("revert failed", error))
    })
    .await
}

/// Reverts the applied migrations newest first, down to and including the
/// one whose version starts with `version` (tests of a data migration set up
/// rows the way the schema before it allowed, then apply it).
///
/// # Errors
/// As for [`run_pending_migrations`]; `Internal` if `version` was never applied.
pub async fn revert_migrations_through(
    url: &str,
    version: &str,
) -> Result<Vec<String>, DomainError> {
    let version = version.to_owned();
    with_locked_connection(url, move |connection| {
        let mut reverted = Vec::new();
        loop {
            let last = connection
                .revert_last_migration(MIGRATIONS)
                .map_err(|error| DomainError::internal_from("revert failed", error))?
                .to_string();
            let done = last.starts_with(&version);
            reverted.push(last);
            if done {
                return Ok(reverted);
            }
        }
    })
    .await
}

type Wrapper = AsyncConnectionWrapper<AsyncPgConnection>;

async fn with_locked_connection<T, F>(url: &str, work: F) -> Result<T, DomainError>
where
    T: Send + 'static,
    F: FnOnce(&mut Wrapper) -> Result<T, DomainError> + Send + 'static,
{
    let url = url.to_owned();
    // The wrapper drives an async connection from blocking code, so it must run
    // on a blocking thread, never on an executor thread.
    tokio::task::spawn_blocking(move || {
        let mut connection = Wrapper::establish(&url)
            .map_err(|error| DomainError::unavailable("postgres", error))?;
        lock(&mut connection, "pg_advisory_lock")?;
        let outcome = work(&mut connection);
        // Released even when the work failed; closing the session would too.
        lock(&mut connection, "pg_advisory_unlock")?;
        outcome
    })
    .await
    .map_err(|error| DomainError::internal_from("migration task panicked", error))?
}

fn lock(connection: &mut Wrapper, function: &str) -> Result<(), DomainError> {
    connection
        .batch_execute(&format!("SELECT {function}({MIGRATION_LOCK_KEY})"))
        .map_err(|error| DomainError::internal(format!("{function}: {error}")))
}

/// Creates the database `url` names when it does not exist yet, connecting to
/// the server's `postgres` database to do so. Returns whether it was created.
///
/// # Errors
/// `Unavailable` when the server cannot be reached, `Internal` when creation fails.
pub async fn create_database_if_missing(url: &str) -> Result<bool, DomainError> {
    use diesel::sql_types::Text;
    use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};

    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code, reason = "only the row's presence matters")]
        one: i32,
    }

    let (server, rest) = url
        .rsplit_once('/')
        .ok_or_else(|| DomainError::internal(format!("no database name in {url}")))?;
    let name = rest.split('?').next().unwrap_or_default();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(DomainError::internal(format!(
            "database name {name:?} must be letters, digits and underscores"
        )));
    }
    let mut admin = AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .map_err(|error| DomainError::unavailable("postgres", error))?;
    let found: Vec<Found> =
        diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .load(&mut admin)
            .await
            .map_err(|error| DomainError::internal_from("unexpected failure", error))?;
    if !found.is_empty() {
        return Ok(false);
    }
    // The name was checked above to be a plain identifier: safe to splice.
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(|error| DomainError::internal_from("unexpected failure", error))?;
    Ok(true)
}
