-- Live tasks per (project, status), kept exact by the database itself, in the
-- transaction of every write to tasks, so `meta.total` of the unfiltered list
-- and of a status filter is a lookup of at most four rows instead of a count
-- over every matching task.
--
-- Triggers rather than application code: every write path keeps it right,
-- bulk SQL included (seeds, backfills, the tests' own inserts). What the
-- shared counter rows cost under concurrent writers: docs/performance.md.
--
-- Each (project, status) counter is split into 8 shards, a task always in the
-- same one (a hash of its id): concurrent writers in one project then mostly
-- lock different rows instead of queueing on one, and a read sums at most 32
-- small rows. A shard never goes negative (a task is counted and uncounted in
-- its own shard).
CREATE TABLE task_counts (
    project_id uuid     NOT NULL REFERENCES projects (id),
    status     text     NOT NULL,
    shard      smallint NOT NULL,
    live       bigint   NOT NULL,
    PRIMARY KEY (project_id, status, shard)
);

-- The shard of a task.
CREATE FUNCTION task_counts_shard(task uuid) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (hashtext(task::text) & 7)::smallint;

INSERT INTO task_counts (project_id, status, shard, live)
SELECT project_id, status, task_counts_shard(id), count(*)
  FROM tasks WHERE deleted_at IS NULL GROUP BY 1, 2, 3;

-- Inserts and deletes: statement level with transition tables, so a bulk
-- insert of 10,000 rows updates each counter once. Every upsert visits the
-- counters in a fixed order (ORDER BY project, status, shard): two writers moving
-- tasks in opposite directions (todo → done, done → todo) lock the same two
-- rows in the same order instead of deadlocking.
CREATE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (project_id, status, shard, live)
        SELECT project_id, status, task_counts_shard(id), count(*) FROM after_rows
         WHERE deleted_at IS NULL
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        ON CONFLICT (project_id, status, shard)
        DO UPDATE SET live = task_counts.live + EXCLUDED.live;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO task_counts (project_id, status, shard, live)
        SELECT project_id, status, task_counts_shard(id), -count(*) FROM before_rows
         WHERE deleted_at IS NULL
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
        ON CONFLICT (project_id, status, shard)
        DO UPDATE SET live = task_counts.live + EXCLUDED.live;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_counts_on_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_apply();
-- Updates: row level, and only for the rows whose counted facts change
-- (status, liveness, project). Most updates (a title, a due date, an assignee)
-- fire nothing at all: a statement-level trigger would pay for its transition
-- tables on every one of them (measured in docs/performance.md).
CREATE FUNCTION task_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (project_id, status, shard, live)
    SELECT project_id, status, task_counts_shard(NEW.id), sum(n) FROM (VALUES
        (OLD.project_id, OLD.status, CASE WHEN OLD.deleted_at IS NULL THEN -1 ELSE 0 END),
        (NEW.project_id, NEW.status, CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE 0 END)
    ) AS moved (project_id, status, n)
     GROUP BY 1, 2
    HAVING sum(n) <> 0
     ORDER BY 1, 2
    ON CONFLICT (project_id, status, shard)
    DO UPDATE SET live = task_counts.live + EXCLUDED.live;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_counts_on_update AFTER UPDATE ON tasks
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION task_counts_move();
CREATE TRIGGER task_counts_on_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS before_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_counts_apply();
