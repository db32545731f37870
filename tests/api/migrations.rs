use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use opsflow_tests::{create_empty_database, drop_database, environment};

const TABLES: [&str; 18] = [
    "users",
    "email_identity_collisions",
    "teams",
    "team_members",
    "refresh_tokens",
    "projects",
    "tasks",
    "task_counts",
    "task_list_generations",
    "comments",
    "activity_logs",
    "idempotency_keys",
    "jobs",
    "notifications",
    "webhooks",
    "invitations",
    "personal_tokens",
    "team_activity_logs",
];

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
}

/// A fresh database with every migration applied, and a connection to it.
async fn migrated_database() -> (String, AsyncPgConnection) {
    let env = environment().await;
    let name = create_empty_database(env).await;
    let url = env.database_url(&name);
    adapters_postgres::run_pending_migrations(&url)
        .await
        .unwrap();
    (name, AsyncPgConnection::establish(&url).await.unwrap())
}

async fn public_tables(url: &str) -> Vec<String> {
    let mut connection = AsyncPgConnection::establish(url).await.unwrap();
    let rows: Vec<TableName> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
         ORDER BY table_name",
    )
    .load(&mut connection)
    .await
    .unwrap();
    rows.into_iter().map(|row| row.table_name).collect()
}

/// Selects every column of every table through the diesel schema, so a schema.rs
/// that drifted from the migrations fails here rather than in production.
async fn schema_matches_diesel_definitions(url: &str) {
    use adapters_postgres::schema::*;
    let mut c = AsyncPgConnection::establish(url).await.unwrap();
    macro_rules! check {
        ($($table:ident),*) => {$(
            $table::table.select($table::all_columns).limit(1).execute(&mut c).await
                .unwrap_or_else(|e| panic!("schema.rs disagrees with table {}: {e}", stringify!($table)));
        )*};
    }
    check!(
        users,
        teams,
        team_members,
        refresh_tokens,
        projects,
        tasks,
        comments,
        activity_logs,
        idempotency_keys,
        jobs,
        notifications,
        webhooks,
        invitations
    );
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again_cleanly() {
    let env = environment().await;
    let name = create_empty_database(env).await;
    let url = env.database_url(&name);

    let applied = adapters_postgres::run_pending_migrations(&url)
        .await
        .unwrap();
    assert_eq!(applied.len(), migration_count());
    let mut expected: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    expected.sort();
    assert_eq!(public_tables(&url).await, expected);
    schema_matches_diesel_definitions(&url).await;

    let reverted = adapters_postgres::revert_all_migrations(&url)
        .await
        .unwrap();
    assert_eq!(reverted.len(), migration_count());
    assert!(
        public_tables(&url).await.is_empty(),
        "down.sql leaves nothing behind"
    );

    let reapplied = adapters_postgres::run_pending_migrations(&url)
        .await
        .unwrap();
    assert_eq!(reapplied.len(), migration_count());
    assert_eq!(public_tables(&url).await, expected);
    assert!(adapters_postgres::run_pending_migrations(&url)
        .await
        .unwrap()
        .is_empty());

    drop_database(env, &name).await;
}

#[tokio::test]
async fn concurrent_migrations_of_one_fresh_database_both_succeed() {
    let env = environment().await;
    let name = create_empty_database(env).await;
    let url = env.database_url(&name);

    let (first, second) = tokio::join!(
        adapters_postgres::run_pending_migrations(&url),
        adapters_postgres::run_pending_migrations(&url)
    );

    let applied = first.unwrap().len() + second.unwrap().len();
    assert_eq!(
        applied,
        migration_count(),
        "the advisory lock makes one apply and the other find nothing"
    );
    drop_database(env, &name).await;
}

#[tokio::test]
async fn the_live_task_index_is_the_composite_project_status_one() {
    let (name, mut connection) = migrated_database().await;

    #[derive(QueryableByName)]
    struct IndexDef {
        #[diesel(sql_type = diesel::sql_types::Text)]
        indexdef: String,
    }
    let rows: Vec<IndexDef> = diesel::sql_query(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'tasks_project_status_live_idx'",
    )
    .load(&mut connection)
    .await
    .unwrap();

    let definition = &rows.into_iter().next().expect("index exists").indexdef;
    assert!(
        definition.contains("(project_id, status, created_at DESC, id DESC)"),
        "{definition}"
    );
    assert!(
        definition.contains("WHERE (deleted_at IS NULL)"),
        "{definition}"
    );
    drop(connection);
    drop_database(environment().await, &name).await;
}

#[tokio::test]
async fn enum_columns_reject_unknown_values() {
    let (name, mut connection) = migrated_database().await;
    use diesel_async::SimpleAsyncConnection;

    let outcome = connection
        .batch_execute(
            "INSERT INTO users (id, email, email_normalized, name, password_hash) VALUES (gen_random_uuid(), 'a@b.c', 'a@b.c', 'A', 'x');
             INSERT INTO teams (id, name) VALUES (gen_random_uuid(), 'T');
             INSERT INTO team_members (team_id, user_id, role)
                  SELECT teams.id, users.id, 'owner' FROM teams, users;",
        )
        .await;

    let error = outcome
        .expect_err("role 'owner' is not allowed")
        .to_string();
    assert!(error.contains("team_members_role_check"), "{error}");
    drop(connection);
    drop_database(environment().await, &name).await;
}

/// How many migrations the repository holds: one folder each under `migrations/`.
fn migration_count() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().join("up.sql").exists())
        .count()
}

/// A foreign key whose referencing columns lead no full index makes every
/// delete of a referenced row scan the referencing table. Tasks can be
/// deleted (purges, cascades, an operator), so what references them is
/// indexed; the references left unindexed point at rows nothing ever
/// hard-deletes (users, teams, projects and refresh tokens are soft-deleted
/// or kept), where an index would only cost writes. A new unindexed foreign
/// key fails here until it is indexed or argued onto this list.
#[tokio::test]
async fn foreign_keys_are_indexed_unless_their_rows_are_never_deleted() {
    let (name, mut connection) = migrated_database().await;

    #[derive(QueryableByName)]
    struct Unindexed {
        #[diesel(sql_type = diesel::sql_types::Text)]
        constraint: String,
    }
    // A usable index: not partial, and its leading columns are the key's.
    let unindexed: Vec<Unindexed> = diesel::sql_query(
        "SELECT c.conrelid::regclass || '.' || c.conname AS constraint
           FROM pg_constraint c
          WHERE c.contype = 'f'
            AND NOT EXISTS (
                SELECT 1 FROM pg_index i
                 WHERE i.indrelid = c.conrelid
                   AND i.indpred IS NULL
                   AND (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)",
    )
    .load(&mut connection)
    .await
    .unwrap();

    let mut names: Vec<String> = unindexed.into_iter().map(|row| row.constraint).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "comments.comments_author_id_fkey",
            "email_identity_collisions.email_identity_collisions_kept_user_id_fkey",
            "projects.projects_created_by_fkey",
            "projects.projects_team_id_fkey",
            "refresh_tokens.refresh_tokens_replaced_by_fkey",
            "tasks.tasks_assignee_id_fkey",
            "tasks.tasks_created_by_fkey",
            "tasks.tasks_project_id_fkey",
            "team_activity_logs.team_activity_logs_actor_id_fkey",
            "webhooks.webhooks_created_by_fkey",
            "webhooks.webhooks_team_id_fkey",
        ],
        "foreign keys without a usable index"
    );
    drop(connection);
    drop_database(environment().await, &name).await;
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Identity {
    #[diesel(sql_type = diesel::sql_types::Text)]
    email: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    email_normalized: String,
}

/// The email-identity migration on rows the old schema allowed: two accounts
/// that are one address once normalized (full-width letters) are not merged;
/// the older keeps the address, the newer is listed for an operator and can
/// no longer be found by email.
#[tokio::test]
async fn the_email_migration_normalizes_existing_rows_and_lists_collisions() {
    let (name, mut connection) = migrated_database().await;
    let url = environment().await.database_url(&name);
    adapters_postgres::revert_migrations_through(&url, "20261203000016")
        .await
        .unwrap();
    diesel::sql_query(
        "INSERT INTO users (id, email, name, password_hash, created_at, updated_at) VALUES
           ('00000000-0000-7000-8000-000000000001', 'Ada@Example.com', 'Ada', 'x', now() - interval '1 day', now()),
           ('00000000-0000-7000-8000-000000000002', 'ａｄａ@example.com', 'Imposter', 'x', now(), now()),
           ('00000000-0000-7000-8000-000000000003', 'GRACE@example.com', 'Grace', 'x', now(), now())",
    )
    .execute(&mut connection)
    .await
    .unwrap();
    adapters_postgres::run_pending_migrations(&url)
        .await
        .unwrap();

    let rows: Vec<Identity> =
        diesel::sql_query("SELECT email, email_normalized FROM users ORDER BY id")
            .load(&mut connection)
            .await
            .unwrap();
    assert_eq!(rows[0].email_normalized, "ada@example.com");
    assert_eq!(
        rows[0].email, "Ada@Example.com",
        "the address as typed is kept"
    );
    assert!(
        rows[1].email_normalized.starts_with("#collision:"),
        "{:?}",
        rows[1]
    );
    assert_eq!(rows[2].email_normalized, "grace@example.com");
    let listed: Vec<Identity> = diesel::sql_query(
        "SELECT email, normalized AS email_normalized FROM email_identity_collisions",
    )
    .load(&mut connection)
    .await
    .unwrap();
    assert_eq!(
        listed,
        [Identity {
            email: "ａｄａ@example.com".into(),
            email_normalized: "ada@example.com".into()
        }]
    );
    drop(connection);
    drop_database(environment().await, &name).await;
}

/// Triggers keep derived data only (docs/architecture.md → Triggers keep only
/// derived data): a trigger that decides a rule or builds a payload is a rule
/// outside the domain. A new trigger fails here until it is listed there.
#[tokio::test]
async fn the_only_triggers_are_the_derived_data_ones() {
    let (name, mut connection) = migrated_database().await;

    #[derive(QueryableByName)]
    struct Trigger {
        #[diesel(sql_type = diesel::sql_types::Text)]
        tgname: String,
    }
    let triggers: Vec<String> = diesel::sql_query(
        "SELECT tgname::text AS tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname",
    )
    .load::<Trigger>(&mut connection)
    .await
    .unwrap()
    .into_iter()
    .map(|trigger| trigger.tgname)
    .collect();

    assert_eq!(
        triggers,
        [
            "task_counts_on_delete",
            "task_counts_on_insert",
            "task_counts_on_update",
        ]
    );
    drop(connection);
    drop_database(environment().await, &name).await;
}
