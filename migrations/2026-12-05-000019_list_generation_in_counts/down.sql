-- Back to a separate generation bump per insert and delete (000009). What
-- the counters' `changes` held moves into the generation shards first, so
-- every project's generation keeps its value and keeps only growing.
INSERT INTO task_list_generations (project_id, shard, generation)
SELECT project_id, 0, sum(changes) FROM task_counts GROUP BY project_id HAVING sum(changes) > 0
ON CONFLICT (project_id, shard)
DO UPDATE SET generation = task_list_generations.generation + EXCLUDED.generation;

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

ALTER TABLE task_counts DROP COLUMN changes;

CREATE FUNCTION task_list_bump_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM task_list_bump(project_id)
           FROM (SELECT DISTINCT project_id FROM after_rows ORDER BY 1) AS touched;
    ELSE
        PERFORM task_list_bump(project_id)
           FROM (SELECT DISTINCT project_id FROM before_rows ORDER BY 1) AS touched;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_list_on_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_list_bump_rows();
CREATE TRIGGER task_list_on_delete AFTER DELETE ON tasks
    REFERENCING OLD TABLE AS before_rows
    FOR EACH STATEMENT EXECUTE FUNCTION task_list_bump_rows();
