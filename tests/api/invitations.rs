//! Invitations (contract → Invitations) over HTTP: who may invite, the
//! token shown once, one pending invitation per address, accepting by the
//! invited address only, and `410` once it expired, was revoked or used —
//! including a revoke that lands while the accept waits for the team's lock.

use diesel_async::SimpleAsyncConnection;
use opsflow_tests::{spawn_app, TestApp, TestUser};
use reqwest::Method;
use serde_json::{json, Value};

async fn invite(
    app: &TestApp,
    admin: &TestUser,
    team: &str,
    email: &str,
    role: &str,
) -> reqwest::Response {
    app.call(
        admin,
        Method::POST,
        &format!("/api/v1/teams/{team}/invitations"),
        Some(json!({"email": email, "role": role})),
    )
    .await
}

/// Invites `email` and returns the invitation (with its token).
async fn invited(app: &TestApp, admin: &TestUser, team: &str, email: &str) -> Value {
    let response = invite(app, admin, team, email, "manager").await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["data"].clone()
}

async fn accept(app: &TestApp, user: &TestUser, token: &str) -> reqwest::Response {
    app.call(
        user,
        Method::POST,
        "/api/v1/invitations/accept",
        Some(json!({"token": token})),
    )
    .await
}

async fn code(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status);
    let problem: Value = response.json().await.unwrap();
    problem["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_admin_invites_once_per_address_and_the_token_is_shown_once() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let member = app.user("member").await;
    let outsider = app.user("outsider").await;
    let team = app.team(&admin).await;
    app.add_member(&admin, &team, &member, "member").await;

    assert_eq!(
        invite(&app, &member, &team, "new@example.com", "member")
            .await
            .status(),
        403
    );
    assert_eq!(
        invite(&app, &outsider, &team, "new@example.com", "member")
            .await
            .status(),
        404
    );
    assert_eq!(
        invite(&app, &admin, &team, "not an email", "owner")
            .await
            .status(),
        400
    );

    let created = invited(&app, &admin, &team, "New@Example.com").await;
    let token = created["token"].as_str().unwrap();
    assert!(token.len() >= 43, "{token}");
    assert_eq!(created["role"], "manager");
    assert_eq!(
        code(
            invite(&app, &admin, &team, "new@example.com", "member").await,
            409
        )
        .await,
        "already_invited",
        "one pending invitation per address, in any spelling"
    );
    assert_eq!(
        code(
            invite(&app, &admin, &team, &member.email, "member").await,
            409
        )
        .await,
        "already_member"
    );

    let listed = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/teams/{team}/invitations"),
            None,
        )
        .await;
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["id"], created["id"]);
    assert!(
        listed["data"][0].get("token").is_none(),
        "never the token again"
    );
    let by_member = app
        .call(
            &member,
            Method::GET,
            &format!("/api/v1/teams/{team}/invitations"),
            None,
        )
        .await;
    assert_eq!(by_member.status(), 403);

    // `accept` is a path of its own, not an invitation id.
    let wrong_method = app
        .call(&admin, Method::DELETE, "/api/v1/invitations/accept", None)
        .await;
    assert_eq!(wrong_method.status(), 405);
    assert!(wrong_method.headers()["allow"]
        .to_str()
        .unwrap()
        .contains("POST"));
}

#[tokio::test]
async fn only_the_invited_address_accepts_once_and_joins_with_the_role() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let grace = app.user("grace").await;
    let other = app.user("other").await;
    let team = app.team(&admin).await;
    let invitation = invited(&app, &admin, &team, &grace.email.to_uppercase()).await;
    let token = invitation["token"].as_str().unwrap();

    assert_eq!(
        code(accept(&app, &other, token).await, 403).await,
        "forbidden"
    );
    assert_eq!(accept(&app, &grace, "not-a-token").await.status(), 404);
    let joined = accept(&app, &grace, token).await;
    assert_eq!(joined.status(), 200);
    let joined: Value = joined.json().await.unwrap();
    assert_eq!(joined["data"]["id"], team.as_str());
    assert_eq!(joined["data"]["role"], "manager");
    let team_seen = app
        .call(&grace, Method::GET, &format!("/api/v1/teams/{team}"), None)
        .await;
    assert_eq!(team_seen.status(), 200, "a member now");

    assert_eq!(
        code(accept(&app, &grace, token).await, 410).await,
        "invitation_gone"
    );
    let listed = app
        .call(
            &admin,
            Method::GET,
            &format!("/api/v1/teams/{team}/invitations"),
            None,
        )
        .await;
    let listed: Value = listed.json().await.unwrap();
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        0,
        "no longer pending"
    );
}

#[tokio::test]
async fn an_expired_or_revoked_invitation_is_gone_and_an_expired_one_can_be_renewed() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let grace = app.user("grace").await;
    let team = app.team(&admin).await;

    let revoked = invited(&app, &admin, &team, &grace.email).await;
    let id = revoked["id"].as_str().unwrap();
    let path = format!("/api/v1/invitations/{id}");
    assert_eq!(
        app.call(&grace, Method::DELETE, &path, None).await.status(),
        404
    );
    assert_eq!(
        app.call(&admin, Method::DELETE, &path, None).await.status(),
        204
    );
    assert_eq!(
        app.call(&admin, Method::DELETE, &path, None).await.status(),
        404
    );
    let token = revoked["token"].as_str().unwrap();
    assert_eq!(
        code(accept(&app, &grace, token).await, 410).await,
        "invitation_gone"
    );

    // Seven days on, as far as the invitation can tell.
    let expiring = invited(&app, &admin, &team, &grace.email).await;
    app.database()
        .await
        .batch_execute(&format!(
            "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = '{}'",
            expiring["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let token = expiring["token"].as_str().unwrap();
    assert_eq!(
        code(accept(&app, &grace, token).await, 410).await,
        "invitation_gone"
    );
    let renewed = invited(&app, &admin, &team, &grace.email).await;
    assert_eq!(
        accept(&app, &grace, renewed["token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

/// The accept reads the invitation as pending, then waits for the team's
/// lock; a revoke lands meanwhile. Under the lock the accept finds it no
/// longer pending: `410`, and nobody joined.
#[tokio::test]
async fn a_revoke_that_lands_while_the_accept_waits_for_the_lock_wins() {
    let app = spawn_app().await;
    let admin = app.user("admin").await;
    let grace = app.user("grace").await;
    let team = app.team(&admin).await;
    let invitation = invited(&app, &admin, &team, &grace.email).await;
    let id = invitation["id"].as_str().unwrap();
    // A revoke is itself a change under the team's lock: this transaction
    // plays one, holding the lock while the accept queues behind it.
    let mut holder = app
        .hold_locks(&format!(
            "SELECT 1 FROM teams WHERE id = '{team}' FOR UPDATE"
        ))
        .await;
    holder
        .batch_execute(&format!(
            "UPDATE invitations SET revoked_at = now() WHERE id = '{id}'"
        ))
        .await
        .unwrap();

    let (accepted, ()) = tokio::join!(
        accept(&app, &grace, invitation["token"].as_str().unwrap()),
        async {
            app.until_waiting(1).await;
            holder.batch_execute("COMMIT").await.unwrap();
        }
    );

    assert_eq!(code(accepted, 410).await, "invitation_gone");
    let team_seen = app
        .call(&grace, Method::GET, &format!("/api/v1/teams/{team}"), None)
        .await;
    assert_eq!(team_seen.status(), 404, "not a member");
}
