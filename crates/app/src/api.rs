//! The api process: pools, migrations, adapters and the HTTP server, and the
//! graceful stop that ties them together.

use crate::config::Config;
use crate::dns::SystemResolver;
use crate::security::{BcryptPasswordHasher, JwtAccessTokenCodec, RandomSecretMinter};
use adapters_postgres::{
    PgActivityRepository, PgCommentRepository, PgNotificationRepository, PgPool,
    PgProjectRepository, PgReadiness, PgRefreshTokenRepository, PgTaskRepository, PgTeamLocks,
    PgTeamRepository, PgUserRepository, PgWebhookRepository, PgWriteContexts, StatementCounter,
};
use adapters_redis::{
    ListCacheSettings, RedisRateLimiter, RedisReadiness, RedisRevocationCache, RedisStore,
    RedisTaskListCache,
};
use anyhow::Context;
use domain::activity::ActivityService;
use domain::auth::{AuthService, AuthSettings, SessionDenylist, SystemClock, UserRepository};
use domain::comments::CommentService;
use domain::notifications::{NotificationService, ReminderLead};
use domain::ops::DependencyCheck;
use domain::ops::Quota;
use domain::outbox::WriteContexts;
use domain::projects::{ProjectRepository, ProjectService};
use domain::tasks::{TaskRepository, TaskService};
use domain::teams::{TeamRepository, TeamService};
use domain::webhooks::{WebhookService, WebhookSettings};
use http_actix::middleware::RateLimitPolicy;
use http_actix::{AppState, CookieSettings, ExtraRoutes, HttpSettings};
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use crate::pools::{counted_postgres_pool, redis_store, DEPENDENCY_TIMEOUT};

pub struct Api {
    server: actix_web::dev::Server,
    address: SocketAddr,
    postgres: PgPool,
    redis: RedisStore,
}

/// The services behind the HTTP layer, each given its adapters as ports.
pub(crate) fn app_state(
    config: &Config,
    postgres: &PgPool,
    redis: &RedisStore,
    dependency_checks: Vec<Arc<dyn DependencyCheck>>,
) -> anyhow::Result<AppState> {
    let metrics = http_actix::metrics::Metrics::new();
    crate::metrics::watch_pool(&metrics, postgres.clone());
    crate::metrics::watch_dependencies(&metrics, dependency_checks.clone());
    let users: Arc<dyn UserRepository> = Arc::new(PgUserRepository::new(postgres.clone()));
    let auth = auth_service(config, postgres, redis, Arc::clone(&users))?;
    let team_repository: Arc<dyn TeamRepository> =
        Arc::new(PgTeamRepository::new(postgres.clone()));
    let projects: Arc<dyn ProjectRepository> = Arc::new(PgProjectRepository::new(postgres.clone()));
    let tasks: Arc<dyn TaskRepository> = Arc::new(PgTaskRepository::new(postgres.clone()));
    let contexts: Arc<dyn WriteContexts> = Arc::new(PgWriteContexts::new(postgres.clone()));
    let teams = TeamService {
        teams: Arc::clone(&team_repository),
        locks: Arc::new(PgTeamLocks::new(postgres.clone())),
        users,
    };
    let task_service = TaskService {
        tasks: Arc::clone(&tasks),
        projects: Arc::clone(&projects),
        teams: Arc::clone(&team_repository),
        list_cache: Arc::new(RedisTaskListCache::new(
            redis.clone(),
            ListCacheSettings {
                enabled: config.cache.enabled,
                ttl: config.cache.ttl,
            },
        )),
        reminder_lead: ReminderLead(
            chrono::Duration::from_std(config.jobs.reminder_lead)
                .context("OPSFLOW_REMINDER_LEAD_SECS is too large")?,
        ),
    };
    let comments = CommentService {
        comments: Arc::new(PgCommentRepository::new(postgres.clone())),
        tasks,
        teams: Arc::clone(&team_repository),
        contexts: Arc::clone(&contexts),
    };
    let activity = ActivityService {
        activity: Arc::new(PgActivityRepository::new(postgres.clone())),
        projects: Arc::clone(&projects),
        teams: Arc::clone(&team_repository),
    };
    let webhook_teams = Arc::clone(&team_repository);
    let project_service = ProjectService {
        projects,
        teams: team_repository,
        contexts,
    };
    Ok(AppState {
        dependency_checks,
        auth: Arc::new(auth),
        teams: Arc::new(teams),
        projects: Arc::new(project_service),
        tasks: Arc::new(task_service),
        comments: Arc::new(comments),
        activity: Arc::new(activity),
        webhooks: Arc::new(WebhookService {
            webhooks: Arc::new(PgWebhookRepository::new(postgres.clone())),
            teams: Arc::clone(&webhook_teams),
            resolver: Arc::new(SystemResolver),
            minter: Arc::new(RandomSecretMinter),
            settings: WebhookSettings {
                allow_private: config.webhooks.allow_private,
            },
        }),
        metrics: Arc::clone(&metrics),
        notifications: Arc::new(NotificationService {
            notifications: Arc::new(PgNotificationRepository::new(postgres.clone())),
        }),
        cookies: CookieSettings {
            secure: config.auth.cookie_secure,
            access_ttl: config.auth.access_token_ttl,
            refresh_ttl: config.auth.refresh_token_ttl,
        },
        allowed_origins: Arc::new(config.cors_origins.clone()),
        rate_limit: rate_limit_policy(config, redis, &metrics),
    })
}

/// Accounts and sessions: PostgreSQL is the record of revocations, Redis
/// their fast path.
fn auth_service(
    config: &Config,
    postgres: &PgPool,
    redis: &RedisStore,
    users: Arc<dyn UserRepository>,
) -> anyhow::Result<AuthService> {
    let hasher = BcryptPasswordHasher::new(config.auth.bcrypt_cost).context("setting up bcrypt")?;
    let refresh_tokens = Arc::new(PgRefreshTokenRepository::new(postgres.clone()));
    let denylist = SessionDenylist::new(
        refresh_tokens.clone(),
        Arc::new(RedisRevocationCache::new(redis.clone())),
        Arc::new(SystemClock),
        config.auth.access_token_ttl,
    );
    Ok(AuthService {
        users,
        hasher: Arc::new(hasher),
        codec: Arc::new(JwtAccessTokenCodec::new(config.auth.jwt_secret.as_bytes())),
        minter: Arc::new(RandomSecretMinter),
        refresh_tokens,
        denylist: Arc::new(denylist),
        clock: Arc::new(SystemClock),
        settings: AuthSettings {
            access_token_ttl: config.auth.access_token_ttl,
            refresh_token_ttl: config.auth.refresh_token_ttl,
        },
    })
}

/// Absent when rate limiting is off.
fn rate_limit_policy(
    config: &Config,
    redis: &RedisStore,
    metrics: &Arc<http_actix::metrics::Metrics>,
) -> Option<Arc<RateLimitPolicy>> {
    config.rate_limit.enabled.then(|| {
        Arc::new(RateLimitPolicy {
            limiter: Arc::new(RedisRateLimiter::new(redis.clone())),
            per_user: Quota {
                per_minute: config.rate_limit.user_per_min,
            },
            per_ip: Quota {
                per_minute: config.rate_limit.ip_per_min,
            },
            per_login: Quota {
                per_minute: config.rate_limit.login_per_min,
            },
            trusted_proxies: config.rate_limit.trusted_proxies.clone(),
            metrics: Arc::clone(metrics),
        })
    })
}

impl Api {
    /// Builds everything the api needs and binds `listener`. Applies pending
    /// migrations first when configured to.
    ///
    /// # Errors
    /// When migrations fail or the server cannot start.
    pub async fn build(
        config: &Config,
        listener: TcpListener,
        workers: Option<usize>,
        extra_routes: ExtraRoutes,
    ) -> anyhow::Result<Self> {
        Self::build_counted(config, listener, workers, extra_routes, None).await
    }

    /// [`Api::build`], with every PostgreSQL statement counted into `counter`
    /// (the test harness proves each endpoint's statement count with it).
    ///
    /// # Errors
    /// As for [`Api::build`].
    pub async fn build_counted(
        config: &Config,
        listener: TcpListener,
        workers: Option<usize>,
        extra_routes: ExtraRoutes,
        counter: Option<StatementCounter>,
    ) -> anyhow::Result<Self> {
        if config.migrate_on_start {
            let applied = adapters_postgres::run_pending_migrations(&config.database_url)
                .await
                .context("applying migrations at start (OPSFLOW_MIGRATE_ON_START)")?;
            tracing::info!(migrations.applied = applied.len(), "migrations up to date");
        }
        let postgres = counted_postgres_pool(config, counter)?;
        let redis = redis_store(config)?;
        let dependency_checks: Vec<Arc<dyn DependencyCheck>> = vec![
            Arc::new(PgReadiness::new(postgres.clone(), DEPENDENCY_TIMEOUT)),
            Arc::new(RedisReadiness::new(redis.clone(), DEPENDENCY_TIMEOUT)),
        ];
        let state = app_state(config, &postgres, &redis, dependency_checks)?;
        let settings = HttpSettings {
            cors_origins: config.cors_origins.clone(),
            json_body_limit: http_actix::extract::JSON_BODY_LIMIT,
            body_read_timeout: config.body_read_timeout,
            workers,
            shutdown_grace: config.shutdown_grace,
        };
        let address = listener
            .local_addr()
            .context("reading the listen address")?;
        let server = http_actix::serve(listener, state, settings, extra_routes)
            .context("starting the HTTP server")?;
        Ok(Self {
            server,
            address,
            postgres,
            redis,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until `stop` resolves, then stops gracefully: no new connections,
    /// in-flight requests get up to the configured grace period, then the pools
    /// close.
    ///
    /// # Errors
    /// When the server fails while running.
    pub async fn run_until(
        self,
        stop: impl Future<Output = &'static str> + Send + 'static,
    ) -> std::io::Result<()> {
        let handle = self.server.handle();
        let stopper = tokio::spawn(async move {
            let reason = stop.await;
            tracing::info!(signal = reason, "stopping: finishing in-flight requests");
            handle.stop(true).await;
        });
        tracing::info!(address = %self.address, "api listening");
        let outcome = self.server.await;
        stopper.abort();
        self.postgres.close();
        self.redis.close();
        tracing::info!("api stopped: pools closed");
        outcome
    }
}
