//! Structured JSON logs via `tracing`. Each line is one JSON object; inside a
//! request, the `http.request` span's fields (request id, method, path, route)
//! are flattened into every line, so one request's lines can be found by id.

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Installs the global JSON subscriber writing to `writer`, with the level filter
/// from `RUST_LOG` (default `info`). Installing twice is a no-op.
pub fn init<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(writer);
    // Err only when a subscriber is already installed (tests start many apps).
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(json)
        .try_init();
}

/// Prints a startup failure as one plain line (logging may not be set up yet) and
/// returns the exit code the binaries use for it.
pub fn report_startup_failure(
    binary: &str,
    error: &dyn std::fmt::Display,
) -> std::process::ExitCode {
    eprintln!("{binary}: {error}");
    std::process::ExitCode::from(2)
}
