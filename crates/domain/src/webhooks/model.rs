use crate::activity::ActivityAction;
use crate::ids::{TeamId, UserId, WebhookId};
use crate::notifications::NotificationKind;
use crate::DomainError;
use chrono::{DateTime, Utc};

/// What a webhook may subscribe to: every activity action, and reminders
/// (named by `ActivityAction::ALL` and `NotificationKind::ALL`, not retyped).
pub fn event_names() -> Vec<&'static str> {
    let actions = ActivityAction::ALL.map(ActivityAction::as_str);
    let notifications = NotificationKind::ALL.map(NotificationKind::as_str);
    actions.into_iter().chain(notifications).collect()
}

/// A non-empty set of known event names, without repeats, in a stable order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvents(Vec<String>);

impl WebhookEvents {
    /// # Errors
    /// `Invalid` on `events` when empty or naming an unknown event.
    pub fn parse(events: &[String]) -> Result<Self, DomainError> {
        if events.is_empty() {
            return Err(DomainError::invalid(
                "events",
                "must name at least one event",
            ));
        }
        let known = event_names();
        if let Some(unknown) = events.iter().find(|e| !known.contains(&e.as_str())) {
            return Err(DomainError::invalid(
                "events",
                format!("unknown event {unknown:?}; known: {}", known.join(", ")),
            ));
        }
        let mut kept: Vec<String> = Vec::new();
        for event in known {
            if events.iter().any(|e| e == event) {
                kept.push(event.to_owned());
            }
        }
        Ok(Self(kept))
    }

    pub fn into_inner(self) -> Vec<String> {
        self.0
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }
}

/// An absolute `http`/`https` URL with a host, at most 2,048 characters as
/// stored: the limit applies to the normalized (percent-encoded) form, which
/// can be longer than what was sent (`é` becomes `%C3%A9`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    /// # Errors
    /// `Invalid` on `url`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let invalid = |why: &str| DomainError::invalid("url", why.to_owned());
        if raw.chars().count() > 2048 {
            return Err(invalid("must be at most 2048 characters"));
        }
        let parsed = url::Url::parse(raw).map_err(|_| invalid("must be an absolute URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("must be an http or https URL"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(invalid("must name a host"));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("must not carry credentials"));
        }
        if parsed.as_str().len() > 2048 {
            return Err(invalid(
                "must be at most 2048 characters once normalized (non-ASCII characters are percent-encoded)",
            ));
        }
        Ok(Self(parsed))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host as written (brackets removed from an IPv6 literal).
    pub fn host(&self) -> String {
        match self.0.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        }
    }

    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(80)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: WebhookId,
    pub team_id: TeamId,
    pub url: WebhookUrl,
    pub events: WebhookEvents,
    pub created_at: DateTime<Utc>,
}

/// What storage receives. The secret signs deliveries; it is stored (the
/// worker needs it) but never listed or logged (`Debug` redacts it).
#[derive(Clone)]
pub struct NewWebhook {
    pub id: WebhookId,
    pub team_id: TeamId,
    pub url: WebhookUrl,
    pub events: WebhookEvents,
    pub secret: String,
    pub created_by: UserId,
}

impl std::fmt::Debug for NewWebhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhook")
            .field("id", &self.id)
            .field("team_id", &self.team_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A registration's answer: the one time the secret is shown.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_activity_action_and_notification_kind_is_an_event() {
        let names = event_names();
        assert_eq!(names.len(), 19);
        assert_eq!(names.first(), Some(&"task.created"));
        assert_eq!(names.last(), Some(&"task.due_soon"));
        let parsed = WebhookEvents::parse(&["project.deleted".into()]).unwrap();
        assert_eq!(parsed.names(), ["project.deleted"]);
        let audit = WebhookEvents::parse(&["member.removed".into(), "webhook.created".into()]);
        assert_eq!(
            audit.unwrap().names(),
            ["member.removed", "webhook.created"],
            "the team's audit actions are events too"
        );
    }

    #[test]
    fn events_must_be_known_and_are_kept_once_in_a_stable_order() {
        let parsed = WebhookEvents::parse(&[
            "task.due_soon".into(),
            "task.created".into(),
            "task.created".into(),
        ])
        .unwrap();
        assert_eq!(parsed.into_inner(), ["task.created", "task.due_soon"]);
        assert!(WebhookEvents::parse(&[]).is_err());
        assert!(WebhookEvents::parse(&["task.exploded".into()]).is_err());
    }

    #[test]
    fn urls_are_absolute_http_or_https_with_a_host_and_no_credentials() {
        assert!(WebhookUrl::parse("https://hooks.example.com/x?y=1").is_ok());
        let v6 = WebhookUrl::parse("http://[::1]:8080/").unwrap();
        assert_eq!((v6.host(), v6.port()), ("::1".to_owned(), 8080));
        for bad in [
            "/relative",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(WebhookUrl::parse(&format!("https://e.com/{}", "a".repeat(2100))).is_err());
        // A user name alone is a credential too.
        assert!(WebhookUrl::parse("https://user@example.com/").is_err());
        assert!(WebhookUrl::parse("https://:pw@example.com/").is_err());
    }

    #[test]
    fn the_length_limit_is_2048_inclusive_as_sent_and_as_stored() {
        let prefix = "https://e.com/";
        let exactly = format!("{prefix}{}", "a".repeat(2048 - prefix.len()));
        assert_eq!(WebhookUrl::parse(&exactly).unwrap().as_str(), exactly);
        let over = format!("{exactly}a");
        assert!(WebhookUrl::parse(&over).is_err());
        // 2048 as stored: 339 `é` are 353 characters sent, 14 + 2034 encoded.
        let encoded_at_limit = format!("{prefix}{}", "%C3%A9".repeat(339));
        assert_eq!(encoded_at_limit.len(), 2048);
        let sent = format!("{prefix}{}", "é".repeat(339));
        assert_eq!(WebhookUrl::parse(&sent).unwrap().as_str().len(), 2048);
        let sent_over = format!("{sent}a");
        assert!(WebhookUrl::parse(&sent_over).is_err());
    }

    #[test]
    fn debug_of_a_new_webhook_redacts_the_secret() {
        let new = NewWebhook {
            id: crate::ids::WebhookId::new(),
            team_id: crate::ids::TeamId::new(),
            url: WebhookUrl::parse("https://hooks.example.com/").unwrap(),
            events: WebhookEvents::parse(&["task.created".into()]).unwrap(),
            secret: "whsec-do-not-log".into(),
            created_by: crate::ids::UserId::new(),
        };
        let shown = format!("{new:?}");
        assert!(shown.starts_with("NewWebhook {"), "{shown}");
        assert!(shown.contains("secret: \"<redacted>\""), "{shown}");
        assert!(!shown.contains("whsec"), "{shown}");
    }
}
