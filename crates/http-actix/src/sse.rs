//! A project's events as a `text/event-stream` body (contract → Live
//! events): `retry:` first, then one frame per event, a `: keep-alive`
//! comment whenever nothing was sent for `keep_alive`, and the end when the
//! stream ends (`revoked`, `deleted`, a slow client, the process stopping).

use crate::metrics::Metrics;
use crate::routes::comments::ActivityBody;
use crate::stream_limits::StreamPermit;
use actix_web::web::{Bytes, BytesMut};
use domain::events::{FeedEntry, ProjectEvent, ProjectEvents};
use futures_util::FutureExt;
use futures_util::Stream;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a disconnected client waits before reconnecting (`retry:`).
pub const RETRY: Duration = Duration::from_secs(2);

pub struct Body {
    pub events: ProjectEvents,
    pub keep_alive: Duration,
    pub stopping: watch::Receiver<bool>,
    pub metrics: Arc<Metrics>,
    pub permit: StreamPermit,
}

/// Counts a stream in `opsflow_events_streams` for as long as its body
/// lives: a body ends by running out, or is dropped when its client leaves
/// (the server notices at its next write), and both must uncount it.
struct Counted(Arc<Metrics>);

impl Counted {
    fn new(metrics: Arc<Metrics>) -> Self {
        metrics.events.streams.inc();
        Self(metrics)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.events.streams.dec();
    }
}

/// The frames of one stream, as the response body.
pub fn frames(body: Body) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let counted = Counted::new(Arc::clone(&body.metrics));
    let first = Bytes::from(format!("retry: {}\n\n", RETRY.as_millis()));
    let state = Stage::First(first);
    futures_util::stream::unfold(Some((body, state, counted)), |state| async move {
        let (mut body, stage, counted) = state?;
        let (chunk, stage) = match stage {
            Stage::First(first) => (first, Stage::Live),
            Stage::Ended => return None,
            Stage::Live => next_chunk(&mut body).await?,
        };
        Some((Ok(chunk), Some((body, stage, counted))))
    })
}

enum Stage {
    First(Bytes),
    Live,
    Ended,
}

/// Frames a client gets in one write at most: enough to catch up after a
/// burst, small enough not to hold a long backlog in one buffer.
const CHUNK_LIMIT: usize = 64 * 1024;

/// The next frame, with every event that is ready right behind it in the
/// same chunk (one write and one read instead of one per event: with a
/// thousand streams on a busy project, the per-write cost is what limits
/// a process); `Stage::Ended` when the events ran out behind it, `None`
/// when the stream is over.
async fn next_chunk(body: &mut Body) -> Option<(Bytes, Stage)> {
    let first = next_frame(body).await?;
    if first.starts_with(b":") {
        return Some((first, Stage::Live));
    }
    let mut stage = Stage::Live;
    let mut chunk: Option<BytesMut> = None;
    while chunk.as_ref().map_or(first.len(), BytesMut::len) < CHUNK_LIMIT {
        // Cancel-safe (`ProjectEvents::next`): a pending poll loses nothing.
        let Some(ready) = body.events.next().now_or_never() else {
            break;
        };
        let chunk = chunk.get_or_insert_with(|| BytesMut::from(&first[..]));
        match ready {
            Some(event) => chunk.extend_from_slice(&frame(body, event)),
            None => {
                stage = Stage::Ended;
                break;
            }
        }
    }
    Some((chunk.map_or(first, BytesMut::freeze), stage))
}

/// The next frame, or `None` when the stream is over. Waiting on the events
/// may be cancelled by the keep-alive timer: `ProjectEvents::next` is
/// cancel-safe (docs/events.md).
async fn next_frame(body: &mut Body) -> Option<Bytes> {
    if *body.stopping.borrow() {
        return None;
    }
    let event = tokio::select! {
        event = body.events.next() => event?,
        () = tokio::time::sleep(body.keep_alive) => return Some(Bytes::from_static(b": keep-alive\n\n")),
        _ = body.stopping.wait_for(|stopping| *stopping) => return None,
    };
    Some(frame(body, event))
}

fn frame(body: &Body, event: ProjectEvent) -> Bytes {
    match event {
        ProjectEvent::Activity(entry) => {
            let lag = chrono::Utc::now() - entry.entry.created_at;
            body.metrics
                .events
                .lag
                .observe(lag.num_microseconds().unwrap_or(0).max(0) as f64 / 1e6);
            body.metrics.events.sent.inc();
            Bytes::from_owner(rendered(&entry))
        }
        ProjectEvent::Reset => signal("reset"),
        ProjectEvent::Revoked => signal("revoked"),
        ProjectEvent::Deleted => signal("deleted"),
    }
}

/// An entry's frame, rendered once per process and shared by every stream
/// that sends it.
fn rendered(entry: &FeedEntry) -> Arc<[u8]> {
    Arc::clone(entry.rendered.get_or_init(|| {
        let body = ActivityBody::from(entry.entry.clone());
        // Strings, ids and a map of strings: serializing cannot fail.
        let data = serde_json::to_string(&body).unwrap_or_default();
        format!(
            "id: {}\nevent: {}\ndata: {data}\n\n",
            entry.entry.id.as_uuid(),
            entry.entry.action.as_str()
        )
        .into_bytes()
        .into()
    }))
}

/// A frame without an id (a client's `Last-Event-ID` stays the last entry
/// it saw); `data` is there because browsers drop events without it.
fn signal(name: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {{}}\n\n"))
}
