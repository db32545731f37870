//! `HostResolver` with the operating system's resolver (tokio's
//! `lookup_host`): what webhook registration checks against the SSRF rule.

use async_trait::async_trait;
use domain::webhooks::HostResolver;
use domain::{DomainError, FieldError};
use std::net::IpAddr;

pub struct SystemResolver;

#[async_trait]
impl HostResolver for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, DomainError> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let unresolvable = || DomainError::Refused {
            code: "url_not_allowed",
            field: FieldError::new("url", format!("the host {host:?} does not resolve")),
        };
        let lookup = tokio::net::lookup_host((host, port));
        match tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await {
            Ok(Ok(addresses)) => Ok(addresses.map(|address| address.ip()).collect()),
            _ => Err(unresolvable()),
        }
    }
}
