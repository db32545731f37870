//! `opsflow-api`: the HTTP API process.

use app::api::Api;
use app::{shutdown, telemetry, Config};
use std::net::TcpListener;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            return telemetry::report_startup_failure(
                "opsflow-api",
                &format!("configuration error: {error}"),
            )
        }
    };
    telemetry::init(std::io::stdout);
    let stop = match shutdown::listen() {
        Ok(stop) => stop,
        Err(error) => {
            return telemetry::report_startup_failure(
                "opsflow-api",
                &format!("cannot install signal handlers: {error}"),
            )
        }
    };
    let listener = match TcpListener::bind(config.listen) {
        Ok(listener) => listener,
        Err(error) => {
            return telemetry::report_startup_failure(
                "opsflow-api",
                &format!(
                    "cannot listen on {} (OPSFLOW_LISTEN): {error}",
                    config.listen
                ),
            )
        }
    };
    let api = match Api::build(&config, listener, None, http_actix::no_extra_routes).await {
        Ok(api) => api,
        Err(error) => {
            return telemetry::report_startup_failure("opsflow-api", &format!("{error:#}"))
        }
    };
    match api.run_until(stop).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "api failed");
            ExitCode::FAILURE
        }
    }
}
