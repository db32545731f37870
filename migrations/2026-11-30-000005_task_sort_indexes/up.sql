-- One index per sort the task list offers, so every sort reads a page in index
-- order and stops after it (no scan of the project's tasks, no top-N sort).
-- Each serves both directions (a B-tree is read backwards for DESC) and the
-- status filter too (checked on the rows the index returns, in order).
-- `created_at` already has tasks_project_live_idx. `due_at` sorts nulls last in
-- both directions through COALESCE to +/-infinity, so each direction is its
-- own expression and needs its own index. Partial like the others: deleted
-- tasks are never listed. What each costs on insert: docs/performance.md.
CREATE INDEX tasks_project_updated_live_idx ON tasks (project_id, updated_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX tasks_project_priority_live_idx ON tasks (project_id, priority, id)
    WHERE deleted_at IS NULL;
CREATE INDEX tasks_project_title_live_idx ON tasks (project_id, title, id)
    WHERE deleted_at IS NULL;
CREATE INDEX tasks_project_due_last_live_idx
    ON tasks (project_id, (COALESCE(due_at, 'infinity'::timestamptz)), id)
    WHERE deleted_at IS NULL;
CREATE INDEX tasks_project_due_first_live_idx
    ON tasks (project_id, (COALESCE(due_at, '-infinity'::timestamptz)), id)
    WHERE deleted_at IS NULL;
