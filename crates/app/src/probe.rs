//! `opsflow probe <url>`: the container healthcheck. The images carry no curl
//! or wget (no shell tools an attacker could use, nothing to patch), so the
//! CLI asks the process itself: one plain HTTP/1.0 GET on loopback, success
//! when the answer is 2xx. Compose's healthchecks use it; Kubernetes probes
//! speak HTTP themselves.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// GETs `url` (`http://host:port/path`) and returns the status line when it
/// is 2xx.
pub fn probe(url: &str, timeout: Duration) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("only http:// URLs are probed, got {url}"))?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let address = authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{authority} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    // The status line is all we need; the body may be anything.
    let mut head = Vec::with_capacity(64);
    let mut chunk = [0_u8; 64];
    while !head.contains(&b'\n') && head.len() < 256 {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..read]);
    }
    let status_line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    match status_line.split(' ').nth(1) {
        Some(code) if code.starts_with('2') && code.len() == 3 => Ok(status_line),
        _ => anyhow::bail!("{url} answered {status_line:?}"),
    }
}
