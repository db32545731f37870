//! Projects and tasks for tests: through the API for ordinary cases, straight
//! into the test's own database for bulk data (thousands of rows).

use crate::{TestApp, TestUser};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::Method;
use serde_json::{json, Value};

impl TestApp {
    /// Creates a project in `team` as `user` and returns its id.
    pub async fn project(&self, user: &TestUser, team: &str) -> String {
        let response = self
            .call(
                user,
                Method::POST,
                &format!("/api/v1/teams/{team}/projects"),
                Some(json!({"name": "Project"})),
            )
            .await;
        assert_eq!(response.status(), 201, "create project");
        let body: Value = response.json().await.expect("project body");
        body["data"]["id"].as_str().expect("project id").to_owned()
    }

    /// Creates a task with `body` and returns the task object.
    pub async fn task(&self, user: &TestUser, project: &str, body: Value) -> Value {
        let response = self
            .call(
                user,
                Method::POST,
                &format!("/api/v1/projects/{project}/tasks"),
                Some(body),
            )
            .await;
        assert_eq!(response.status(), 201, "create task");
        let body: Value = response.json().await.expect("task body");
        body["data"].clone()
    }

    /// A direct connection to this test's database.
    pub async fn database(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.database_url())
            .await
            .expect("connect to the test database")
    }

    /// Waits until every transaction that wrote to `project` is below the
    /// horizon (`pg_snapshot_xmin`, the whole server's oldest running
    /// transaction). A list's generation also moves when the horizon passes
    /// a write (a spurious miss, docs/caching.md), and the parallel tests'
    /// transactions hold the horizon back at random; after this it moves
    /// only with the project's next write, so a test can assert a `HIT` or
    /// a `304`. Polls the condition (no fixed sleep); panics after 10 s.
    pub async fn settled(&self, project: &str) {
        #[derive(diesel::QueryableByName)]
        struct Settled {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            settled: bool,
        }
        let mut connection = self.database().await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let check = format!(
            "SELECT COALESCE((SELECT max(txid) FROM activity_logs WHERE project_id = '{project}')
                    < pg_snapshot_xmin(pg_current_snapshot())::text::bigint, true) AS settled"
        );
        loop {
            let row: Settled =
                diesel_async::RunQueryDsl::get_result(diesel::sql_query(&check), &mut connection)
                    .await
                    .expect("read the horizon");
            if row.settled {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "a transaction older than the project's last write ran for 10 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// A connection to the server's `postgres` database, outside this test's
    /// own: for looking at (or terminating) the api's backends.
    pub async fn server_admin(&self) -> AsyncPgConnection {
        let url = self.database_url();
        let server = url
            .rsplit_once('/')
            .map_or(url.as_str(), |(server, _)| server);
        AsyncPgConnection::establish(&format!("{server}/postgres"))
            .await
            .expect("connect to the postgres database")
    }

    /// Inserts `count` tasks into `project` with SQL, cycling through statuses
    /// and priorities, one second apart in `created_at` (oldest first).
    pub async fn seed_tasks(&self, project: &str, created_by: &str, count: usize) {
        let mut connection = self.database().await;
        connection
            .batch_execute(&format!(
                "INSERT INTO tasks (id, project_id, title, status, priority, created_by, created_at, updated_at)
                 SELECT gen_random_uuid(), '{project}', 'Seeded task ' || n,
                        (ARRAY['todo','in_progress','in_review','done'])[1 + n % 4],
                        (n % 4)::smallint, '{created_by}',
                        now() - make_interval(secs => {count} - n), now()
                   FROM generate_series(1, {count}) AS n;
                 ANALYZE tasks;"
            ))
            .await
            .expect("seed tasks");
    }
}
