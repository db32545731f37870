//! Deterministic races: a test holds a row lock in its own transaction, lets
//! the contenders run into it, and releases it only once all of them wait —
//! so "both passed their check before either wrote" is certain, not likely.

use crate::TestApp;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

impl TestApp {
    /// Opens a transaction that takes the row locks `locking_select` asks
    /// for (a `SELECT ... FOR UPDATE`), and returns its connection.
    pub async fn hold_locks(&self, locking_select: &str) -> AsyncPgConnection {
        let mut holder = self.database().await;
        holder
            .batch_execute(&format!("BEGIN; {locking_select}"))
            .await
            .expect("take the locks");
        holder
    }

    /// Commits `holder` once `waiting` backends of this test's database wait
    /// on a lock.
    pub async fn release_when_waiting(&self, mut holder: AsyncPgConnection, waiting: i64) {
        self.until_waiting(waiting).await;
        holder
            .batch_execute("COMMIT")
            .await
            .expect("release the locks");
    }

    /// Returns once `waiting` backends of this test's database wait on a
    /// lock (polled in `pg_stat_activity`, yielding in between: no sleep
    /// decides the outcome).
    pub async fn until_waiting(&self, waiting: i64) {
        let mut watcher = self.database().await;
        loop {
            let now: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM pg_stat_activity
                   WHERE datname = current_database() AND wait_event_type = 'Lock')",
            ))
            .get_result(&mut watcher)
            .await
            .expect("read pg_stat_activity");
            if now >= waiting {
                return;
            }
            tokio::task::yield_now().await;
        }
    }
}
