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
