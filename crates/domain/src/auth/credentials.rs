//! What a person signs up and signs in with: email, password, name, and the
//! stored password hash. Each `parse` is the only way to build the type, so
//! a value that exists is valid ("parse, don't validate").

use crate::text::{control_characters, has_forbidden_control, Lines};
use crate::DomainError;
use std::fmt;

/// An email address: as typed (trimmed, shown back to its owner) and in its
/// normalized form (`email_identity::normalize_email`), the only form ever
/// compared, so two spellings of one address are one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    typed: String,
    normalized: String,
}

impl Email {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 254;

    /// # Errors
    /// `Invalid` on the `email` field when it is not a plausible address or
    /// holds an invisible or control character.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if has_forbidden_control(raw, Lines::Single) {
            return Err(control_characters("email"));
        }
        let value = raw.trim();
        let plausible = (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&value.chars().count())
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            })
            && !value.chars().any(char::is_whitespace);
        if !plausible {
            return Err(DomainError::invalid(
                "email",
                "must be a valid email address",
            ));
        }
        let normalized = super::email_identity::normalize_email(value)?;
        Ok(Self {
            typed: value.to_owned(),
            normalized,
        })
    }

    /// The address as its owner typed it.
    pub fn as_str(&self) -> &str {
        &self.typed
    }

    /// The comparison form: unique per account.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// An address read back from storage (both forms as stored when it was
    /// parsed).
    pub fn stored(typed: String, normalized: String) -> Self {
        Self { typed, normalized }
    }
}

/// A password as the user typed it. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// Length is counted in characters: 8..=128.
    ///
    /// # Errors
    /// `Invalid` on the `password` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::parse_field(raw, "password")
    }

    /// As `parse`, with errors naming `field` (a password change's
    /// `new_password`).
    ///
    /// # Errors
    /// `Invalid` on `field`.
    pub fn parse_field(raw: &str, field: &'static str) -> Result<Self, DomainError> {
        if has_forbidden_control(raw, Lines::Single) {
            return Err(control_characters(field));
        }
        let length = raw.chars().count();
        if (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&length) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(DomainError::invalid(field, "must be 8 to 128 characters"))
        }
    }

    /// For login: any length is checked against the hash (a too-short password is
    /// simply wrong, and must cost the same time as any other wrong one).
    pub fn for_login(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

crate::text::line_value!(
    /// A display name, trimmed, 1..=100 characters.
    UserName,
    field = "name",
    max = 100
);

/// What registering takes, parsed: every field valid, or every bad one named.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub name: UserName,
}

impl Registration {
    /// # Errors
    /// `Invalid` listing every bad field, not just the first.
    pub fn parse(email: &str, password: &str, name: &str) -> Result<Self, DomainError> {
        match (
            Email::parse(email),
            Password::parse(password),
            UserName::parse(name),
        ) {
            (Ok(email), Ok(password), Ok(name)) => Ok(Self {
                email,
                password,
                name,
            }),
            (email, password, name) => Err(crate::error::merge_invalid([
                email.err(),
                password.err(),
                name.err(),
            ])),
        }
    }
}

/// A bcrypt hash string.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::RefreshToken;

    #[test]
    fn emails_are_trimmed_and_must_look_like_addresses() {
        assert_eq!(
            Email::parse("  ada@example.com ")
                .map(|e| e.as_str().to_owned())
                .ok(),
            Some("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a@b@c",
            "ad a@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn passwords_are_8_to_128_characters_counted_as_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(
            Password::parse(&"é".repeat(128)).is_ok(),
            "256 bytes but 128 characters"
        );
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_1_to_100_characters() {
        assert!(UserName::parse("   ").is_err());
        assert_eq!(
            UserName::parse(" Ada ").map(|n| n.0).ok(),
            Some("Ada".into())
        );
        assert!(UserName::parse(&"n".repeat(101)).is_err());
    }

    #[test]
    fn a_registration_reports_every_invalid_field() {
        let Err(DomainError::Invalid(fields)) = Registration::parse("nope", "short", "") else {
            panic!("expected Invalid");
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["email", "password", "name"]);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let password =
            Password::parse("correct horse battery").unwrap_or_else(|_| Password::for_login(""));
        assert!(!format!("{password:?}").contains("horse"));
        assert!(!format!("{:?}", RefreshToken("abc123".into())).contains("abc123"));
        assert!(!format!("{:?}", PasswordHash("$2b$12$x".into())).contains("$2b$"));
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;
    use crate::auth::RefreshToken;

    /// Secrets never reach a log line through `{:?}`, and the redacted
    /// form still says what the value is.
    #[test]
    fn secrets_debug_as_their_type_and_redacted() {
        let cases = [
            (
                format!("{:?}", Password::parse("correct horse battery").unwrap()),
                "Password(<redacted>)",
            ),
            (
                format!("{:?}", PasswordHash("$2b$12$secret".into())),
                "PasswordHash(<redacted>)",
            ),
            (
                format!("{:?}", RefreshToken("tok-secret".into())),
                "RefreshToken(<redacted>)",
            ),
        ];
        for (shown, expected) in cases {
            assert_eq!(shown, expected);
        }
    }

    #[test]
    fn an_email_keeps_what_was_typed_and_compares_by_its_normalized_form() {
        let email = Email::parse(" Ａda@Example.com ").unwrap();
        assert_eq!(email.as_str(), "Ａda@Example.com");
        assert_eq!(email.normalized(), "ada@example.com");
    }

    #[test]
    fn a_user_name_reads_back_trimmed() {
        assert_eq!(
            UserName::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
    }
}
