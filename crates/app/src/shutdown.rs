//! Turning SIGTERM/SIGINT into a graceful stop. The binaries wait on
//! [`listen`]'s future; tests can hand the same stop path a channel instead.

use std::future::Future;
use tokio::signal::unix::{signal, SignalKind};

/// Registers for SIGTERM (what orchestrators send) and SIGINT (Ctrl-C) now, and
/// returns a future that resolves with the name of the first one to arrive.
/// Registering eagerly matters: from this call on, those signals no longer kill
/// the process, so none is lost between startup and the first poll.
///
/// # Errors
/// When the signal handlers cannot be installed.
pub fn listen() -> std::io::Result<impl Future<Output = &'static str> + Send + 'static> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        }
    })
}
