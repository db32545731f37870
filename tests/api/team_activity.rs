//! The team's audit trail (contract → Activity log, team paragraph) over
//! HTTP: one entry per change of the team's name, people, invitations and
//! webhooks, newest first, admins only; stored in the change's own
//! transaction (a refused or failed change leaves none, an entry that cannot
//! be stored undoes the change); and delivered to webhooks that subscribe to
//! it, with `project_id` null.

use diesel::QueryableByName;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

async fn send(app: &TestApp, user: &TestUser, method: Method, path: &str, body: Value) -> Value {
    let body = (!body.is_null()).then_some(body);
    let response = app.call(user, method.clone(), path, body).await;
    let status = response.status().as_u16();
    assert!(status < 300, "{method} {path}: {status}");
    response.json().await.unwrap_or(Value::Null)
}

async fn trail(app: &TestApp, user: &TestUser, team: &str) -> reqwest::Response {
    app.call(
        user,
        Method::GET,
        &format!("/api/v1/teams/{team}/activity?limit=100"),
        None,
    )
    .await
}

/// The trail's entries, newest first, as an admin reads them.
async fn entries(app: &TestApp, admin: &TestUser, team: &str) -> Vec<Value> {
    let response = trail(app, admin, team).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["data"].as_array().unwrap().clone()
}

fn actions(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn every_team_change_leaves_one_entry_naming_the_member_the_role_and_the_actor() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let grace = app.user("grace").await;
    let invitee = app.user("invitee").await;
    let team = app.team(&admin).await;
    let teams = format!("/api/v1/teams/{team}");
    let member_path = format!("{teams}/members/{}", grace.id);

    send(
        &app,
        &admin,
        Method::PATCH,
        &teams,
        json!({"name": "Renamed"}),
    )
    .await;
    // Renaming to the same name changes nothing and records nothing.
    send(
        &app,
        &admin,
        Method::PATCH,
        &teams,
        json!({"name": "Renamed"}),
    )
    .await;
    let grace_joins = json!({"email": grace.email, "role": "member"});
    send(
        &app,
        &admin,
        Method::POST,
        &format!("{teams}/members"),
        grace_joins,
    )
    .await;
    let promote = json!({"role": "manager"});
    send(&app, &admin, Method::PATCH, &member_path, promote).await;
    let revoked = send(
        &app,
        &admin,
        Method::POST,
        &format!("{teams}/invitations"),
        json!({"email": "someone@example.com", "role": "member"}),
    )
    .await;
    let revoked_id = revoked["data"]["id"].as_str().unwrap().to_owned();
    let revoke_path = format!("/api/v1/invitations/{revoked_id}");
    send(&app, &admin, Method::DELETE, &revoke_path, Value::Null).await;
    let invitation = send(
        &app,
        &admin,
        Method::POST,
        &format!("{teams}/invitations"),
        json!({"email": invitee.email, "role": "member"}),
    )
    .await;
    let token = json!({"token": invitation["data"]["token"]});
    send(
        &app,
        &invitee,
        Method::POST,
        "/api/v1/invitations/accept",
        token,
    )
    .await;
    let hook =
        json!({"url": "https://hooks.example.com/in?key=s3cret", "events": ["task.created"]});
    let webhook = send(
        &app,
        &admin,
        Method::POST,
        &format!("{teams}/webhooks"),
        hook,
    )
    .await;
    let webhook_id = webhook["data"]["id"].as_str().unwrap().to_owned();
    let webhook_path = format!("/api/v1/webhooks/{webhook_id}");
    send(&app, &admin, Method::DELETE, &webhook_path, Value::Null).await;
    send(&app, &admin, Method::DELETE, &member_path, Value::Null).await;

    let entries = entries(&app, &admin, &team).await;
    assert_eq!(
        actions(&entries),
        [
            "member.removed",
            "webhook.deleted",
            "webhook.created",
            "invitation.accepted",
            "invitation.created",
            "invitation.revoked",
            "invitation.created",
            "member.role_changed",
            "member.added",
            "team.updated",
        ],
        "newest first, one per change"
    );
    for entry in &entries {
        assert_eq!(entry["entity_type"], "team");
        assert_eq!(entry["entity_id"], team.as_str());
    }
    let by_admin = |entry: &Value| entry["actor"]["id"] == admin.id.as_str();
    assert!(entries.iter().filter(|e| !by_admin(e)).count() == 1);
    assert_eq!(
        entries[3]["actor"]["id"],
        invitee.id.as_str(),
        "the invitee accepted"
    );
    assert_eq!(
        entries[7]["changes"],
        json!({"member_id": {"from": grace.id, "to": grace.id},
               "role": {"from": "member", "to": "manager"}})
    );
    assert_eq!(
        entries[0]["changes"],
        json!({"member_id": {"from": grace.id, "to": null},
               "role": {"from": "manager", "to": null}})
    );
    assert_eq!(
        entries[3]["changes"]["member_id"],
        json!({"from": null, "to": invitee.id})
    );
    assert_eq!(
        entries[5]["changes"]["invitation_id"],
        json!({"from": revoked_id, "to": null})
    );
    assert_eq!(
        entries[9]["changes"]["name"]["to"], "Renamed",
        "the rename, from the name read under the lock"
    );
    assert_eq!(
        entries[2]["changes"],
        json!({"webhook_id": {"from": null, "to": webhook_id},
               "host": {"from": null, "to": "hooks.example.com"}}),
        "the host only: the URL's query carries a secret"
    );
}

#[tokio::test]
async fn only_admins_read_the_trail_and_outsiders_do_not_see_the_team() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let manager = app.user("manager").await;
    let member = app.user("member").await;
    let outsider = app.user("outsider").await;
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &manager, "manager").await;
    app.add_member(&admin, &team, &member, "member").await;

    assert_eq!(trail(&app, &manager, &team).await.status(), 403);
    assert_eq!(trail(&app, &member, &team).await.status(), 403);
    assert_eq!(trail(&app, &outsider, &team).await.status(), 404);
    let page = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/teams/{team}/activity?limit=1"),
            None,
        )
        .await;
    assert_eq!(page.status(), 200);
    let page: Value = page.json().await.unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["meta"]["total"], 2, "two members added");
    assert_eq!(page["data"][0]["changes"]["role"]["to"], "member");
}

#[tokio::test]
async fn a_refused_change_leaves_no_entry_and_an_entry_that_cannot_be_stored_undoes_the_change() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let grace = app.user("grace").await;
    let team = app.team(&admin).await;
    let before = entries(&app, &admin, &team).await.len();

    // The last admin cannot leave: refused under the lock, nothing recorded.
    let leave = app
        .call(
            &admin,
            Method::DELETE,
            &format!("/api/v1/teams/{team}/members/{}", admin.id),
            None,
        )
        .await;
    assert_eq!(leave.status(), 409);
    assert_eq!(entries(&app, &admin, &team).await.len(), before);

    // Any audit entry is refused by the database: the change it records
    // must not commit without it.
    app.database()
        .await
        .batch_execute(
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'audit trail unavailable (injected)'; END $$;
             CREATE TRIGGER refuse_audit BEFORE INSERT ON team_activity_logs
             FOR EACH ROW EXECUTE FUNCTION refuse_audit();",
        )
        .await
        .unwrap();
    let add = app
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/teams/{team}/members"),
            Some(json!({"email": grace.email, "role": "member"})),
        )
        .await;
    assert_eq!(add.status(), 500);
    let rename = app
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/teams/{team}"),
            Some(json!({"name": "Never"})),
        )
        .await;
    assert_eq!(rename.status(), 500);

    let members: Value = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/teams/{team}/members"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        members["data"].as_array().unwrap().len(),
        1,
        "grace not added"
    );
    let view: Value = app
        .call(&admin, Method::GET, &format!("/api/v1/teams/{team}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(view["data"]["name"], "Never", "the rename rolled back");
}

#[derive(QueryableByName)]
struct Queued {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    payload: Value,
}

#[tokio::test]
async fn a_webhook_subscribed_to_audit_actions_gets_them_with_no_project() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let grace = app.user("grace").await;
    let team = app.team(&admin).await;
    let hook = json!({"url": "https://hooks.example.com/in",
                      "events": ["member.added", "webhook.created"]});
    let created = send(
        &app,
        &admin,
        Method::POST,
        &format!("/api/v1/teams/{team}/webhooks"),
        hook,
    )
    .await;
    let webhook_id = created["data"]["id"].as_str().unwrap().to_owned();
    app.add_member(&admin, &team, &grace, "member").await;

    let queued: Vec<Queued> = diesel::sql_query(
        "SELECT payload FROM jobs WHERE kind = 'webhook_delivery' ORDER BY created_at, id",
    )
    .load(&mut app.database().await)
    .await
    .unwrap();
    let events: Vec<&str> = queued
        .iter()
        .map(|job| job.payload["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["webhook.created", "member.added"],
        "a new webhook hears its own creation, then the team's changes"
    );
    let added = &queued[1].payload;
    assert_eq!(added["webhook_id"], webhook_id.as_str());
    let data = &added["data"];
    assert_eq!(data["project_id"], Value::Null);
    assert_eq!(data["team_id"], team.as_str());
    assert_eq!(
        (&data["entity_type"], &data["entity_id"]),
        (&json!("team"), &json!(team))
    );
    assert_eq!(data["actor"]["id"], admin.id.as_str());
    assert_eq!(data["changes"]["member_id"]["to"], grace.id.as_str());
    let trail = entries(&app, &admin, &team).await;
    assert_eq!(data["id"], trail[0]["id"], "the delivery carries the entry");
}
