//! The worker's handler for `webhook_delivery` jobs: a signed JSON `POST`.
//!
//! - **Signed**: `X-OpsFlow-Signature: sha256=<hex HMAC-SHA256 of the raw
//!   body, keyed with the webhook's secret>`; `X-OpsFlow-Delivery` is the job
//!   id, the same on every retry, so receivers can de-duplicate.
//! - **SSRF guard at delivery**, on the address actually connected to: the
//!   client's DNS resolver (`PublicOnlyResolver`) drops every non-public
//!   address before reqwest connects, so a DNS answer that changed since
//!   registration (rebinding) cannot reach an internal address; an IP-literal
//!   host is checked here, since it is never resolved. No redirects are
//!   followed (a public host could otherwise redirect inward).
//! - **Retries** by the runner's policy: network errors, timeouts, `408`,
//!   `429`, `5xx` retry; other answers dead-letter (`domain::webhooks::judge`).
//!   A webhook deleted meanwhile receives nothing: the job ends quietly.

use async_trait::async_trait;
use domain::ids::WebhookId;
use domain::jobs::{Job, JobFailure, JobHandler, JobKind};
use domain::webhooks::ssrf::is_public;
use domain::webhooks::{judge, Verdict, WebhookTargets};
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::Deserialize;
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Deserialize)]
struct Payload {
    webhook_id: WebhookId,
    event: String,
    occurred_at: serde_json::Value,
    data: serde_json::Value,
}

pub struct WebhookDeliveryHandler {
    targets: Arc<dyn WebhookTargets>,
    client: reqwest::Client,
    allow_private: bool,
}

impl WebhookDeliveryHandler {
    /// # Errors
    /// When the HTTP client cannot be built (TLS setup).
    pub fn new(
        targets: Arc<dyn WebhookTargets>,
        timeout: Duration,
        allow_private: bool,
    ) -> Result<Self, String> {
        // rustls without a default crypto provider in the build: install
        // ring's (a second call, from a test or another handler, is a no-op).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .dns_resolver(Arc::new(PublicOnlyResolver { allow_private }))
            .user_agent("OpsFlow-Webhooks/1")
            .build()
            .map_err(|error| format!("webhook client: {error}"))?;
        Ok(Self {
            targets,
            client,
            allow_private,
        })
    }
}

/// `sha256=<lowercase hex HMAC-SHA256 of body keyed with secret>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("sha256={}", hex::encode(digest))
}

#[async_trait]
impl JobHandler for WebhookDeliveryHandler {
    fn kind(&self) -> JobKind {
        JobKind::WebhookDelivery
    }

    async fn run(&self, job: &Job) -> Result<(), JobFailure> {
        let payload: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|error| JobFailure::permanent_in("delivery payload", error))?;
        let Some(target) = self
            .targets
            .target(payload.webhook_id)
            .await
            .map_err(JobFailure::retryable)?
        else {
            tracing::info!(webhook.id = %payload.webhook_id, "webhook deleted: delivery dropped");
            return Ok(());
        };
        let url = reqwest::Url::parse(&target.url)
            .map_err(|error| JobFailure::permanent_in("webhook url", error))?;
        if let Some(ip) = literal_ip(&url) {
            if !self.allow_private && !is_public(ip) {
                return Err(JobFailure::permanent(format!(
                    "url_not_allowed: {ip} is not a public address"
                )));
            }
        }
        let body = serde_json::json!({
            "id": job.id,
            "event": payload.event,
            "occurred_at": payload.occurred_at,
            "data": payload.data,
        })
        .to_string();
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("x-opsflow-event", &payload.event)
            .header("x-opsflow-delivery", job.id.to_string())
            .header(
                "x-opsflow-signature",
                signature(&target.secret, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .map_err(|error| JobFailure::retryable_in("delivery failed", error))?;
        let status = response.status().as_u16();
        match judge(status) {
            Verdict::Delivered => Ok(()),
            Verdict::Retry => Err(JobFailure::retryable(format!("receiver answered {status}"))),
            Verdict::GiveUp => Err(JobFailure::permanent(format!("receiver answered {status}"))),
        }
    }
}

fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Resolves with the system resolver and keeps only public addresses, so the
/// connection is made to an address that passed the check.
struct PublicOnlyResolver {
    allow_private: bool,
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|address| allow_private || is_public(address.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "url_not_allowed: {} resolves to no public address",
                    name.as_str()
                )
                .into());
            }
            let addresses: Addrs = Box::new(found.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
