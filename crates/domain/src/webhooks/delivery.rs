//! What a webhook delivery needs and how its answer is judged.

use crate::ids::WebhookId;
use crate::DomainError;
use async_trait::async_trait;

/// Where a delivery goes and what signs it. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct DeliveryTarget {
    pub url: String,
    pub secret: String,
}

impl std::fmt::Debug for DeliveryTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryTarget")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WebhookTargets: Send + Sync {
    /// The live webhook's target; `None` once it (or its team) is deleted.
    ///
    /// # Errors
    /// `Unavailable` when storage does not answer.
    async fn target(&self, webhook: WebhookId) -> Result<Option<DeliveryTarget>, DomainError>;
}

/// The receiver's answer, judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Worth another try (the receiver is overloaded or failing for now).
    Retry,
    /// Will not get better: dead-letter it.
    GiveUp,
}

/// `2xx` is delivered; `408`, `429` and `5xx` are retried; anything else —
/// other `4xx` such as `410 Gone`, and `3xx`, since redirects are not
/// followed — gives up.
pub fn judge(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        408 | 429 | 500..=599 => Verdict::Retry,
        _ => Verdict::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_target_redacts_its_secret() {
        let target = DeliveryTarget {
            url: "https://hooks.example.com/".into(),
            secret: "whsec-do-not-log".into(),
        };
        assert_eq!(
            format!("{target:?}"),
            r#"DeliveryTarget { url: "https://hooks.example.com/", secret: "<redacted>" }"#
        );
    }

    #[test]
    fn statuses_are_judged_as_the_contract_says() {
        for (status, verdict) in [
            (200, Verdict::Delivered),
            (204, Verdict::Delivered),
            (301, Verdict::GiveUp),
            (400, Verdict::GiveUp),
            (404, Verdict::GiveUp),
            (408, Verdict::Retry),
            (410, Verdict::GiveUp),
            (429, Verdict::Retry),
            (500, Verdict::Retry),
            (503, Verdict::Retry),
        ] {
            assert_eq!(judge(status), verdict, "{status}");
        }
    }
}
