//! Regular expressions for the domain's text rules, built from its own
//! character ranges (`domain::text::CONTROL`, `INVISIBLE`).

use domain::text::{is_forbidden_control, is_invisible, Lines, TextRule, CONTROL, INVISIBLE};

pub(super) fn is_forbidden_single(c: char) -> bool {
    is_forbidden_control(c, Lines::Single)
}

/// `^[^controls]*$`, or with at least one visible character when `min > 0`.
pub(super) fn text_pattern(rule: TextRule) -> String {
    let forbidden = class(&|c| is_forbidden_control(c, rule.lines));
    if rule.min == 0 {
        return format!("^[^{forbidden}]*$");
    }
    let blank = class(&is_invisible);
    format!("^[^{forbidden}]*[^{forbidden}{blank}][^{forbidden}]*$")
}

pub(super) fn no_controls(lines: Lines) -> String {
    format!("^[^{}]*$", class(&|c| is_forbidden_control(c, lines)))
}

/// A regex character-class body (`\u0000-\u001F...`) for every character
/// matching `test`. Every class here is a subset of the domain's `CONTROL` and
/// `INVISIBLE` ranges (all in the Basic Multilingual Plane), so only their few
/// hundred characters are tested, not all 65,536: this runs for every app the
/// server builds (one per worker thread, one per test).
pub(super) fn class(test: &dyn Fn(char) -> bool) -> String {
    let mut candidates: Vec<char> = CONTROL
        .iter()
        .chain(INVISIBLE)
        .flat_map(|(low, high)| *low..=*high)
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let mut ranges: Vec<(char, char)> = Vec::new();
    for c in candidates {
        if !test(c) {
            continue;
        }
        match ranges.last_mut() {
            Some((_, high)) if u32::from(*high) + 1 == u32::from(c) => *high = c,
            _ => ranges.push((c, c)),
        }
    }
    ranges
        .into_iter()
        .map(|(low, high)| {
            if low == high {
                escape(low)
            } else {
                format!("{}-{}", escape(low), escape(high))
            }
        })
        .collect()
}

fn escape(c: char) -> String {
    format!("\\u{:04X}", u32::from(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_collapse_into_ranges() {
        assert_eq!(
            class(&is_forbidden_single),
            "\\u0000-\\u001F\\u007F-\\u009F"
        );
        assert_eq!(
            class(&|c| is_forbidden_control(c, Lines::Multi)),
            "\\u0000-\\u0008\\u000B-\\u000C\\u000E-\\u001F\\u007F-\\u009F"
        );
    }
}
