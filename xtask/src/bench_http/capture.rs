//! Turns what PostgreSQL logged for one request into a pgbench script, so the
//! database's own ceiling is measured on the *captured* statements (the exact
//! text and bound values the api sent), never on retyped SQL.
//!
//! The server log (log_statement = 'all' for the fresh database) is read
//! between two marker queries; each statement the api's connections ran gets
//! its logged parameters inlined and becomes one line of the script.

use super::api::{Api, FreshDatabase};
use anyhow::{Context, Result};
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A write cannot be replayed verbatim (the second INSERT of the same id
/// fails; the second compare-and-set UPDATE matches nothing), so these
/// rewrites keep each replay doing the work one request does.
#[derive(Clone, Copy)]
pub enum Rewrite<'a> {
    /// The id of each inserted row (one the request generated) becomes
    /// random per replay (pgbench variables).
    FreshIds,
    /// That seeded task id becomes a random one of the 10,000 seeded tasks.
    SeededTask(&'a str),
    /// The optimistic-lock guard `version = n` always matches.
    AnyVersion,
}

/// The machine's PostgreSQL log, if this user can read it (else no ceiling
/// is measured).
pub fn server_log() -> Option<PathBuf> {
    let mut logs: Vec<_> = std::fs::read_dir("/var/log/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    logs.sort();
    logs.into_iter()
        .find(|p| p.to_string_lossy().ends_with("-main.log") && std::fs::File::open(p).is_ok())
}

pub struct Capture<'a> {
    pub log: &'a Path,
    pub database: &'a FreshDatabase,
    pub http: &'a reqwest::Client,
    pub token: &'a str,
}

impl Capture<'_> {
    /// Sends one request between two logged markers and writes what it sent
    /// to PostgreSQL as `.data/pgbench-LABEL.sql`.
    pub async fn request(
        &self,
        label: &str,
        api: &Api,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        rewrites: &[Rewrite<'_>],
    ) -> Result<()> {
        let marker = format!("bench_capture_{}_{label}", std::process::id());
        self.marker(&format!("{marker}_start")).await?;
        crate::http::request(self.http, &api.base, method, path, body, Some(self.token)).await?;
        self.marker(&format!("{marker}_end")).await?;
        let log = std::fs::read_to_string(self.log)
            .with_context(|| format!("reading {}", self.log.display()))?;
        let statements = statements_between(
            &log,
            &self.database.name,
            &format!("{marker}_start"),
            &format!("{marker}_end"),
        )?;
        std::fs::write(
            format!(".data/pgbench-{label}.sql"),
            pgbench_script(statements, rewrites)?,
        )?;
        Ok(())
    }

    async fn marker(&self, marker: &str) -> Result<()> {
        let client = crate::postgres::connect(&self.database.url).await?;
        client.simple_query(&format!("SELECT '{marker}'")).await?;
        Ok(())
    }

    /// Stops logging and closes every pooled connection, so the api
    /// reconnects without it before anything is measured.
    pub async fn stop_logging(&self) -> Result<()> {
        let name = &self.database.name;
        self.database
            .admin(&format!(
                "ALTER DATABASE \"{name}\" RESET log_statement;
                 SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await
    }
}

/// The statements (parameters inlined) the api's connections ran between
/// the two markers, without a new connection's setup (diesel's time zone
/// and encoding, the pool's `set_config` of `opsflow.` settings): that is no
/// request's work.
fn statements_between(log: &str, database: &str, start: &str, end: &str) -> Result<Vec<String>> {
    let line = Regex::new(r"\[(\d+)\] \S*@(\S+) (LOG|DETAIL):\s+(.*)")?;
    let prefix = Regex::new(r"^(execute \S+|statement):\s*")?;
    let parameter = Regex::new(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")?;
    let setup = Regex::new(r"^(SET (TIME ZONE|CLIENT_ENCODING)|SELECT set_config\('opsflow\.)")?;
    let (mut statements, mut recording, mut marker_pid) = (Vec::<String>::new(), false, None);
    let mut pending: Option<usize> = None;
    // Whether the last prefixed line opened a statement this capture keeps.
    let mut continuing = false;
    for raw in log.lines() {
        let Some(found) = line.captures(raw) else {
            // A statement over several lines continues on lines of its own,
            // each starting with a tab.
            if let (true, Some(index), Some(rest)) = (continuing, pending, raw.strip_prefix('\t')) {
                statements[index].push('\n');
                statements[index].push_str(rest);
            }
            continue;
        };
        continuing = false;
        if &found[2] != database {
            continue;
        }
        let (pid, kind, rest) = (&found[1], &found[3], &found[4]);
        if kind == "LOG" && rest.contains(start) {
            (recording, marker_pid) = (true, Some(pid.to_owned()));
            continue;
        }
        if kind == "LOG" && rest.contains(end) {
            break;
        }
        if !recording || marker_pid.as_deref() == Some(pid) {
            continue;
        }
        if kind == "LOG" && (rest.starts_with("execute") || rest.starts_with("statement")) {
            statements.push(prefix.replace(rest, "").trim().to_owned());
            pending = Some(statements.len() - 1);
            continuing = true;
        } else if kind == "DETAIL" && rest.starts_with("parameters:") {
            if let Some(index) = pending.take() {
                let values: BTreeMap<u32, &str> = parameter
                    .captures_iter(rest)
                    .filter_map(|c| Some((c[1].parse().ok()?, c.get(2)?.as_str())))
                    .collect();
                // Highest number first: `$1` must not eat the start of `$12`.
                for (number, value) in values.iter().rev() {
                    statements[index] = statements[index].replace(&format!("${number}"), value);
                }
            }
        }
    }
    Ok(statements
        .into_iter()
        .filter(|s| !setup.is_match(s))
        .collect())
}

/// A uuid built from pgbench variables, as an expression (not a literal
/// with variables inside quotes), so it works with `-M prepared` too.
fn uuid_from(low: &str, high: Option<&str>) -> String {
    let first = high.map_or("'00000000'".to_owned(), |h| format!("{h}::text"));
    format!("({first} || '-0000-4000-8000-' || {low}::text)::uuid")
}

fn pgbench_script(mut texts: Vec<String>, rewrites: &[Rewrite<'_>]) -> Result<String> {
    // The new row's own id: the first value (VALUES, SELECT, or a checked
    // create's `SELECT v.* FROM (VALUES (`) of an INSERT whose first column
    // is "id" (every table here); other uuids in it (project, actor) exist.
    let insert = Regex::new(
        r#"INSERT INTO "?\w+"? \("?id"?,.*?\)\s+(?:SELECT v\.\* FROM \(VALUES \(|VALUES \(|SELECT )'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'"#,
    )?;
    // `"tasks"."version" = 3` (diesel) or `AND version = '3'` (a
    // hand-written compare-and-set); never `version = version + 1`.
    let guard = Regex::new(r#"((?:"tasks"\.)?"?\bversion"?) = '?\d+'?"#)?;
    let mut header = Vec::new();
    for rewrite in rewrites {
        match rewrite {
            Rewrite::SeededTask(seeded) => {
                header.push("\\set task random(100000000001, 100000010000)".to_owned());
                let random = uuid_from(":task", None);
                texts = texts
                    .iter()
                    .map(|t| t.replace(&format!("'{seeded}'"), &random))
                    .collect();
            }
            Rewrite::FreshIds => {
                let mut fresh: Vec<String> = Vec::new();
                for text in &texts {
                    for id in insert.captures_iter(text) {
                        if !fresh.contains(&id[1].to_owned()) {
                            fresh.push(id[1].to_owned());
                        }
                    }
                }
                for (n, id) in fresh.iter().enumerate() {
                    header.push(format!("\\set hi{n} random(10000000, 99999999)"));
                    header.push(format!("\\set lo{n} random(100000000000, 999999999999)"));
                    let random = uuid_from(&format!(":lo{n}"), Some(&format!(":hi{n}")));
                    texts = texts
                        .iter()
                        .map(|t| t.replace(&format!("'{id}'"), &random))
                        .collect();
                }
            }
            Rewrite::AnyVersion => {
                texts = texts
                    .iter()
                    .map(|t| guard.replace_all(t, "$1 = $1").into_owned())
                    .collect();
            }
        }
    }
    let mut script = header.join("\n");
    if !script.is_empty() {
        script.push('\n');
    }
    for text in texts {
        script.push_str(text.trim_end_matches(';'));
        script.push_str(";\n");
    }
    Ok(script)
}
