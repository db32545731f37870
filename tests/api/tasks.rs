use diesel_async::SimpleAsyncConnection;
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

struct World {
    app: TestApp,
    admin: TestUser,
    project: String,
    team: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let project = app.project(&admin, &team).await;
    World {
        app,
        admin,
        project,
        team,
    }
}

async fn patch(
    app: &TestApp,
    user: &TestUser,
    id: &str,
    body: Value,
    if_match: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .patch(app.url(&format!("/api/v1/tasks/{id}")))
        .bearer_auth(&user.access_token)
        .json(&body);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn create_read_patch_and_every_optimistic_lock_outcome() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;

    let created = app
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/projects/{project}/tasks"),
            Some(json!({"title": "Write docs"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let task: Value = created.json().await.unwrap();
    let task = &task["data"];
    let id = task["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/tasks/{id}"));
    assert_eq!(
        (
            task["status"].as_str(),
            task["priority"].as_str(),
            task["version"].as_i64()
        ),
        (Some("todo"), Some("medium"), Some(1))
    );
    assert_eq!(task["comment_count"], 0);
    assert_eq!(task["created_by"], admin.id.as_str());

    let read = app.call(&admin, Method::GET, &location, None).await;
    assert_eq!(read.headers()["etag"], "\"1\"");

    let updated = patch(
        &app,
        &admin,
        id,
        json!({"version": 1, "status": "in_progress"}),
        None,
    )
    .await;
    assert_eq!(updated.status(), 200);
    assert_eq!(updated.headers()["etag"], "\"2\"");
    let body: Value = updated.json().await.unwrap();
    assert_eq!(
        (
            body["data"]["status"].as_str(),
            body["data"]["version"].as_i64()
        ),
        (Some("in_progress"), Some(2))
    );

    let stale = patch(
        &app,
        &admin,
        id,
        json!({"version": 1, "status": "done"}),
        None,
    )
    .await;
    assert_eq!(stale.status(), 409);
    let problem: Value = stale.json().await.unwrap();
    assert_eq!(
        (
            problem["code"].as_str(),
            problem["current_version"].as_i64()
        ),
        (Some("version_conflict"), Some(2))
    );

    let mismatched = patch(&app, &admin, id, json!({"status": "done"}), Some("\"1\"")).await;
    assert_eq!(mismatched.status(), 412);
    let problem: Value = mismatched.json().await.unwrap();
    assert_eq!(problem["code"], "precondition_failed");

    let unconditional = patch(&app, &admin, id, json!({"status": "done"}), None).await;
    assert_eq!(unconditional.status(), 428);

    let by_if_match = patch(&app, &admin, id, json!({"status": "done"}), Some("\"2\"")).await;
    assert_eq!(by_if_match.status(), 200);
    assert_eq!(by_if_match.headers()["etag"], "\"3\"");
}

#[tokio::test]
async fn put_replaces_every_field_and_repeating_it_changes_nothing() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let task = app.task(&admin, &project, json!({"title": "T", "description": "old", "priority": "high", "assignee_id": admin.id})).await;
    let id = task["id"].as_str().unwrap();
    let replacement = json!({"version": 1, "title": "New", "description": null, "status": "done", "priority": "low", "due_at": null, "assignee_id": null});

    let first = app
        .call(
            &admin,
            Method::PUT,
            &format!("/api/v1/tasks/{id}"),
            Some(replacement.clone()),
        )
        .await;
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.unwrap();
    let data = &body["data"];
    assert_eq!(
        (
            data["title"].as_str(),
            data["status"].as_str(),
            data["priority"].as_str()
        ),
        (Some("New"), Some("done"), Some("low"))
    );
    assert_eq!(
        (
            data["description"].clone(),
            data["assignee_id"].clone(),
            data["version"].as_i64()
        ),
        (Value::Null, Value::Null, Some(2))
    );

    // The very same request again (version 1): the state is unchanged and
    // the answer says why: 409, the version moved on.
    let repeated = app
        .call(
            &admin,
            Method::PUT,
            &format!("/api/v1/tasks/{id}"),
            Some(replacement.clone()),
        )
        .await;
    assert_eq!(repeated.status(), 409, "a repeated PUT is a stale write");

    // The same full state at the current version: 200, no new version, and
    // no activity entry (nothing changed).
    let mut again = replacement;
    again["version"] = json!(2);
    let second = app
        .call(
            &admin,
            Method::PUT,
            &format!("/api/v1/tasks/{id}"),
            Some(again),
        )
        .await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["data"]["version"], 2);
    assert_eq!(second["data"]["title"], "New");
    let activity: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/activity?limit=100"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let updates = activity["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "task.updated" && e["entity_id"] == id)
        .count();
    assert_eq!(updates, 1, "only the first PUT changed anything");

    let missing_field = app
        .call(
            &admin,
            Method::PUT,
            &format!("/api/v1/tasks/{id}"),
            Some(json!({"version": 2, "title": "x"})),
        )
        .await;
    assert_eq!(missing_field.status(), 400, "PUT needs the whole task");
}

#[tokio::test]
async fn invalid_task_bodies_are_400_naming_the_fields() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let outsider = app.user("outsider").await;
    let path = format!("/api/v1/projects/{project}/tasks");

    let bad: Value = app
        .call(
            &admin,
            Method::POST,
            &path,
            Some(json!({"title": "", "status": "blocked", "priority": "p0"})),
        )
        .await
        .json()
        .await
        .unwrap();
    let fields: Vec<&str> = bad["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "status", "priority"]);

    for body in [
        json!({"title": "x", "colour": "red"}),
        json!({"title": "x", "due_at": "tomorrow"}),
        json!({"title": 5}),
    ] {
        assert_eq!(
            app.call(&admin, Method::POST, &path, Some(body.clone()))
                .await
                .status(),
            400,
            "{body}"
        );
    }
    let not_a_member = app
        .call(
            &admin,
            Method::POST,
            &path,
            Some(json!({"title": "x", "assignee_id": outsider.id})),
        )
        .await;
    assert_eq!(not_a_member.status(), 400);
    let problem: Value = not_a_member.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "assignee_id");
}

#[tokio::test]
async fn deleted_tasks_and_tasks_of_deleted_projects_are_404() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let first = app.task(&admin, &project, json!({"title": "one"})).await;
    let second = app.task(&admin, &project, json!({"title": "two"})).await;
    let (first, second) = (
        first["id"].as_str().unwrap(),
        second["id"].as_str().unwrap(),
    );

    assert_eq!(
        app.call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/tasks/{first}"),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/tasks/{first}"),
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.call(&admin, Method::GET, &format!("/api/v1/tasks/{first}"), None)
            .await
            .status(),
        404
    );
    let list: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["total"], 1);

    assert_eq!(
        app.call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/projects/{project}"),
            None
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.call(
            &admin,
            Method::GET,
            &format!("/api/v1/tasks/{second}"),
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks"),
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        patch(
            &app,
            &admin,
            second,
            json!({"version": 1, "title": "x"}),
            None
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn the_task_policy_over_http() {
    let World {
        app,
        admin,
        project,
        team,
    } = world().await;
    let (manager, alice, bob, outsider) = (
        app.user("manager").await,
        app.user("alice").await,
        app.user("bob").await,
        app.user("outsider").await,
    );
    app.add_member(&admin, &team, &manager, "manager").await;
    app.add_member(&admin, &team, &alice, "member").await;
    app.add_member(&admin, &team, &bob, "member").await;
    let by_bob = app.task(&bob, &project, json!({"title": "bob's"})).await;
    let assigned_to_alice = app
        .task(
            &admin,
            &project,
            json!({"title": "for alice", "assignee_id": alice.id}),
        )
        .await;
    let (by_bob, assigned) = (
        by_bob["id"].as_str().unwrap().to_owned(),
        assigned_to_alice["id"].as_str().unwrap().to_owned(),
    );

    // Outsiders: 404 everywhere.
    assert_eq!(
        app.call(
            &outsider,
            Method::GET,
            &format!("/api/v1/tasks/{by_bob}"),
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        patch(
            &app,
            &outsider,
            &by_bob,
            json!({"version": 1, "title": "x"}),
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.call(
            &outsider,
            Method::POST,
            &format!("/api/v1/projects/{project}/tasks"),
            Some(json!({"title": "x"}))
        )
        .await
        .status(),
        404
    );
    // A member edits tasks they created or are assigned to, nothing else.
    assert_eq!(
        patch(
            &app,
            &alice,
            &by_bob,
            json!({"version": 1, "title": "x"}),
            None
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        patch(
            &app,
            &alice,
            &assigned,
            json!({"version": 1, "status": "done"}),
            None
        )
        .await
        .status(),
        200
    );
    // ... may assign only themself or nobody ...
    assert_eq!(
        patch(
            &app,
            &alice,
            &assigned,
            json!({"version": 2, "assignee_id": bob.id}),
            None
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        patch(
            &app,
            &alice,
            &assigned,
            json!({"version": 2, "assignee_id": null}),
            None
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.call(
            &alice,
            Method::POST,
            &format!("/api/v1/projects/{project}/tasks"),
            Some(json!({"title": "x", "assignee_id": bob.id}))
        )
        .await
        .status(),
        403
    );
    // ... and deletes only what they created.
    assert_eq!(
        app.call(
            &alice,
            Method::DELETE,
            &format!("/api/v1/tasks/{by_bob}"),
            None
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        app.call(
            &alice,
            Method::DELETE,
            &format!("/api/v1/tasks/{assigned}"),
            None
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        app.call(
            &bob,
            Method::DELETE,
            &format!("/api/v1/tasks/{by_bob}"),
            None
        )
        .await
        .status(),
        204
    );
    // Managers update and delete any task, and assign anyone in the team.
    assert_eq!(
        patch(
            &app,
            &manager,
            &assigned,
            json!({"version": 3, "assignee_id": bob.id}),
            None
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.call(
            &manager,
            Method::DELETE,
            &format!("/api/v1/tasks/{assigned}"),
            None
        )
        .await
        .status(),
        204
    );
}

#[tokio::test]
async fn fifty_concurrent_patches_lose_no_update() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let task = app.task(&admin, &project, json!({"title": "hot"})).await;
    let id = task["id"].as_str().unwrap().to_owned();

    // 50 clients that all read version 1 and each set a different title.
    let attempts = (0..50).map(|n| {
        let (app, admin, id) = (&app, &admin, id.clone());
        async move {
            patch(
                app,
                admin,
                &id,
                json!({"version": 1, "title": format!("writer {n}")}),
                None,
            )
            .await
            .status()
            .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;

    let successes = statuses.iter().filter(|s| **s == 200).count();
    let conflicts = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!(successes + conflicts, 50, "{statuses:?}");
    assert_eq!(
        successes, 1,
        "everyone sent version 1: exactly one write can match it"
    );
    let current: Value = app
        .call(&admin, Method::GET, &format!("/api/v1/tasks/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        current["data"]["version"].as_i64(),
        Some(1 + successes as i64)
    );
    let updates: i64 = {
        let activity: Value = app
            .call(
                &admin,
                Method::GET,
                &format!("/api/v1/projects/{project}/activity?limit=100"),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        activity["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "task.updated")
            .count() as i64
    };
    assert_eq!(
        updates, successes as i64,
        "one activity entry per successful write"
    );
}

#[tokio::test]
async fn fifty_concurrent_read_modify_write_clients_lose_no_update() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let task = app
        .task(&admin, &project, json!({"title": "counter"}))
        .await;
    let id = task["id"].as_str().unwrap().to_owned();

    // Each client reads the current version and patches once; on conflict it
    // gives up (no retry), so successes + conflicts must be exactly 50.
    let clients = (0..50).map(|n| {
        let (app, admin, id) = (&app, &admin, id.clone());
        async move {
            let current: Value = app
                .call(admin, Method::GET, &format!("/api/v1/tasks/{id}"), None)
                .await
                .json()
                .await
                .unwrap();
            let version = current["data"]["version"].as_i64().unwrap();
            let answer = patch(
                app,
                admin,
                &id,
                json!({"version": version, "description": format!("client {n}")}),
                None,
            )
            .await;
            let status = answer.status().as_u16();
            let body: Value = answer.json().await.unwrap();
            (n, status, body["data"]["version"].as_i64())
        }
    });
    let answers = futures_util::future::join_all(clients).await;

    let mut won: Vec<(i64, usize)> = answers
        .iter()
        .filter(|(_, status, _)| *status == 200)
        .map(|(n, _, version)| (version.unwrap(), *n))
        .collect();
    let conflicts = answers.iter().filter(|(_, s, _)| *s == 409).count();
    assert_eq!(won.len() + conflicts, 50, "{answers:?}");
    assert!(!won.is_empty());
    // No lost update means every accepted write produced its own version:
    // the 200s carry 2, 3, ..., 1 + successes, each exactly once. Without the
    // `version = expected` filter two clients that read n both get a 200,
    // one of them silently overwriting the other.
    won.sort_unstable();
    let versions: Vec<i64> = won.iter().map(|(version, _)| *version).collect();
    let expected: Vec<i64> = (2..=1 + won.len() as i64).collect();
    assert_eq!(versions, expected, "each 200 owns a distinct version");
    let (last_version, last_writer) = *won.last().unwrap();
    let current: Value = app
        .call(&admin, Method::GET, &format!("/api/v1/tasks/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(current["data"]["version"].as_i64(), Some(last_version));
    assert_eq!(
        current["data"]["description"],
        format!("client {last_writer}"),
        "the stored row is the write of the client that got the highest version"
    );
}

/// The SQL compare-and-set itself, with both writers past the service's
/// version check: the service compares the version it read, so only two
/// writers that read the same version before either wrote reach SQL with
/// it. The repository is called directly with `expected = 1` twice, once
/// sequentially and once as a real race: a test transaction holds the row
/// lock while both UPDATEs queue behind it (seen waiting in
/// `pg_stat_activity`), then lets them go at once.
#[tokio::test]
async fn the_version_compare_and_set_in_sql_lets_exactly_one_of_two_racing_writers_through() {
    use adapters_postgres::{PgPool, PgPoolSettings, PgTaskRepository};
    use domain::activity::{ActivityAction, ChangeSet, NewActivity};
    use domain::ids::{ProjectId, TaskId, UserId};
    use domain::outbox::{Checked, DecidedOn, Outbox};
    use domain::tasks::{TaskDraft, TaskRepository};

    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let pool = PgPool::new(&PgPoolSettings {
        url: app.database_url(),
        max_size: 4,
        acquire_timeout: std::time::Duration::from_secs(5),
        statement_counter: None,
        session_settings: Vec::new(),
    })
    .unwrap();
    let repository = PgTaskRepository::new(pool);
    let project_id: ProjectId = project.parse().unwrap();
    let actor: UserId = admin.id.parse().unwrap();
    // The facts every write here is decided on, as the service reads them.
    let first = app.task(&admin, &project, json!({"title": "cas"})).await;
    let first: TaskId = first["id"].as_str().unwrap().parse().unwrap();
    let (record, context) = repository
        .get_for_write(first, actor)
        .await
        .unwrap()
        .unwrap();
    let decided = DecidedOn {
        role: record.caller_role.unwrap(),
        context,
    };
    let write = |id: TaskId, title: &str| {
        let draft = TaskDraft::parse(title, None, None, None, None, None).unwrap();
        let activity = NewActivity::new(
            project_id,
            actor,
            ActivityAction::TaskUpdated,
            id.as_uuid(),
            ChangeSet::default(),
        );
        let outbox = Outbox::record(activity, &decided.context);
        repository.update(id, domain::tasks::Version(1), draft, outbox, &decided)
    };
    let version = |written: &Checked<domain::tasks::Task>| match written {
        Checked::Stored(task) => Some(task.version),
        Checked::FactsMoved => None,
    };

    // Sequential: the second writer still holds version 1.
    let id = first;
    assert_eq!(version(&write(id, "first").await.unwrap()), Some(2));
    let stale = write(id, "second").await.unwrap();
    assert_eq!(stale, Checked::FactsMoved, "a stale version matches no row");
    let stored: Value = app
        .call(&admin, Method::GET, &format!("/api/v1/tasks/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    let stored = &stored["data"];
    assert_eq!(
        (stored["version"].clone(), stored["title"].clone()),
        (json!(2), json!("first"))
    );

    // Concurrent: both UPDATEs wait on the row lock, then race.
    let task = app.task(&admin, &project, json!({"title": "cas"})).await;
    let id: TaskId = task["id"].as_str().unwrap().parse().unwrap();
    let holder = app
        .hold_locks(&format!("SELECT 1 FROM tasks WHERE id = '{id}' FOR UPDATE"))
        .await;
    let racers = futures_util::future::join(write(id, "left"), write(id, "right"));
    let release = app.release_when_waiting(holder, 2);
    let ((left, right), ()) = futures_util::future::join(racers, release).await;
    let outcomes = [version(&left.unwrap()), version(&right.unwrap())];
    let mut sorted = outcomes;
    sorted.sort();
    assert_eq!(
        sorted,
        [None, Some(2)],
        "exactly one racer matches version 1: {outcomes:?}"
    );
}

#[tokio::test]
async fn a_failing_activity_insert_rolls_back_the_task_write() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let task = app.task(&admin, &project, json!({"title": "before"})).await;
    let id = task["id"].as_str().unwrap().to_owned();
    // Inject the failure in the database itself: any new activity entry is refused.
    app.database()
        .await
        .batch_execute(
            "CREATE FUNCTION refuse_activity() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'activity log unavailable (injected)'; END $$;
             CREATE TRIGGER refuse_activity BEFORE INSERT ON activity_logs
             FOR EACH ROW EXECUTE FUNCTION refuse_activity();",
        )
        .await
        .unwrap();

    let update = patch(
        &app,
        &admin,
        &id,
        json!({"version": 1, "title": "after"}),
        None,
    )
    .await;
    let create = app
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/projects/{project}/tasks"),
            Some(json!({"title": "orphan"})),
        )
        .await;

    assert_eq!(update.status(), 500);
    assert_eq!(create.status(), 500);
    let current: Value = app
        .call(&admin, Method::GET, &format!("/api/v1/tasks/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            current["data"]["title"].as_str(),
            current["data"]["version"].as_i64()
        ),
        (Some("before"), Some(1))
    );
    let list: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["meta"]["total"], 1,
        "the task whose activity failed was not created"
    );
}

async fn create_with_key(
    app: &TestApp,
    user: &TestUser,
    project: &str,
    key: &str,
    body: Value,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/projects/{project}/tasks")))
        .bearer_auth(&user.access_token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_replays_the_first_response() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;

    let first = create_with_key(
        &app,
        &admin,
        &project,
        "retry-1",
        json!({"title": "Once", "priority": "high"}),
    )
    .await;
    // Same content, different formatting and key order: still the same request.
    let second = app
        .client
        .post(app.url(&format!("/api/v1/projects/{project}/tasks")))
        .bearer_auth(&admin.access_token)
        .header("idempotency-key", "retry-1")
        .header("content-type", "application/json")
        .body(r#"{ "priority": "high",   "title": "Once" }"#)
        .send()
        .await
        .unwrap();

    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (201, 201)
    );
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(first.headers()["location"], second.headers()["location"]);
    assert_eq!(first.headers()["etag"], second.headers()["etag"]);
    let (first, second): (Value, Value) =
        (first.json().await.unwrap(), second.json().await.unwrap());
    assert_eq!(first, second, "byte-for-byte the same task");
    let list: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["total"], 1, "no second task");
}

#[tokio::test]
async fn an_idempotency_key_reused_with_another_body_is_422_and_keys_are_per_user() {
    let World {
        app,
        admin,
        project,
        team,
    } = world().await;
    let other = app.user("other").await;
    app.add_member(&admin, &team, &other, "member").await;
    assert_eq!(
        create_with_key(&app, &admin, &project, "k", json!({"title": "A"}))
            .await
            .status(),
        201
    );

    let reused = create_with_key(&app, &admin, &project, "k", json!({"title": "B"})).await;
    assert_eq!(reused.status(), 422);
    let problem: Value = reused.json().await.unwrap();
    assert_eq!(problem["code"], "idempotency_key_reused");

    // Another user's "k" is their own key.
    assert_eq!(
        create_with_key(&app, &other, &project, "k", json!({"title": "B"}))
            .await
            .status(),
        201
    );
    assert_eq!(
        create_with_key(
            &app,
            &admin,
            &project,
            &"x".repeat(256),
            json!({"title": "C"})
        )
        .await
        .status(),
        400
    );
    assert_eq!(
        create_with_key(&app, &admin, &project, "", json!({"title": "C"}))
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn a_failed_create_releases_its_idempotency_key() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;

    let invalid = create_with_key(&app, &admin, &project, "fix-me", json!({"title": ""})).await;
    assert_eq!(invalid.status(), 400);
    let fixed = create_with_key(&app, &admin, &project, "fix-me", json!({"title": "Fixed"})).await;

    assert_eq!(
        fixed.status(),
        201,
        "the key was not burned by the failed attempt"
    );
}

#[tokio::test]
async fn twenty_concurrent_creates_with_one_key_make_one_task_and_twenty_equal_answers() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;

    let responses = futures_util::future::join_all((0..20).map(|_| {
        create_with_key(
            &app,
            &admin,
            &project,
            "burst",
            json!({"title": "Exactly once"}),
        )
    }))
    .await;

    let mut locations = std::collections::BTreeSet::new();
    let mut replayed = 0;
    for response in responses {
        assert_eq!(response.status(), 201);
        replayed += usize::from(response.headers().contains_key("idempotent-replayed"));
        locations.insert(response.headers()["location"].to_str().unwrap().to_owned());
    }
    assert_eq!(locations.len(), 1, "every answer names the same task");
    assert_eq!(replayed, 19, "one ran, nineteen were replayed");
    let list: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/projects/{project}/tasks"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["total"], 1);
}

#[tokio::test]
async fn an_idempotency_key_is_kept_in_postgresql_for_24_hours_then_pruned() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let first = create_with_key(&app, &admin, &project, "day", json!({"title": "Day one"})).await;
    assert_eq!(first.status(), 201);
    let mut db = app.database().await;
    // The kept response is a row of the same database as the task (written in
    // its transaction), not a Redis entry.
    let kept: i64 = diesel_async::RunQueryDsl::get_result(
        diesel::sql_query(
            "SELECT count(*) AS n FROM idempotency_keys WHERE key = 'day' AND response IS NOT NULL",
        ),
        &mut db,
    )
    .await
    .map(|row: Count| row.n)
    .unwrap();
    assert_eq!(kept, 1);

    db.batch_execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .await
        .unwrap();
    // Expired: the key starts afresh (another body is no longer a mismatch).
    let later = create_with_key(&app, &admin, &project, "day", json!({"title": "Day two"})).await;
    assert_eq!(later.status(), 201);
    assert!(!later.headers().contains_key("idempotent-replayed"));

    db.batch_execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .await
        .unwrap();
    let pool = adapters_postgres::PgPool::new(&adapters_postgres::PgPoolSettings {
        url: app.database_url(),
        max_size: 1,
        acquire_timeout: std::time::Duration::from_secs(2),
        statement_counter: None,
        session_settings: Vec::new(),
    })
    .unwrap();
    assert_eq!(
        adapters_postgres::repositories::idempotency_keys::prune_expired(&pool)
            .await
            .unwrap(),
        1
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// A task update locks the rows it changes, not its project's row nor its
/// author's: the activity log keeps no foreign keys (migration
/// `…_activity_without_row_locks`), whose checks took a key-share lock on
/// both rows for every entry — shared by every concurrent writer of the
/// project, which PostgreSQL records as multixacts. Held `FOR UPDATE` by
/// another transaction, neither row delays a PATCH or a delete (a foreign
/// key check would wait for that transaction to end).
#[tokio::test]
async fn a_task_update_locks_neither_its_project_nor_its_author_row() {
    let World {
        app,
        admin,
        project,
        ..
    } = world().await;
    let task = app.task(&admin, &project, json!({"title": "One"})).await;
    let id = task["id"].as_str().unwrap().to_owned();
    let mut holder = app.database().await;
    holder
        .batch_execute(&format!(
            "BEGIN;
             SELECT 1 FROM projects WHERE id = '{project}' FOR UPDATE;
             SELECT 1 FROM users WHERE id = '{}' FOR UPDATE;",
            admin.id
        ))
        .await
        .unwrap();

    let wait = std::time::Duration::from_secs(10);
    let path = format!("/api/v1/tasks/{id}");
    let patch = app.call(
        &admin,
        Method::PATCH,
        &path,
        Some(json!({"title": "Two", "version": 1})),
    );
    let patched = tokio::time::timeout(wait, patch)
        .await
        .expect("the PATCH waited for the project's or the user's row");
    assert_eq!(patched.status(), 200);
    let delete = app.call(&admin, Method::DELETE, &path, None);
    let deleted = tokio::time::timeout(wait, delete)
        .await
        .expect("the delete waited for the project's or the user's row");
    assert_eq!(deleted.status(), 204);
    holder.batch_execute("ROLLBACK").await.unwrap();
}
