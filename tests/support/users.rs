//! Users for tests: register + login through the real API.

use crate::TestApp;
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    /// Registers `name` with a unique email and logs in.
    pub async fn user(&self, name: &str) -> TestUser {
        let email = format!("{name}-{}@example.com", uuid::Uuid::now_v7().simple());
        let response = self
            .client
            .post(self.url("/api/v1/auth/register"))
            .json(&json!({"email": email, "password": PASSWORD, "name": name}))
            .send()
            .await
            .expect("register");
        assert_eq!(response.status(), 201, "register {name}");
        let login = self.login(&email, PASSWORD).await;
        assert_eq!(login.status(), 200, "login {name}");
        let refresh_token = login
            .cookies()
            .find(|c| c.name() == "refresh_token")
            .map(|c| c.value().to_owned())
            .expect("refresh cookie");
        let body: Value = login.json().await.expect("login body");
        TestUser {
            id: body["data"]["user"]["id"].as_str().expect("id").to_owned(),
            email,
            access_token: body["data"]["access_token"]
                .as_str()
                .expect("token")
                .to_owned(),
            refresh_token,
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login request")
    }

    /// Sends `method path` with `user`'s bearer token and an optional JSON body.
    pub async fn call(
        &self,
        user: &TestUser,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&user.access_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request")
    }

    /// Creates a team owned by `admin` and returns its id.
    pub async fn team(&self, admin: &TestUser) -> String {
        let response = self
            .call(
                admin,
                reqwest::Method::POST,
                "/api/v1/teams",
                Some(json!({"name": "Team"})),
            )
            .await;
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.expect("team body");
        body["data"]["id"].as_str().expect("team id").to_owned()
    }

    /// Adds `user` to `team` with `role`, as `admin`.
    pub async fn add_member(&self, admin: &TestUser, team: &str, user: &TestUser, role: &str) {
        let response = self
            .call(
                admin,
                reqwest::Method::POST,
                &format!("/api/v1/teams/{team}/members"),
                Some(json!({"email": user.email, "role": role})),
            )
            .await;
        assert_eq!(response.status(), 201, "add {} as {role}", user.email);
    }
}

impl TestApp {
    /// `user` acting through a new personal access token with `scopes`: the
    /// same user, the token as its bearer credential.
    pub async fn token_user(&self, user: &TestUser, scopes: &[&str]) -> TestUser {
        let response = self
            .call(
                user,
                reqwest::Method::POST,
                "/api/v1/users/me/tokens",
                Some(json!({"name": "test token", "scopes": scopes})),
            )
            .await;
        assert_eq!(response.status(), 201, "create a token");
        let body: Value = response.json().await.expect("token body");
        TestUser {
            access_token: body["data"]["token"].as_str().expect("token").to_owned(),
            ..user.clone()
        }
    }
}
