//! Turning SIGTERM/SIGINT into a graceful stop. The binaries wait on
//! [`signal`]; tests hand the same stop path a channel instead.

/// Resolves on the first SIGTERM (what orchestrators send) or SIGINT (Ctrl-C) and
/// names it.
pub async fn signal() -> &'static str {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            // Without a SIGTERM handler, Ctrl-C still works; never resolve here.
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        () = terminate => "SIGTERM",
    }
}
