//! The process's one reader of the activity log for live streams: a tail
//! loop that reads, in one statement, every new entry of every project this
//! process has streams on, and hands each entry (read once, shared by `Arc`)
//! to those streams' buffers.
//!
//! It reads when woken (a notification that some project has new activity,
//! `listen.rs`) and at least every `poll` while streams are open, so a lost
//! notification delays an event by at most `poll`; it never loses one: the
//! cursor only moves over what the log has read below the horizon
//! (`rows.rs`).
//!
//! A stream whose buffer is full is dropped from the hub (its receiver
//! then ends): a slow client is disconnected, never waited for.

use super::rows::{self, Position};
use crate::PgPool;
use domain::events::{FeedEntry, FeedSignal};
use domain::ids::{ProjectId, UserId};
use domain::DomainError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Mutex, Notify};

/// What a stream's buffer carries: the position of an entry (or
/// `Position::START` for a signal), and the signal.
pub(crate) type Delivery = (Position, FeedSignal);

#[derive(Debug, Clone, Copy)]
pub struct EventHubConfig {
    /// Events buffered per stream before it counts as too slow.
    pub buffer: usize,
    /// The longest wait between two tail reads while streams are open.
    pub poll: Duration,
    /// The most entries a resume replays; an older resume point is a gap.
    pub replay_limit: usize,
    /// Entries per tail read (a fuller backlog is read again at once).
    pub batch: i64,
}

impl Default for EventHubConfig {
    fn default() -> Self {
        Self {
            buffer: 256,
            poll: Duration::from_millis(100),
            replay_limit: 1_000,
            batch: 1_000,
        }
    }
}

struct Stream {
    user: UserId,
    sender: mpsc::Sender<Delivery>,
}

struct State {
    /// Every entry up to here has been handed to the streams open then.
    /// `None` until the first read of the horizon.
    cursor: Option<Position>,
    streams: HashMap<ProjectId, Vec<Stream>>,
}

pub struct EventHub {
    pool: PgPool,
    config: EventHubConfig,
    /// Held across a tail read, so a stream registers either before a read
    /// (which then includes its project) or after it (and replays up to the
    /// cursor the read left): never between.
    state: Mutex<State>,
    wake: Notify,
}

impl EventHub {
    pub fn new(pool: PgPool, config: EventHubConfig) -> Arc<Self> {
        Arc::new(Self {
            pool,
            config,
            state: Mutex::new(State {
                cursor: None,
                streams: HashMap::new(),
            }),
            wake: Notify::new(),
        })
    }

    pub fn config(&self) -> EventHubConfig {
        self.config
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Some project has new activity: read now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Registers a stream of `project` for `user`; returns the position up
    /// to which it must replay (the hub sends it everything after).
    pub(crate) async fn register(
        &self,
        project: ProjectId,
        user: UserId,
        sender: mpsc::Sender<Delivery>,
    ) -> Result<Position, DomainError> {
        let mut state = self.state.lock().await;
        let cursor = match state.cursor {
            Some(cursor) => cursor,
            None => {
                let mut connection = self.pool.get().await?;
                let start = Position::before(rows::horizon(&mut connection).await?);
                state.cursor = Some(start);
                start
            }
        };
        state
            .streams
            .entry(project)
            .or_default()
            .push(Stream { user, sender });
        Ok(cursor)
    }

    /// Tells `user`'s streams (every stream when `None`) to re-check access.
    pub async fn access_changed(&self, user: Option<UserId>) {
        let mut state = self.state.lock().await;
        for streams in state.streams.values_mut() {
            streams.retain(|stream| {
                user.is_some_and(|user| user != stream.user)
                    || stream
                        .sender
                        .try_send((Position::START, FeedSignal::AccessMayHaveChanged))
                        .is_ok()
            });
        }
    }

    /// Reads and hands out until `stop`; then ends every stream (graceful
    /// shutdown: clients reconnect elsewhere and resume).
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            let more = match self.tail().await {
                Ok(more) => more,
                Err(error) => {
                    tracing::warn!(error = %error, "event feed: tail read failed; retrying");
                    false
                }
            };
            if more {
                continue;
            }
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.config.poll) => {}
                _ = stop.wait_for(|stopped| *stopped) => {}
            }
        }
        self.state.lock().await.streams.clear();
    }

    /// One tail read and its hand-out. `true` when the batch was full (more
    /// is waiting).
    async fn tail(&self) -> Result<bool, DomainError> {
        let mut state = self.state.lock().await;
        for streams in state.streams.values_mut() {
            streams.retain(|stream| !stream.sender.is_closed());
        }
        state.streams.retain(|_, streams| !streams.is_empty());
        if state.streams.is_empty() {
            // Nobody to hand anything to: the next stream starts the cursor
            // afresh at the horizon, and an idle process reads nothing.
            state.cursor = None;
            return Ok(false);
        }
        let Some(cursor) = state.cursor else {
            return Ok(false);
        };
        let projects: Vec<uuid::Uuid> = state.streams.keys().map(|p| p.as_uuid()).collect();
        let mut connection = self.pool.get().await?;
        let tail = rows::tail(&mut connection, &projects, cursor, self.config.batch).await?;
        drop(connection);
        let full = tail.entries.len() >= usize::try_from(self.config.batch).unwrap_or(usize::MAX);
        let mut last = cursor;
        for (at, project, entry) in tail.entries {
            last = at;
            let shared = Arc::new(FeedEntry::new(entry));
            if let Some(streams) = state.streams.get_mut(&project) {
                // A full buffer drops the stream: its receiver then ends.
                streams.retain(|stream| {
                    stream
                        .sender
                        .try_send((at, FeedSignal::Entry(Arc::clone(&shared))))
                        .is_ok()
                });
            }
        }
        state.cursor = Some(if full {
            last
        } else {
            last.max(Position::before(tail.horizon))
        });
        Ok(full)
    }
}
