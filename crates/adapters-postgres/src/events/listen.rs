//! The process's one listening connection for live streams: `opsflow_activity`
//! (some project has new activity: wake the hub's tail read) and
//! `opsflow_access` (a member was removed, payload their user id; or a team
//! was deleted, payload `*`: their streams re-check access).
//!
//! Notifications only wake; the log is the record. A lost notification
//! delays an event by at most the hub's poll, and after a reconnect every
//! stream re-checks its access once (a removal may have gone unheard).

use super::hub::EventHub;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use domain::ids::UserId;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub const ACTIVITY_CHANNEL: &str = "opsflow_activity";
pub const ACCESS_CHANNEL: &str = "opsflow_access";

/// Listens until `stop`, reconnecting after `retry` whenever the connection
/// is lost.
pub async fn listen(
    url: String,
    hub: Arc<EventHub>,
    retry: Duration,
    mut stop: watch::Receiver<bool>,
) {
    while !*stop.borrow() {
        tokio::select! {
            ended = session(&url, &hub) => {
                if let Err(error) = ended {
                    tracing::warn!(error = %error, "event listener lost its connection; polling until it is back");
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

async fn session(url: &str, hub: &EventHub) -> Result<(), domain::BoxError> {
    let mut connection = AsyncPgConnection::establish(url).await?;
    for channel in [ACTIVITY_CHANNEL, ACCESS_CHANNEL] {
        diesel::sql_query(format!("LISTEN {channel}"))
            .execute(&mut connection)
            .await?;
    }
    tracing::info!("event listener connected");
    hub.wake();
    hub.access_changed(None).await;
    let mut notifications = std::pin::pin!(connection.notifications_stream());
    while let Some(notification) = notifications.next().await {
        let notification = notification?;
        if notification.channel == ACCESS_CHANNEL {
            let user = uuid::Uuid::parse_str(&notification.payload)
                .ok()
                .map(UserId);
            hub.access_changed(user).await;
        } else {
            hub.wake();
        }
    }
    Ok(())
}

/// Tells every api process that `user`'s access (everyone's, when `None`)
/// may have changed; in a transaction, delivered at its commit.
pub(crate) async fn announce_access_change(
    connection: &mut AsyncPgConnection,
    user: Option<UserId>,
) -> Result<(), domain::DomainError> {
    let payload = user.map_or_else(|| "*".to_owned(), |user| user.as_uuid().to_string());
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<diesel::sql_types::Text, _>(ACCESS_CHANNEL)
        .bind::<diesel::sql_types::Text, _>(payload)
        .execute(connection)
        .await
        .map(drop)
        .map_err(crate::error::from_diesel)
}
