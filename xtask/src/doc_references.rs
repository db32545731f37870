//! Every test, item and path the documentation names must exist (`make
//! lint`).
//!
//! The study guide and the docs send readers to code by name; a renamed or
//! deleted file, function or test would leave them at a dead end, and a doc
//! that names a file the code does not have describes a mechanism the code
//! does not use. Checked in README.md and docs/*.md:
//!
//! - tests named `module::test_name` (a file of tests/api/) or as the filter
//!   of `cargo test -p CRATE NAME`;
//! - items named `file.rs::name` (a file anywhere in the repository, by its
//!   name or a path suffix): `name` must be defined there (fn, struct, enum,
//!   trait, const, static, type, mod or a macro_rules);
//! - repository paths in backticks (`crates/...`, `adapters-postgres/src/x.rs`,
//!   `routes/tasks.rs`, `scripts/x.sh`, ...): a tracked file or directory
//!   must have that path or end with it; patterns (`…`, `*`, `{}`, `<>`) are
//!   skipped;
//! - relative Markdown links to files of the repository.
//!
//! Fails listing what is missing.

use anyhow::{bail, Result};
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const EXTENSIONS: &[&str] = &[
    ".rs", ".py", ".sh", ".sql", ".md", ".yaml", ".yml", ".toml", ".json", ".html", ".conf",
];
const ROOTS: &[&str] = &[
    "crates/",
    "tests/",
    "scripts/",
    "docs/",
    "migrations/",
    "deploy/",
    ".github/",
    ".ci/",
    "examples/",
    "xtask/",
];
const ITEM_KINDS: &str = "fn|struct|enum|trait|const|static|type|mod|macro_rules!";

struct Repository {
    files: Vec<String>,
    directories: BTreeSet<String>,
}

impl Repository {
    fn load() -> Result<Self> {
        let listed = Command::new("git")
            .args(["ls-files", "-co", "--exclude-standard"])
            .output()?;
        if !listed.status.success() {
            bail!("git ls-files failed");
        }
        let files: Vec<String> = String::from_utf8_lossy(&listed.stdout)
            .split_whitespace()
            .filter(|f| Path::new(f).exists())
            .map(str::to_owned)
            .collect();
        let mut directories = BTreeSet::new();
        for file in &files {
            let mut prefix = String::new();
            for part in file
                .split('/')
                .collect::<Vec<_>>()
                .split_last()
                .map(|(_, dirs)| dirs.to_vec())
                .unwrap_or_default()
            {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(part);
                directories.insert(prefix.clone());
            }
        }
        Ok(Self { files, directories })
    }

    /// Tracked files or directories whose path is `path` or ends with `/path`.
    fn matching(&self, path: &str) -> Vec<&String> {
        let path = path.trim_end_matches('/');
        let suffix = format!("/{path}");
        self.files
            .iter()
            .chain(&self.directories)
            .filter(|f| *f == path || f.ends_with(&suffix))
            .collect()
    }
}

/// Whether the Rust file defines NAME as one of KINDS.
fn defines(path: &Path, name: &str, kinds: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    Regex::new(&format!(r"\b(?:{kinds})\s+{}\b", regex::escape(name)))
        .is_ok_and(|r| r.is_match(&text))
}

/// A path git ignores is one the reader creates (deploy/.env).
fn ignored(path: &str) -> bool {
    Command::new("git")
        .args(["check-ignore", "-q", path])
        .status()
        .is_ok_and(|s| s.success())
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found
}

struct Patterns {
    api_test: Regex,
    crate_test: Regex,
    item: Regex,
    quoted: Regex,
    link: Regex,
}

pub fn run() -> Result<bool> {
    let repository = Repository::load()?;
    let patterns = Patterns {
        api_test: Regex::new(
            r"`(?:cargo test -p opsflow-tests --test api )?([a-z_]+)::([a-z0-9_]+)`",
        )?,
        crate_test: Regex::new(r"`cargo test -p ([a-z_-]+) ([a-z0-9_]+)`")?,
        item: Regex::new(r"([A-Za-z0-9_./-]+\.rs)::([A-Za-z_][A-Za-z0-9_]*)")?,
        quoted: Regex::new(r"`([^`\s]+)`")?,
        link: Regex::new(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")?,
    };
    let mut docs = vec![PathBuf::from("README.md")];
    let mut pages: Vec<PathBuf> = std::fs::read_dir("docs")?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    docs.extend(pages);
    let (mut missing, mut checked) = (BTreeSet::new(), 0);
    for doc in &docs {
        let text = std::fs::read_to_string(doc)?;
        checked += check_doc(&repository, &patterns, doc, &text, &mut missing);
    }
    for line in &missing {
        eprintln!("{line}");
    }
    println!(
        "doc references: {checked} checked, {} missing",
        missing.len()
    );
    Ok(missing.is_empty())
}

/// Checks one document; how many references it names.
fn check_doc(
    repository: &Repository,
    patterns: &Patterns,
    doc: &Path,
    text: &str,
    missing: &mut BTreeSet<String>,
) -> usize {
    let name = doc.display().to_string();
    check_tests(patterns, &name, text, missing)
        + check_items(repository, patterns, &name, text, missing)
        + check_paths(repository, patterns, &name, text, missing)
        + check_links(patterns, doc, text, missing)
}

/// The distinct matches of REGEX in TEXT, GROUPS capture groups each.
fn unique(regex: &Regex, text: &str, groups: usize) -> BTreeSet<Vec<String>> {
    regex
        .captures_iter(text)
        .map(|c| {
            (1..=groups)
                .map(|g| c.get(g).map_or("", |m| m.as_str()).to_owned())
                .collect()
        })
        .collect()
}

/// Tests named as `module::test` (tests/api) or `cargo test -p CRATE NAME`.
fn check_tests(
    patterns: &Patterns,
    name: &str,
    text: &str,
    missing: &mut BTreeSet<String>,
) -> usize {
    let mut checked = 0;
    for found in unique(&patterns.api_test, text, 2) {
        let file = PathBuf::from(format!("tests/api/{}.rs", found[0]));
        if !file.is_file() {
            continue; // a Rust path (domain::jobs), not a test
        }
        checked += 1;
        if !defines(&file, &found[1], "fn") {
            missing.insert(format!(
                "{name}: tests/api/{}.rs has no test {}",
                found[0], found[1]
            ));
        }
    }
    for found in unique(&patterns.crate_test, text, 2) {
        checked += 1;
        if !rust_files(&Path::new("crates").join(&found[0]))
            .iter()
            .any(|p| defines(p, &found[1], "fn"))
        {
            missing.insert(format!(
                "{name}: crates/{} has no test {}",
                found[0], found[1]
            ));
        }
    }
    checked
}

/// Items named as `file.rs::name`.
fn check_items(
    repository: &Repository,
    patterns: &Patterns,
    name: &str,
    text: &str,
    missing: &mut BTreeSet<String>,
) -> usize {
    let mut checked = 0;
    for found in unique(&patterns.item, text, 2) {
        checked += 1;
        let candidates: Vec<_> = repository
            .matching(&found[0])
            .into_iter()
            .filter(|f| f.ends_with(".rs"))
            .collect();
        if candidates.is_empty() {
            missing.insert(format!(
                "{name}: no file {} (named as {}::{})",
                found[0], found[0], found[1]
            ));
        } else if !candidates
            .iter()
            .any(|p| defines(Path::new(p.as_str()), &found[1], ITEM_KINDS))
        {
            missing.insert(format!("{name}: {} defines no {}", found[0], found[1]));
        }
    }
    checked
}

/// Repository paths in backticks.
fn check_paths(
    repository: &Repository,
    patterns: &Patterns,
    name: &str,
    text: &str,
    missing: &mut BTreeSet<String>,
) -> usize {
    let mut checked = 0;
    for found in unique(&patterns.quoted, text, 1) {
        let quoted = &found[0];
        let path = if quoted.contains(".rs::") {
            quoted
                .split("::")
                .next()
                .unwrap_or_default()
                .split(':')
                .next()
                .unwrap_or_default()
        } else {
            quoted
        };
        if path.chars().any(|c| "…*{}<>$=?&@".contains(c))
            || path.contains("//")
            || path.starts_with('/')
            || path.starts_with("../")
        {
            continue; // a pattern, a URL path, or outside the repository (../shared)
        }
        let path = path.strip_prefix("./").unwrap_or(path);
        let looks_like_path = ROOTS.iter().any(|r| path.starts_with(r))
            || (path.contains('/') && EXTENSIONS.iter().any(|e| path.ends_with(e)));
        if !looks_like_path {
            continue;
        }
        checked += 1;
        if repository.matching(path).is_empty() && !ignored(path) {
            missing.insert(format!("{name}: no file or directory {path}"));
        }
    }
    checked
}

/// Relative Markdown links.
fn check_links(
    patterns: &Patterns,
    doc: &Path,
    text: &str,
    missing: &mut BTreeSet<String>,
) -> usize {
    let name = doc.display();
    let mut checked = 0;
    let folder = doc.parent().unwrap_or(Path::new("."));
    let root = std::env::current_dir().unwrap_or_default();
    for found in unique(&patterns.link, text, 1) {
        let link = &found[0];
        if link.contains("://") || link.starts_with("mailto:") {
            continue;
        }
        checked += 1;
        let target = folder.join(link);
        let inside = target
            .canonicalize()
            .map(|t| t.starts_with(&root))
            .unwrap_or(true);
        if link.starts_with("../../") || !inside {
            continue; // outside the repository
        }
        if !target.exists() {
            missing.insert(format!("{name}: link to missing {link}"));
        }
    }
    checked
}
