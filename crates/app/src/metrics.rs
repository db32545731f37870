//! Wires the shared registry (`http_actix::metrics`) to this process's
//! dependencies: the pool gauge for both processes, the job series and queue
//! gauges for the worker.

use adapters_postgres::PgPool;
use domain::jobs::{JobKind, JobObserver};
use domain::ops::DependencyCheck;
use http_actix::metrics::Metrics;
use std::sync::Arc;

/// `opsflow_db_pool_connections{state}`, read at each scrape.
pub fn watch_pool(metrics: &Metrics, pool: PgPool) {
    metrics.on_scrape(Arc::new(move |metrics: Arc<Metrics>| {
        let (idle, in_use) = pool.connections();
        let max = pool.max_size();
        Box::pin(async move {
            metrics
                .db_pool_max_connections
                .set(i64::try_from(max).unwrap_or(i64::MAX));
            let gauge = &metrics.db_pool_connections;
            gauge
                .with_label_values(&["idle"])
                .set(i64::try_from(idle).unwrap_or(i64::MAX));
            gauge
                .with_label_values(&["in_use"])
                .set(i64::try_from(in_use).unwrap_or(i64::MAX));
        })
    }));
}

/// `opsflow_dependency_up{dependency}`: the `/ready` checks, run at each
/// scrape (every 15 s or so), so alerts see what the load balancer sees.
pub fn watch_dependencies(metrics: &Metrics, checks: Vec<Arc<dyn DependencyCheck>>) {
    metrics.on_scrape(Arc::new(move |metrics: Arc<Metrics>| {
        let checks = checks.clone();
        Box::pin(async move {
            for (name, _, outcome) in http_actix::routes::ops::run_checks(&checks).await {
                metrics
                    .dependency_up
                    .with_label_values(&[name])
                    .set(i64::from(outcome.is_ok()));
            }
        })
    }));
}

/// The queue gauges, from one indexed query at each scrape.
pub fn watch_queue(metrics: &Metrics, pool: PgPool) {
    metrics.on_scrape(Arc::new(move |metrics: Arc<Metrics>| {
        let pool = pool.clone();
        Box::pin(async move {
            let Ok((depths, oldest)) = adapters_postgres::jobs::job_admin::queue_stats(&pool).await
            else {
                return;
            };
            for kind in JobKind::ALL {
                let depth = depths
                    .iter()
                    .find(|(name, _)| name == kind.as_str())
                    .map_or(0, |(_, depth)| *depth);
                metrics
                    .jobs_queue_depth
                    .with_label_values(&[kind.as_str()])
                    .set(depth);
            }
            metrics.jobs_oldest_pending_age.set(oldest);
        })
    }));
}

/// `opsflow_jobs_total{kind, outcome}` from the runner.
pub struct JobCounter(pub Arc<Metrics>);

impl JobObserver for JobCounter {
    fn finished(&self, kind: JobKind, outcome: &'static str) {
        self.0
            .jobs
            .with_label_values(&[kind.as_str(), outcome])
            .inc();
    }
}
