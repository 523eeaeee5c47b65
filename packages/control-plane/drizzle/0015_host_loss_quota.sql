-- Issue 15: a container whose host was lost (unreachable for REXEC_HOST_LOST_AFTER_HOURS) or
-- removed (DELETE /hosts/:id) is `error` with reason host_lost/host_removed and no longer counts
-- against its owner's container limit: rexec_create_container of migration 0013, same arguments,
-- with that one condition added to the count. A host_lost container that comes back when its host
-- says HELLO again counts again (it may leave its owner over the limit until one is deleted).
CREATE OR REPLACE FUNCTION "rexec_create_container"(
  container_id text, owner_id text, container_name text, image_ref text, custom_image_ref text,
  role_name text, cpu integer, memory integer, disk integer, network integer, max_live integer,
  candidates text[], event_detail jsonb, cpu_overcommit_percent integer, egress text
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
    WHERE user_id = owner_id AND deleted_at IS NULL
      AND NOT (status = 'error' AND coalesce(status_reason, '') IN ('host_lost', 'host_removed'));
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
      host_id, cpu_millicores, memory_mb, disk_mb, network_mbps, network_egress)
    VALUES (container_id, owner_id, container_name, image_ref, custom_image_ref, role_name,
      'running', 'creating', host, cpu, memory, disk, network, egress)
    RETURNING containers.created_at INTO created_at_value;
  INSERT INTO events (type, actor_user_id, container_id, host_id, reason, detail)
    VALUES ('container.created', owner_id, container_id, host, 'user', event_detail);
  RETURN QUERY SELECT counted, host, created_at_value;
END
$$;
