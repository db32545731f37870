//! `cargo xtask …`: the developer tasks whose logic outgrew shell and Python
//! (issue 21: one language for logic, shell only as glue). Each subcommand is
//! started by a `make` target; the shell scripts that remain only prepare
//! servers and call these.

mod bench_events;
mod bench_http;
mod bench_pickup;
mod chaos;
mod doc_references;
mod guard_mutants;
mod http;
mod mutants;
mod postgres;
mod sync;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "xtask", about = "OpsFlow developer tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Fault runs on 2 api + 3 workers under load (scripts/chaos.sh prepares
    /// the private PostgreSQL and Redis, then calls this).
    Chaos,
    /// Break each documented invariant (tests/guard-mutants.toml) in a
    /// scratch copy; fails unless a named test catches every one.
    GuardMutants {
        /// Only the mutants with these names.
        #[arg(long, num_args = 1..)]
        only: Vec<String>,
        /// Print the mutants and their invariants, run nothing.
        #[arg(long)]
        list: bool,
    },
    /// Pickup latency of an idle worker (enqueue → handler), p50/p99.
    BenchPickup {
        /// Where the measured binaries are.
        #[arg(long, default_value = "target/release")]
        bin_dir: std::path::PathBuf,
        /// How many jobs, each enqueued alone.
        #[arg(long, default_value_t = 200)]
        jobs: usize,
    },
    /// Live-event streams: many open on one api (its memory), and write →
    /// event latency on one project with writes through another api.
    BenchEvents {
        /// Where the measured binaries are.
        #[arg(long, default_value = "target/release")]
        bin_dir: std::path::PathBuf,
        /// Streams held open on one api process at once.
        #[arg(long, default_value_t = 10_000)]
        streams: usize,
        /// Streams on the one project the writes go to.
        #[arg(long, default_value_t = 1_000)]
        fan_out: usize,
        /// Task creates a second through the other api.
        #[arg(long, default_value_t = 200)]
        writes_per_sec: u32,
        /// For how long.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Every test, item and path README.md and docs/ name exists (`make lint`).
    CheckDocReferences,
    /// Mutation testing of crates/domain (cargo-mutants) against its floor
    /// and the survivors docs/mutants.md explains.
    Mutants {
        /// Only mutants in lines changed since this git revision.
        #[arg(long)]
        in_diff: Option<String>,
    },
    /// The HTTP leg of `make bench`: wrk against the release api beside
    /// pgbench on the statements each request sends.
    BenchHttp {
        /// Where the measured `opsflow-api` and `opsflow` are (another
        /// commit's build, for a before/after comparison in one run).
        #[arg(long, default_value = "target/release")]
        bin_dir: std::path::PathBuf,
        /// Do not redraw docs/img/performance.png.
        #[arg(long)]
        no_chart: bool,
    },
}

fn main() -> ExitCode {
    let outcome = match Cli::parse().task {
        Task::Chaos => chaos::run(),
        Task::GuardMutants { only, list } => guard_mutants::run(&only, list),
        Task::BenchPickup { bin_dir, jobs } => bench_pickup::run(&bin_dir, jobs),
        Task::BenchEvents {
            bin_dir,
            streams,
            fan_out,
            writes_per_sec,
            seconds,
        } => bench_events::run(&bench_events::Options {
            bin_dir,
            streams,
            fan_out,
            writes_per_sec,
            seconds,
        }),
        Task::CheckDocReferences => doc_references::run(),
        Task::Mutants { in_diff } => mutants::run(in_diff.as_deref()),
        Task::BenchHttp { bin_dir, no_chart } => bench_http::run(&bench_http::Options {
            bin_dir,
            chart: !no_chart,
        }),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}
