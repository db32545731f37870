//! The rules every free-text input shares, defined once: names, titles, bodies,
//! emails, passwords and search terms all go through here.
//!
//! - Control characters (NUL above all: PostgreSQL refuses it in `text`) are
//!   refused, except tab, line feed and carriage return in multi-line text.
//! - "Blank" means nothing a reader can see: whitespace *and* invisible format
//!   characters (zero-width space, joiners, direction marks, BOM...), so a title
//!   of zero-width spaces is as empty as one of spaces.
//! - Lengths are counted in characters (Unicode scalar values), after trimming.

use crate::DomainError;

/// Whether line breaks and tabs are part of the value (descriptions, comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Characters that render as nothing. `char::is_whitespace` does not cover
/// them; Unicode calls most of them "default ignorable" or format (Cf).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'              // soft hyphen
        | '\u{034F}'            // combining grapheme joiner
        | '\u{061C}'            // arabic letter mark
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // hangul fillers
        | '\u{180B}'..='\u{180F}' // mongolian variation selectors, vowel separator
        | '\u{200B}'..='\u{200F}' // zero-width space, joiners, direction marks
        | '\u{202A}'..='\u{202E}' // direction embeddings and overrides
        | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, deprecated format
        | '\u{FE00}'..='\u{FE0F}' // variation selectors
        | '\u{FEFF}'            // byte order mark / zero-width no-break space
    ) || c.is_whitespace()
}

/// Whether `value` holds a control character not allowed for `lines`.
pub fn has_forbidden_control(value: &str, lines: Lines) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && !(lines == Lines::Multi && matches!(c, '\t' | '\n' | '\r')))
}

/// `value` without leading and trailing whitespace or invisible characters.
pub fn trim_invisible(value: &str) -> &str {
    value.trim_matches(is_invisible)
}

/// Parses a trimmed, single-line text of `min..=max` characters: names and titles.
///
/// # Errors
/// `Invalid` on `field`, saying which rule failed.
pub fn parse_line(raw: &str, field: &str, min: usize, max: usize) -> Result<String, DomainError> {
    if has_forbidden_control(raw, Lines::Single) {
        return Err(control_characters(field));
    }
    let value = trim_invisible(raw);
    if (min..=max).contains(&value.chars().count()) {
        Ok(value.to_owned())
    } else {
        Err(DomainError::invalid(
            field,
            format!("must be {min} to {max} characters"),
        ))
    }
}

/// Checks a multi-line text kept as written (descriptions, comment bodies):
/// at most `max` characters, and not blank when `required`.
///
/// # Errors
/// `Invalid` on `field`, saying which rule failed.
pub fn check_multiline(
    value: &str,
    field: &str,
    required: bool,
    max: usize,
) -> Result<(), DomainError> {
    if has_forbidden_control(value, Lines::Multi) {
        return Err(control_characters(field));
    }
    if required && trim_invisible(value).is_empty() {
        return Err(DomainError::invalid(field, "must not be blank"));
    }
    if value.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// The error for a value carrying control characters.
pub fn control_characters(field: &str) -> DomainError {
    DomainError::invalid(field, "must not contain control characters such as NUL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_other_controls_are_refused_but_line_breaks_are_text() {
        assert!(has_forbidden_control("a\u{0}b", Lines::Multi));
        assert!(has_forbidden_control("a\u{7}b", Lines::Multi));
        assert!(has_forbidden_control("a\nb", Lines::Single));
        assert!(!has_forbidden_control("a\r\n\tb", Lines::Multi));
        assert!(!has_forbidden_control("naïve ü 日本", Lines::Single));
    }

    #[test]
    fn invisible_characters_count_as_blank() {
        assert_eq!(trim_invisible("\u{200B}\u{FEFF} \u{2060}"), "");
        assert_eq!(trim_invisible("\u{200B} Ship it \u{200D}"), "Ship it");
        assert!(parse_line("\u{200B}\u{200B}", "title", 1, 200).is_err());
        assert!(check_multiline("\u{200B}\n", "body", true, 10).is_err());
    }

    #[test]
    fn lines_are_trimmed_and_bounded_in_characters() {
        assert_eq!(
            parse_line("  Ops ", "name", 1, 3).ok().as_deref(),
            Some("Ops")
        );
        assert!(parse_line("Opsy", "name", 1, 3).is_err());
        assert_eq!(
            parse_line(&"é".repeat(3), "name", 1, 3).ok(),
            Some("é".repeat(3))
        );
    }

    #[test]
    fn each_failure_names_its_field_and_rule() {
        let Err(DomainError::Invalid(fields)) = parse_line("a\u{0}", "title", 1, 200) else {
            panic!("expected Invalid");
        };
        assert_eq!(fields[0].field, "title");
        assert!(fields[0].message.contains("control"));
    }
}
