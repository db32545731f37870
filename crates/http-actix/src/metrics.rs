//! The one Prometheus registry both processes expose on `/metrics`, with the
//! contract's series (names and labels are part of the contract). The api
//! fills the HTTP, cache and rate-limit series; the worker the job series;
//! gauges that describe a dependency (pool connections, queue depth) are read
//! when scraped, by hooks the composition root registers.
//!
//! Labels are bounded by construction: `route` is the matched pattern (or
//! `<unmatched>`), never the raw path; `method` is one of the HTTP methods the
//! API knows (else `other`); `status` is a status code.

use futures_util::future::BoxFuture;
use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::sync::{Arc, Mutex, PoisonError};

/// Refreshes scrape-time gauges (pool status, queue depth) before a scrape.
pub type ScrapeHook = Arc<dyn Fn(Arc<Metrics>) -> BoxFuture<'static, ()> + Send + Sync>;

pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    pub db_pool_connections: IntGaugeVec,
    pub db_pool_max_connections: IntGauge,
    pub dependency_up: IntGaugeVec,
    pub cache_requests: IntCounterVec,
    pub rate_limited: IntCounterVec,
    pub jobs: IntCounterVec,
    pub jobs_queue_depth: IntGaugeVec,
    pub jobs_oldest_pending_age: Gauge,
    pub events: EventMetrics,
    hooks: Mutex<Vec<ScrapeHook>>,
}

/// Registers `series` in `registry`.
///
/// # Panics
/// Never in practice: every series here has a valid name and labels and is
/// registered once.
#[allow(clippy::expect_used)]
fn register<T>(registry: &Registry, series: prometheus::Result<T>) -> T
where
    T: prometheus::core::Collector + Clone + 'static,
{
    let series = series.expect("valid series");
    registry
        .register(Box::new(series.clone()))
        .expect("registered once");
    series
}

/// Live event streams (contract → Live events).
pub struct EventMetrics {
    pub streams: IntGauge,
    pub sent: IntCounter,
    /// From an entry's write to its frame.
    pub lag: Histogram,
}

impl EventMetrics {
    fn register(registry: &Registry) -> Self {
        let lag = HistogramOpts::new(
            "opsflow_events_lag_seconds",
            "From an entry's write to its frame on a stream.",
        )
        .buckets(vec![
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ]);
        Self {
            streams: register(
                registry,
                IntGauge::new(
                    "opsflow_events_streams",
                    "Live event streams open on this process.",
                ),
            ),
            sent: register(
                registry,
                IntCounter::new(
                    "opsflow_events_sent_total",
                    "Activity events written to live streams.",
                ),
            ),
            lag: register(registry, Histogram::with_opts(lag)),
        }
    }
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            register(&registry, IntCounterVec::new(Opts::new(name, help), labels))
        };
        let gauge = |name: &str, help: &str, labels: &[&str]| {
            register(&registry, IntGaugeVec::new(Opts::new(name, help), labels))
        };
        let http_duration = HistogramOpts::new(
            "opsflow_http_request_duration_seconds",
            "Time from request to response, by method and matched route.",
        )
        .buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ]);
        Arc::new(Self {
            http_requests: counter(
                "opsflow_http_requests_total",
                "HTTP requests answered, by method, matched route and status.",
                &["method", "route", "status"],
            ),
            http_duration: register(
                &registry,
                HistogramVec::new(http_duration, &["method", "route"]),
            ),
            db_pool_connections: gauge(
                "opsflow_db_pool_connections",
                "PostgreSQL pool connections by state (idle, in_use).",
                &["state"],
            ),
            // Not in the contract's table; the alerts need them: saturation
            // is `in_use / max`, and readiness must be visible to Prometheus,
            // which does not call `/ready`.
            db_pool_max_connections: register(
                &registry,
                IntGauge::new(
                    "opsflow_db_pool_max_connections",
                    "The PostgreSQL pool's configured size (the saturation ceiling).",
                ),
            ),
            dependency_up: gauge(
                "opsflow_dependency_up",
                "1 when the dependency answered its readiness check at this scrape, else 0.",
                &["dependency"],
            ),
            cache_requests: counter(
                "opsflow_cache_requests_total",
                "Task-list reads by cache result (hit, miss, bypass).",
                &["result"],
            ),
            rate_limited: counter(
                "opsflow_rate_limited_total",
                "Requests refused by the rate limiter, by scope (user, ip, login).",
                &["scope"],
            ),
            jobs: counter(
                "opsflow_jobs_total",
                "Jobs run by the worker, by kind and outcome (succeeded, retried, dead).",
                &["kind", "outcome"],
            ),
            jobs_queue_depth: gauge(
                "opsflow_jobs_queue_depth",
                "Jobs due and waiting for a worker, by kind.",
                &["kind"],
            ),
            jobs_oldest_pending_age: register(
                &registry,
                Gauge::new(
                    "opsflow_jobs_oldest_pending_age_seconds",
                    "How long the oldest due job has been waiting (0 when none).",
                ),
            ),
            events: EventMetrics::register(&registry),
            hooks: Mutex::new(Vec::new()),
            registry,
        })
    }

    pub fn on_scrape(&self, hook: ScrapeHook) {
        self.hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(hook);
    }

    /// One answered request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "other",
        };
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    /// Runs the scrape hooks, then renders the text format.
    pub async fn render(self: Arc<Self>) -> String {
        let hooks: Vec<ScrapeHook> = self
            .hooks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for hook in hooks {
            hook(Arc::clone(&self)).await;
        }
        let mut buffer = Vec::new();
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

/// `GET /metrics` for either process.
pub async fn serve_metrics(metrics: actix_web::web::Data<Arc<Metrics>>) -> actix_web::HttpResponse {
    let body = Arc::clone(metrics.get_ref()).render().await;
    actix_web::HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}
