//! `opsflow-worker`: the background job runner process.

use app::startup::{build_failed, start};
use app::worker_process::Worker;
use std::process::ExitCode;

const BINARY: &str = "opsflow-worker";

#[tokio::main]
async fn main() -> ExitCode {
    let started = match start(
        BINARY,
        |config| config.worker_listen,
        "OPSFLOW_WORKER_LISTEN",
    ) {
        Ok(started) => started,
        Err(code) => return code,
    };
    match Worker::build(&started.config, started.listener) {
        Ok(worker) => {
            worker.run_until(started.stop).await;
            ExitCode::SUCCESS
        }
        Err(error) => build_failed(BINARY, &error),
    }
}
