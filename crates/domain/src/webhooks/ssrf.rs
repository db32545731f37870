//! Which addresses a webhook may be delivered to. A webhook URL is chosen by a
//! team admin, and the worker fetches it from inside our network: without
//! this rule an admin could make the worker call the database, the cloud
//! metadata service (169.254.169.254) or anything else only we can reach
//! (server-side request forgery). Only public unicast addresses pass.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// May a delivery connect to `ip`? `false` for private, loopback, link-local,
/// unique-local, CGNAT, multicast, broadcast, unspecified, documentation and
/// other reserved ranges, in IPv4 and IPv6 — including IPv4 addresses written
/// as IPv6 (`::ffff:127.0.0.1`), which would otherwise slip through.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = ip.is_unspecified()       // 0.0.0.0
        || a == 0                            // 0.0.0.0/8 "this network"
        || ip.is_loopback()                  // 127.0.0.0/8
        || ip.is_private()                   // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local()                // 169.254/16 (cloud metadata)
        || (a == 100 && (64..128).contains(&b)) // 100.64/10 CGNAT
        || (a == 192 && b == 0 && c == 0)    // 192.0.0.0/24 IETF protocol assignments
        || ip.is_documentation()             // 192.0.2/24, 198.51.100/24, 203.0.113/24
        || (a == 198 && (b == 18 || b == 19)) // 198.18/15 benchmarking
        || ip.is_multicast()                 // 224/4
        || a >= 240; // 240/4 reserved, 255.255.255.255 broadcast
    !reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let reserved = ip.is_unspecified()       // ::
        || ip.is_loopback()                  // ::1
        || ip.is_multicast()                 // ff00::/8
        || (first & 0xfe00) == 0xfc00        // fc00::/7 unique local
        || (first & 0xffc0) == 0xfe80        // fe80::/10 link local
        || (first & 0xffc0) == 0xfec0        // fec0::/10 site local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // 2001:db8::/32 documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // 64:ff9b::/96 NAT64 (embeds v4)
        || ip.to_ipv4().is_some() && ip.segments()[..6] == [0; 6]; // ::a.b.c.d compatible
    !reserved
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_unicast_addresses_are_allowed() {
        let table = [
            // Refused.
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("10.0.0.1", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.168.1.1", false),
            ("169.254.169.254", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("192.0.0.8", false),
            ("192.0.2.10", false),
            ("198.18.0.1", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("255.255.255.255", false),
            ("240.0.0.1", false),
            ("::", false),
            ("::1", false),
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("ff02::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.1.2.3", false),
            ("::ffff:169.254.169.254", false),
            ("2001:db8::1", false),
            ("64:ff9b::7f00:1", false),
            ("::127.0.0.1", false),
            // Allowed.
            ("93.184.216.34", true),
            ("8.8.8.8", true),
            ("100.63.255.255", true),
            ("100.128.0.1", true),
            ("172.32.0.1", true),
            ("1.1.1.1", true),
            ("2606:4700:4700::1111", true),
            ("2a00:1450:4001:80b::200e", true),
            ("::ffff:93.184.216.34", true),
        ];
        for (address, public) in table {
            let ip: IpAddr = address.parse().unwrap();
            assert_eq!(is_public(ip), public, "{address}");
        }
    }
}
