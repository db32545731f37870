//! The testcontainers fallback: when no PostgreSQL/Redis answers but a Docker
//! engine does, start both in containers. They are *reusable* and named, so the
//! many test processes of one run (nextest starts one per test) share a single
//! pair instead of each starting its own, and the next run starts instantly.
//! Remove them with `docker rm -f opsflow-test-postgres opsflow-test-redis`.

use testcontainers::core::ReuseDirective;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ImageExt};
use testcontainers_modules::{postgres::Postgres, redis::Redis};
use tokio::sync::OnceCell;

struct Running {
    postgres: ContainerAsync<Postgres>,
    redis: ContainerAsync<Redis>,
}

static RUNNING: OnceCell<Running> = OnceCell::const_new();

/// Starts (or reuses) the containers; returns the PostgreSQL server URL
/// (without database) and the Redis URL.
pub(crate) async fn start() -> (String, String) {
    let running = RUNNING
        .get_or_init(|| async {
            let postgres = Postgres::default()
                .with_host_auth()
                .with_tag("15")
                .with_container_name("opsflow-test-postgres")
                .with_reuse(ReuseDirective::Always)
                .start()
                .await
                .expect("start the PostgreSQL container");
            let redis = Redis::default()
                .with_tag("7")
                .with_container_name("opsflow-test-redis")
                .with_reuse(ReuseDirective::Always)
                .start()
                .await
                .expect("start the Redis container");
            Running { postgres, redis }
        })
        .await;
    let postgres_port = running
        .postgres
        .get_host_port_ipv4(5432)
        .await
        .expect("postgres port");
    let redis_port = running
        .redis
        .get_host_port_ipv4(6379)
        .await
        .expect("redis port");
    (
        format!("postgres://postgres@127.0.0.1:{postgres_port}"),
        format!("redis://127.0.0.1:{redis_port}"),
    )
}
