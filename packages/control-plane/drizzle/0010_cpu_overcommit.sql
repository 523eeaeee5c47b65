-- Custom SQL migration file, put your code below! --
-- CPU overcommit (REXEC_CPU_OVERCOMMIT, DESIGN §8.4): the placement functions of migrations
-- 0004/0005 with one more argument, `cpu_overcommit_percent` (400 = 4×). A host's CPU reservations
-- may reach floor(capacity × percent / 100), capped at the column's range; memory and disk stay
-- within capacity. The guards are where they were, on the locked row, so placement stays
-- race-free across replicas. The five- and thirteen-argument versions stay, unchanged: a replica
-- not yet upgraded keeps placing (without overcommit) during a rolling upgrade.
CREATE FUNCTION "rexec_reserve_host"(
  candidates text[], cpu integer, memory integer, disk integer, skip_locked boolean,
  cpu_overcommit_percent integer
) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  candidate text;
  picked text;
BEGIN
  IF candidates IS NULL THEN
    RETURN NULL;
  END IF;
  FOREACH candidate IN ARRAY candidates LOOP
    IF skip_locked THEN
      SELECT h.id INTO picked FROM hosts h
        WHERE h.id = candidate AND h.status = 'online' AND h.scheduling = 'active'
          AND h.reserved_cpu_millicores::bigint + cpu <= least(
            h.capacity_cpu_millicores::bigint * cpu_overcommit_percent / 100, 2147483647)
          AND h.reserved_memory_mb + memory <= h.capacity_memory_mb
          AND h.reserved_disk_mb + disk <= h.capacity_disk_mb
        FOR UPDATE OF h SKIP LOCKED;
    ELSE
      SELECT h.id INTO picked FROM hosts h
        WHERE h.id = candidate AND h.status = 'online' AND h.scheduling = 'active'
          AND h.reserved_cpu_millicores::bigint + cpu <= least(
            h.capacity_cpu_millicores::bigint * cpu_overcommit_percent / 100, 2147483647)
          AND h.reserved_memory_mb + memory <= h.capacity_memory_mb
          AND h.reserved_disk_mb + disk <= h.capacity_disk_mb
        FOR UPDATE OF h;
    END IF;
    IF picked IS NOT NULL THEN
      UPDATE hosts SET
          reserved_cpu_millicores = reserved_cpu_millicores + cpu,
          reserved_memory_mb = reserved_memory_mb + memory,
          reserved_disk_mb = reserved_disk_mb + disk
        WHERE id = picked
          AND reserved_cpu_millicores::bigint + cpu <= least(
            capacity_cpu_millicores::bigint * cpu_overcommit_percent / 100, 2147483647)
          AND reserved_memory_mb + memory <= capacity_memory_mb
          AND reserved_disk_mb + disk <= capacity_disk_mb
        RETURNING id INTO picked;
      IF picked IS NOT NULL THEN
        RETURN picked;
      END IF;
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION "rexec_create_container"(
  container_id text, owner_id text, container_name text, image_ref text, custom_image_ref text,
  role_name text, cpu integer, memory integer, disk integer, network integer, max_live integer,
  candidates text[], event_detail jsonb, cpu_overcommit_percent integer
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
  host := rexec_reserve_host(candidates, cpu, memory, disk, true, cpu_overcommit_percent);
  IF host IS NULL THEN
    -- Every candidate was full or being reserved on: wait for the locks and look again.
    host := rexec_reserve_host(candidates, cpu, memory, disk, false, cpu_overcommit_percent);
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
