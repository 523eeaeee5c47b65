-- Custom SQL migration file, put your code below! --
-- Moves to `running` that arrive together, one primary-key lookup each (running-batch.ts). The
-- single UPDATE … FROM unnest(…) it replaces left the join to the planner, and on a young table
-- (no statistics yet: a new install, or the first minute after a burst) the planner guessed that
-- `deleted_at IS NULL` matched two rows, so every batch read every live container through
-- containers_user_name_live_idx: 2.7 ms a statement with 2000 containers, growing with the fleet.
-- Any statement naming `deleted_at IS NULL` can take that path, so the row is found and locked by
-- its id alone, and the guards (still in the status it was read in, not deleted) are checked on
-- the locked row. Each moved row gets its own events row, as before, and comes back whole.
CREATE FUNCTION "rexec_move_to_running"(
  ids text[], froms text[], host_ids text[], started timestamptz[], expires timestamptz[],
  reasons text[], actors text[]
) RETURNS SETOF containers LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  current_status text;
  deleted timestamptz;
  moved containers;
BEGIN
  FOR i IN 1 .. coalesce(array_length(ids, 1), 0) LOOP
    SELECT status, deleted_at INTO current_status, deleted FROM containers
      WHERE id = ids[i] FOR UPDATE;
    IF FOUND AND current_status = froms[i] AND deleted IS NULL THEN
      UPDATE containers SET status = 'running', status_reason = NULL, status_detail = NULL,
          desired_status = 'running', started_at = started[i], stopped_at = NULL,
          session_expires_at = expires[i]
        WHERE id = ids[i]
        RETURNING * INTO moved;
      INSERT INTO events (type, actor_user_id, container_id, host_id, reason, detail)
        VALUES ('container.running', actors[i], ids[i], host_ids[i], reasons[i],
          jsonb_build_object('from', froms[i]));
      RETURN NEXT moved;
    END IF;
  END LOOP;
  RETURN;
END
$$;
