-- The task list's cache generation: a number that changes, in the writer's
-- own transaction, whenever anything a task list shows changes (a task is
-- created, updated, deleted or moved; a comment is added or removed, since
-- lists show comment counts). The list's authorization query returns it, and
-- the cache key contains it: once a write has committed, every later read
-- computes a new key, so no replica can read the list as it was before the
-- write — whatever old entries survive in Redis, and whenever a slow reader's
-- fill lands. Stale entries are never read again and expire by TTL.
--
-- Split into 32 shards per project, chosen by the writing *connection*
-- (backend pid), not by the task: concurrent writers in one project then
-- bump different rows instead of queueing on one row lock until each
-- other's commit, and one connection's consecutive writes reuse its row. The
-- generation is the sum of a project's shards: it only grows, and any write
-- changes it. Measured cost: docs/performance.md (scripts/bench-writers.sh).
CREATE TABLE task_list_generations (
    project_id uuid     NOT NULL REFERENCES projects (id),
    shard      smallint NOT NULL,
    generation bigint   NOT NULL,
    PRIMARY KEY (project_id, shard)
);

CREATE FUNCTION task_list_shard() RETURNS smallint
    LANGUAGE sql VOLATILE PARALLEL SAFE
    RETURN (pg_backend_pid() & 31)::smallint;

CREATE FUNCTION task_list_bump(project uuid) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO task_list_generations (project_id, shard, generation)
    VALUES (project, task_list_shard(), 1)
    ON CONFLICT (project_id, shard)
    DO UPDATE SET generation = task_list_generations.generation + 1;
$$;

-- Inserts and deletes of tasks: once per statement and project, projects
-- in a fixed order (two bulk writers cannot deadlock on each other's rows).
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

-- Every update of a task changes what a list shows (at least its version
-- and updated_at), in its project and, if it moved, in the one it left.
CREATE FUNCTION task_list_bump_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM task_list_bump(NEW.project_id);
    IF OLD.project_id IS DISTINCT FROM NEW.project_id THEN
        PERFORM task_list_bump(OLD.project_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_list_on_update AFTER UPDATE ON tasks
    FOR EACH ROW EXECUTE FUNCTION task_list_bump_update();

-- Comments: lists show each task's live comment count.
CREATE FUNCTION task_list_bump_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed comments%ROWTYPE;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    PERFORM task_list_bump(t.project_id) FROM tasks t WHERE t.id = changed.task_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_list_on_comment AFTER INSERT OR DELETE OR UPDATE OF deleted_at ON comments
    FOR EACH ROW EXECUTE FUNCTION task_list_bump_comment();
