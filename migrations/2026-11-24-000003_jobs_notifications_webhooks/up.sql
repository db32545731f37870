-- Background work: a durable job queue with leases, the notifications reminders
-- produce, and the team webhooks deliveries go to.

CREATE TABLE jobs (
    id           uuid        PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('task_reminder', 'webhook_delivery')),
    payload      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    -- Makes enqueueing idempotent: the reminder for (task, due_at) has one key, so
    -- a second enqueue of the same reminder is a no-op (ON CONFLICT DO NOTHING).
    dedupe_key   text        UNIQUE,
    status       text        NOT NULL DEFAULT 'queued'
                             CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
    attempts     integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts integer     NOT NULL DEFAULT 8 CHECK (max_attempts >= 1),
    run_at       timestamptz NOT NULL DEFAULT now(),
    -- Lease: a running job belongs to locked_by until locked_until; after that any
    -- worker may claim it again (its worker is presumed dead).
    locked_by    text,
    locked_until timestamptz,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- The claim query scans only unfinished jobs in run order.
CREATE INDEX jobs_claimable_idx ON jobs (run_at) WHERE status IN ('queued', 'running');

CREATE TABLE notifications (
    id         uuid        PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('task_reminder')),
    task_id    uuid        REFERENCES tasks (id),
    message    text        NOT NULL,
    -- One notification per (task, due_at) even when a reminder job runs twice.
    dedupe_key text        UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at    timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_user_unread_idx ON notifications (user_id, created_at DESC, id DESC)
    WHERE read_at IS NULL;

CREATE TABLE webhooks (
    id         uuid        PRIMARY KEY,
    team_id    uuid        NOT NULL REFERENCES teams (id),
    url        text        NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    events     text[]      NOT NULL CHECK (cardinality(events) >= 1),
    secret     text        NOT NULL,
    created_by uuid        NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz
);
CREATE INDEX webhooks_team_live_idx ON webhooks (team_id) WHERE deleted_at IS NULL;
