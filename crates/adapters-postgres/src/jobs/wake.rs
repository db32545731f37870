//! Wake-ups for idle workers: one LISTEN connection per worker process (never
//! one per loop) on `opsflow_jobs`, which every enqueue of a due job
//! notifies in the enqueueing transaction (`sql/outbox.rs`, delivered at
//! commit). A notification names the job kind; every idle loop of that
//! kind's lane claims at once instead of sleeping out its poll interval.
//!
//! Polling stays as the fallback: a notification can be lost (the listening
//! connection drops, PostgreSQL restarts), and a job armed for later (a
//! reminder) is due without anyone enqueueing it then. After a reconnect
//! every lane is woken once, for whatever was enqueued while nobody listened.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::jobs::{JobKind, Lane};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// The channel `sql/outbox.rs` notifies.
pub const WAKE_CHANNEL: &str = "opsflow_jobs";

/// One wake-up per lane, shared by the lane's loops (`Runner::with_wake`).
#[derive(Clone, Default)]
pub struct Wakes {
    reminders: Arc<Notify>,
    deliveries: Arc<Notify>,
}

impl Wakes {
    pub fn lane(&self, lane: Lane) -> Arc<Notify> {
        match lane {
            Lane::Reminders => self.reminders.clone(),
            Lane::Deliveries => self.deliveries.clone(),
        }
    }

    /// Wakes every idle loop of the lane that runs `kind` (`notify_waiters`:
    /// the loops register before they claim, so none misses it).
    fn wake(&self, kind: &str) {
        match JobKind::parse(kind) {
            Some(JobKind::TaskReminder) => self.reminders.notify_waiters(),
            Some(JobKind::WebhookDelivery) => self.deliveries.notify_waiters(),
            None => tracing::debug!(kind, "wake-up for an unknown job kind ignored"),
        }
    }

    fn wake_all(&self) {
        self.reminders.notify_waiters();
        self.deliveries.notify_waiters();
    }
}

/// Listens until `stop` turns true, reconnecting (after `retry`) whenever
/// the connection is lost.
pub async fn listen(url: String, wakes: Wakes, retry: Duration, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        tokio::select! {
            ended = session(&url, &wakes) => {
                if let Err(error) = ended {
                    tracing::warn!(error = %error, "job wake-up listener lost its connection; polling until it is back");
                }
            }
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        tokio::select! {
            () = tokio::time::sleep(retry) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
    }
}

/// One connection's life: LISTEN, wake all lanes (anything enqueued while
/// nobody listened), then wake per notification until the connection ends.
async fn session(url: &str, wakes: &Wakes) -> Result<(), domain::BoxError> {
    let mut connection = AsyncPgConnection::establish(url).await?;
    diesel::sql_query(format!("LISTEN {WAKE_CHANNEL}"))
        .execute(&mut connection)
        .await?;
    tracing::info!(channel = WAKE_CHANNEL, "job wake-up listener connected");
    wakes.wake_all();
    let mut notifications = std::pin::pin!(connection.notifications_stream());
    while let Some(notification) = notifications.next().await {
        wakes.wake(&notification?.payload);
    }
    Ok(())
}
