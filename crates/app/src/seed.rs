//! `opsflow seed-demo`: demo logins for trying the API by hand.

use crate::api::postgres_pool;
use crate::config::Config;
use adapters_postgres::demo_seed::{seed_demo as write_seed, DemoSeed, DemoUser, SeedOutcome};
use anyhow::Context;

/// The demo password, printed by the command; demo data is for local use only.
pub const DEMO_PASSWORD: &str = "opsflow-demo-password";

const ROLES: [(&str, &str, &str); 3] = [
    ("admin@demo.opsflow.test", "Ada Admin", "admin"),
    ("manager@demo.opsflow.test", "Max Manager", "manager"),
    ("member@demo.opsflow.test", "Mia Member", "member"),
];

/// # Errors
/// When PostgreSQL is unreachable, migrations are missing, or a write fails.
pub async fn seed_demo(config: &Config) -> anyhow::Result<()> {
    let step = |message: &str| println!("  - {message}");
    println!("seed-demo: applying pending migrations");
    adapters_postgres::run_pending_migrations(&config.database_url)
        .await
        .context("applying migrations before seeding")?;
    println!(
        "seed-demo: hashing {} passwords (bcrypt cost {})",
        ROLES.len(),
        config.auth.bcrypt_cost
    );
    let cost = config.auth.bcrypt_cost;
    let hash = tokio::task::spawn_blocking(move || bcrypt::hash(DEMO_PASSWORD, cost))
        .await
        .context("hashing task failed")?
        .context("hashing the demo password")?;
    let seed = DemoSeed {
        team_name: "Demo Team".into(),
        users: ROLES
            .iter()
            .map(|(email, name, role)| DemoUser {
                email: (*email).into(),
                name: (*name).into(),
                password_hash: hash.clone(),
                role,
            })
            .collect(),
        projects: vec![
            (
                "Website relaunch".into(),
                titles(&[
                    "Draft sitemap",
                    "Pick a font",
                    "Write copy",
                    "Set up CI",
                    "Accessibility audit",
                    "Launch checklist",
                ]),
            ),
            (
                "Mobile app".into(),
                titles(&[
                    "Login screen",
                    "Push notifications",
                    "Offline mode",
                    "App store listing",
                ]),
            ),
        ],
    };
    println!("seed-demo: writing demo data");
    let pool = postgres_pool(config)?;
    let outcome = write_seed(&pool, seed, &step)
        .await
        .context("writing demo data")?;
    pool.close();
    match outcome {
        SeedOutcome::AlreadySeeded => {
            println!("seed-demo: demo data exists already; nothing written")
        }
        SeedOutcome::Created {
            team_id,
            projects,
            tasks,
        } => {
            println!(
                "seed-demo: created team {team_id} with {projects} projects and {tasks} tasks"
            );
        }
    }
    let base = format!("http://{}", config.listen);
    println!("\nLogins (password for all: {DEMO_PASSWORD}):");
    for (email, _, role) in ROLES {
        println!("  {role:<8} {email}");
    }
    println!("\nTry:");
    println!("  curl -s {base}/health");
    println!("  curl -s {base}/ready");
    println!(
        "  curl -s -X POST {base}/api/v1/auth/login -H 'Content-Type: application/json' \\\n       -d '{{\"email\":\"{}\",\"password\":\"{DEMO_PASSWORD}\"}}'",
        ROLES[0].0
    );
    println!("  open {base}/docs");
    Ok(())
}

fn titles(list: &[&str]) -> Vec<String> {
    list.iter().map(|title| (*title).to_owned()).collect()
}
