//! Live-event streams (part of `make bench`; issue 23's targets): two release
//! api processes on a fresh database, a Rust client holding the streams.
//!
//! 1. **Many streams**: `--streams` (10,000) streams open on api A at once,
//!    spread over one project per 1,000 (the per-user cap is raised to
//!    1,000); A's resident memory with them open; then one write per project
//!    through api B, and how many streams heard theirs.
//! 2. **Write → event**: `--fan-out` (1,000) streams on one project on A,
//!    `--writes-per-sec` (200) task creates for `--seconds` (10) through B.
//!    Each event's latency is its arrival at the client minus its activity
//!    entry's `created_at` (stamped by the writing api just before its
//!    statement; one machine, one clock). Every stream's ids are checked
//!    against the log: none lost, none twice.

use crate::bench_http::api::{Api, FreshDatabase};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

/// Streams one user holds (the api's per-user cap, raised for the run).
const PER_USER: usize = 1_000;
/// Streams being opened at once.
const OPENING: usize = 200;

pub struct Options {
    pub bin_dir: std::path::PathBuf,
    pub streams: usize,
    pub fan_out: usize,
    pub writes_per_sec: u32,
    pub seconds: u64,
}

pub fn run(options: &Options) -> Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(options))?;
    Ok(true)
}

/// One user with a team and a project.
struct Owner {
    token: String,
    project: String,
}

/// What one stream heard: each event's id and when its chunk arrived.
type Heard = Vec<(uuid::Uuid, SystemTime)>;

struct Streams {
    stop: watch::Sender<bool>,
    tasks: JoinSet<Heard>,
    opened: usize,
    events: Arc<AtomicUsize>,
}

impl Streams {
    async fn close(mut self) -> Vec<Heard> {
        self.stop.send_replace(true);
        let mut heard = Vec::new();
        while let Some(done) = self.tasks.join_next().await {
            if let Ok(one) = done {
                heard.push(one);
            }
        }
        heard
    }
}

async fn measure(options: &Options) -> Result<()> {
    let server = crate::postgres::server_url()?;
    std::fs::create_dir_all(".data")?;
    let database = FreshDatabase::create(&options.bin_dir, &server, "events").await?;
    let http = crate::http::client()?;
    let per_user = PER_USER.to_string();
    let env = [
        ("OPSFLOW_EVENTS_MAX_STREAMS_PER_USER", per_user.as_str()),
        ("OPSFLOW_BCRYPT_COST", "4"),
    ];
    let start = |name: &str| {
        let log = format!(".data/bench-events-{name}.log");
        let (database, http, env) = (&database, &http, &env);
        async move {
            Api::start_with(&options.bin_dir, database, true, Path::new(&log), http, env).await
        }
    };
    let a = start("a").await?;
    let b = start("b").await?;
    let streaming = reqwest::Client::builder().build()?;
    many_streams(options, &http, &streaming, &a, &b).await?;
    wait_until_closed(&http, &a.base).await;
    write_to_event(options, &http, &streaming, &a, &b, &database).await
}

/// Leg 1: many streams on one process, its memory, one write each.
async fn many_streams(
    options: &Options,
    http: &reqwest::Client,
    streaming: &reqwest::Client,
    a: &Api,
    b: &Api,
) -> Result<()> {
    let owners = options.streams.div_ceil(PER_USER);
    let mut many = Vec::new();
    for n in 0..owners {
        many.push(owner(http, &b.base, &format!("many{n}")).await?);
    }
    let baseline = memory(a.pid())?;
    let started = Instant::now();
    let streams = open(streaming, &a.base, &many, options.streams).await;
    let opening = started.elapsed();
    let open_memory = memory(a.pid())?;
    for owner in &many {
        create(http, &b.base, owner, "one each").await?;
    }
    let opened = streams.opened;
    let heard = wait_for(&streams.events, opened, Duration::from_secs(30)).await;
    let after = memory(a.pid())?;
    drop(streams.close().await);
    println!(
        "| events: {} streams on one api | {opened} open in {:.1} s | RSS {:.0} MiB before, {:.0} MiB open, {:.0} MiB after one event each (peak {:.0} MiB) | {heard} of {opened} heard their project's write |",
        options.streams,
        opening.as_secs_f64(),
        baseline.0,
        open_memory.0,
        after.0,
        after.1,
    );
    Ok(())
}

/// Leg 2: streams on one project on `a`, writes through `b`.
async fn write_to_event(
    options: &Options,
    http: &reqwest::Client,
    streaming: &reqwest::Client,
    a: &Api,
    b: &Api,
    database: &FreshDatabase,
) -> Result<()> {
    let fans = vec![owner(http, &b.base, "fan").await?];
    let streams = open(streaming, &a.base, &fans, options.fan_out).await;
    if streams.opened < options.fan_out {
        bail!(
            "only {} of {} streams opened",
            streams.opened,
            options.fan_out
        );
    }
    let written = write_at_rate(http, &b.base, &fans[0], options).await?;
    let expected = written * streams.opened;
    let delivered = wait_for(&streams.events, expected, Duration::from_secs(30)).await;
    let opened = streams.opened;
    let heard = streams.close().await;
    let db = crate::postgres::connect(&database.url).await?;
    report_latency(
        &db,
        &fans[0].project,
        &heard,
        written,
        opened,
        delivered,
        options,
    )
    .await
}

async fn owner(http: &reqwest::Client, base: &str, name: &str) -> Result<Owner> {
    let email = format!("{name}@example.com");
    let (token, _) = crate::http::sign_up(http, base, &email, "local runs only", name).await?;
    let team = crate::http::request(
        http,
        base,
        "POST",
        "/api/v1/teams",
        Some(json!({ "name": name })),
        Some(&token),
    )
    .await?
    .id()?;
    let project = crate::http::request(
        http,
        base,
        "POST",
        &format!("/api/v1/teams/{team}/projects"),
        Some(json!({ "name": name })),
        Some(&token),
    )
    .await?
    .id()?;
    Ok(Owner { token, project })
}

async fn create(http: &reqwest::Client, base: &str, owner: &Owner, title: &str) -> Result<()> {
    let created = crate::http::request(
        http,
        base,
        "POST",
        &format!("/api/v1/projects/{}/tasks", owner.project),
        Some(json!({ "title": title })),
        Some(&owner.token),
    )
    .await?;
    if created.status != 201 {
        bail!("create answered {}: {}", created.status, created.body);
    }
    Ok(())
}

/// Opens `count` streams on `base`, round-robin over `owners`, `OPENING` at
/// a time; each is open once its first frame (`retry:`) has arrived.
async fn open(client: &reqwest::Client, base: &str, owners: &[Owner], count: usize) -> Streams {
    let (stop, stopping) = watch::channel(false);
    let events = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(OPENING));
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let mut tasks = JoinSet::new();
    for n in 0..count {
        let owner = &owners[n % owners.len()];
        let url = format!("{base}/api/v1/projects/{}/events", owner.project);
        let request = client
            .get(url)
            .bearer_auth(&owner.token)
            .header("Accept", "text/event-stream");
        let gate = Arc::clone(&gate);
        let stopping = stopping.clone();
        let events = Arc::clone(&events);
        let opened_tx = opened_tx.clone();
        tasks.spawn(async move {
            let permit = gate.acquire_owned().await;
            let response = match first_frame(request).await {
                Ok(response) => response,
                Err(error) => {
                    eprintln!("bench-events: a stream did not open: {error:#}");
                    let _ = opened_tx.send(false);
                    return Vec::new();
                }
            };
            drop(permit);
            let _ = opened_tx.send(true);
            listen(response, stopping, &events).await
        });
    }
    drop(opened_tx);
    let mut opened = 0;
    for _ in 0..count {
        match opened_rx.recv().await {
            Some(true) => opened += 1,
            Some(false) => {}
            None => break,
        }
    }
    Streams {
        stop,
        tasks,
        opened,
        events,
    }
}

/// Sends the request and waits for the stream's first frame.
async fn first_frame(request: reqwest::RequestBuilder) -> Result<(reqwest::Response, String)> {
    let mut response = request.send().await?;
    if response.status() != 200 {
        bail!("answered {}", response.status());
    }
    let mut buffer = String::new();
    while !buffer.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(30), response.chunk())
            .await
            .context("no first frame within 30 s")??
            .context("the stream ended before its first frame")?;
        buffer.push_str(std::str::from_utf8(&chunk)?);
    }
    Ok((response, buffer))
}

/// Reads frames until `stop`, noting each event's id and arrival: line by
/// line over bytes (a thousand streams at 200 events/s each is 200,000
/// frames a second on the same cores as the api).
async fn listen(
    (mut response, first): (reqwest::Response, String),
    mut stop: watch::Receiver<bool>,
    events: &AtomicUsize,
) -> Heard {
    let mut heard = Vec::new();
    let mut pending: Vec<u8> = first.into_bytes();
    loop {
        let arrived = SystemTime::now();
        let mut start = 0;
        while let Some(end) = pending[start..].iter().position(|&b| b == b'\n') {
            let line = &pending[start..start + end];
            if let Some(id) = line.strip_prefix(b"id: ") {
                if let Some(id) = std::str::from_utf8(id)
                    .ok()
                    .and_then(|id| uuid::Uuid::parse_str(id).ok())
                {
                    heard.push((id, arrived));
                    events.fetch_add(1, Ordering::Relaxed);
                }
            }
            start += end + 1;
        }
        pending.drain(..start);
        let chunk = tokio::select! {
            chunk = response.chunk() => chunk,
            _ = stop.wait_for(|stopped| *stopped) => return heard,
        };
        match chunk {
            Ok(Some(chunk)) => pending.extend_from_slice(&chunk),
            _ => return heard,
        }
    }
}

/// Waits until `counter` reaches `target` or `limit` passes; its value.
async fn wait_for(counter: &AtomicUsize, target: usize, limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    while counter.load(Ordering::Relaxed) < target && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    counter.load(Ordering::Relaxed)
}

/// The api notices a closed stream when a write to it fails (a keep-alive
/// every 15 s; the first write after the client left may still be
/// accepted): waits until its gauge says none is open, so the next leg
/// starts clean, and says how long that took.
async fn wait_until_closed(http: &reqwest::Client, base: &str) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    while Instant::now() < deadline {
        if matches!(crate::http::open_event_streams(http, base).await, Ok(0)) {
            println!(
                "| events: closed streams noticed by the api | all within {:.1} s of the clients leaving | | |",
                started.elapsed().as_secs_f64()
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("bench-events: streams of the first leg still counted open after 60 s");
}

/// Creates tasks at `writes_per_sec` for `seconds`, each request on its own
/// task so a slow answer does not delay the schedule. The creates answered
/// 201.
async fn write_at_rate(
    http: &reqwest::Client,
    base: &str,
    owner: &Owner,
    options: &Options,
) -> Result<usize> {
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / options.writes_per_sec);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = u64::from(options.writes_per_sec) * options.seconds;
    let mut writes = JoinSet::new();
    for n in 0..total {
        ticks.tick().await;
        let http = http.clone();
        let base = base.to_owned();
        let url = format!("/api/v1/projects/{}/tasks", owner.project);
        let token = owner.token.clone();
        writes.spawn(async move {
            crate::http::request(
                &http,
                &base,
                "POST",
                &url,
                Some(json!({ "title": format!("w{n}") })),
                Some(&token),
            )
            .await
            .is_ok_and(|answer| answer.status == 201)
        });
    }
    let mut ok = 0;
    while let Some(done) = writes.join_next().await {
        if done.unwrap_or(false) {
            ok += 1;
        }
    }
    if ok as u64 != total {
        eprintln!(
            "bench-events: {} of {total} writes failed",
            total - ok as u64
        );
    }
    Ok(ok)
}

async fn report_latency(
    db: &tokio_postgres::Client,
    project: &str,
    heard: &[Heard],
    written: usize,
    opened: usize,
    delivered: usize,
    options: &Options,
) -> Result<()> {
    let rows = db
        .query(
            "SELECT id::text, extract(epoch FROM created_at)::float8 FROM activity_logs
              WHERE project_id = $1::text::uuid AND action = 'task.created'",
            &[&project],
        )
        .await?;
    let created: HashMap<uuid::Uuid, f64> = rows
        .iter()
        .map(|row| {
            let id: String = row.try_get(0)?;
            Ok((uuid::Uuid::parse_str(&id)?, row.try_get(1)?))
        })
        .collect::<Result<_>>()?;
    let mut latencies = Vec::with_capacity(written * opened);
    let (mut lost, mut duplicated) = (0usize, 0usize);
    for stream in heard {
        let mut seen = HashSet::new();
        for (id, arrived) in stream {
            let Some(at) = created.get(id) else { continue };
            if !seen.insert(*id) {
                duplicated += 1;
                continue;
            }
            let arrived = arrived.duration_since(UNIX_EPOCH)?.as_secs_f64();
            latencies.push((arrived - at) * 1000.0);
        }
        lost += created.len().saturating_sub(seen.len());
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "| events: write → event, {opened} streams on one project, {}/s for {} s through the other api | {written} writes, {delivered} events | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms | lost {lost}, duplicated {duplicated} |",
        options.writes_per_sec,
        options.seconds,
        at(0.5),
        at(0.99),
        at(1.0),
    );
    Ok(())
}

/// `(VmRSS, VmHWM)` of `pid` in MiB.
fn memory(pid: u32) -> Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<f64> {
        let line = status
            .lines()
            .find(|line| line.starts_with(name))
            .with_context(|| format!("{name} in /proc/{pid}/status"))?;
        let kib: f64 = line
            .split_whitespace()
            .nth(1)
            .context("a number")?
            .parse()?;
        Ok(kib / 1024.0)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}
