-- A task insert or delete counts into the list generation through the
-- counter row it already upserts, instead of a second upsert into
-- `task_list_generations`.
--
-- Why: a create's statement-level triggers each upserted one row and held
-- its lock through the commit's WAL flush; with both, pgbench on the
-- one-statement create (64 clients, one project) ran at ~3,100 tps, with
-- this one upsert at ~3,900 (+25 %), with no trigger at all ~5,900
-- (docs/performance.md, issue 22). The counter row is the one row a create
-- must touch anyway.
--
-- `changes` counts every task a statement inserted or deleted into the
-- writer's counter row; it only grows. The list generation becomes the sum
-- of the project's `task_list_generations` (updates and comments still bump
-- those) plus the sum of its counters' `changes`: both sums only grow, and
-- every write grows one of them, so it still changes with every write and
-- never returns to an earlier value. It starts at 0, so the generation of
-- every project is the same number after this migration as before it.
ALTER TABLE task_counts ADD COLUMN changes bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO task_counts (project_id, status, shard, live, changes)
        SELECT project_id, status, task_counts_writer_shard(),
               count(*) FILTER (WHERE deleted_at IS NULL), count(*)
          FROM after_rows
         GROUP BY 1, 2
         ORDER BY 1, 2
        ON CONFLICT (project_id, status, shard)
        DO UPDATE SET live = task_counts.live + EXCLUDED.live,
                      changes = task_counts.changes + EXCLUDED.changes;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO task_counts (project_id, status, shard, live, changes)
        SELECT project_id, status, task_counts_writer_shard(),
               -count(*) FILTER (WHERE deleted_at IS NULL), count(*) AS deleted
          FROM before_rows
         GROUP BY 1, 2
         ORDER BY 1, 2
        ON CONFLICT (project_id, status, shard)
        DO UPDATE SET live = task_counts.live + EXCLUDED.live,
                      changes = task_counts.changes + EXCLUDED.changes;
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER task_list_on_insert ON tasks;
DROP TRIGGER task_list_on_delete ON tasks;
DROP FUNCTION task_list_bump_rows();
