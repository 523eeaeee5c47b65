-- Custom SQL migration file, put your code below! --
-- A create in one round trip. The steps were four statements in a transaction (BEGIN, the user
-- row lock, the guarded reserve-and-insert, COMMIT), each a round trip and most of a create's CPU.
-- In a VOLATILE plpgsql function every statement takes a fresh snapshot (READ COMMITTED), so the
-- count that follows the user row lock sees every create that held the lock before: the quota
-- stays race-free across replicas, and the whole create commits or rolls back as one statement.

-- The first of `candidates` (in their order) that is online, active and has room gets the
-- reservation; null when none does. With `skip_locked`, hosts another placement is reserving on
-- are passed over; without, it waits for their locks. The row lock makes Postgres re-check the
-- guards against the latest committed reservation, so two placements never share the same room.
CREATE FUNCTION "rexec_reserve_host"(
  candidates text[], cpu integer, memory integer, disk integer, skip_locked boolean
) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  picked text;
BEGIN
  IF skip_locked THEN
    SELECT h.id INTO picked FROM hosts h
      JOIN unnest(candidates) WITH ORDINALITY AS c(id, rank) ON c.id = h.id
      WHERE h.status = 'online' AND h.scheduling = 'active'
        AND h.reserved_cpu_millicores + cpu <= h.capacity_cpu_millicores
        AND h.reserved_memory_mb + memory <= h.capacity_memory_mb
        AND h.reserved_disk_mb + disk <= h.capacity_disk_mb
      ORDER BY c.rank LIMIT 1
      FOR UPDATE OF h SKIP LOCKED;
  ELSE
    SELECT h.id INTO picked FROM hosts h
      JOIN unnest(candidates) WITH ORDINALITY AS c(id, rank) ON c.id = h.id
      WHERE h.status = 'online' AND h.scheduling = 'active'
        AND h.reserved_cpu_millicores + cpu <= h.capacity_cpu_millicores
        AND h.reserved_memory_mb + memory <= h.capacity_memory_mb
        AND h.reserved_disk_mb + disk <= h.capacity_disk_mb
      ORDER BY c.rank LIMIT 1
      FOR UPDATE OF h;
  END IF;
  IF picked IS NULL THEN
    RETURN NULL;
  END IF;
  UPDATE hosts SET
      reserved_cpu_millicores = reserved_cpu_millicores + cpu,
      reserved_memory_mb = reserved_memory_mb + memory,
      reserved_disk_mb = reserved_disk_mb + disk
    WHERE id = picked
      AND reserved_cpu_millicores + cpu <= capacity_cpu_millicores
      AND reserved_memory_mb + memory <= capacity_memory_mb
      AND reserved_disk_mb + disk <= capacity_disk_mb
    RETURNING id INTO picked;
  RETURN picked;
END
$$;
--> statement-breakpoint
-- The user's live containers before this one (`live`), and, only when that is under `max_live`
-- and a candidate had room, the host it went to and when the row was created. The row and its
-- `container.created` event are inserted together; a name already live raises the unique
-- violation of containers_user_name_live_idx and nothing is kept.
CREATE FUNCTION "rexec_create_container"(
  container_id text, owner_id text, container_name text, image_ref text, custom_image_ref text,
  role_name text, cpu integer, memory integer, disk integer, network integer, max_live integer,
  candidates text[], event_detail jsonb
) RETURNS TABLE (live integer, placed_on text, created timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  counted integer;
  host text;
  created_at_value timestamptz;
BEGIN
  -- Serialises this user's creates on every replica; the count below runs after the lock.
  PERFORM 1 FROM users WHERE id = owner_id FOR UPDATE;
  SELECT count(*)::integer INTO counted FROM containers
    WHERE user_id = owner_id AND deleted_at IS NULL;
  IF counted >= max_live THEN
    RETURN QUERY SELECT counted, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  host := rexec_reserve_host(candidates, cpu, memory, disk, true);
  IF host IS NULL THEN
    -- Every candidate was full or being reserved on: wait for the locks and look again.
    host := rexec_reserve_host(candidates, cpu, memory, disk, false);
  END IF;
  IF host IS NULL THEN
    RETURN QUERY SELECT counted, NULL::text, NULL::timestamptz;
    RETURN;
  END IF;
  INSERT INTO containers (id, user_id, name, image, custom_image, role, desired_status, status,
      host_id, cpu_millicores, memory_mb, disk_mb, network_mbps)
    VALUES (container_id, owner_id, container_name, image_ref, custom_image_ref, role_name,
      'running', 'creating', host, cpu, memory, disk, network)
    RETURNING containers.created_at INTO created_at_value;
  INSERT INTO events (type, actor_user_id, container_id, host_id, reason, detail)
    VALUES ('container.created', owner_id, container_id, host, 'user', event_detail);
  RETURN QUERY SELECT counted, host, created_at_value;
END
$$;
