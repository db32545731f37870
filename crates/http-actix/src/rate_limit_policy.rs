//! The api's rate-limit policy: the limiter, the quotas and the proxies
//! trusted for the client address. Configured by the composition root, kept
//! in `AppState`, applied by `middleware::rate_limit` and the login handler.

use domain::ops::{Quota, RateDecision, RateLimiter};
use ipnet::IpNet;
use std::sync::Arc;

/// What the composition root configures; absent when rate limiting is off.
pub struct RateLimitPolicy {
    pub limiter: Arc<dyn RateLimiter>,
    pub per_user: Quota,
    pub per_ip: Quota,
    pub per_login: Quota,
    pub trusted_proxies: Vec<IpNet>,
    /// `opsflow_rate_limited_total{scope}`.
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl RateLimitPolicy {
    /// Counts one request against `key`; `None` when the limiter cannot say
    /// (the request goes through).
    pub async fn acquire(
        &self,
        scope: &'static str,
        key: &str,
        quota: Quota,
    ) -> Option<RateDecision> {
        match self.limiter.acquire(key, quota).await {
            Ok(decision) => {
                if !decision.allowed {
                    tracing::info!(scope, "rate limited");
                    self.metrics.rate_limited.with_label_values(&[scope]).inc();
                }
                Some(decision)
            }
            Err(error) => {
                tracing::warn!(scope, error = %error, "rate limiter unavailable: request let through");
                None
            }
        }
    }
}
