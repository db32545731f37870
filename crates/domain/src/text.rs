//! The rules every free-text input shares, defined once: names, titles, bodies,
//! emails, passwords and search terms all go through here.
//!
//! - Control characters (NUL above all: PostgreSQL refuses it in `text`) are
//!   refused, except tab, line feed and carriage return in multi-line text.
//! - "Blank" means nothing a reader can see: whitespace *and* invisible format
//!   characters (zero-width space, joiners, direction marks, BOM...), so a title
//!   of zero-width spaces is as empty as one of spaces.
//! - Lengths are counted in characters (Unicode scalar values). The maximum
//!   counts the value as sent; the minimum counts visible content.
//!
//! The character classes are data (`INVISIBLE`, `CONTROL`) so the OpenAPI
//! document builds its `pattern`s from the very same ranges
//! (`http-actix/src/openapi/rules.rs`): the schema and the check cannot drift.

use crate::DomainError;

/// Whether line breaks and tabs are part of the value (descriptions, comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Characters that render as nothing, as inclusive ranges: Unicode whitespace
/// (everything `char::is_whitespace` accepts) and the invisible format
/// characters it does not cover ("default ignorable": zero-width space,
/// joiners, direction marks, BOM, variation selectors, fillers).
pub const INVISIBLE: &[(char, char)] = &[
    ('\u{0009}', '\u{000D}'), // tab, line feed, vertical tab, form feed, carriage return
    ('\u{0020}', '\u{0020}'), // space
    ('\u{0085}', '\u{0085}'), // next line
    ('\u{00A0}', '\u{00A0}'), // no-break space
    ('\u{00AD}', '\u{00AD}'), // soft hyphen
    ('\u{034F}', '\u{034F}'), // combining grapheme joiner
    ('\u{061C}', '\u{061C}'), // arabic letter mark
    ('\u{115F}', '\u{1160}'), // hangul fillers
    ('\u{1680}', '\u{1680}'), // ogham space mark
    ('\u{180B}', '\u{180F}'), // mongolian variation selectors, vowel separator
    ('\u{2000}', '\u{200F}'), // typographic spaces, zero-width space, joiners, marks
    ('\u{2028}', '\u{202F}'), // line/paragraph separators, embeddings, narrow nbsp
    ('\u{205F}', '\u{206F}'), // math space, word joiner, invisible operators
    ('\u{3000}', '\u{3000}'), // ideographic space
    ('\u{3164}', '\u{3164}'), // hangul filler
    ('\u{FE00}', '\u{FE0F}'), // variation selectors
    ('\u{FEFF}', '\u{FEFF}'), // byte order mark / zero-width no-break space
    ('\u{FFA0}', '\u{FFA0}'), // halfwidth hangul filler
];

/// Control characters (Unicode `Cc`: exactly what `char::is_control` accepts).
pub const CONTROL: &[(char, char)] = &[('\u{0000}', '\u{001F}'), ('\u{007F}', '\u{009F}')];

/// The controls multi-line text may hold.
pub const LINE_BREAKS_AND_TABS: [char; 3] = ['\t', '\n', '\r'];

/// The length rule of a text field: at most `max` characters as sent, and at
/// least `min` once invisible characters are trimmed from both ends. Counting
/// the maximum before trimming keeps it exactly the OpenAPI `maxLength`; the
/// trimmed value is what single-line fields store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    pub min: usize,
    pub max: usize,
    pub lines: Lines,
}

fn in_ranges(c: char, ranges: &[(char, char)]) -> bool {
    ranges.iter().any(|(low, high)| (*low..=*high).contains(&c))
}

/// Whether `c` renders as nothing (see [`INVISIBLE`]).
pub fn is_invisible(c: char) -> bool {
    in_ranges(c, INVISIBLE)
}

/// Whether `c` is a control character not allowed in `lines` text.
pub fn is_forbidden_control(c: char, lines: Lines) -> bool {
    in_ranges(c, CONTROL) && !(lines == Lines::Multi && LINE_BREAKS_AND_TABS.contains(&c))
}

/// Whether `value` holds a control character not allowed for `lines`.
pub fn has_forbidden_control(value: &str, lines: Lines) -> bool {
    value.chars().any(|c| is_forbidden_control(c, lines))
}

/// `value` without leading and trailing whitespace or invisible characters.
pub fn trim_invisible(value: &str) -> &str {
    value.trim_matches(is_invisible)
}

/// Checks `raw` against `rule`.
///
/// # Errors
/// `Invalid` on `field`, saying which rule failed.
pub fn check(raw: &str, field: &str, rule: TextRule) -> Result<(), DomainError> {
    if has_forbidden_control(raw, rule.lines) {
        return Err(control_characters(field));
    }
    let TextRule { min, max, .. } = rule;
    if raw.chars().count() > max || trim_invisible(raw).chars().count() < min {
        let message = match min {
            0 => format!("must be at most {max} characters"),
            _ => format!("must be {min} to {max} characters, not all blank"),
        };
        return Err(DomainError::invalid(field, message));
    }
    Ok(())
}

/// Checks a single-line text and returns it trimmed: names and titles.
///
/// # Errors
/// `Invalid` on `field`, saying which rule failed.
pub fn parse_line(raw: &str, field: &str, rule: TextRule) -> Result<String, DomainError> {
    check(raw, field, rule)?;
    Ok(trim_invisible(raw).to_owned())
}

/// The error for a value carrying control characters.
pub fn control_characters(field: &str) -> DomainError {
    DomainError::invalid(field, "must not contain control characters such as NUL")
}

/// Declares a single-line text value: trimmed, `1..=max` characters, no
/// control or invisible characters, named `field` in errors; a private
/// field, so it exists only parsed (`parse`) or read back from storage,
/// which only ever stored parsed ones (`stored`).
macro_rules! line_value {
    ($(#[$doc:meta])* $name:ident, field = $field:literal, max = $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const RULE: $crate::text::TextRule = $crate::text::TextRule {
                min: 1,
                max: $max,
                lines: $crate::text::Lines::Single,
            };

            /// # Errors
            /// `Invalid` on its field.
            pub fn parse(raw: &str) -> Result<Self, $crate::DomainError> {
                $crate::text::parse_line(raw, $field, Self::RULE).map(Self)
            }

            /// A value read back from storage.
            pub fn stored(value: String) -> Self {
                Self(value)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}
pub(crate) use line_value;

#[cfg(test)]
mod tests {
    use super::*;

    const TITLE: TextRule = TextRule {
        min: 1,
        max: 200,
        lines: Lines::Single,
    };
    const SHORT: TextRule = TextRule {
        min: 1,
        max: 5,
        lines: Lines::Single,
    };
    const BODY: TextRule = TextRule {
        min: 1,
        max: 10,
        lines: Lines::Multi,
    };

    #[test]
    fn the_ranges_match_the_standard_librarys_classes() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            assert_eq!(in_ranges(c, CONTROL), c.is_control(), "{c:?}");
            if c.is_whitespace() {
                assert!(is_invisible(c), "{c:?}");
            }
        }
    }

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
        assert!(parse_line("\u{200B}\u{200B}", "title", TITLE).is_err());
        assert!(check("\u{200B}\n", "body", BODY).is_err());
        assert!(check("hi\n", "body", BODY).is_ok());
    }

    #[test]
    fn lines_are_trimmed_and_bounded_in_characters_as_sent() {
        assert_eq!(
            parse_line(" Ops ", "name", SHORT).ok().as_deref(),
            Some("Ops")
        );
        assert!(parse_line("Opsy12", "name", SHORT).is_err());
        assert!(
            parse_line("Ops   ", "name", SHORT).is_err(),
            "the maximum counts what was sent"
        );
        assert_eq!(
            parse_line(&"é".repeat(5), "name", SHORT).ok(),
            Some("é".repeat(5))
        );
    }

    #[test]
    fn each_failure_names_its_field_and_rule() {
        let Err(DomainError::Invalid(fields)) = parse_line("a\u{0}", "title", TITLE) else {
            panic!("expected Invalid");
        };
        assert_eq!(fields[0].field, "title");
        assert!(fields[0].message.contains("control"));
    }

    #[test]
    fn an_optional_text_says_only_its_maximum() {
        let rule = TextRule {
            min: 0,
            max: 3,
            lines: Lines::Multi,
        };
        let error = check("four", "description", rule).unwrap_err();
        assert!(
            matches!(&error, DomainError::Invalid(fields)
                if fields[0].message == "must be at most 3 characters"),
            "{error:?}"
        );
        assert!(check("", "description", rule).is_ok());
    }
}
