-- Back to bumping a generation shard on every task update and comment write
-- (as migration 000009 created them).
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
