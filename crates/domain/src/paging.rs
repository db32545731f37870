//! Offset paging as the domain sees it. Keyset cursors are per list (tasks have
//! their own), because what a cursor holds depends on the list's sort.

/// `limit` rows starting at `offset`; both already range-checked at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub offset: u32,
}

/// One page of rows and how many rows match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}
