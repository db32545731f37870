//! `opsflow-worker`: the background job runner process.

use app::{shutdown, telemetry, worker_process, Config};
use std::net::TcpListener;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            return telemetry::report_startup_failure(
                "opsflow-worker",
                &format!("configuration error: {error}"),
            )
        }
    };
    telemetry::init(std::io::stdout);
    let stop = match shutdown::listen() {
        Ok(stop) => stop,
        Err(error) => {
            return telemetry::report_startup_failure(
                "opsflow-worker",
                &format!("cannot install signal handlers: {error}"),
            )
        }
    };
    let listener = match TcpListener::bind(config.worker_listen) {
        Ok(listener) => listener,
        Err(error) => {
            return telemetry::report_startup_failure(
                "opsflow-worker",
                &format!(
                    "cannot listen on {} (OPSFLOW_WORKER_LISTEN): {error}",
                    config.worker_listen
                ),
            )
        }
    };
    match worker_process::run(&config, listener, stop).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => telemetry::report_startup_failure("opsflow-worker", &format!("{error:#}")),
    }
}
