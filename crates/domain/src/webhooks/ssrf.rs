//! Which addresses a webhook may be delivered to. A webhook URL is chosen by a
//! team admin, and the worker fetches it from inside our network: without
//! this rule an admin could make the worker call the database, the cloud
//! metadata service (169.254.169.254) or anything else only we can reach
//! (server-side request forgery). Only public unicast addresses pass.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The IPv4 ranges no delivery may reach: the IANA IPv4 Special-Purpose
/// Address Registry's entries that are not globally reachable, plus
/// multicast. `(network, prefix length, what it is)`.
const SPECIAL_V4: &[(u32, u8, &str)] = &[
    (0x0000_0000, 8, "this network"),
    (0x0a00_0000, 8, "private"),
    (0x6440_0000, 10, "shared address space (CGNAT)"),
    (0x7f00_0000, 8, "loopback"),
    (0xa9fe_0000, 16, "link local (cloud metadata)"),
    (0xac10_0000, 12, "private"),
    (0xc000_0000, 24, "IETF protocol assignments"),
    (0xc000_0200, 24, "documentation (TEST-NET-1)"),
    (0xc058_6300, 24, "6to4 relay anycast (deprecated)"),
    (0xc0a8_0000, 16, "private"),
    (0xc612_0000, 15, "benchmarking"),
    (0xc633_6400, 24, "documentation (TEST-NET-2)"),
    (0xcb00_7100, 24, "documentation (TEST-NET-3)"),
    (0xe000_0000, 4, "multicast"),
    (
        0xf000_0000,
        4,
        "reserved, and the limited broadcast address",
    ),
];

/// The IPv6 ranges no delivery may reach (IANA IPv6 Special-Purpose Address
/// Registry, not globally reachable, plus unique-local, link-local,
/// site-local and multicast). The forms that carry an IPv4 address (mapped,
/// NAT64, 6to4) are not here: their embedded address decides (see
/// `embedded_v4`).
const SPECIAL_V6: &[(u128, u8, &str)] = &[
    (0, 96, "unspecified, loopback, IPv4-compatible (deprecated)"),
    (0xffff << 48, 96, "IPv4-translated"),
    (
        0x0064_ff9b_0001 << 80,
        48,
        "local-use IPv4/IPv6 translation",
    ),
    (0x0100 << 112, 64, "discard only"),
    (
        0x2001 << 112,
        23,
        "IETF protocol assignments (Teredo, benchmarking, ORCHID)",
    ),
    (0x2001_0db8 << 96, 32, "documentation"),
    (0x3fff << 112, 20, "documentation"),
    (0x5f00 << 112, 16, "segment routing (SRv6) SIDs"),
    (0xfc00 << 112, 7, "unique local"),
    (0xfe80 << 112, 10, "link local"),
    (0xfec0 << 112, 10, "site local (deprecated)"),
    (0xff00 << 112, 8, "multicast"),
];

/// May a delivery connect to `ip`? Only if it is in no special-purpose range
/// and, when it carries an IPv4 address (`::ffff:a.b.c.d`, NAT64
/// `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`), that address is public
/// too — `[2002:a9fe:a9fe::1]` is 169.254.169.254 in disguise.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let special = SPECIAL_V6
                .iter()
                .any(|(network, length, _)| within(bits, *network, *length, 128));
            !special && embedded_v4(v6).is_none_or(is_public_v4)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u128::from(u32::from(ip));
    !SPECIAL_V4
        .iter()
        .any(|(network, length, _)| within(bits, u128::from(*network), *length, 32))
}

/// Whether the first `length` of `width` bits of `address` and `network` agree.
fn within(address: u128, network: u128, length: u8, width: u32) -> bool {
    let shift = width - u32::from(length);
    address >> shift == network >> shift
}

/// The IPv4 address an IPv6 address carries, for the forms that route to it:
/// IPv4-mapped (`::ffff:0:0/96`), NAT64 (`64:ff9b::/96`) and 6to4
/// (`2002::/16`, the address in bits 16–47). Teredo (`2001::/32`) embeds one
/// too, but it lies in `2001::/23`, which `SPECIAL_V6` refuses whole, so its
/// embedded address can never change the answer.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low32 = |value: u128| Ipv4Addr::from((value & 0xffff_ffff) as u32);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    if within(bits, 0x0064_ff9b << 96, 96, 128) {
        return Some(low32(bits));
    }
    if within(bits, 0x2002 << 112, 16, 128) {
        return Some(low32(bits >> 80));
    }
    None
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
            // IPv4 inside IPv6 beyond the mapped form, and the rest of the
            // IANA special-purpose registries.
            ("2002:a9fe:a9fe::1", false), // 6to4 of 169.254.169.254
            ("2002:0a00:0001::1", false), // 6to4 of 10.0.0.1
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false), // Teredo
            ("2001::1", false),
            ("::ffff:0:7f00:1", false),    // IPv4-translated 127.0.0.1
            ("::ffff:0:5db8:d822", false), // translated, even if public
            ("100::1", false),             // discard only
            ("2001:2::1", false),          // benchmarking
            ("2001:10::1", false),         // ORCHID
            ("2001:20::1", false),         // ORCHIDv2
            ("64:ff9b:1::1", false),       // local-use translation
            ("3fff::1", false),            // documentation
            ("5f00::1", false),            // SRv6
            ("fec0::1", false),
            ("192.88.99.1", false), // 6to4 relay anycast
            ("192.0.0.9", false),
            ("198.19.255.255", false),
            ("203.0.113.9", false),
            ("198.51.100.1", false),
            ("100.64.0.0", false),
            // Allowed.
            ("2002:5db8:d822::1", true),  // 6to4 of 93.184.216.34
            ("64:ff9b::5db8:d822", true), // NAT64 of 93.184.216.34
            ("2001:200::1", true),        // just past 2001::/23
            ("198.20.0.1", true),
            ("192.88.100.1", true),
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
