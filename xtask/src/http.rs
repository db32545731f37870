//! Plain HTTP calls to the api processes a task starts, and the chaos run's
//! client-side balancer.

use crate::sync::locked;
use anyhow::{Context, Result};
use reqwest::{Client, Method};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A new connection per request, as a fresh client would open: a pooled
/// keep-alive connection to a draining replica would fail in ways no real
/// balancer-fronted client sees, and a refused connection must stay
/// distinguishable from a request lost in flight.
pub fn client() -> Result<Client> {
    // reqwest is built without a default TLS provider (the workspace picks
    // ring); plain HTTP still needs one installed to build a client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(Client::builder()
        .timeout(Duration::from_secs(15))
        .pool_max_idle_per_host(0)
        .build()?)
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub x_cache: Option<String>,
    pub body: Value,
}

impl Answer {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    /// The `data.id` of a successful answer.
    pub fn id(&self) -> Result<String> {
        self.data()["id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("expected data.id, got {} {}", self.status, self.body))
    }
}

#[derive(Debug)]
pub enum CallError {
    /// The connection was refused: the request never reached a server.
    NotSent,
    /// The request failed in flight (reset, timeout, truncated answer).
    Failed(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotSent => f.write_str("connection refused"),
            Self::Failed(error) => f.write_str(error),
        }
    }
}

impl std::error::Error for CallError {}

pub async fn request(
    http: &Client,
    base: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> Result<Answer, CallError> {
    let method =
        Method::from_bytes(method.as_bytes()).map_err(|e| CallError::Failed(e.to_string()))?;
    let mut call = http.request(method, format!("{base}{path}"));
    if let Some(body) = body {
        call = call.json(&body);
    }
    if let Some(token) = token {
        call = call.bearer_auth(token);
    }
    let failed = |error: reqwest::Error| {
        if error.is_connect() {
            CallError::NotSent
        } else {
            CallError::Failed(format!("{error:?}"))
        }
    };
    let response = call.send().await.map_err(failed)?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let status = response.status().as_u16();
    let content_type = header("content-type").unwrap_or_default();
    let x_cache = header("x-cache");
    let raw = response
        .bytes()
        .await
        .map_err(|e| CallError::Failed(format!("{e:?}")))?;
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Ok(Answer {
        status,
        content_type,
        x_cache,
        body,
    })
}

/// The api replicas behind a client-side balancer: round robin over the
/// replicas in rotation (a scenario takes one out, as an endpoints controller
/// does), and a refused connection (never sent) goes to the next replica.
pub struct Cluster {
    rotation: Mutex<Vec<String>>,
    turn: AtomicUsize,
}

impl Cluster {
    pub fn new(bases: Vec<String>) -> Self {
        Self {
            rotation: Mutex::new(bases),
            turn: AtomicUsize::new(0),
        }
    }

    pub fn set_rotation(&self, bases: Vec<String>) {
        *locked(&self.rotation) = bases;
    }

    pub async fn call(
        &self,
        http: &Client,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: &str,
    ) -> Result<Answer, CallError> {
        let order = {
            let rotation = locked(&self.rotation);
            let start = self.turn.fetch_add(1, Ordering::Relaxed) % rotation.len().max(1);
            let mut order = rotation[start..].to_vec();
            order.extend_from_slice(&rotation[..start]);
            order
        };
        for base in order {
            match request(http, &base, method, path, body.clone(), Some(token)).await {
                Err(CallError::NotSent) => continue,
                answer => return answer,
            }
        }
        Err(CallError::NotSent)
    }
}

/// Registers EMAIL and logs in: the access token and the user id.
pub async fn sign_up(
    http: &Client,
    base: &str,
    email: &str,
    password: &str,
    name: &str,
) -> Result<(String, String)> {
    let registration = serde_json::json!({ "email": email, "password": password, "name": name });
    request(
        http,
        base,
        "POST",
        "/api/v1/auth/register",
        Some(registration),
        None,
    )
    .await?;
    let credentials = serde_json::json!({ "email": email, "password": password });
    let login = request(
        http,
        base,
        "POST",
        "/api/v1/auth/login",
        Some(credentials),
        None,
    )
    .await?;
    let token = login.data()["access_token"]
        .as_str()
        .context("login: no access_token")?;
    let user = login.data()["user"]["id"]
        .as_str()
        .context("login: no user id")?;
    Ok((token.to_owned(), user.to_owned()))
}

/// Whether `base` answers `/health` with 200 within `timeout`.
pub async fn healthy_within(http: &Client, base: &str, timeout: Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if matches!(request(http, base, "GET", "/health", None, None).await, Ok(a) if a.status == 200)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The api's `opsflow_events_streams` gauge (open live-event streams), read
/// from its `/metrics`.
pub async fn open_event_streams(http: &Client, base: &str) -> Result<usize> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let value = text
        .lines()
        .find_map(|line| line.strip_prefix("opsflow_events_streams "))
        .context("no opsflow_events_streams in /metrics")?;
    Ok(value.trim().parse::<f64>()? as usize)
}
