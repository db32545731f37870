-- Back to shards by task (000006): the existing rows are folded into the
-- shard their sum belongs to, then the functions restored.
CREATE FUNCTION task_counts_shard(task uuid) RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (hashtext(task::text) & 7)::smallint;

DELETE FROM task_counts;
INSERT INTO task_counts (project_id, status, shard, live)
SELECT project_id, status, task_counts_shard(id), count(*)
  FROM tasks WHERE deleted_at IS NULL GROUP BY 1, 2, 3;

CREATE OR REPLACE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION task_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
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

DROP FUNCTION task_counts_writer_shard();
