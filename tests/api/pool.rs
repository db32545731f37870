//! The PostgreSQL pool recycles without a verification query, and a backend
//! that dies while its connection sits idle costs at most the one request that
//! next borrows it.

use diesel_async::RunQueryDsl;
use opsflow_tests::{spawn_app, spawn_app_with};
use reqwest::Method;

#[tokio::test]
async fn a_terminated_backend_fails_at_most_the_request_that_held_it() {
    // One pooled connection, so the request after the kill must meet it.
    let app = spawn_app_with(&[("OPSFLOW_DB_POOL_SIZE", "1")], std::future::pending()).await;
    let user = app.user("ada").await;
    assert_eq!(
        app.call(&user, Method::GET, "/api/v1/teams", None)
            .await
            .status(),
        200
    );

    let mut admin = app.server_admin().await;
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
          WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind::<diesel::sql_types::Text, _>(&app.database_name)
    .execute(&mut admin)
    .await
    .unwrap();

    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = app.call(&user, Method::GET, "/api/v1/teams", None).await;
        statuses.push(response.status().as_u16());
    }
    let failed: Vec<u16> = statuses.iter().copied().filter(|s| *s != 200).collect();
    assert!(failed.len() <= 1, "{statuses:?}");
    assert!(
        failed.iter().all(|s| *s == 503),
        "a dead connection is a 503: {statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");
}

/// actix-web serves on worker threads with a runtime each; at shutdown they
/// stop one by one while other workers drain. A pooled connection first
/// opened on a worker that stopped must keep working for a request that
/// holds it elsewhere (before the fix its socket driver died with that
/// worker's runtime: "connection closed", a 503, seen by `make chaos`).
#[tokio::test]
async fn a_pooled_connection_outlives_the_runtime_that_opened_it() {
    let app = spawn_app().await;
    let pool = adapters_postgres::PgPool::new(&adapters_postgres::PgPoolSettings {
        url: app.database_url(),
        max_size: 1,
        acquire_timeout: std::time::Duration::from_secs(5),
        statement_counter: None,
        session_settings: Vec::new(),
    })
    .unwrap();
    let (opened_tx, opened) = tokio::sync::oneshot::channel();
    let (stop, stop_rx) = std::sync::mpsc::channel::<()>();
    let worker_pool = pool.clone();
    // "An actix worker": its own runtime opens the pool's only connection.
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut connection = worker_pool.get().await.unwrap();
            diesel::sql_query("SELECT 1")
                .execute(&mut connection)
                .await
                .unwrap();
        });
        opened_tx.send(()).unwrap();
        stop_rx.recv().unwrap();
        drop(runtime); // the worker stops
    });
    opened.await.unwrap();

    // Another worker holds that same connection while the first one stops.
    let mut connection = pool.get().await.unwrap();
    stop.send(()).unwrap();
    tokio::task::spawn_blocking(move || worker.join().unwrap())
        .await
        .unwrap();

    let used = diesel::sql_query("SELECT 1").execute(&mut connection).await;
    assert!(used.is_ok(), "{used:?}");
}
