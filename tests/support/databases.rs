//! Test databases: one migrated template per migration set, and one cheap clone
//! of it per test (`CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY`).

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use std::hash::{Hash, Hasher};
use tokio::sync::OnceCell;

/// Where the test servers are, and which template to clone.
#[derive(Debug, Clone)]
pub struct TestEnvironment {
    /// Server URL without a database name, e.g. `postgres://postgres@127.0.0.1:5432`.
    pub postgres_server: String,
    pub redis_url: String,
    pub template: String,
}

impl TestEnvironment {
    pub fn database_url(&self, name: &str) -> String {
        format!("{}/{}", self.postgres_server, name)
    }
}

static ENVIRONMENT: OnceCell<TestEnvironment> = OnceCell::const_new();

/// Finds the servers (`TEST_DATABASE_URL`, `TEST_REDIS_URL`, defaulting to the
/// local ones), says which it uses, and makes sure the template exists.
pub async fn environment() -> &'static TestEnvironment {
    ENVIRONMENT
        .get_or_init(|| async {
            let database_url = std::env::var("TEST_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let redis_url =
                std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
            let postgres_server = database_url
                .rsplit_once('/')
                .map(|(server, _)| server.to_owned())
                .expect("TEST_DATABASE_URL must end in /<database>");
            let (postgres_server, redis_url) = match unreachable(&database_url, &redis_url).await {
                None => {
                    eprintln!("test-support: using PostgreSQL at {postgres_server} and Redis at {redis_url}");
                    (postgres_server, redis_url)
                }
                Some(why) => fallback(why).await,
            };
            let template = ensure_template(&postgres_server).await;
            TestEnvironment {
                postgres_server,
                redis_url,
                template,
            }
        })
        .await
}

/// `None` when both servers answer, else which did not and why.
async fn unreachable(database_url: &str, redis_url: &str) -> Option<String> {
    let postgres = AsyncPgConnection::establish(database_url).await.err();
    let redis_address = redis_url
        .trim_start_matches("redis://")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .to_owned();
    let redis = tokio::net::TcpStream::connect(&redis_address).await.err();
    if postgres.is_none() && redis.is_none() {
        return None;
    }
    Some(format!(
        "postgres: {}, redis: {}",
        postgres.map_or("ok".to_owned(), |e| e.to_string()),
        redis.map_or("ok".to_owned(), |e| e.to_string()),
    ))
}

fn docker_engine_available() -> bool {
    std::process::Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|output| output.status.success())
}

/// No servers: containers if a Docker engine runs and the `containers` feature
/// is built in; otherwise fail with the one instruction that fixes it.
async fn fallback(why: String) -> (String, String) {
    if docker_engine_available() {
        #[cfg(feature = "containers")]
        {
            eprintln!("test-support: servers not reachable ({why}); using testcontainers");
            return crate::containers::start().await;
        }
        #[cfg(not(feature = "containers"))]
        panic!("test-support: servers not reachable ({why}). A Docker engine is running: `make test-containers` runs the suite against containers.");
    }
    panic!(
        "test-support: servers not reachable ({why}). Run `make services` to start local ones, \
         or set TEST_DATABASE_URL/TEST_REDIS_URL."
    );
}

/// The template's name carries a hash of the migrations, so changing a migration
/// makes a new template instead of cloning a stale one.
async fn ensure_template(server: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for (path, contents) in migration_files() {
        path.hash(&mut hasher);
        contents.hash(&mut hasher);
    }
    let template = format!("opsflow_template_{:016x}", hasher.finish());
    let mut admin = admin_connection(server).await;
    // Test processes start in parallel (nextest runs one per test); the lock
    // makes exactly one of them build the template while the others wait.
    admin
        .batch_execute("SELECT pg_advisory_lock(7345001)")
        .await
        .expect("template lock");
    if !database_exists(&mut admin, &template).await {
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await
            .expect("drop half-built template");
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .await
            .expect("create template");
        adapters_postgres::run_pending_migrations(&format!("{server}/{building}"))
            .await
            .expect("migrate template");
        // Renamed only once complete: a crash mid-build never leaves a template
        // that looks finished.
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .await
            .expect("publish template");
    }
    admin
        .batch_execute("SELECT pg_advisory_unlock(7345001)")
        .await
        .expect("template unlock");
    template
}

/// Every file under `migrations/`, sorted, with its contents.
fn migration_files() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&root)
        .expect("read migrations/")
        .flatten()
    {
        for file in std::fs::read_dir(entry.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = file.path();
            let contents = std::fs::read_to_string(&path).unwrap_or_default();
            // Relative names: every checkout of the same migrations shares a template.
            let name = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            files.push((name, contents));
        }
    }
    files.sort();
    files
}

async fn admin_connection(server: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .expect("connect to the postgres database")
}

async fn database_exists(admin: &mut AsyncPgConnection, name: &str) -> bool {
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        one: i32,
    }
    let found: Vec<Found> =
        diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .load(admin)
            .await
            .expect("query pg_database");
    !found.is_empty()
}

/// A fresh database cloned from the migrated template.
pub async fn create_test_database(env: &TestEnvironment) -> String {
    let name = format!("opsflow_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = admin_connection(&env.postgres_server).await;
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE {} STRATEGY FILE_COPY",
            env.template
        ))
        .await
        .expect("clone the template");
    name
}

/// A fresh database with no tables at all (for the migration test).
pub async fn create_empty_database(env: &TestEnvironment) -> String {
    let name = format!("opsflow_empty_{}", uuid::Uuid::now_v7().simple());
    let mut admin = admin_connection(&env.postgres_server).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create an empty database");
    name
}

pub async fn drop_database(env: &TestEnvironment, name: &str) {
    let mut admin = admin_connection(&env.postgres_server).await;
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
}
