//! One line per invariant, and the names of those that failed.

use crate::sync::locked;
use std::sync::Mutex;

#[derive(Default)]
pub struct Checks {
    failed: Mutex<Vec<String>>,
}

impl Checks {
    pub fn check(&self, name: &str, ok: bool, detail: impl AsRef<str>) {
        let detail = detail.as_ref();
        let separator = if detail.is_empty() { "" } else { ": " };
        println!(
            "  {} {name}{separator}{detail}",
            if ok { "ok  " } else { "FAIL" }
        );
        if !ok {
            locked(&self.failed).push(name.to_owned());
        }
    }

    pub fn failures(&self) -> Vec<String> {
        locked(&self.failed).clone()
    }
}
