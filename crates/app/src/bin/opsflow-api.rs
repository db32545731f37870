//! `opsflow-api`: the HTTP API process.

use app::api::Api;
use app::startup::{build_failed, start};
use std::process::ExitCode;

const BINARY: &str = "opsflow-api";

#[tokio::main]
async fn main() -> ExitCode {
    let started = match start(BINARY, |config| config.listen, "OPSFLOW_LISTEN") {
        Ok(started) => started,
        Err(code) => return code,
    };
    let api = match Api::build(
        &started.config,
        started.listener,
        None,
        http_actix::no_extra_routes,
    )
    .await
    {
        Ok(api) => api,
        Err(error) => return build_failed(BINARY, &error),
    };
    match api.run_until(started.stop).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "api failed");
            ExitCode::FAILURE
        }
    }
}
