//! `make guard-mutants`: break each documented invariant on purpose and
//! check a named test notices.
//!
//! Reads tests/guard-mutants.toml. The tree is copied to
//! target/guard-mutants/src (the working copy is never touched) and built
//! there with its own target directory, so each mutant costs an incremental
//! rebuild of the crates it touches. First the named tests run on the
//! unmutated copy and must pass (a test that fails anyway proves nothing);
//! then, per mutant: apply it, build (a mutant that does not compile is a
//! broken table entry, not a catch), run its tests, restore. Fails unless
//! every mutant is caught.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Deserialize)]
struct Table {
    mutant: Vec<Mutant>,
}

#[derive(Deserialize)]
struct Mutant {
    name: String,
    invariant: String,
    file: String,
    find: String,
    replace: String,
    target: String,
    tests: Vec<String>,
}

/// Cargo arguments of each test target the table may name.
fn target_arguments(target: &str) -> Option<&'static [&'static str]> {
    Some(match target {
        "api" => &["-p", "opsflow-tests", "--test", "api"],
        "binaries" => &["-p", "app", "--test", "binaries"],
        "app" => &["-p", "app", "--lib"],
        "domain" => &["-p", "domain", "--lib"],
        "worker" => &["-p", "worker", "--lib"],
        "http-actix" => &["-p", "http-actix", "--lib"],
        _ => return None,
    })
}

struct Workspace {
    root: PathBuf,
    work: PathBuf,
    scratch: PathBuf,
    logs: PathBuf,
}

pub fn run(only: &[String], list: bool) -> Result<bool> {
    let root = std::env::current_dir()?;
    let mut mutants = load(&root)?;
    if !only.is_empty() {
        mutants.retain(|m| only.contains(&m.name));
    }
    if list {
        for m in &mutants {
            println!("{}: {}", m.name, m.invariant);
        }
        return Ok(true);
    }
    let started = Instant::now();
    let work = root.join("target/guard-mutants");
    let space = Workspace {
        scratch: work.join("src"),
        logs: work.join("logs"),
        work,
        root,
    };
    space.copy_tree()?;
    std::fs::create_dir_all(&space.logs)?;
    if !space.baseline(&mutants)? {
        return Ok(false);
    }
    let mut results = Vec::new();
    for m in &mutants {
        let began = Instant::now();
        let verdict = space.try_mutant(m)?;
        println!("== {}: {verdict} ({} s)", m.name, began.elapsed().as_secs());
        results.push((m, verdict));
    }
    println!("\n| mutant | invariant | caught by | result |\n|---|---|---|---|");
    for (m, verdict) in &results {
        let tests: Vec<_> = m.tests.iter().map(|t| format!("`{t}`")).collect();
        println!(
            "| `{}` | {} | {} | {verdict} |",
            m.name,
            m.invariant,
            tests.join(", ")
        );
    }
    let caught = results.iter().filter(|(_, v)| *v == "caught").count();
    println!(
        "\nguard-mutants: {caught}/{} caught in {} s",
        results.len(),
        started.elapsed().as_secs()
    );
    Ok(caught == results.len())
}

/// The table, checked: unique names, known targets, and each `find`
/// exactly once in its file (else the code it guards has moved).
fn load(root: &Path) -> Result<Vec<Mutant>> {
    let text = std::fs::read_to_string(root.join("tests/guard-mutants.toml"))?;
    let table: Table = toml::from_str(&text).context("tests/guard-mutants.toml")?;
    let mut names = BTreeSet::new();
    for m in &table.mutant {
        if !names.insert(&m.name) {
            bail!("duplicate mutant name {}", m.name);
        }
        if target_arguments(&m.target).is_none() {
            bail!("{}: unknown target {}", m.name, m.target);
        }
        let found = std::fs::read_to_string(root.join(&m.file))?
            .matches(&m.find)
            .count();
        if found != 1 {
            bail!("{}: `find` occurs {found} times in {} (must be exactly once: the code it guards moved?)", m.name, m.file);
        }
    }
    Ok(table.mutant)
}

impl Workspace {
    /// Brings the scratch copy up to date with the working tree. By content
    /// (`--checksum`) and without keeping modification times: a file that
    /// changed gets the current time, so cargo, which compares times,
    /// rebuilds it — keeping the source's older time would let a build made
    /// from a mutant pass for the restored file.
    fn copy_tree(&self) -> Result<()> {
        std::fs::create_dir_all(&self.scratch)?;
        let status = Command::new("rsync")
            .args([
                "-rlpD",
                "--checksum",
                "--delete",
                "--exclude",
                "/target",
                "--exclude",
                "/.git",
                "--exclude",
                "/.data",
            ])
            .arg(format!("{}/", self.root.display()))
            .arg(format!("{}/", self.scratch.display()))
            .status()?;
        if !status.success() {
            bail!("rsync into {} failed", self.scratch.display());
        }
        Ok(())
    }

    /// Whether `cargo test` of TARGET with EXTRA arguments succeeded; its
    /// output goes to LOG.
    fn cargo(&self, target: &str, extra: &[&str], log: &Path) -> Result<bool> {
        let arguments =
            target_arguments(target).with_context(|| format!("unknown target {target}"))?;
        let out = File::create(log)?;
        let status = Command::new("cargo")
            .args(["test", "-q"])
            .args(arguments)
            .args(extra)
            .current_dir(&self.scratch)
            .env("CARGO_TARGET_DIR", self.work.join("target"))
            .env(
                "RUST_BACKTRACE",
                std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "0".into()),
            )
            .stdout(out.try_clone()?)
            .stderr(out)
            .status()?;
        Ok(status.success())
    }

    fn run_tests(&self, target: &str, tests: &[String], log: &Path) -> Result<bool> {
        let mut extra = vec!["--"];
        extra.extend(tests.iter().map(String::as_str));
        self.cargo(target, &extra, log)
    }

    /// The names that match no test: a renamed test would otherwise make
    /// its mutants "survive" by running nothing, or the baseline pass
    /// vacuously.
    fn unknown_names(
        &self,
        target: &str,
        tests: &BTreeSet<&String>,
        log: &Path,
    ) -> Result<Vec<String>> {
        if !self.cargo(target, &["--", "--list"], log)? {
            bail!("cannot list the tests of {target}: {}", log.display());
        }
        let listing = std::fs::read_to_string(log)?;
        let listed: Vec<&str> = listing
            .lines()
            .filter_map(|line| line.strip_suffix(": test"))
            .collect();
        Ok(tests
            .iter()
            .filter(|name| !listed.iter().any(|test| test.contains(name.as_str())))
            .map(|n| (*n).clone())
            .collect())
    }

    /// Every named test passes on the unmutated copy.
    fn baseline(&self, mutants: &[Mutant]) -> Result<bool> {
        let mut by_target: BTreeMap<&str, BTreeSet<&String>> = BTreeMap::new();
        for m in mutants {
            by_target.entry(&m.target).or_default().extend(&m.tests);
        }
        for (target, tests) in by_target {
            println!("== baseline: {target} ({} names)", tests.len());
            let unknown = self.unknown_names(
                target,
                &tests,
                &self.logs.join(format!("list-{target}.log")),
            )?;
            if !unknown.is_empty() {
                println!("guard-mutants: no test matches {unknown:?}");
                return Ok(false);
            }
            let log = self.logs.join(format!("baseline-{target}.log"));
            let names: Vec<String> = tests.into_iter().cloned().collect();
            if !self.run_tests(target, &names, &log)? {
                println!(
                    "guard-mutants: the named tests fail unmutated: {}",
                    log.display()
                );
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Applies the mutant, builds, runs its tests and restores the file.
    fn try_mutant(&self, m: &Mutant) -> Result<&'static str> {
        let path = self.scratch.join(&m.file);
        let original = std::fs::read_to_string(&path)?;
        std::fs::write(&path, original.replacen(&m.find, &m.replace, 1))?;
        let log = self.logs.join(format!("{}.log", m.name));
        let verdict = self
            .cargo(&m.target, &["--no-run"], &log)
            .and_then(|built| {
                if !built {
                    return Ok("DOES NOT COMPILE");
                }
                let passed = self.run_tests(&m.target, &m.tests, &log)?;
                Ok(if passed { "SURVIVED" } else { "caught" })
            });
        std::fs::write(&path, original)?;
        verdict
    }
}
