//! Parsers for single configuration values. Each returns a message that says
//! what was expected and what was found; `Source` adds the variable's name.

use super::{ConfigError, Environment};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

pub(super) struct Source<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Source<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self { lookup }
    }

    /// The value, with an empty string treated as unset.
    pub(super) fn get(&self, var: &str) -> Option<String> {
        (self.lookup)(var).filter(|value| !value.trim().is_empty())
    }

    pub(super) fn parse_or<T>(
        &self,
        var: &'static str,
        default: T,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => parse(raw.trim()).map_err(|message| ConfigError { var, message }),
        }
    }

    /// A whole number in `min..=max`; `default` when unset.
    pub(super) fn number_or<T>(
        &self,
        var: &'static str,
        default: T,
        (min, max): (T, T),
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        self.parse_or(var, default, |value| number(value, min, max))
    }

    /// Whole seconds in `min..=max`; `default` seconds when unset.
    pub(super) fn seconds_or(
        &self,
        var: &'static str,
        default: u64,
        range: (u64, u64),
    ) -> Result<Duration, ConfigError> {
        self.number_or(var, default, range).map(Duration::from_secs)
    }

    /// Milliseconds in `min..=max`; `default` milliseconds when unset.
    pub(super) fn millis_or(
        &self,
        var: &'static str,
        default: u64,
        range: (u64, u64),
    ) -> Result<Duration, ConfigError> {
        self.number_or(var, default, range)
            .map(Duration::from_millis)
    }

    pub(super) fn url_or(
        &self,
        var: &'static str,
        default: &str,
        schemes: &[&str],
    ) -> Result<String, ConfigError> {
        self.parse_or(var, default.to_owned(), |value| {
            if schemes.iter().any(|scheme| value.starts_with(scheme)) {
                Ok(value.to_owned())
            } else {
                Err(format!(
                    "expected a URL starting with {}, got {value:?}",
                    schemes.join(" or ")
                ))
            }
        })
    }
}

pub(super) fn environment(value: &str) -> Result<Environment, String> {
    match value {
        "dev" => Ok(Environment::Dev),
        "test" => Ok(Environment::Test),
        "prod" => Ok(Environment::Prod),
        other => Err(format!("expected dev, test or prod, got {other:?}")),
    }
}

pub(super) fn boolean(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, got {value:?}")),
    }
}

pub(super) fn number<T>(value: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    match value.parse::<T>() {
        Ok(number) if number >= min && number <= max => Ok(number),
        _ => Err(format!(
            "expected a whole number from {min} to {max}, got {value:?}"
        )),
    }
}

pub(super) fn local(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

pub(super) fn socket_addr(value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| format!("expected host:port such as 127.0.0.1:8080, got {value:?}"))
}

/// Comma-separated CIDRs (a bare address is its own /32 or /128).
pub(super) fn networks(value: &str) -> Result<Vec<ipnet::IpNet>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("expected CIDRs like 10.0.0.0/8,fd00::/8, got {item:?}"))
        })
        .collect()
}

pub(super) fn origins(value: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        if origin == "*" {
            return Err(
                "\"*\" is not allowed: cookies are sent with credentials, list the origins".into(),
            );
        }
        let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
            && !origin.ends_with('/');
        if !valid {
            return Err(format!("expected origins like https://app.example.com (scheme, host, no path), got {origin:?}"));
        }
        origins.push(origin.to_owned());
    }
    Ok(origins)
}
