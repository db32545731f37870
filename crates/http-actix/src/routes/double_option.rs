//! PATCH bodies must tell "field absent" (leave it) from "field: null" (clear
//! it). With `#[serde(default, deserialize_with = "present")]` on an
//! `Option<Option<T>>`: absent → `None`, null → `Some(None)`, value → `Some(Some(v))`.

use serde::{Deserialize, Deserializer};

pub fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// For PATCH fields that may be absent but can never be cleared (a title, a
/// status): absent → `None`, value → `Some(v)`, and `null` is refused with
/// "invalid type: null" rather than read as "absent" — a client sending
/// `"title": null` meant something, and silently ignoring it would be a lie.
/// Use with `#[serde(default, deserialize_with = "not_null")]`.
pub fn not_null<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}
