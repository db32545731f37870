//! The task-list cache port (cache-aside; Redis in production) and the key a
//! list is cached under.
//!
//! What is cached is the rendered page (opaque bytes: the transport renders
//! them and sends them as they are), under a key made of the project, its
//! list *generation* and the normalized typed query. The generation comes
//! from PostgreSQL with the authorization check the list runs anyway, and
//! every write that changes a list bumps it in its own transaction
//! (migrations/…_task_list_generations): a read after a completed write can
//! only compute a key no earlier read filled. docs/caching.md walks through
//! the races this closes.

use super::model::{Priority, Status};
use super::query::{AssigneeFilter, Position, TaskListQuery};
use crate::DomainError;
use async_trait::async_trait;
use std::future::Future;
use std::pin::Pin;

/// Where a list came from: the `X-Cache` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
    /// PostgreSQL answered without the cache (disabled, or Redis unavailable).
    Bypass,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }
}

/// Reads the page from storage and renders it (a cache miss).
pub type BuildList<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, DomainError>> + Send + 'a>>;

#[async_trait]
pub trait TaskListCache: Send + Sync {
    /// The page under `key`, or `build`'s, stored for the readers after.
    /// The cache failing is never an error: `build` answers (`Bypass`). Only
    /// `build`'s own failure is returned. An implementation runs at most one
    /// `build` per key at a time (others wait for it and read what it
    /// stored): a hot key expiring is one rebuild, not a stampede.
    ///
    /// # Errors
    /// What `build` returns.
    async fn fetch<'a>(
        &'a self,
        key: &'a str,
        build: BuildList<'a>,
    ) -> Result<(Vec<u8>, CacheStatus), DomainError>;
}

/// The cache key of `query` at list generation `generation`. Equal queries
/// give equal keys however the client spelled them (parameter order, repeated
/// values, defaults written out: the typed query has already absorbed those),
/// and `assignee_id=me` is the caller's id by now, so one user's page is never
/// another's.
pub fn cache_key(query: &TaskListQuery, generation: i64) -> String {
    let mut statuses: Vec<&str> = query.statuses.iter().map(|s: &Status| s.as_str()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    let mut priorities: Vec<i16> = query
        .priorities
        .iter()
        .map(|p: &Priority| p.rank())
        .collect();
    priorities.sort_unstable();
    priorities.dedup();
    let assignee = match query.assignee {
        AssigneeFilter::Any => "any".to_owned(),
        AssigneeFilter::Nobody => "none".to_owned(),
        AssigneeFilter::User(user) => user.to_string(),
    };
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
            .unwrap_or_default()
    };
    let position = match &query.position {
        Position::Offset(offset) => format!("o{offset}"),
        Position::After(cursor) => format!("c{}", cursor.encode()),
    };
    // The search text goes last and length-prefixed: nothing it contains can
    // be mistaken for another field.
    let search = query
        .title_contains
        .as_ref()
        .map(|q| format!("{}:{q}", q.len()))
        .unwrap_or_else(|| "-".to_owned());
    format!(
        "tasks:{project}:g{generation}:s={statuses}:p={priorities}:a={assignee}:b={before}:f={after}:{sort}:l{limit}:{position}:q={search}",
        project = query.project,
        statuses = statuses.join(","),
        priorities = priorities
            .iter()
            .map(i16::to_string)
            .collect::<Vec<_>>()
            .join(","),
        before = time(query.due_before),
        after = time(query.due_after),
        sort = query.sort.as_string(),
        limit = query.limit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_statuses_are_the_contract_header_values() {
        let values: Vec<&str> = [CacheStatus::Hit, CacheStatus::Miss, CacheStatus::Bypass]
            .into_iter()
            .map(CacheStatus::as_str)
            .collect();
        assert_eq!(values, ["HIT", "MISS", "BYPASS"]);
    }
    use crate::ids::{ProjectId, UserId};
    use crate::tasks::TaskSort;

    #[test]
    fn the_same_query_spelled_differently_is_one_key() {
        let project = ProjectId::new();
        let a = TaskListQuery {
            statuses: vec![Status::Todo, Status::Done],
            priorities: vec![Priority::High, Priority::Low],
            ..TaskListQuery::unfiltered(project)
        };
        let b = TaskListQuery {
            statuses: vec![Status::Done, Status::Todo, Status::Done],
            priorities: vec![Priority::Low, Priority::High],
            ..TaskListQuery::unfiltered(project)
        };
        assert_eq!(cache_key(&a, 7), cache_key(&b, 7));
    }

    #[test]
    fn anything_that_changes_the_page_changes_the_key() {
        let project = ProjectId::new();
        let base = TaskListQuery::unfiltered(project);
        let variants = [
            TaskListQuery {
                sort: TaskSort::parse("title").unwrap(),
                ..base.clone()
            },
            TaskListQuery {
                limit: 21,
                ..base.clone()
            },
            TaskListQuery {
                position: Position::Offset(20),
                ..base.clone()
            },
            TaskListQuery {
                assignee: AssigneeFilter::User(UserId::new()),
                ..base.clone()
            },
            TaskListQuery {
                title_contains: Some("x".into()),
                ..base.clone()
            },
            TaskListQuery::unfiltered(ProjectId::new()),
        ];
        let key = cache_key(&base, 1);
        assert_ne!(key, cache_key(&base, 2), "a new generation");
        for variant in &variants {
            assert_ne!(key, cache_key(variant, 1), "{variant:?}");
        }
    }

    #[test]
    fn each_callers_me_is_their_own_key() {
        let project = ProjectId::new();
        let mine = |user| TaskListQuery {
            assignee: AssigneeFilter::User(user),
            ..TaskListQuery::unfiltered(project)
        };
        assert_ne!(
            cache_key(&mine(UserId::new()), 1),
            cache_key(&mine(UserId::new()), 1)
        );
    }
}
