-- Live tasks per (project, status), kept exact by the database itself, in the
-- transaction of every write to tasks, so `meta.total` of the unfiltered list
-- and of a status filter is a lookup of at most four rows instead of a count
-- over every matching task.
--
-- Triggers rather than application code: every write path keeps it right,
-- bulk SQL included (seeds, backfills, the tests' own inserts). Statement-level
-- triggers with transition tables: a 10,000-row insert updates each counter
-- once, not 10,000 times. A write that changes neither status nor liveness
-- (a title edit) nets to zero and touches no counter at all, so it takes no
-- counter row lock. What the shared counter row costs under concurrent
-- writers: docs/performance.md.
CREATE TABLE task_counts (
    project_id uuid   NOT NULL REFERENCES projects (id),
    status     text   NOT NULL,
    live       bigint NOT NULL CHECK (live >= 0),
    PRIMARY KEY (project_id, status)
);

INSERT INTO task_counts (project_id, status, live)
SELECT project_id, status, count(*) FROM tasks WHERE deleted_at IS NULL GROUP BY 1, 2;

-- Adds the net change of one statement (rows before → rows after) per counter.
CREATE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (project_id, status, live)
        SELECT project_id, status, count(*) FROM after_rows
         WHERE deleted_at IS NULL GROUP BY 1, 2
        ON CONFLICT (project_id, status) DO UPDATE SET live = task_counts.live + EXCLUDED.live;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE task_counts c SET live = c.live - d.n
          FROM (SELECT project_id, status, count(*) AS n FROM before_rows
                 WHERE deleted_at IS NULL GROUP BY 1, 2) d
         WHERE c.project_id = d.project_id AND c.status = d.status;
    ELSE
        -- Net change per counter; decrements update existing rows, increments
        -- upsert (an INSERT of a negative count would trip the CHECK even when
        -- it resolves to an UPDATE).
        WITH changes AS (
            SELECT project_id, status, sum(n) AS n FROM (
                SELECT project_id, status, 1 AS n FROM after_rows WHERE deleted_at IS NULL
                UNION ALL
                SELECT project_id, status, -1 FROM before_rows WHERE deleted_at IS NULL
            ) rows
            GROUP BY 1, 2
            HAVING sum(n) <> 0
        ), decrements AS (
            UPDATE task_counts c SET live = c.live + changes.n
              FROM changes
             WHERE changes.n < 0
               AND c.project_id = changes.project_id AND c.status = changes.status
        )
        INSERT INTO task_counts (project_id, status, live)
        SELECT project_id, status, n FROM changes WHERE n > 0
        ON CONFLICT (project_id, status) DO UPDATE SET live = task_counts.live + EXCLUDED.live;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_counts_on_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_apply();
CREATE TRIGGER task_counts_on_update AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_apply();
CREATE TRIGGER task_counts_on_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS before_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_apply();
