//! What handlers get from the composition root: services and checks behind
//! domain ports, never adapters.

use crate::rate_limit_policy::RateLimitPolicy;
use domain::activity::ActivityService;
use domain::auth::AuthService;
use domain::comments::CommentService;
use domain::events::EventService;
use domain::invitations::InvitationService;
use domain::notifications::NotificationService;
use domain::ops::DependencyCheck;
use domain::personal_tokens::PersonalTokenService;
use domain::projects::ProjectService;
use domain::tasks::TaskService;
use domain::teams::TeamService;
use domain::webhooks::WebhookService;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    /// Dependencies `/ready` asks, in the order they are reported.
    pub dependency_checks: Vec<Arc<dyn DependencyCheck>>,
    pub auth: Arc<AuthService>,
    pub tokens: Arc<PersonalTokenService>,
    pub teams: Arc<TeamService>,
    pub invitations: Arc<InvitationService>,
    pub projects: Arc<ProjectService>,
    pub tasks: Arc<TaskService>,
    pub comments: Arc<CommentService>,
    pub activity: Arc<ActivityService>,
    pub notifications: Arc<NotificationService>,
    pub webhooks: Arc<WebhookService>,
    pub events: Arc<EventService>,
    /// Open live streams against their caps.
    pub streams: Arc<crate::stream_limits::StreamLimits>,
    /// The longest silence on a live stream before a `: keep-alive`.
    pub events_keep_alive: Duration,
    /// Turns true when the process begins to stop: live streams end, so
    /// clients reconnect to another replica (and resume) at once.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// The process's Prometheus registry (`/metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    pub cookies: CookieSettings,
    /// Allowed browser origins: CORS, and the origin check on cookie-authenticated
    /// writes (CSRF defence in depth next to SameSite=Strict).
    pub allowed_origins: Arc<Vec<String>>,
    /// `None`: rate limiting is off (`OPSFLOW_RATE_LIMIT_ENABLED=false`).
    pub rate_limit: Option<Arc<RateLimitPolicy>>,
}

#[derive(Debug, Clone, Copy)]
pub struct CookieSettings {
    pub secure: bool,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}
