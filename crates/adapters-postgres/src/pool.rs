//! The shared connection pool (deadpool + diesel-async, no libpq).

use crate::error::from_pool;
use crate::events::ActivityAnnouncer;
use crate::sql::statement_counter::StatementCounter;
use deadpool::Runtime;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::ids::ProjectId;
use domain::DomainError;
use std::time::Duration;

/// A pooled connection, borrowed for one unit of work.
pub type PgConnection = Object<AsyncPgConnection>;

#[derive(Debug, Clone)]
pub struct PgPoolSettings {
    pub url: String,
    pub max_size: usize,
    /// How long a request waits for a free connection before failing with 503
    /// instead of queueing forever behind a saturated pool.
    pub acquire_timeout: Duration,
    /// When set, every connection counts the statements it sends into it.
    pub statement_counter: Option<StatementCounter>,
    /// Session settings each new connection gets (`set_config`), e.g. the
    /// worker's `synchronous_commit = off`.
    pub session_settings: Vec<(String, String)>,
}

#[derive(Clone)]
pub struct PgPool {
    inner: Pool<AsyncPgConnection>,
    /// Where writes mark the projects they recorded activity for (live
    /// events); absent in processes that serve no streams.
    announcer: Option<ActivityAnnouncer>,
}

impl PgPool {
    /// Builds the pool. Connections are opened lazily, so this succeeds even while
    /// PostgreSQL is down; `/ready` tells when it answers.
    ///
    /// # Errors
    /// `DomainError::Internal` when the pool settings are unusable.
    pub fn new(settings: &PgPoolSettings) -> Result<Self, DomainError> {
        let mut config = ManagerConfig::<AsyncPgConnection>::default();
        // No verification query on checkout: the default `Verified` recycling
        // sends a `SELECT 1` before every borrowed connection's first statement,
        // one wasted round trip per request. `Fast` only checks that the
        // connection is not mid-transaction and not closed (tokio-postgres flags
        // a connection whose socket closed); a backend that dies while idle is
        // found by the one request that uses it next (503), and the pool drops
        // it. Measured in docs/performance.md; tested by
        // `pool.rs::a_terminated_backend_fails_at_most_the_request_that_held_it`.
        config.recycling_method = RecyclingMethod::Fast;
        let counter = settings.statement_counter.clone();
        let session = settings.session_settings.clone();
        // Each connection has a background task (tokio-postgres's socket
        // driver), spawned on whatever runtime opens it. actix-web serves on
        // worker threads with a runtime each, and those stop one by one at
        // shutdown: a pooled connection opened on a stopped worker loses its
        // driver, and a request still draining on another worker that had
        // checked it out fails with "connection closed" (`make chaos`
        // scenario 3 saw one 503). So connections are opened on the runtime
        // that built the pool (the process's main one), which outlives them.
        let home = tokio::runtime::Handle::try_current().ok();
        config.custom_setup = Box::new(move |url| {
            let counter = counter.clone();
            let session = session.clone();
            let url = url.to_owned();
            let open = async move {
                let mut connection = AsyncPgConnection::establish(&url).await?;
                for (name, value) in &session {
                    diesel::sql_query("SELECT set_config($1, $2, false)")
                        .bind::<diesel::sql_types::Text, _>(name)
                        .bind::<diesel::sql_types::Text, _>(value)
                        .execute(&mut connection)
                        .await
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                }
                // Counting starts after the setup: a request that happens
                // to open a new connection costs the same statements.
                if let Some(counter) = counter {
                    connection.set_instrumentation(counter);
                }
                Ok(connection)
            };
            match home.clone() {
                Some(home) => Box::pin(async move {
                    home.spawn(open).await.map_err(|error| {
                        diesel::ConnectionError::BadConnection(error.to_string())
                    })?
                }),
                None => Box::pin(open),
            }
        });
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
            &settings.url,
            config,
        );
        let inner = Pool::builder(manager)
            .max_size(settings.max_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.acquire_timeout))
            .create_timeout(Some(settings.acquire_timeout))
            .recycle_timeout(Some(settings.acquire_timeout))
            .build()
            .map_err(|error| DomainError::internal_from("postgres pool", error))?;
        Ok(Self {
            inner,
            announcer: None,
        })
    }

    /// This pool, with its recorded writes announced through `announcer`.
    #[must_use]
    pub fn announcing(mut self, announcer: ActivityAnnouncer) -> Self {
        self.announcer = Some(announcer);
        self
    }

    /// A write recorded activity for `project` and committed.
    pub(crate) fn announce_activity(&self, project: ProjectId) {
        if let Some(announcer) = &self.announcer {
            announcer.mark(project);
        }
    }

    /// `(idle, in_use)` connections right now (the pool gauge).
    pub fn connections(&self) -> (usize, usize) {
        let status = self.inner.status();
        (
            status.available,
            status.size.saturating_sub(status.available),
        )
    }

    /// The most connections the pool will open.
    pub fn max_size(&self) -> usize {
        self.inner.status().max_size
    }

    /// # Errors
    /// `DomainError::Unavailable` when no connection can be had in time.
    pub async fn get(&self) -> Result<PgConnection, DomainError> {
        self.inner.get().await.map_err(from_pool)
    }

    /// Stops handing out connections and drops the idle ones (graceful shutdown).
    pub fn close(&self) {
        self.inner.close();
    }
}
