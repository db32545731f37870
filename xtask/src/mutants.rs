//! `make mutants` / the CI mutation check: cargo-mutants over crates/domain
//! with its unit tests, a floor on the share caught, and every survivor
//! explained in docs/mutants.md.
//!
//!   xtask mutants                  the whole domain crate (make mutants)
//!   xtask mutants --in-diff BASE   only mutants in lines changed since the
//!                                  git revision BASE (CI: every change keeps
//!                                  the floor without the whole run)
//!
//! Caught means killed by a failing test or by a timeout. Unviable mutants
//! (that do not compile) do not count. The floor (90 %) applies to the whole
//! run; in a diff run every missed mutant must be listed. A survivor is
//! listed in docs/mutants.md by its cargo-mutants description without the
//! line and column (`crates/domain/src/x.rs: replace > with >= in f`), with
//! the test that kills it or why it is equivalent.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const FLOOR: f64 = 0.90;
const VERSION: &str = "27.1.0";

#[derive(Deserialize)]
struct Outcomes {
    outcomes: Vec<Outcome>,
}

#[derive(Deserialize)]
struct Outcome {
    scenario: serde_json::Value,
    summary: String,
}

fn ensure_cargo_mutants() -> Result<()> {
    let found = Command::new("cargo")
        .args(["mutants", "--version"])
        .output()?;
    if !found.status.success() || !String::from_utf8_lossy(&found.stdout).contains(VERSION) {
        let status = Command::new("cargo")
            .args(["install", "--locked", "cargo-mutants", "--version", VERSION])
            .status()?;
        if !status.success() {
            bail!("installing cargo-mutants {VERSION} failed");
        }
    }
    Ok(())
}

/// `crates/x.rs:12:5: replace ...` → `crates/x.rs: replace ...`
fn without_position(line: &str) -> String {
    let line = line.trim();
    let mut parts = line.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(file), Some(row), Some(column), Some(rest))
            if row.chars().all(|c| c.is_ascii_digit())
                && column.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{file}:{rest}")
        }
        _ => line.to_owned(),
    }
}

pub fn run(in_diff: Option<&str>) -> Result<bool> {
    ensure_cargo_mutants()?;
    let out = Path::new("target").join(if in_diff.is_some() {
        "mutants-diff"
    } else {
        "mutants-domain"
    });
    let mut command = Command::new("cargo");
    command
        .args([
            "mutants",
            "--package",
            "domain",
            "--test-package",
            "domain",
            "--jobs",
            "2",
            "--timeout",
            "60",
            "--output",
        ])
        .arg(&out);
    if let Some(base) = in_diff {
        let diff = Command::new("git")
            .args(["diff", base, "--", "crates/domain"])
            .output()?;
        if !diff.status.success() {
            bail!("git diff {base} failed");
        }
        if String::from_utf8_lossy(&diff.stdout).trim().is_empty() {
            println!("mutants: no change in crates/domain since {base}");
            return Ok(true);
        }
        let patch = Path::new("target/mutants-in-diff.patch");
        std::fs::create_dir_all("target")?;
        std::fs::write(patch, &diff.stdout)?;
        command.arg("--in-diff").arg(patch);
    }
    // Only this run's results may be judged (a run with no mutant writes none).
    let _ = std::fs::remove_dir_all(out.join("mutants.out"));
    let started = Instant::now();
    // cargo-mutants exits 2 when mutants are missed: the floor decides here.
    let code = command.status()?.code();
    if !matches!(code, Some(0 | 2 | 3)) {
        bail!("cargo mutants failed ({code:?})");
    }
    let results = out.join("mutants.out");
    // A diff that touches only tests (or comments) of crates/domain has no
    // mutant: cargo-mutants says so and writes no results (CI failed on it).
    if in_diff.is_some() && !results.join("outcomes.json").exists() {
        println!("mutants: the change has no mutant in crates/domain (only tests or comments)");
        return Ok(true);
    }
    judge(&results, in_diff.is_some(), started)
}

/// Counts the outcomes in RESULTS (cargo-mutants' output folder) against
/// the floor (whole runs only) and docs/mutants.md.
fn judge(results: &Path, in_diff: bool, started: Instant) -> Result<bool> {
    let outcomes: Outcomes =
        serde_json::from_str(&std::fs::read_to_string(results.join("outcomes.json"))?)
            .context("outcomes.json")?;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for outcome in outcomes
        .outcomes
        .iter()
        .filter(|o| o.scenario != "Baseline")
    {
        *counts.entry(outcome.summary.as_str()).or_default() += 1;
    }
    let count = |summary: &str| counts.get(summary).copied().unwrap_or(0);
    let caught = count("CaughtMutant") + count("Timeout");
    let (missed, unviable) = (count("MissedMutant"), count("Unviable"));
    let viable = caught + missed;
    let share = if viable == 0 {
        1.0
    } else {
        caught as f64 / viable as f64
    };
    println!(
        "mutants: domain {caught}/{viable} viable caught ({:.1} %), {missed} missed, {unviable} unviable, {} s",
        share * 100.0,
        started.elapsed().as_secs()
    );
    let explained = std::fs::read_to_string("docs/mutants.md")?;
    let missed_lines = std::fs::read_to_string(results.join("missed.txt")).unwrap_or_default();
    let unexplained: Vec<String> = missed_lines
        .lines()
        .map(without_position)
        .filter(|m| !explained.contains(m.as_str()))
        .collect();
    for line in &unexplained {
        eprintln!("  not in docs/mutants.md: {line}");
    }
    if !in_diff && share < FLOOR {
        eprintln!("mutants: below the {:.0} % floor", FLOOR * 100.0);
        return Ok(false);
    }
    Ok(unexplained.is_empty())
}
