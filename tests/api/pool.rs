//! The PostgreSQL pool recycles without a verification query, and a backend
//! that dies while its connection sits idle costs at most the one request that
//! next borrows it.

use diesel_async::RunQueryDsl;
use opsflow_tests::spawn_app_with;
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
