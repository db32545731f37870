//! Steady, bounded load: each task owns one OpsFlow task and loops over read,
//! update, list and (every fifth turn) create at about 40 requests/s; it
//! records every answer and every acknowledged write.

use crate::http::{Answer, CallError, Cluster};
use crate::sync::locked;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

#[derive(Default, Debug)]
pub struct Record {
    pub statuses: BTreeMap<u16, u64>,
    /// (status, content type) of every 5xx.
    pub server_errors: Vec<(u16, String)>,
    pub in_flight_failures: Vec<String>,
    pub refused: u64,
    pub acked_creates: Vec<String>,
    /// Task id → the last version an update of it was acknowledged with.
    pub acked_versions: HashMap<String, i64>,
    pub last_success: Option<Instant>,
}

impl Record {
    pub fn total(&self) -> u64 {
        self.statuses.values().sum()
    }

    /// The first three requests that failed in flight, for a check's line.
    pub fn in_flight_summary(&self) -> String {
        let first: Vec<&str> = self
            .in_flight_failures
            .iter()
            .take(3)
            .map(String::as_str)
            .collect();
        first.join("; ")
    }
}

struct Caller {
    cluster: Arc<Cluster>,
    http: reqwest::Client,
    token: String,
    record: Arc<Mutex<Record>>,
}

impl Caller {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Option<Answer> {
        let outcome = self
            .cluster
            .call(&self.http, method, path, body, &self.token)
            .await;
        let mut record = locked(&self.record);
        match outcome {
            Ok(answer) => {
                *record.statuses.entry(answer.status).or_default() += 1;
                if answer.status >= 500 {
                    record
                        .server_errors
                        .push((answer.status, answer.content_type.clone()));
                } else if answer.status < 400 {
                    record.last_success = Some(Instant::now());
                }
                Some(answer)
            }
            Err(CallError::NotSent) => {
                record.refused += 1;
                None
            }
            Err(CallError::Failed(error)) => {
                record
                    .in_flight_failures
                    .push(format!("{method} {path}: {error}"));
                None
            }
        }
    }
}

pub struct Load {
    record: Arc<Mutex<Record>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Load {
    pub fn start(
        cluster: &Arc<Cluster>,
        http: &reqwest::Client,
        token: &str,
        project: &str,
        callers: usize,
    ) -> Self {
        let record = Arc::new(Mutex::new(Record::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = (0..callers)
            .map(|n| {
                let caller = Caller {
                    cluster: cluster.clone(),
                    http: http.clone(),
                    token: token.to_owned(),
                    record: record.clone(),
                };
                tokio::spawn(steady(caller, n, project.to_owned(), stop.clone()))
            })
            .collect();
        Self {
            record,
            stop,
            tasks,
        }
    }

    /// When the last request answered below 400 (a scenario waits for it).
    pub fn last_success(&self) -> Option<Instant> {
        locked(&self.record).last_success
    }

    pub async fn finish(self) -> Record {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
        }
        std::mem::take(&mut *locked(&self.record))
    }
}

async fn steady(caller: Caller, n: usize, project: String, stop: Arc<AtomicBool>) {
    let stopped = || stop.load(Ordering::Relaxed);
    let create_path = format!("/api/v1/projects/{project}/tasks");
    let mut task = Value::Null;
    while task.is_null() && !stopped() {
        if let Some(created) = caller
            .call(
                "POST",
                &create_path,
                Some(json!({ "title": format!("load {n}") })),
            )
            .await
        {
            if created.status == 201 {
                task = created.data().clone();
            }
        }
    }
    let mut step = 0;
    while !stopped() {
        step += 1;
        let id = task["id"].as_str().unwrap_or_default().to_owned();
        let path = format!("/api/v1/tasks/{id}");
        caller.call("GET", &path, None).await;
        let update = json!({ "title": format!("load {n} #{step}"), "version": task["version"] });
        match caller.call("PATCH", &path, Some(update)).await {
            Some(patched) if patched.status == 200 => {
                task = patched.data().clone();
                let version = task["version"].as_i64().unwrap_or_default();
                locked(&caller.record).acked_versions.insert(id, version);
            }
            Some(conflict) if conflict.status == 409 => {
                // An update whose answer was lost (an outage) may have
                // landed: re-read the version rather than guess.
                if let Some(fresh) = caller
                    .call("GET", &path, None)
                    .await
                    .filter(|a| a.status == 200)
                {
                    task = fresh.data().clone();
                }
            }
            _ => {}
        }
        caller
            .call("GET", &format!("{create_path}?limit=20"), None)
            .await;
        if step % 5 == 0 {
            let body = json!({ "title": format!("created {n} #{step}") });
            if let Some(created) = caller
                .call("POST", &create_path, Some(body))
                .await
                .filter(|a| a.status == 201)
            {
                if let Ok(id) = created.id() {
                    locked(&caller.record).acked_creates.push(id);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
