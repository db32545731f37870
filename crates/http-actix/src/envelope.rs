//! The success envelope: `{"data": ...}` for one resource, `{"data": [...],
//! "meta": {...}}` for lists.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct Data<T> {
    pub data: T,
}

impl<T> Data<T> {
    pub fn new(data: T) -> Self {
        Self { data }
    }
}

/// Paging information that accompanies every list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"limit": 20, "offset": 0, "total": 57, "next_cursor": "o20"}))]
pub struct PageMeta {
    pub limit: u32,
    pub offset: u32,
    /// Exact, except when `total_capped` is present: then the count stopped at
    /// this cap (10,000; only for unusual filter combinations of the task list).
    pub total: i64,
    pub next_cursor: Option<String>,
    /// `true` when `total` is the cap, not an exact count; absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(required = false)]
    pub total_capped: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}
