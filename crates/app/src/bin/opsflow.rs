//! `opsflow`: the admin CLI (migrations, demo data).

use app::{seed, telemetry, Config};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "opsflow", about = "OpsFlow administration", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending database migrations (safe to run from several places at once).
    Migrate {
        /// Revert every migration instead (development databases only).
        #[arg(long)]
        revert_all: bool,
    },
    /// Create the database DATABASE_URL names, if it does not exist yet.
    CreateDatabase,
    /// Create a demo team with one user per role, projects and tasks.
    SeedDemo,
    /// Exit 0 when URL answers 2xx (the containers' healthcheck: the images
    /// have no curl). Reads no configuration.
    Probe {
        /// For example http://127.0.0.1:8080/ready
        url: String,
        /// Give up after this many milliseconds.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
    },
    /// Inspect and re-queue background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List dead-lettered jobs (most recent first) with their last error.
    Dead {
        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put a dead-lettered job back in the queue, due now.
    Retry {
        /// The job's id (from `opsflow jobs dead`).
        id: uuid::Uuid,
    },
    /// Arm the reminder of every live task that should have one (after a bulk
    /// load that wrote tasks around the API); ones already armed are kept.
    ArmReminders,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Probe { url, timeout_ms } = &cli.command {
        return match app::probe::probe(url, std::time::Duration::from_millis(*timeout_ms)) {
            Ok(status) => {
                println!("{status}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("probe failed: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            return telemetry::report_startup_failure(
                "opsflow",
                &format!("configuration error: {error}"),
            )
        }
    };
    let outcome = match cli.command {
        Command::Migrate { revert_all: false } => {
            adapters_postgres::run_pending_migrations(&config.database_url)
                .await
                .map(|applied| {
                    if applied.is_empty() {
                        println!("migrations: already up to date");
                    }
                    for version in applied {
                        println!("migrations: applied {version}");
                    }
                })
                .map_err(anyhow::Error::from)
        }
        Command::Migrate { revert_all: true } => {
            if config.env == app::Environment::Prod {
                Err(anyhow::anyhow!(
                    "refusing to revert migrations with OPSFLOW_ENV=prod"
                ))
            } else {
                adapters_postgres::revert_all_migrations(&config.database_url)
                    .await
                    .map(|reverted| println!("migrations: reverted {}", reverted.len()))
                    .map_err(anyhow::Error::from)
            }
        }
        Command::CreateDatabase => {
            adapters_postgres::create_database_if_missing(&config.database_url)
                .await
                .map(|created| {
                    println!(
                        "database: {}",
                        if created { "created" } else { "exists already" }
                    );
                })
                .map_err(anyhow::Error::from)
        }
        Command::SeedDemo => seed::seed_demo(&config).await,
        Command::Jobs { command } => jobs(&config, command).await,
        Command::Probe { .. } => Ok(()), // answered above, before the configuration
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => telemetry::report_startup_failure("opsflow", &format!("{error:#}")),
    }
}

async fn jobs(config: &Config, command: JobsCommand) -> anyhow::Result<()> {
    let pool = app::pools::postgres_pool(config)?;
    match command {
        JobsCommand::Dead { limit } => {
            let dead = adapters_postgres::jobs::job_admin::dead_letters(&pool, limit).await?;
            if dead.is_empty() {
                println!("no dead-lettered jobs");
            }
            for job in dead {
                println!(
                    "{}  {}  attempts={}  at={}  error={}\n    payload={}",
                    job.id,
                    job.kind,
                    job.attempts,
                    job.updated_at.to_rfc3339(),
                    job.last_error.as_deref().unwrap_or("-"),
                    job.payload
                );
            }
            Ok(())
        }
        JobsCommand::Retry { id } => {
            if adapters_postgres::jobs::job_admin::requeue_dead(&pool, id).await? {
                println!("job {id} re-queued");
                Ok(())
            } else {
                anyhow::bail!("no dead-lettered job {id}")
            }
        }
        JobsCommand::ArmReminders => {
            let lead = domain::notifications::ReminderLead(
                chrono::Duration::from_std(config.jobs.reminder_lead)
                    .map_err(|_| anyhow::anyhow!("OPSFLOW_REMINDER_LEAD_SECS is too large"))?,
            );
            let armed = adapters_postgres::jobs::job_admin::arm_reminders(&pool, lead).await?;
            println!("{armed} reminders armed");
            Ok(())
        }
    }
}
