//! Tasks: the unit of work. Optimistic locking, the task policy, and the typed
//! list query live here.

mod list_cache;
mod list_tag;
mod model;
mod policy;
mod ports;
mod query;
mod service;
mod view;
mod write_memo;

pub use list_cache::{cache_key, BuildList, CacheStatus, TaskListCache};
pub use list_tag::{HeldTags, ListTag};
pub use model::{Priority, Status, Task, TaskDraft, TaskPatch, TaskTitle, Version};
pub use policy::{can_assign, can_delete, can_update, check_version};
#[cfg(any(test, feature = "mocks"))]
pub use ports::MockTaskRepository;
pub use ports::{TaskRecord, TaskRepository};
pub use query::{
    total_is_kept, AssigneeFilter, ListTotal, Position, SortField, SortKey, TaskCursor,
    TaskListQuery, TaskPage, TaskSort, SEARCH_RULE, TOTAL_CAP,
};
pub use service::{Listed, RenderPage, TaskService};
pub use view::TaskView;
#[cfg(any(test, feature = "mocks"))]
pub use write_memo::MockWriteMemo;
pub use write_memo::{NoWriteMemo, TaskFacts, WriteMemo};
