-- The kept task counts (migration 000006) sharded by the writing connection
-- instead of by task: 32 rows per (project, status), the writer's row chosen
-- by its backend pid, as the list generation's already are (000009).
--
-- Why: 8 shards chosen by a hash of the task meant every concurrent create
-- of one project queued on 8 rows, each upsert holding its row lock through
-- its commit's WAL flush; pgbench on the one-statement task create, 64
-- clients in one project: 1,004 tps with those shards, 1,836 with these,
-- 2,518 with no counter at all (docs/performance.md, issue 22). A
-- connection's consecutive writes reuse its own row.
--
-- The cost: a shard no longer holds only its own tasks, so one may go
-- negative (a task counted by one connection, deleted through another);
-- only the sum per (project, status) is exact, and the sum is all any read
-- uses. A list's total sums at most 32 rows per status by primary key.
CREATE FUNCTION task_counts_writer_shard() RETURNS smallint
    LANGUAGE sql VOLATILE PARALLEL SAFE
    RETURN (pg_backend_pid() & 31)::smallint;

CREATE OR REPLACE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (project_id, status, shard, live)
        SELECT project_id, status, task_counts_writer_shard(), count(*) FROM after_rows
         WHERE deleted_at IS NULL
         GROUP BY 1, 2
         ORDER BY 1, 2
        ON CONFLICT (project_id, status, shard)
        DO UPDATE SET live = task_counts.live + EXCLUDED.live;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO task_counts (project_id, status, shard, live)
        SELECT project_id, status, task_counts_writer_shard(), -count(*) FROM before_rows
         WHERE deleted_at IS NULL
         GROUP BY 1, 2
         ORDER BY 1, 2
        ON CONFLICT (project_id, status, shard)
        DO UPDATE SET live = task_counts.live + EXCLUDED.live;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION task_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_counts (project_id, status, shard, live)
    SELECT project_id, status, task_counts_writer_shard(), sum(n) FROM (VALUES
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

DROP FUNCTION task_counts_shard(uuid);
