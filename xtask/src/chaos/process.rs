//! One of our release binaries, its log under the run's log directory.

use anyhow::{bail, Context, Result};
use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What scripts/chaos.sh hands over: the private servers and how to stop and
/// start PostgreSQL.
pub struct Settings {
    pub database_url: String,
    pub redis_url: String,
    pub redis_pid_file: PathBuf,
    pub pg_stop: String,
    pub pg_start: String,
    pub logs: PathBuf,
}

impl Settings {
    pub fn from_env() -> Result<Self> {
        let var = |name: &str| {
            std::env::var(name).with_context(|| format!("{name} is not set (run `make chaos`)"))
        };
        Ok(Self {
            database_url: var("CHAOS_DATABASE_URL")?,
            redis_url: var("CHAOS_REDIS_URL")?,
            redis_pid_file: var("CHAOS_REDIS_PID_FILE")?.into(),
            pg_stop: var("CHAOS_PG_STOP")?,
            pg_start: var("CHAOS_PG_START")?,
            logs: var("CHAOS_LOGS")?.into(),
        })
    }

    /// The environment every process of the run shares.
    fn environment(&self) -> Vec<(&'static str, String)> {
        let fixed = [
            ("OPSFLOW_ENV", "test"),
            ("OPSFLOW_REDIS_PREFIX", "chaos:"),
            (
                "OPSFLOW_JWT_SECRET",
                "chaos-runs-only-secret-chaos-runs-only-secret",
            ),
            // The production cost: scenario 3 needs a request that takes a while.
            ("OPSFLOW_BCRYPT_COST", "12"),
            ("OPSFLOW_COOKIE_SECURE", "false"),
            ("OPSFLOW_RATE_LIMIT_ENABLED", "false"),
            ("OPSFLOW_MIGRATE_ON_START", "false"),
            ("OPSFLOW_REDIS_TIMEOUT_MS", "100"),
            ("OPSFLOW_REDIS_BREAKER_MS", "500"),
            ("OPSFLOW_SHUTDOWN_GRACE_SECS", "10"),
            ("OPSFLOW_WORKER_POLL_MS", "100"),
            ("OPSFLOW_WEBHOOK_ALLOW_PRIVATE", "true"),
            ("OPSFLOW_JOB_BACKOFF_BASE_MS", "200"),
            ("OPSFLOW_JOB_BACKOFF_MAX_SECS", "2"),
            // A killed worker's jobs come back after one lease: short, to keep
            // the run bounded; it must outlast a delivery's timeout (checked at
            // start).
            ("OPSFLOW_JOB_LEASE_SECS", "5"),
            ("OPSFLOW_WEBHOOK_TIMEOUT_MS", "2000"),
            // Scenario 5 holds 1,000 streams as one user.
            ("OPSFLOW_EVENTS_MAX_STREAMS_PER_USER", "1000"),
            ("RUST_LOG", "warn"),
        ];
        let mut environment: Vec<_> = fixed.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        environment.push(("DATABASE_URL", self.database_url.clone()));
        environment.push(("REDIS_URL", self.redis_url.clone()));
        environment.push((
            "OPSFLOW_WORKER_CONCURRENCY",
            super::WORKER_CONCURRENCY.to_string(),
        ));
        environment.push(("OPSFLOW_REMINDER_LEAD_SECS", super::LEAD_SECS.to_string()));
        environment
    }
}

pub struct Process {
    pub base: String,
    child: Child,
}

impl Process {
    /// Starts `target/release/BINARY` and waits (15 s at most) until it
    /// answers /health.
    pub async fn start(
        settings: &Settings,
        http: &reqwest::Client,
        binary: &str,
        name: &str,
    ) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let listen = if binary == "opsflow-api" {
            "OPSFLOW_LISTEN"
        } else {
            "OPSFLOW_WORKER_LISTEN"
        };
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(settings.logs.join(format!("{name}.log")))?;
        let child = Command::new(format!("target/release/{binary}"))
            .envs(settings.environment())
            .env(listen, format!("127.0.0.1:{port}"))
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("starting {binary}"))?;
        let mut process = Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        if crate::http::healthy_within(http, &process.base, Duration::from_secs(15)).await {
            return Ok(process);
        }
        let _ = process.child.kill();
        bail!("{name} did not answer /health within 15 s")
    }

    /// Sends a signal by name (TERM, KILL, STOP, CONT) with kill(1).
    pub fn signal(&self, signal: &str) -> Result<()> {
        send_signal(self.child.id(), signal)
    }

    pub fn terminate(&self) {
        let _ = self.signal("TERM");
    }

    /// The exit code, once the process has exited; None if it is still
    /// running after `timeout` (or was ended by a signal).
    pub async fn wait(&mut self, timeout: Duration) -> Result<Option<i32>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.code());
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for an exit after TERM; kills what outlives `timeout`.
    pub async fn stop_within(&mut self, timeout: Duration) {
        if !matches!(self.child.try_wait(), Ok(Some(_)))
            && self.wait(timeout).await.ok().flatten().is_none()
        {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    pub fn kill(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

pub fn send_signal(pid: u32, signal: &str) -> Result<()> {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()?;
    if !status.success() {
        bail!("kill -s {signal} {pid} failed");
    }
    Ok(())
}
