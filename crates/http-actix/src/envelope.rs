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
pub struct PageMeta {
    pub limit: u32,
    pub offset: u32,
    pub total: i64,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub meta: PageMeta,
}
