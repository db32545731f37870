//! A fresh database (dropped at the end) and the release api processes
//! measured against it.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct FreshDatabase {
    pub server: String,
    pub name: String,
    pub url: String,
    /// Each run's own Redis prefix, so no earlier run's cache answers.
    pub redis_prefix: String,
}

impl FreshDatabase {
    /// Creates and migrates `opsflow_LABEL_<time>_<pid>` with the measured
    /// build's own `opsflow` binary (its migrations).
    pub async fn create(bin_dir: &Path, server: &str, label: &str) -> Result<Self> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let name = format!("opsflow_{label}_{now}_{}", std::process::id());
        let url = format!("{server}/{name}");
        for command in ["create-database", "migrate"] {
            let status = Command::new(bin_dir.join("opsflow"))
                .arg(command)
                .env("DATABASE_URL", &url)
                .stdout(Stdio::null())
                .status()?;
            if !status.success() {
                bail!("opsflow {command} failed for {url}");
            }
        }
        Ok(Self {
            server: server.to_owned(),
            redis_prefix: format!("{label}-{name}:"),
            name,
            url,
        })
    }

    /// Runs a statement on the server's maintenance database.
    pub async fn admin(&self, statement: &str) -> Result<()> {
        let client = crate::postgres::connect(&format!("{}/postgres", self.server)).await?;
        client.batch_execute(statement).await?;
        Ok(())
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let _ = Command::new("psql")
            .args(["-q", &format!("{}/postgres", self.server), "-c", &drop])
            .stderr(Stdio::null())
            .status();
    }
}

pub struct Api {
    pub base: String,
    child: Child,
}

impl Api {
    /// Starts BIN_DIR/opsflow-api on the database (the list cache on or
    /// off) and waits until it answers /health.
    pub async fn start(
        bin_dir: &Path,
        database: &FreshDatabase,
        cache: bool,
        log: &Path,
        http: &reqwest::Client,
    ) -> Result<Self> {
        Self::start_with(bin_dir, database, cache, log, http, &[]).await
    }

    /// [`Api::start`] with `extra` environment on top.
    pub async fn start_with(
        bin_dir: &Path,
        database: &FreshDatabase,
        cache: bool,
        log: &Path,
        http: &reqwest::Client,
        extra: &[(&str, &str)],
    ) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = File::create(log)?;
        let child = Command::new(bin_dir.join("opsflow-api"))
            .env("DATABASE_URL", &database.url)
            .env("OPSFLOW_REDIS_PREFIX", &database.redis_prefix)
            .env("OPSFLOW_LISTEN", format!("127.0.0.1:{port}"))
            .env("OPSFLOW_ENV", "test")
            // Login is measured at the production bcrypt cost, not the test one.
            .env("OPSFLOW_BCRYPT_COST", "12")
            .env("OPSFLOW_COOKIE_SECURE", "false")
            .env(
                "OPSFLOW_JWT_SECRET",
                "local-runs-only-secret-local-runs-only-secret",
            )
            // Thousands of requests a second from one user and one address
            // would measure 429s; the limiter has its own tests.
            .env("OPSFLOW_RATE_LIMIT_ENABLED", "false")
            .env("OPSFLOW_CACHE_ENABLED", cache.to_string())
            .env("RUST_LOG", "warn")
            .envs(extra.iter().copied())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("starting {}", bin_dir.join("opsflow-api").display()))?;
        let mut api = Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
        };
        if crate::http::healthy_within(http, &api.base, Duration::from_secs(10)).await {
            return Ok(api);
        }
        let _ = api.child.kill();
        bail!("the api did not become healthy within 10 s")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
