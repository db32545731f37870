-- Work items: projects hold tasks, tasks hold comments, and every write leaves an
-- activity entry written in the same transaction.

CREATE TABLE projects (
    id          uuid        PRIMARY KEY,
    team_id     uuid        NOT NULL REFERENCES teams (id),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description text        CHECK (char_length(description) <= 10000),
    created_by  uuid        NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
-- "Live projects of a team, newest first" is the only way projects are listed.
CREATE INDEX projects_team_live_idx ON projects (team_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;

CREATE TABLE tasks (
    id          uuid        PRIMARY KEY,
    project_id  uuid        NOT NULL REFERENCES projects (id),
    title       text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description text        CHECK (char_length(description) <= 10000),
    status      text        NOT NULL DEFAULT 'todo'
                            CHECK (status IN ('todo', 'in_progress', 'in_review', 'done')),
    -- Priority has an order (sorting by it must mean low < medium < high < urgent),
    -- so it is stored as its rank: 0 low, 1 medium, 2 high, 3 urgent.
    priority    smallint    NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    due_at      timestamptz,
    assignee_id uuid        REFERENCES users (id),
    created_by  uuid        NOT NULL REFERENCES users (id),
    -- Optimistic lock: every successful write does version = version + 1 in the
    -- same UPDATE that checks the version the client read.
    version     bigint      NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
-- The composite index behind "tasks of a project with status X", the main board
-- query. Partial: soft-deleted tasks are never listed, so they are not indexed.
-- created_at/id follow so the default sort (-created_at, id) reads in index order.
CREATE INDEX tasks_project_status_live_idx ON tasks (project_id, status, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
-- Lists without a status filter.
CREATE INDEX tasks_project_live_idx ON tasks (project_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
-- "My tasks" and the assignee filter.
CREATE INDEX tasks_assignee_live_idx ON tasks (assignee_id)
    WHERE deleted_at IS NULL AND assignee_id IS NOT NULL;

CREATE TABLE comments (
    id         uuid        PRIMARY KEY,
    task_id    uuid        NOT NULL REFERENCES tasks (id),
    author_id  uuid        NOT NULL REFERENCES users (id),
    body       text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
-- Comments of a task, oldest first; also serves comment_count per task.
CREATE INDEX comments_task_live_idx ON comments (task_id, created_at, id)
    WHERE deleted_at IS NULL;

CREATE TABLE activity_logs (
    id          uuid        PRIMARY KEY,
    project_id  uuid        NOT NULL REFERENCES projects (id),
    actor_id    uuid        NOT NULL REFERENCES users (id),
    action      text        NOT NULL CHECK (action IN (
                    'task.created', 'task.updated', 'task.deleted',
                    'comment.created', 'comment.updated', 'comment.deleted',
                    'project.created', 'project.updated', 'project.deleted')),
    entity_type text        NOT NULL CHECK (entity_type IN ('project', 'task', 'comment')),
    entity_id   uuid        NOT NULL,
    -- {field: {"from": old, "to": new}} for updates, {} otherwise.
    changes     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- The project feed, newest first.
CREATE INDEX activity_logs_project_idx ON activity_logs (project_id, created_at DESC, id DESC);
