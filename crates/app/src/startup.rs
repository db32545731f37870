//! What both binaries do before their real work, written once: read the
//! configuration, start logging, install the signal handlers and bind the
//! listener. Any failure is one line on stderr naming the cause, exit code 2.

use crate::config::Config;
use crate::{shutdown, telemetry};
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;

/// A process ready to build itself.
pub struct Started<S> {
    pub config: Config,
    pub listener: TcpListener,
    /// Resolves with the signal's name when the process should stop.
    pub stop: S,
}

/// Prepares `binary`, binding the address `listen` picks from the
/// configuration (`variable` names it in the error).
///
/// # Errors
/// The exit code to return, after printing why.
pub fn start(
    binary: &'static str,
    listen: fn(&Config) -> SocketAddr,
    variable: &'static str,
) -> Result<Started<impl Future<Output = &'static str> + Send + 'static>, ExitCode> {
    let fail = |message: String| telemetry::report_startup_failure(binary, &message);
    let config =
        Config::from_env().map_err(|error| fail(format!("configuration error: {error}")))?;
    telemetry::init(std::io::stdout);
    let stop = shutdown::listen()
        .map_err(|error| fail(format!("cannot install signal handlers: {error}")))?;
    let address = listen(&config);
    let listener = TcpListener::bind(address)
        .map_err(|error| fail(format!("cannot listen on {address} ({variable}): {error}")))?;
    Ok(Started {
        config,
        listener,
        stop,
    })
}

/// The exit code for a build failure: one line, exit 2, like every startup error.
pub fn build_failed(binary: &'static str, error: &anyhow::Error) -> ExitCode {
    telemetry::report_startup_failure(binary, &format!("{error:#}"))
}
