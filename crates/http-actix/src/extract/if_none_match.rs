//! `If-None-Match` (RFC 9110 §13.1.2) as the entity tags a client holds.
//!
//! The comparison is weak, as the RFC says for this header: `W/"x"` and
//! `"x"` both hold `x`. Lenient like `If-Match`: an unquoted tag is taken as
//! written, and an item that is no tag at all is ignored (the client then
//! gets the full answer, never an error: a stray validator must not break a
//! read).

use actix_web::dev::Payload;
use actix_web::http::header::{HeaderValue, IF_NONE_MATCH};
use actix_web::{FromRequest, HttpRequest};
use domain::tasks::HeldTags;
use std::future::{ready, Ready};

/// The tags named by every `If-None-Match` line of the request.
pub struct IfNoneMatch(pub HeldTags);

impl FromRequest for IfNoneMatch {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(IfNoneMatch(held_tags(
            request.headers().get_all(IF_NONE_MATCH),
        ))))
    }
}

fn held_tags<'a>(lines: impl Iterator<Item = &'a HeaderValue>) -> HeldTags {
    let mut tags = Vec::new();
    for line in lines {
        let Ok(text) = line.to_str() else { continue };
        for item in text.split(',').map(str::trim) {
            if item == "*" {
                return HeldTags::Any;
            }
            let strong = item.strip_prefix("W/").unwrap_or(item);
            let opaque = strong
                .strip_prefix('"')
                .and_then(|quoted| quoted.strip_suffix('"'))
                .unwrap_or(strong);
            if !opaque.is_empty() && !opaque.contains('"') {
                tags.push(opaque.to_owned());
            }
        }
    }
    if tags.is_empty() {
        HeldTags::Nothing
    } else {
        HeldTags::Tags(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(lines: &[&'static str]) -> HeldTags {
        let values: Vec<HeaderValue> = lines.iter().map(|l| HeaderValue::from_static(l)).collect();
        held_tags(values.iter())
    }

    #[test]
    fn tags_are_compared_weakly_across_lines_and_lists() {
        assert_eq!(
            held(&["\"3\", W/\"abc\"", "7"]),
            HeldTags::Tags(vec!["3".into(), "abc".into(), "7".into()])
        );
        assert_eq!(held(&["W/\"a\", *"]), HeldTags::Any);
    }

    #[test]
    fn what_is_no_tag_is_ignored() {
        assert_eq!(held(&[]), HeldTags::Nothing);
        assert_eq!(held(&["\"\", W/, \"a\"b\""]), HeldTags::Nothing);
    }
}
