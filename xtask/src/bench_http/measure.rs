//! One row of the table: wrk against the api, pgbench on the statements the
//! same request sent (its database ceiling), the api's RSS sampled mid-run.

use super::api::Api;
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The machine line printed above the table.
pub async fn machine(server: &str) -> Result<String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")?;
    let model = cpu
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split(": ").nth(1))
        .unwrap_or("?")
        .to_owned();
    let memory = std::fs::read_to_string("/proc/meminfo")?;
    let kib: f64 = memory
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let client = crate::postgres::connect(&format!("{server}/postgres")).await?;
    let version: String = client
        .query_one("SHOW server_version", &[])
        .await?
        .try_get(0)?;
    let kernel = output(Command::new("uname").arg("-sr"))?;
    let redis = output(Command::new("redis-server").arg("--version"))?;
    let redis = redis
        .split_whitespace()
        .nth(2)
        .and_then(|v| v.strip_prefix("v="))
        .unwrap_or("?")
        .to_owned();
    Ok(format!(
        "machine: {cores} cores ({model}), {:.0} GiB, {kernel}, PostgreSQL {}, Redis {redis}; api, wrk, pgbench and both servers share it",
        kib / 1_048_576.0,
        version.split_whitespace().next().unwrap_or("?"),
    ))
}

fn output(command: &mut Command) -> Result<String> {
    let out = command.stderr(Stdio::null()).output()?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A wrk script that POSTs BODY as JSON.
pub fn post_script(body: &str) -> String {
    format!("wrk.method = \"POST\"\nwrk.body = '{body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")
}

/// One second of light load: the api's pool reconnects (the capture closed
/// every connection) before anything is measured.
pub fn warm(base: &str, path: &str, token: &str) -> Result<()> {
    let auth = format!("Authorization: Bearer {token}");
    Command::new("wrk")
        .args(["-t1", "-c4", "-d1s", "-H", &auth, &format!("{base}{path}")])
        .stdout(Stdio::null())
        .status()?;
    Ok(())
}

pub struct Load<'a> {
    label: String,
    chart_label: Option<String>,
    api: &'a Api,
    path: String,
    script: Option<String>,
    captured: Option<String>,
    seconds: Option<u64>,
    timeout: &'static str,
    headers: Vec<String>,
    /// A bearer token other than the table's (a personal access token).
    bearer: Option<String>,
    /// Start the load, and its ceiling, right after a `CHECKPOINT`.
    checkpoint: bool,
}

impl<'a> Load<'a> {
    pub fn new(label: &str, api: &'a Api, path: &str) -> Self {
        Self {
            label: label.to_owned(),
            chart_label: None,
            api,
            path: path.to_owned(),
            script: None,
            captured: None,
            seconds: None,
            timeout: "2s",
            headers: Vec::new(),
            bearer: None,
            checkpoint: false,
        }
    }

    /// A write: the load and its pgbench ceiling each start right after a
    /// `CHECKPOINT`. A checkpoint makes the next write of every page log
    /// the whole page; left to chance (the previous write load's WAL), one
    /// build's window could hold a checkpoint and the other's not.
    pub fn after_checkpoint(mut self) -> Self {
        self.checkpoint = true;
        self
    }

    /// Authenticates with `token` instead of the table's access token.
    pub fn bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }

    /// The name of the chart bar, when the row is drawn.
    pub fn chart(mut self, label: &str) -> Self {
        self.chart_label = Some(label.to_owned());
        self
    }

    pub fn script(mut self, path: &str) -> Self {
        self.script = Some(path.to_owned());
        self
    }

    /// The label of the captured statements (its pgbench ceiling).
    pub fn captured(mut self, label: &str) -> Self {
        self.captured = Some(label.to_owned());
        self
    }

    pub fn seconds(mut self, seconds: u64) -> Self {
        self.seconds = Some(seconds);
        self
    }

    pub fn timeout(mut self, timeout: &'static str) -> Self {
        self.timeout = timeout;
        self
    }

    /// One more request header (`Name: value`) on every request.
    pub fn header(mut self, header: &str) -> Self {
        self.headers.push(header.to_owned());
        self
    }
}

pub struct Table<'a> {
    seconds: u64,
    token: &'a str,
    database_url: &'a str,
    rss_peak_kib: u64,
    /// (chart label, req/s, ceiling) of the rows drawn.
    chart: Vec<(String, f64, Option<f64>)>,
}

impl<'a> Table<'a> {
    pub fn new(seconds: u64, token: &'a str, database_url: &'a str) -> Self {
        Self {
            seconds,
            token,
            database_url,
            rss_peak_kib: 0,
            chart: Vec::new(),
        }
    }

    pub fn header(&self) {
        println!(
            "| request (wrk -t2 -c64 -d{}s) | req/s | p50 | p99 | non-2xx | pgbench tps, same statements, -c64 | req/s as % of it |",
            self.seconds
        );
        println!("|---|---|---|---|---|---|---|");
    }

    pub fn rss_peak_kib(&self) -> u64 {
        self.rss_peak_kib
    }

    pub fn row(&mut self, load: &Load<'_>) -> Result<()> {
        let seconds = load.seconds.unwrap_or(self.seconds);
        let mut args = vec![
            "-t2".to_owned(),
            "-c64".into(),
            format!("-d{seconds}s"),
            "--latency".into(),
            "--timeout".into(),
            load.timeout.into(),
        ];
        args.extend([
            "-H".to_owned(),
            format!(
                "Authorization: Bearer {}",
                load.bearer.as_deref().unwrap_or(self.token)
            ),
        ]);
        for header in &load.headers {
            args.extend(["-H".to_owned(), header.clone()]);
        }
        if let Some(script) = &load.script {
            args.extend(["-s".to_owned(), script.clone()]);
        }
        args.push(format!("{}{}", load.api.base, load.path));
        if load.checkpoint {
            self.checkpoint()?;
        }
        // RSS sampled mid-run.
        let pid = load.api.pid();
        let sampler = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds / 2));
            rss_kib(pid)
        });
        let out = Command::new("wrk")
            .args(&args)
            .output()
            .context("running wrk")?;
        if !out.status.success() {
            bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let out = String::from_utf8_lossy(&out.stdout).into_owned();
        self.rss_peak_kib = self.rss_peak_kib.max(sampler.join().unwrap_or(0));
        let field = |prefix: &str, n: usize| {
            out.lines()
                .map(str::trim)
                .find(|l| l.starts_with(prefix))
                .and_then(|l| l.split_whitespace().nth(n))
                .map(str::to_owned)
        };
        let rps: f64 = field("Requests/sec:", 1)
            .and_then(|r| r.parse().ok())
            .context("wrk printed no Requests/sec")?;
        let (p50, p99) = (
            field("50%", 1).unwrap_or_default(),
            field("99%", 1).unwrap_or_default(),
        );
        let errors = field("Non-2xx", 4).unwrap_or_else(|| "0".into());
        let ceiling = match &load.captured {
            Some(label) => {
                if load.checkpoint {
                    self.checkpoint()?;
                }
                self.ceiling(label, seconds)?
            }
            None => None,
        };
        let (ceiling_cell, ratio_cell) = match ceiling {
            Some(tps) if tps > 0.0 => (format!("{tps:.0}"), format!("{:.0} %", 100.0 * rps / tps)),
            _ => ("—".to_owned(), "—".to_owned()),
        };
        println!(
            "| {} | {rps:.0} | {p50} | {p99} | {errors} | {ceiling_cell} | {ratio_cell} |",
            load.label
        );
        if let Some(chart) = &load.chart_label {
            self.chart.push((chart.clone(), rps, ceiling));
        }
        Ok(())
    }

    fn checkpoint(&self) -> Result<()> {
        let status = Command::new("psql")
            .args(["-qXc", "CHECKPOINT", self.database_url])
            .status()
            .context("running psql")?;
        if !status.success() {
            bail!("CHECKPOINT failed");
        }
        Ok(())
    }

    /// pgbench's tps on the captured statements, same concurrency.
    fn ceiling(&self, label: &str, seconds: u64) -> Result<Option<f64>> {
        let script = format!(".data/pgbench-{label}.sql");
        if std::fs::metadata(&script).map(|m| m.len()).unwrap_or(0) == 0 {
            return Ok(None);
        }
        let out = Command::new("pgbench")
            .args([
                "-n",
                "-M",
                "prepared",
                "-c",
                "64",
                "-j",
                "2",
                "-T",
                &seconds.to_string(),
                "-f",
                &script,
                self.database_url,
            ])
            .stderr(Stdio::null())
            .output()?;
        let out = String::from_utf8_lossy(&out.stdout);
        Ok(out
            .lines()
            .find(|l| l.starts_with("tps"))
            .and_then(|l| l.split_whitespace().nth(2))
            .and_then(|t| t.parse().ok()))
    }

    /// docs/img/performance.png, with tests/tools/bench_chart.rs.
    pub fn draw_chart(&self, png: &Path) -> Result<()> {
        let mut tsv = String::new();
        for (label, rps, ceiling) in &self.chart {
            let ceiling = ceiling.map_or("-".to_owned(), |c| format!("{c:.0}"));
            writeln!(tsv, "{label}\t{rps:.2}\t{ceiling}")?;
        }
        std::fs::write(".data/bench-chart.tsv", tsv)?;
        if let Some(dir) = png.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let status = Command::new("target/release/bench-chart")
            .arg(".data/bench-chart.tsv")
            .arg(png)
            .status()?;
        if !status.success() {
            bail!("bench-chart failed");
        }
        Ok(())
    }
}

/// The resident set of PID in KiB (0 once it is gone).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
