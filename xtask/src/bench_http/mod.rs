//! The HTTP leg of `make bench` (scripts/bench-http.sh builds, then calls
//! `xtask bench-http`): the release api under wrk (64 connections) on a
//! fresh database seeded with 10 projects × 10,000 tasks and 200,000
//! comments, `VACUUM ANALYZE`d. Every request is also measured against its
//! database ceiling: pgbench replaying the exact statements (and binds) that
//! request sent, captured from PostgreSQL's log, at the same concurrency, in
//! the same run. Prints the machine, a Markdown table (req/s, p50, p99, the
//! ceiling, the ratio) and the api's RSS under load, and draws
//! docs/img/performance.png (tests/tools/bench_chart.rs).
//!
//! Two api processes share the database: one with the task-list cache
//! (cached list rows), one without it (every other row, so "uncached" really
//! is). `--bin-dir` measures another build of the api (an older commit's,
//! for a before/after comparison in one run) with this same driver.

pub mod api;
mod capture;
mod measure;
mod seed;

use anyhow::Result;
use api::{Api, FreshDatabase};
use measure::{Load, Table};
use std::path::{Path, PathBuf};

/// The bench user's password (bcrypt cost 12 in these runs).
const PASSWORD: &str = "local runs only";

pub struct Options {
    pub bin_dir: PathBuf,
    pub chart: bool,
}

pub fn run(options: &Options) -> Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(options))?;
    Ok(true)
}

/// The sorts measured besides the default one.
const SORTS: [&str; 6] = [
    "-due_at",
    "due_at",
    "priority",
    "-priority",
    "title",
    "updated_at",
];

/// The measured requests' paths.
struct Paths {
    get: String,
    list: String,
    todo: String,
    create: String,
    patch: String,
}

impl Paths {
    fn new(project: &str, task: &str) -> Self {
        Self {
            get: format!("/api/v1/tasks/{task}"),
            list: format!("/api/v1/projects/{project}/tasks?limit=20"),
            todo: format!("/api/v1/projects/{project}/tasks?status=todo&limit=20"),
            create: format!("/api/v1/projects/{project}/tasks"),
            patch: format!("/api/v1/tasks/{}", seed::PATCHED_TASK),
        }
    }

    fn sorted(&self, sort: &str) -> String {
        format!("{}&sort={sort}", self.todo)
    }
}

/// The two api processes over one seeded database.
struct Bench {
    database: FreshDatabase,
    cached: Api,
    uncached: Api,
    token: String,
    /// A read-scoped personal access token of the same user (`None` from a
    /// build older than personal access tokens).
    personal_token: Option<String>,
    paths: Paths,
    log: Option<PathBuf>,
}

async fn bench(options: &Options) -> Result<()> {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let http = crate::http::client()?;
    let bench = set_up(&options.bin_dir, &http).await?;
    if let Some(log) = &bench.log {
        capture_all(&bench, log, &http).await?;
    }
    let mut table = Table::new(seconds, &bench.token, &bench.database.url);
    table.header();
    let tag = list_tag(&http, &bench).await?;
    measure_reads(&mut table, &bench, tag.as_deref(), seconds.div_ceil(2))?;
    measure_writes(&mut table, &bench)?;
    println!(
        "\napi RSS, highest sample under load: {} MiB",
        table.rss_peak_kib() / 1024
    );
    if options.chart {
        table.draw_chart(Path::new("docs/img/performance.png"))?;
    }
    Ok(())
}

/// A fresh, seeded database with statement logging on (when the server
/// log is readable), the two api processes on it, and the wrk scripts.
async fn set_up(bin_dir: &Path, http: &reqwest::Client) -> Result<Bench> {
    let server = crate::postgres::server_url()?;
    println!("{}", measure::machine(&server).await?);
    std::fs::create_dir_all(".data")?;
    let database = FreshDatabase::create(bin_dir, &server, "bench").await?;
    // PostgreSQL logs every statement of this database while the requests
    // are captured for pgbench; new sessions only, so this comes first.
    let log = capture::server_log();
    if log.is_some() {
        let name = &database.name;
        database
            .admin(&format!(
                "ALTER DATABASE \"{name}\" SET log_statement = 'all'"
            ))
            .await?;
    }
    let cached_log = Path::new(".data/bench-http-server.log");
    let cached = Api::start(bin_dir, &database, true, cached_log, http).await?;
    let fixtures = seed::fixtures(http, &cached.base).await?;
    seed::tasks_and_comments(&database.url, &fixtures.project).await?;
    let uncached_log = Path::new(".data/bench-http-nocache.log");
    let uncached = Api::start(bin_dir, &database, false, uncached_log, http).await?;
    let task = seed::newest_task(&database.url, &fixtures.project).await?;
    let create = r#"{"title":"Created under load","priority":"high"}"#;
    std::fs::write(".data/bench-create.lua", measure::post_script(create))?;
    let login = format!(r#"{{"email":"{}","password":"{PASSWORD}"}}"#, seed::EMAIL);
    std::fs::write(".data/bench-login.lua", measure::post_script(&login))?;
    let paths = Paths::new(&fixtures.project, &task);
    let personal_token = personal_token(http, &uncached.base, &fixtures.token).await;
    Ok(Bench {
        database,
        cached,
        uncached,
        personal_token,
        token: fixtures.token,
        paths,
        log,
    })
}

/// A read-scoped personal access token minted through the api, if this
/// build has them.
async fn personal_token(http: &reqwest::Client, base: &str, token: &str) -> Option<String> {
    let body = serde_json::json!({ "name": "bench", "scopes": ["read"] });
    let answer = crate::http::request(
        http,
        base,
        "POST",
        "/api/v1/users/me/tokens",
        Some(body),
        Some(token),
    )
    .await
    .ok()?;
    (answer.status == 201)
        .then(|| answer.body["data"]["token"].as_str().map(str::to_owned))
        .flatten()
}

/// Captures what one request of each kind sends to PostgreSQL, then stops
/// logging and lets both apis reconnect without it.
/// Writes are captured as the load sends them: after the api has written
/// in that project and that task once (what it remembers of the facts then
/// decides the next write in one statement, docs/jobs.md).
async fn warm_writes(
    bench: &Bench,
    http: &reqwest::Client,
    create: &serde_json::Value,
) -> Result<()> {
    let (paths, uncached) = (&bench.paths, &bench.uncached);
    crate::http::request(
        http,
        &uncached.base,
        "POST",
        &paths.create,
        Some(create.clone()),
        Some(&bench.token),
    )
    .await?;
    let patch = serde_json::json!({ "title": "Patched once before the capture", "version": 1 });
    crate::http::request(
        http,
        &uncached.base,
        "PATCH",
        &paths.patch,
        Some(patch),
        Some(&bench.token),
    )
    .await?;
    Ok(())
}

async fn capture_all(bench: &Bench, log: &Path, http: &reqwest::Client) -> Result<()> {
    let capture = capture::Capture {
        log,
        database: &bench.database,
        http,
        token: &bench.token,
    };
    let (paths, cached, uncached) = (&bench.paths, &bench.cached, &bench.uncached);
    capture
        .request("get", uncached, "GET", &paths.get, None, &[])
        .await?;
    // A cached list read (warmed first): what it still sends to PostgreSQL.
    crate::http::request(
        http,
        &cached.base,
        "GET",
        &paths.list,
        None,
        Some(&bench.token),
    )
    .await?;
    capture
        .request("cached", cached, "GET", &paths.list, None, &[])
        .await?;
    // A create replays with fresh ids (the ones the request generated
    // become pgbench random variables); a PATCH on a random seeded task,
    // its version guard rewritten to match whatever version that task has
    // reached.
    let body = serde_json::json!({ "title": "Created under load", "priority": "high" });
    let fresh = [capture::Rewrite::FreshIds];
    warm_writes(bench, http, &body).await?;
    capture
        .request(
            "create",
            uncached,
            "POST",
            &paths.create,
            Some(body),
            &fresh,
        )
        .await?;
    let body = serde_json::json!({ "title": "Patched under load", "version": 2 });
    let rewrites = [
        capture::Rewrite::SeededTask(seed::PATCHED_TASK),
        capture::Rewrite::FreshIds,
        capture::Rewrite::AnyVersion,
    ];
    capture
        .request(
            "patch",
            uncached,
            "PATCH",
            &paths.patch,
            Some(body),
            &rewrites,
        )
        .await?;
    capture
        .request("list", uncached, "GET", &paths.list, None, &[])
        .await?;
    capture
        .request("todo", uncached, "GET", &paths.todo, None, &[])
        .await?;
    for sort in SORTS {
        let label = format!("todo{sort}");
        capture
            .request(&label, uncached, "GET", &paths.sorted(sort), None, &[])
            .await?;
    }
    capture.stop_logging().await?;
    // Every pooled connection was closed: reconnect both before measuring.
    for api in [cached, uncached] {
        measure::warm(&api.base, &paths.get, &bench.token)?;
    }
    Ok(())
}

/// The `ETag` the cached api sends for the default list, which the `304`
/// row then holds (`None` from a build older than conditional reads).
async fn list_tag(http: &reqwest::Client, bench: &Bench) -> Result<Option<String>> {
    let response = http
        .get(format!("{}{}", bench.cached.base, bench.paths.list))
        .bearer_auth(&bench.token)
        .send()
        .await?;
    Ok(response
        .headers()
        .get("etag")
        .and_then(|tag| tag.to_str().ok())
        .map(str::to_owned))
}

fn measure_reads(table: &mut Table<'_>, bench: &Bench, tag: Option<&str>, half: u64) -> Result<()> {
    let (paths, cached, uncached) = (&bench.paths, &bench.cached, &bench.uncached);
    let health = Load::new(
        "GET /health (the HTTP ceiling of this binary)",
        uncached,
        "/health",
    );
    table.row(&health.chart("GET /health (HTTP ceiling)"))?;
    table.row(&Load::new("GET /tasks/{id}", uncached, &paths.get).captured("get"))?;
    // The same read with a personal access token: its grant is cached in
    // Redis, so it sends the JWT read's statements (the same ceiling).
    if let Some(personal) = &bench.personal_token {
        let label = "GET /tasks/{id}, personal access token (grant cached)";
        let load = Load::new(label, uncached, &paths.get).bearer(personal);
        table.row(&load.captured("get"))?;
    }
    let label = "list, default sort, **cached** (X-Cache: HIT)";
    table.row(
        &Load::new(label, cached, &paths.list)
            .captured("cached")
            .chart("list, cached (HIT)"),
    )?;
    // The same list, the client holding its ETag: the authorization
    // statement, then `304` (no Redis, no page). Its ceiling is that one
    // statement, captured with the cached read.
    if let Some(tag) = tag {
        let label = "list, default sort, **304** (If-None-Match: its ETag)";
        table.row(
            &Load::new(label, cached, &paths.list)
                .header(&format!("If-None-Match: {tag}"))
                .captured("cached")
                .chart("list, 304"),
        )?;
    }
    let label = "list, default sort, uncached";
    table.row(
        &Load::new(label, uncached, &paths.list)
            .captured("list")
            .chart("list, uncached"),
    )?;
    table.row(&Load::new("list ?status=todo", uncached, &paths.todo).captured("todo"))?;
    // The six other sorts run half as long each: the same shape of
    // statement, and `make bench` must fit in 15 minutes on a fresh machine.
    for sort in SORTS {
        let label = format!("list ?status=todo&sort={sort}");
        let load = Load::new(&label, uncached, &paths.sorted(sort));
        table.row(&load.captured(&format!("todo{sort}")).seconds(half))?;
    }
    Ok(())
}

fn measure_writes(table: &mut Table<'_>, bench: &Bench) -> Result<()> {
    let (paths, uncached) = (&bench.paths, &bench.uncached);
    let create = Load::new("POST /projects/{id}/tasks", uncached, &paths.create);
    table.row(
        &create
            .script(".data/bench-create.lua")
            .after_checkpoint()
            .captured("create")
            .chart("POST create task"),
    )?;
    let label = "PATCH /tasks/{id} (uncontended: each request its own task)";
    let patch = Load::new(label, uncached, &paths.patch)
        .script("scripts/lib/patch-load.lua")
        .after_checkpoint();
    table.row(&patch.captured("patch").chart("PATCH task (uncontended)"))?;
    // Login at bcrypt cost 12: each one is ~0.25 s of one core by design, so
    // 64 connections queue for seconds (wrk's timeout raised to see them).
    let label = "POST /auth/login (bcrypt cost 12: the hash is the work)";
    let login = Load::new(label, uncached, "/api/v1/auth/login").script(".data/bench-login.lua");
    table.row(&login.timeout("60s").chart("POST login (bcrypt 12)"))
}
