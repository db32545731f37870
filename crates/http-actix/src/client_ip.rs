//! The client's address: the socket peer, or — only when that peer is one of
//! our trusted proxies — what `X-Forwarded-For` says. Proxies append, so the
//! chain is read from the right: the rightmost address that is not a trusted
//! proxy is the client (anything left of it was written by the client itself
//! and proves nothing).

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = headers
        .get_all(X_FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        // A hop we cannot read ends the chain we believe: the last address
        // we could trust to have written it is the answer.
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(xff: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(
            HeaderName::from_static(X_FORWARDED_FOR),
            HeaderValue::from_str(xff).unwrap(),
        );
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let found = client_ip(Some(ip("203.0.113.9")), &headers("1.2.3.4"), &[]);
        assert_eq!(found, Some(ip("203.0.113.9")));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // The client wrote "6.6.6.6" itself; 198.51.100.7 is who reached our
        // first proxy; 10.0.0.2 is a proxy of ours.
        let found = client_ip(
            Some(ip("10.0.0.1")),
            &headers("6.6.6.6, 198.51.100.7, 10.0.0.2"),
            &trusted,
        );
        assert_eq!(found, Some(ip("198.51.100.7")));
    }

    #[test]
    fn a_garbled_chain_stops_at_the_last_readable_hop() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let found = client_ip(Some(ip("10.0.0.1")), &headers("nonsense"), &trusted);
        assert_eq!(found, Some(ip("10.0.0.1")));
    }
}
