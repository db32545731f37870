//! One email, one identity: the normalization every comparison of email
//! addresses goes through (registration, login, adding a member).
//!
//! Before this, registration folded case with Rust's `to_lowercase` and login
//! compared with PostgreSQL's `lower()`; they disagree outside ASCII
//! (`İvan@ex.com`, the final sigma of `ΟΔΟΣ@ex.com`), so such an account could
//! register and never log in. And look-alikes registered as separate users:
//! `ada​@ex.com` with a zero-width space, full-width `ａｄａ@ex.com`, and the
//! decomposed (NFD) and composed (NFC) spellings of `é`. Now:
//!
//! 1. invisible and control characters are refused (they only ever make an
//!    address look like another one);
//! 2. the address is normalized to NFKC (full-width letters become ASCII,
//!    NFD becomes NFC, compatibility ligatures are split);
//! 3. case is folded: lower case, with the final sigma `ς` folded to `σ` as
//!    Unicode case folding does, then NFKC again (lower-casing can
//!    decompose, `İ` → `i̇`).
//!
//! The result is stored beside the address as typed and is the only thing
//! ever compared (`users.email_normalized`, unique). Full case folding of
//! `ß` to `ss` is not applied: `straße@` and `strasse@` stay two addresses,
//! as most mail systems treat them.

use crate::DomainError;
use unicode_normalization::UnicodeNormalization;

/// The comparison form of an (already trimmed) email address.
///
/// # Errors
/// `Invalid` on `email` when it holds an invisible or control character.
pub fn normalize_email(address: &str) -> Result<String, DomainError> {
    if address.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(DomainError::invalid(
            "email",
            "must not contain invisible or control characters",
        ));
    }
    let folded: String = address
        .nfkc()
        .collect::<String>()
        .to_lowercase()
        .chars()
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect();
    Ok(folded.nfkc().collect())
}

/// Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt)
/// plus the other format characters that render as nothing: characters a
/// reader cannot see, so an address holding one is a look-alike by design.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_width_and_composition_fold_to_one_identity() {
        let same = [
            ("Ada@Example.COM", "ada@example.com"),
            ("ａｄａ@ｅｘ.ｃｏｍ", "ada@ex.com"),
            ("e\u{301}lise@ex.com", "\u{e9}lise@ex.com"),
            ("\u{c9}LISE@ex.com", "\u{e9}lise@ex.com"),
            ("ΟΔΟΣ@ex.com", "οδοσ@ex.com"),
            ("οδος@ex.com", "οδοσ@ex.com"),
            ("İvan@ex.com", "i\u{307}van@ex.com"),
            ("ﬁnn@ex.com", "finn@ex.com"),
        ];
        for (typed, expected) in same {
            assert_eq!(normalize_email(typed).unwrap(), expected, "{typed}");
        }
        // Idempotent: a normalized address normalizes to itself.
        for (_, normalized) in same {
            assert_eq!(normalize_email(normalized).unwrap(), normalized);
        }
        assert_ne!(
            normalize_email("straße@ex.com").unwrap(),
            normalize_email("strasse@ex.com").unwrap()
        );
    }

    #[test]
    fn invisible_and_control_characters_are_refused() {
        for sneaky in [
            "ada\u{200B}@ex.com",
            "ada\u{200D}@ex.com",
            "\u{FEFF}ada@ex.com",
            "ad\u{00AD}a@ex.com",
            "ada@ex\u{202E}moc.",
            "ada\u{2060}@ex.com",
            "ada\u{7}@ex.com",
            "ada\u{E0041}@ex.com",
        ] {
            assert!(normalize_email(sneaky).is_err(), "{sneaky:?}");
        }
    }
}
