//! The api process: pools, migrations, adapters and the HTTP server, and the
//! graceful stop that ties them together.

use crate::config::Config;
use crate::dns::SystemResolver;
use crate::security::{BcryptPasswordHasher, JwtAccessTokenCodec, RandomSecretMinter};
use adapters_postgres::events::{ActivityAnnouncer, EventHub, EventHubConfig, PgProjectFeed};
use adapters_postgres::{
    PgActivityRepository, PgCommentRepository, PgInvitationRepository, PgNotificationRepository,
    PgPersonalTokenRepository, PgPool, PgProjectRepository, PgReadiness, PgRefreshTokenRepository,
    PgTaskRepository, PgTeamActivityRepository, PgTeamLocks, PgTeamRepository, PgUserRepository,
    PgWebhookRepository, PgWriteContexts, StatementCounter,
};
use adapters_redis::{
    ListCacheSettings, RedisRateLimiter, RedisReadiness, RedisRevocationCache, RedisStore,
    RedisStreamSeats, RedisTaskListCache, RedisTokenGrantCache,
};
use anyhow::Context;
use domain::activity::ActivityService;
use domain::auth::{AuthService, AuthSettings, SessionDenylist, SystemClock, UserRepository};
use domain::comments::CommentService;
use domain::events::EventService;
use domain::invitations::InvitationService;
use domain::notifications::{NotificationService, ReminderLead};
use domain::ops::DependencyCheck;
use domain::ops::Quota;
use domain::outbox::WriteContexts;
use domain::personal_tokens::PersonalTokenService;
use domain::projects::{ProjectRepository, ProjectService};
use domain::tasks::{TaskRepository, TaskService};
use domain::teams::{TeamLocks, TeamRepository, TeamService};
use domain::webhooks::{WebhookService, WebhookSettings};
use http_actix::middleware::RateLimitPolicy;
use http_actix::stream_limits::{SharedSeats, StreamLimits};
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
    /// Turned true when the process begins to stop: live streams end and
    /// the event hub and its listener stop.
    stopping: tokio::sync::watch::Sender<bool>,
}

/// The process's live-event fan-out, as the services see it.
pub(crate) struct LiveEvents {
    pub hub: Arc<EventHub>,
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

impl LiveEvents {
    /// A hub nobody runs (a one-off command that serves no streams).
    pub(crate) fn idle(postgres: &PgPool) -> Self {
        let (_, stopping) = tokio::sync::watch::channel(false);
        Self {
            hub: EventHub::new(postgres.clone(), EventHubConfig::default()),
            stopping,
        }
    }
}

/// The services behind the HTTP layer, each given its adapters as ports.
pub(crate) fn app_state(
    config: &Config,
    postgres: &PgPool,
    redis: &RedisStore,
    dependency_checks: Vec<Arc<dyn DependencyCheck>>,
    live: LiveEvents,
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
    let (teams, invitations) = team_services(config, postgres, &team_repository, users);
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
        memo: Arc::new(crate::write_memo::InProcessWriteMemo::default()),
        reminder_lead: reminder_lead(config)?,
    };
    let comments = CommentService {
        comments: Arc::new(PgCommentRepository::new(postgres.clone())),
        tasks,
        teams: Arc::clone(&team_repository),
        contexts: Arc::clone(&contexts),
    };
    let activity = ActivityService {
        activity: Arc::new(PgActivityRepository::new(postgres.clone())),
        team_activity: Arc::new(PgTeamActivityRepository::new(postgres.clone())),
        projects: Arc::clone(&projects),
        teams: Arc::clone(&team_repository),
    };
    let webhook_teams = Arc::clone(&team_repository);
    let events = EventService {
        feed: Arc::new(PgProjectFeed::new(live.hub)),
        projects: Arc::clone(&projects),
        teams: Arc::clone(&team_repository),
    };
    let project_service = ProjectService {
        projects,
        teams: team_repository,
        contexts,
    };
    Ok(AppState {
        dependency_checks,
        auth: Arc::new(auth),
        tokens: Arc::new(personal_tokens(config, postgres, redis)),
        teams: Arc::new(teams),
        invitations: Arc::new(invitations),
        projects: Arc::new(project_service),
        tasks: Arc::new(task_service),
        comments: Arc::new(comments),
        activity: Arc::new(activity),
        webhooks: Arc::new(webhook_service(config, postgres, webhook_teams)),
        events: Arc::new(events),
        streams: stream_limits(config, redis),
        events_keep_alive: config.events.keep_alive,
        stopping: live.stopping,
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

/// Membership and invitations: both change a team's members under its
/// lock (`PgTeamLocks`).
fn team_services(
    config: &Config,
    postgres: &PgPool,
    team_repository: &Arc<dyn TeamRepository>,
    users: Arc<dyn UserRepository>,
) -> (TeamService, InvitationService) {
    let locks: Arc<dyn TeamLocks> = Arc::new(PgTeamLocks::new(postgres.clone()));
    let invitations = InvitationService {
        invitations: Arc::new(PgInvitationRepository::new(postgres.clone())),
        teams: Arc::clone(team_repository),
        users: Arc::clone(&users),
        locks: Arc::clone(&locks),
        minter: Arc::new(RandomSecretMinter::new(config.auth.jwt_secret.as_bytes())),
        clock: Arc::new(SystemClock),
    };
    let teams = TeamService {
        teams: Arc::clone(team_repository),
        locks,
        users,
    };
    (teams, invitations)
}

fn reminder_lead(config: &Config) -> anyhow::Result<ReminderLead> {
    Ok(ReminderLead(
        chrono::Duration::from_std(config.jobs.reminder_lead)
            .context("OPSFLOW_REMINDER_LEAD_SECS is too large")?,
    ))
}

fn webhook_service(
    config: &Config,
    postgres: &PgPool,
    teams: Arc<dyn TeamRepository>,
) -> WebhookService {
    WebhookService {
        webhooks: Arc::new(PgWebhookRepository::new(postgres.clone())),
        teams,
        locks: Arc::new(PgTeamLocks::new(postgres.clone())),
        resolver: Arc::new(SystemResolver),
        minter: Arc::new(RandomSecretMinter::new(config.auth.jwt_secret.as_bytes())),
        settings: WebhookSettings {
            allow_private: config.webhooks.allow_private,
        },
    }
}

/// The event hub's tail reader, its listening connection and the announcer
/// of this process's writes, all running until the returned sender turns
/// true.
fn start_live_events(
    config: &Config,
    postgres: &PgPool,
    announcer: ActivityAnnouncer,
) -> (tokio::sync::watch::Sender<bool>, LiveEvents) {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let hub = EventHub::new(
        postgres.clone(),
        EventHubConfig {
            poll: config.events.poll,
            ..EventHubConfig::default()
        },
    );
    tokio::spawn(Arc::clone(&hub).run(stopping.clone()));
    tokio::spawn(adapters_postgres::events::listen(
        config.database_url.clone(),
        Arc::clone(&hub),
        std::time::Duration::from_secs(1),
        stopping.clone(),
    ));
    tokio::spawn(announcer.run(
        config.database_url.clone(),
        ANNOUNCE_WINDOW,
        stopping.clone(),
    ));
    (stop, LiveEvents { hub, stopping })
}

/// The quiet after each batch of activity announcements: at most 100
/// NOTIFY statements a second per api process, whatever its write rate
/// (`events::ActivityAnnouncer`), for at most 10 ms more per event.
const ANNOUNCE_WINDOW: std::time::Duration = std::time::Duration::from_millis(10);

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
        minter: Arc::new(RandomSecretMinter::new(config.auth.jwt_secret.as_bytes())),
        refresh_tokens,
        denylist: Arc::new(denylist),
        clock: Arc::new(SystemClock),
        settings: AuthSettings {
            access_token_ttl: config.auth.access_token_ttl,
            refresh_token_ttl: config.auth.refresh_token_ttl,
            refresh_grace: config.auth.refresh_grace,
        },
    })
}

/// Personal access tokens: PostgreSQL is the record, Redis remembers
/// looked-up grants (and revocations) for every replica.
fn personal_tokens(config: &Config, postgres: &PgPool, redis: &RedisStore) -> PersonalTokenService {
    PersonalTokenService {
        tokens: Arc::new(PgPersonalTokenRepository::new(postgres.clone())),
        cache: Arc::new(RedisTokenGrantCache::new(redis.clone())),
        minter: Arc::new(RandomSecretMinter::new(config.auth.jwt_secret.as_bytes())),
        clock: Arc::new(SystemClock),
    }
}

/// The live-stream caps: per process, and per user across every replica
/// (the count in Redis, kept by each process's heartbeat, `keep_seats`).
fn stream_limits(config: &Config, redis: &RedisStore) -> Arc<StreamLimits> {
    StreamLimits::new(
        config.events.max_streams_per_user,
        config.events.max_streams,
        Some(SharedSeats {
            seats: Arc::new(RedisStreamSeats::new(redis.clone())),
            lease: config.events.seat_lease,
        }),
    )
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
        let announcer = ActivityAnnouncer::new();
        let postgres = counted_postgres_pool(config, counter)?.announcing(announcer.clone());
        let redis = redis_store(config)?;
        let dependency_checks: Vec<Arc<dyn DependencyCheck>> = vec![
            Arc::new(PgReadiness::new(postgres.clone(), DEPENDENCY_TIMEOUT)),
            Arc::new(RedisReadiness::new(redis.clone(), DEPENDENCY_TIMEOUT)),
        ];
        let (stopping, live) = start_live_events(config, &postgres, announcer);
        let state = app_state(config, &postgres, &redis, dependency_checks, live)?;
        tokio::spawn(StreamLimits::keep_seats(Arc::downgrade(&state.streams)));
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
            stopping,
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
        let stopping = self.stopping.clone();
        let stopper = tokio::spawn(async move {
            let reason = stop.await;
            tracing::info!(signal = reason, "stopping: finishing in-flight requests");
            // Live streams end first: they would hold the grace period.
            stopping.send_replace(true);
            handle.stop(true).await;
        });
        tracing::info!(address = %self.address, "api listening");
        let outcome = self.server.await;
        stopper.abort();
        self.stopping.send_replace(true);
        self.postgres.close();
        self.redis.close();
        tracing::info!("api stopped: pools closed");
        outcome
    }
}
