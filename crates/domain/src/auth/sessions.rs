//! Sessions as their owner sees them (contract → Sessions): one per
//! refresh-token family, with the client that opened it.

use chrono::{DateTime, Utc};
use std::net::IpAddr;
use uuid::Uuid;

/// The client a session was opened from, as recorded at login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionClient {
    user_agent: Option<String>,
    ip: Option<IpAddr>,
}

impl SessionClient {
    /// Longest user agent kept, in characters: enough to tell browsers
    /// apart, bounded because any client may send any header.
    pub const USER_AGENT_MAX_CHARS: usize = 256;

    /// Control characters are dropped and the rest cut to
    /// `USER_AGENT_MAX_CHARS`; what is left blank is no user agent.
    pub fn new(user_agent: Option<&str>, ip: Option<IpAddr>) -> Self {
        let user_agent = user_agent
            .map(|raw| {
                raw.chars()
                    .filter(|c| !c.is_control())
                    .take(Self::USER_AGENT_MAX_CHARS)
                    .collect::<String>()
                    .trim()
                    .to_owned()
            })
            .filter(|kept| !kept.is_empty());
        Self { user_agent, ip }
    }

    pub fn user_agent(&self) -> Option<&str> {
        self.user_agent.as_deref()
    }

    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }
}

/// One live session of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The refresh-token family (the access tokens' `sid`).
    pub id: Uuid,
    /// The login.
    pub created_at: DateTime<Utc>,
    /// The last login or refresh.
    pub last_used_at: DateTime<Utc>,
    pub client: SessionClient,
}

/// A session in its owner's list: `current` when it is the one asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub session: Session,
    pub current: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_agent_is_kept_printable_and_bounded() {
        let long = "x".repeat(300);
        let client = SessionClient::new(Some(&long), None);
        assert_eq!(
            client.user_agent().map(str::len),
            Some(SessionClient::USER_AGENT_MAX_CHARS)
        );
        let controlled = SessionClient::new(Some("curl\u{0}/8\n"), None);
        assert_eq!(controlled.user_agent(), Some("curl/8"));
        assert_eq!(SessionClient::new(Some(" \t "), None).user_agent(), None);
    }

    #[test]
    fn the_address_is_kept_as_given() {
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(SessionClient::new(None, Some(ip)).ip(), Some(ip));
    }
}
