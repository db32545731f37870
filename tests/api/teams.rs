use diesel_async::SimpleAsyncConnection;
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

async fn status(
    app: &TestApp,
    user: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> u16 {
    app.call(user, method, path, body).await.status().as_u16()
}

#[tokio::test]
async fn register_login_create_team_and_see_it_with_the_admin_role() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;

    let created = app
        .call(
            &ada,
            Method::POST,
            "/api/v1/teams",
            Some(json!({"name": "Platform"})),
        )
        .await;
    assert_eq!(created.status(), 201);
    let team: Value = created.json().await.unwrap();
    assert_eq!(team["data"]["name"], "Platform");
    assert_eq!(team["data"]["role"], "admin");
    let id = team["data"]["id"].as_str().unwrap();

    let list: Value = app
        .call(&ada, Method::GET, "/api/v1/teams", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"][0]["id"], id);
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["meta"]["limit"], 20);
    assert_eq!(list["meta"]["next_cursor"], Value::Null);

    let members: Value = app
        .call(
            &ada,
            Method::GET,
            &format!("/api/v1/teams/{id}/members"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["data"][0]["user"]["id"], ada.id.as_str());
    assert_eq!(members["data"][0]["role"], "admin");
    assert!(members["data"][0]["joined_at"].is_string());

    // ... and, as its admin, create a project in it.
    let project = app
        .call(
            &ada,
            Method::POST,
            &format!("/api/v1/teams/{id}/projects"),
            Some(json!({"name": "Launch"})),
        )
        .await;
    assert_eq!(project.status(), 201);
    let project: Value = project.json().await.unwrap();
    assert_eq!(project["data"]["team_id"], id);
    assert_eq!(project["data"]["created_by"], ada.id.as_str());
}
#[tokio::test]
async fn team_endpoints_answer_404_to_outsiders_and_403_to_members_without_the_right() {
    let app = spawn_app().await;
    let (admin, manager, member, outsider) = (
        app.user("admin").await,
        app.user("manager").await,
        app.user("member").await,
        app.user("outsider").await,
    );
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &manager, "manager").await;
    app.add_member(&admin, &team, &member, "member").await;
    let base = format!("/api/v1/teams/{team}");
    let members = format!("{base}/members");
    let admin_member = format!("{members}/{}", admin.id);

    // (method, path, body, outsider, member, manager)
    let cases: Vec<(Method, String, Option<Value>, u16, u16, u16)> = vec![
        (Method::GET, base.clone(), None, 404, 200, 200),
        (Method::GET, members.clone(), None, 404, 200, 200),
        (
            Method::PATCH,
            base.clone(),
            Some(json!({"name": "New"})),
            404,
            403,
            403,
        ),
        (
            Method::POST,
            members.clone(),
            Some(json!({"email": outsider.email, "role": "member"})),
            404,
            403,
            403,
        ),
        (
            Method::PATCH,
            admin_member.clone(),
            Some(json!({"role": "member"})),
            404,
            403,
            403,
        ),
        (Method::DELETE, admin_member.clone(), None, 404, 403, 403),
        (Method::DELETE, base.clone(), None, 404, 403, 403),
    ];
    for (method, path, body, as_outsider, as_member, as_manager) in cases {
        assert_eq!(
            status(&app, &outsider, method.clone(), &path, body.clone()).await,
            as_outsider,
            "outsider {method} {path}"
        );
        assert_eq!(
            status(&app, &member, method.clone(), &path, body.clone()).await,
            as_member,
            "member {method} {path}"
        );
        assert_eq!(
            status(&app, &manager, method.clone(), &path, body.clone()).await,
            as_manager,
            "manager {method} {path}"
        );
    }
    // The admin may do all of it.
    assert_eq!(
        status(
            &app,
            &admin,
            Method::PATCH,
            &base,
            Some(json!({"name": "New"}))
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            &admin,
            Method::PATCH,
            &format!("{members}/{}", member.id),
            Some(json!({"role": "manager"}))
        )
        .await,
        200
    );
    assert_eq!(
        status(
            &app,
            &admin,
            Method::DELETE,
            &format!("{members}/{}", member.id),
            None
        )
        .await,
        204
    );
    assert_eq!(status(&app, &admin, Method::DELETE, &base, None).await, 204);
    assert_eq!(
        status(&app, &admin, Method::GET, &base, None).await,
        404,
        "soft-deleted teams are invisible"
    );
}

#[tokio::test]
async fn adding_members_reports_unknown_users_duplicates_and_bad_roles() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let ada = app.user("ada").await;
    let team = app.team(&admin).await;
    let path = format!("/api/v1/teams/{team}/members");

    assert_eq!(
        status(
            &app,
            &admin,
            Method::POST,
            &path,
            Some(json!({"email": "ghost@example.com", "role": "member"}))
        )
        .await,
        404
    );
    assert_eq!(
        status(
            &app,
            &admin,
            Method::POST,
            &path,
            Some(json!({"email": ada.email, "role": "owner"}))
        )
        .await,
        400
    );
    let added = app
        .call(
            &admin,
            Method::POST,
            &path,
            Some(json!({"email": ada.email.to_uppercase(), "role": "manager"})),
        )
        .await;
    assert_eq!(added.status(), 201);
    let body: Value = added.json().await.unwrap();
    assert_eq!(body["data"]["role"], "manager");
    assert_eq!(body["data"]["user"]["id"], ada.id.as_str());
    let again = app
        .call(
            &admin,
            Method::POST,
            &path,
            Some(json!({"email": ada.email, "role": "member"})),
        )
        .await;
    assert_eq!(again.status(), 409);
    let problem: Value = again.json().await.unwrap();
    assert_eq!(problem["code"], "already_member");
}

/// A change the domain refuses after taking the team's lock (here: adding
/// someone who is already a member) must not leave the lock held: its
/// transaction's connection is closed, not parked in the pool idle in its
/// transaction, where the next change of the team on another connection
/// would wait for it (`team_locks.rs`, `HeldConnection`).
#[tokio::test]
async fn a_refused_membership_change_leaves_the_team_unlocked() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let ada = app.user("ada").await;
    let team = app.team(&admin).await;
    let path = format!("/api/v1/teams/{team}/members");
    let add = json!({"email": ada.email, "role": "member"});
    assert_eq!(
        status(&app, &admin, Method::POST, &path, Some(add.clone())).await,
        201
    );
    assert_eq!(
        status(&app, &admin, Method::POST, &path, Some(add)).await,
        409
    );

    // PostgreSQL waits for the row lock itself, up to lock_timeout: a
    // released lock is granted at once, a parked transaction's never.
    let mut connection = app.database().await;
    let locked = connection
        .batch_execute(&format!(
            "SET lock_timeout = '5s'; SELECT id FROM teams WHERE id = '{team}' FOR UPDATE"
        ))
        .await;
    assert!(locked.is_ok(), "the team is still locked: {locked:?}");
}

#[tokio::test]
async fn a_member_may_leave_but_not_remove_others() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let (ada, bob) = (app.user("ada").await, app.user("bob").await);
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &ada, "member").await;
    app.add_member(&admin, &team, &bob, "member").await;

    assert_eq!(
        status(
            &app,
            &ada,
            Method::DELETE,
            &format!("/api/v1/teams/{team}/members/{}", bob.id),
            None
        )
        .await,
        403
    );
    assert_eq!(
        status(
            &app,
            &ada,
            Method::DELETE,
            &format!("/api/v1/teams/{team}/members/{}", ada.id),
            None
        )
        .await,
        204
    );
    assert_eq!(
        status(
            &app,
            &ada,
            Method::GET,
            &format!("/api/v1/teams/{team}"),
            None
        )
        .await,
        404,
        "gone after leaving"
    );
}

#[tokio::test]
async fn the_last_admin_can_be_neither_demoted_nor_removed() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let team = app.team(&admin).await;
    let me = format!("/api/v1/teams/{team}/members/{}", admin.id);

    let demote = app
        .call(&admin, Method::PATCH, &me, Some(json!({"role": "member"})))
        .await;
    assert_eq!(demote.status(), 409);
    let problem: Value = demote.json().await.unwrap();
    assert_eq!(problem["code"], "last_admin");
    assert_eq!(status(&app, &admin, Method::DELETE, &me, None).await, 409);

    // With a second admin, the first may step down.
    let other = app.user("other").await;
    app.add_member(&admin, &team, &other, "admin").await;
    assert_eq!(
        status(
            &app,
            &admin,
            Method::PATCH,
            &me,
            Some(json!({"role": "member"}))
        )
        .await,
        200
    );
}

/// Two admins demote each other at once, both past their permission check
/// before either writes. The test makes that interleaving certain instead of
/// likely: it holds the row locks of both memberships, so a demotion that has
/// read the roles and decided stops at its UPDATE, and it lets go only when
/// two backends of this database wait on a lock. With the team-row lock,
/// the second demotion waits before it reads the roles and then sees one
/// admin left; without it both read two admins, both decide yes, and the team
/// ends with none.
#[tokio::test]
async fn two_admins_demoting_each_other_at_once_never_leave_the_team_without_an_admin() {
    let app = spawn_app().await;
    let (a, b) = (app.user("a").await, app.user("b").await);
    let team = app.team(&a).await;
    app.add_member(&a, &team, &b, "admin").await;
    let (path_b, path_a) = (
        format!("/api/v1/teams/{team}/members/{}", b.id),
        format!("/api/v1/teams/{team}/members/{}", a.id),
    );
    let holder = app
        .hold_locks(&format!(
            "SELECT 1 FROM team_members WHERE team_id = '{team}' FOR UPDATE"
        ))
        .await;
    let demote_b = app.call(&a, Method::PATCH, &path_b, Some(json!({"role": "member"})));
    let demote_a = app.call(&b, Method::PATCH, &path_a, Some(json!({"role": "member"})));
    let release = app.release_when_waiting(holder, 2);

    let (first, second, ()) = tokio::join!(demote_b, demote_a, release);

    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    // One demotion wins. The other is refused: as last_admin (it waited for
    // the team lock and saw one admin left) or as 403 (its caller had just
    // been demoted). Either way exactly one admin remains.
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert!(statuses[1] == 409 || statuses[1] == 403, "{statuses:?}");
    let members: Value = app
        .call(
            &a,
            Method::GET,
            &format!("/api/v1/teams/{team}/members"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let admins = members["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "admin")
        .count();
    assert_eq!(admins, 1);
}

#[tokio::test]
async fn team_and_member_lists_page_with_limit_offset_and_cursor() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    for _ in 0..3 {
        app.team(&ada).await;
    }

    let first: Value = app
        .call(&ada, Method::GET, "/api/v1/teams?limit=2", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    assert_eq!(first["meta"]["total"], 3);
    let cursor = first["meta"]["next_cursor"].as_str().unwrap().to_owned();
    let second: Value = app
        .call(
            &ada,
            Method::GET,
            &format!("/api/v1/teams?limit=2&cursor={cursor}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["meta"]["next_cursor"], Value::Null);
    let offset: Value = app
        .call(&ada, Method::GET, "/api/v1/teams?offset=2", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(offset["data"][0]["id"], second["data"][0]["id"]);

    for bad in [
        "limit=0",
        "limit=101",
        "offset=10001",
        "limit=abc",
        "offset=1&cursor=o1",
    ] {
        let response = app
            .call(&ada, Method::GET, &format!("/api/v1/teams?{bad}"), None)
            .await;
        assert_eq!(response.status(), 400, "{bad}");
    }
}
