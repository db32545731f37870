//! The real binaries as ops run them: exit codes, signal handling, the one-line
//! configuration error. Talks raw HTTP/1.1 over a TcpStream to stay dependency-free.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str, request_id: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: {request_id}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn post(port: u16, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// Polls until the process answers `/health` (bounded: 20 s).
fn wait_until_healthy(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if get(port, "/health", "probe").is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("process did not become healthy on port {port}");
}

fn terminate_and_wait(child: Child) -> Output {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

fn base_command(binary: &str) -> Command {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OPSFLOW_ENV", "test")
        .env("RUST_LOG", "info")
        // /health touches no dependency, so these binaries need none running.
        .env("OPSFLOW_MIGRATE_ON_START", "false")
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A database of its own for one binary test, created by the `opsflow`
/// binary itself on the test server (`TEST_DATABASE_URL`), dropped after.
struct ScratchDatabase {
    url: String,
    server: String,
    name: String,
}

impl ScratchDatabase {
    fn create() -> Self {
        let admin = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let server = admin[..admin.rfind('/').unwrap()].to_owned();
        let name = format!("opsflow_binary_{}_{}", std::process::id(), free_port());
        let url = format!("{server}/{name}");
        let created = Command::new(env!("CARGO_BIN_EXE_opsflow"))
            .arg("create-database")
            .env("DATABASE_URL", &url)
            .env("OPSFLOW_ENV", "test")
            .output()
            .unwrap();
        assert!(created.status.success(), "{created:?}");
        Self {
            url,
            server: admin,
            name,
        }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        // Best effort: psql is on every machine that runs PostgreSQL tests.
        let _ = Command::new("psql")
            .args([
                self.server.as_str(),
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

/// Reads the child's stdout on a thread, line by line, so the test can wait
/// for a given log line and still have every line at the end.
fn stdout_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    lines_rx
}

/// The graceful path with real pools: the api runs on its own database and
/// Redis, a login is in flight (its headers and half its body sent) when
/// SIGTERM lands, the test waits until the process has logged the signal,
/// sends the rest, and the login is answered — 200 with tokens, a bcrypt
/// check and two statements through a pool that is still open — before the
/// process closes its pools and exits 0.
#[test]
fn api_exits_zero_on_sigterm_after_closing_its_pools() {
    let database = ScratchDatabase::create();
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let port = free_port();
    let mut child = base_command(env!("CARGO_BIN_EXE_opsflow-api"))
        .env("OPSFLOW_LISTEN", format!("127.0.0.1:{port}"))
        .env("OPSFLOW_MIGRATE_ON_START", "true")
        .env("DATABASE_URL", &database.url)
        .env("REDIS_URL", &redis)
        .env("OPSFLOW_REDIS_PREFIX", format!("{}:", database.name))
        .spawn()
        .unwrap();
    let lines = stdout_lines(&mut child);
    wait_until_healthy(port);
    let response = get(port, "/health", "binary-test-1").unwrap();
    assert!(
        response.contains("x-request-id: binary-test-1"),
        "{response}"
    );
    let credentials = r#"{"email":"ada@example.com","password":"correct horse battery"}"#;
    let registered = post(
        port,
        "/api/v1/auth/register",
        &credentials.replace('}', r#","name":"Ada"}"#),
    );
    assert!(registered.starts_with("HTTP/1.1 201"), "{registered}");

    // The login's headers and the first half of its body. `Expect:
    // 100-continue` makes the server say when it has read the headers, so the
    // signal lands on a request actix holds, not on a connection still in the
    // kernel's accept queue (which a closing listener would reset).
    let mut login = TcpStream::connect(("127.0.0.1", port)).unwrap();
    login
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (head, tail) = credentials.split_at(credentials.len() / 2);
    write!(
        login,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: in-flight\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n{head}",
        credentials.len()
    )
    .unwrap();
    login.flush().unwrap();
    let mut interim = [0u8; 25];
    login.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut seen = Vec::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .expect("the api logs the signal");
        let signalled = line.contains("\"signal\":\"SIGTERM\"");
        seen.push(line);
        if signalled {
            break;
        }
    }
    // Shutdown has begun; the request is still in flight.
    login.write_all(tail.as_bytes()).unwrap();
    let mut answer = String::new();
    login.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("access_token"), "{answer}");

    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "exit status {:?}", output.status);
    seen.extend(lines.iter());
    let stdout = seen.join("\n");
    assert!(stdout.contains("api stopped: pools closed"), "{stdout}");
    let access_line = stdout
        .lines()
        .find(|line| line.contains("binary-test-1") && line.contains("request completed"))
        .expect("the access-log line carries the request id");
    let parsed: serde_json::Value = serde_json::from_str(access_line).unwrap();
    assert_eq!(parsed["http.status"], 200);
    let in_flight = stdout
        .lines()
        .position(|line| line.contains("in-flight") && line.contains("request completed"))
        .expect("the in-flight login completed");
    let closed = stdout
        .lines()
        .position(|line| line.contains("api stopped: pools closed"))
        .unwrap();
    assert!(
        in_flight < closed,
        "the login finished before the pools closed"
    );
}

#[test]
fn worker_exits_zero_on_sigterm() {
    let port = free_port();
    let child = base_command(env!("CARGO_BIN_EXE_opsflow-worker"))
        .env("OPSFLOW_WORKER_LISTEN", format!("127.0.0.1:{port}"))
        .env("OPSFLOW_WORKER_POLL_MS", "50")
        .spawn()
        .unwrap();
    wait_until_healthy(port);

    let output = terminate_and_wait(child);

    assert!(output.status.success(), "exit status {:?}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("worker stopped: pools closed"), "{stdout}");
}

#[test]
fn the_worker_health_endpoint_follows_the_api_conventions() {
    let port = free_port();
    let child = base_command(env!("CARGO_BIN_EXE_opsflow-worker"))
        .env("OPSFLOW_WORKER_LISTEN", format!("127.0.0.1:{port}"))
        .spawn()
        .unwrap();
    wait_until_healthy(port);

    let health = get(port, "/health", "probe-1").unwrap().to_lowercase();
    let missing = get(port, "/nothing", "probe-2").unwrap().to_lowercase();
    terminate_and_wait(child);

    assert!(health.contains("x-request-id: probe-1"), "{health}");
    assert!(missing.starts_with("http/1.1 404"), "{missing}");
    assert!(missing.contains("application/problem+json"), "{missing}");
    assert!(missing.contains("\"request_id\":\"probe-2\""), "{missing}");
}

#[test]
fn a_malformed_variable_stops_the_api_with_one_line_naming_it() {
    let output = base_command(env!("CARGO_BIN_EXE_opsflow-api"))
        .env("OPSFLOW_SHUTDOWN_GRACE_SECS", "soon")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        "opsflow-api: configuration error: OPSFLOW_SHUTDOWN_GRACE_SECS: expected a whole number from 0 to 3600, got \"soon\""
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn prod_without_a_jwt_secret_refuses_to_start() {
    let output = base_command(env!("CARGO_BIN_EXE_opsflow-api"))
        .env("OPSFLOW_ENV", "prod")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("OPSFLOW_JWT_SECRET: is required when OPSFLOW_ENV=prod"),
        "{stderr}"
    );
}
