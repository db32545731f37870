//! The source tree's shape: no import circle between the files of a crate.
//!
//! A circle (`a` uses `b`, `b` uses `a`, directly or through others) means
//! neither file can be read, tested or moved without the other. Each crate's
//! files are read as modules; every `crate::…` and `super::…` path outside
//! comments and `#[cfg(test)]` modules is an edge to the deepest file it
//! names. The check runs in `make test`.

#![allow(
    clippy::unwrap_used,
    reason = "a test binary: a failed read is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`middleware::rate_limit`) → file.
type Modules = BTreeMap<String, PathBuf>;

fn modules(src: &Path) -> Modules {
    let mut found = Modules::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            if parts.first().is_some_and(|first| first == "bin") {
                continue;
            }
            found.insert(parts.join("::"), path);
        }
    }
    found
}

/// The code of a file without comments and without its test module.
fn production_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Paths written after `prefix` (`crate::`), braces expanded one level:
/// `crate::a::{b, c::D}` gives `a::b` and `a::c::D`.
fn paths_after(code: &str, prefix: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let rest = &code[at + prefix.len()..];
        let head: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let after = &rest[head.len()..];
        if head.ends_with("::") && after.starts_with('{') {
            let inside = &after[1..after.find('}').unwrap_or(after.len())];
            for item in inside.split(',') {
                let item = item.trim().trim_start_matches('{');
                if !item.is_empty() {
                    paths.push(format!("{head}{item}"));
                }
            }
        } else {
            paths.push(head.trim_end_matches("::").to_owned());
        }
    }
    paths
}

/// The deepest module a path names (`a::b::Type` → `a::b` when that file exists).
fn deepest(modules: &Modules, path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|length| parts[..length].join("::"))
        .find(|candidate| modules.contains_key(candidate))
}

fn edges(modules: &Modules) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges = BTreeMap::new();
    for (name, path) in modules {
        let code = production_code(path);
        // `super::` is the parent of this module, whether it is `a/b.rs` or
        // `a/b/mod.rs` (both `a::b`).
        let parent = name.rsplit_once("::").map_or("", |(parent, _)| parent);
        let mut targets: Vec<String> = paths_after(&code, "crate::");
        for relative in paths_after(&code, "super::") {
            targets.push(if parent.is_empty() {
                relative
            } else {
                format!("{parent}::{relative}")
            });
        }
        let found: BTreeSet<String> = targets
            .iter()
            .filter_map(|target| deepest(modules, target))
            .filter(|target| target != name && !target.is_empty())
            .collect();
        edges.insert(name.clone(), found);
    }
    edges
}

/// Every module from which `start` can be reached again, as one circle.
fn circle_through(edges: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in edges.get(&at).into_iter().flatten() {
            if next == start {
                return Some(path.clone());
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

fn circles(crate_dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_dir);
    let modules = modules(&root.join("src"));
    let edges = edges(&modules);
    modules
        .keys()
        .filter_map(|name| circle_through(&edges, name))
        .map(|circle| format!("{crate_dir}: {}", circle.join(" -> ")))
        .collect()
}

#[test]
fn no_file_imports_itself_through_others() {
    let found: Vec<String> = [
        "crates/domain",
        "crates/adapters-postgres",
        "crates/adapters-redis",
        "crates/http-actix",
        "crates/worker",
        "crates/app",
    ]
    .iter()
    .flat_map(|crate_dir| circles(crate_dir))
    .collect();
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn the_check_sees_a_circle() {
    let mut edges = BTreeMap::new();
    edges.insert(
        "problem".to_owned(),
        BTreeSet::from(["middleware".to_owned()]),
    );
    edges.insert(
        "middleware".to_owned(),
        BTreeSet::from(["problem".to_owned()]),
    );
    assert_eq!(
        circle_through(&edges, "problem"),
        Some(vec!["problem".to_owned(), "middleware".to_owned()])
    );
    let modules = Modules::from([
        ("a".to_owned(), PathBuf::from("a.rs")),
        ("a::b".to_owned(), PathBuf::from("a/b.rs")),
    ]);
    assert_eq!(deepest(&modules, "a::b::Type").as_deref(), Some("a::b"));
    assert_eq!(
        paths_after("use crate::a::{b::C, d};", "crate::"),
        vec!["a::b::C".to_owned(), "a::d".to_owned()]
    );
}
