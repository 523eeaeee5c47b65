// Host REST bodies (admin): fleet members, their capacity and reservations, and join tokens.
// Connectivity (`status`) is observed by the agent hub; `scheduling` is set by admins, except
// `unhealthy`, which the control plane sets while the host's agent reports a failed required check.
import { z } from 'zod';
import { HostHealth, HostStorage } from '../agent/host-values.js';
import { HostId, HostResources, idSchema, Timestamp } from './common.js';

export const HostStatus = z.enum(['online', 'unreachable']);
export type HostStatus = z.infer<typeof HostStatus>;

/** `pending`: joined under REXEC_HOST_APPROVAL=manual, gets no work until `POST /hosts/:id/approve`. */
export const HostScheduling = z.enum(['active', 'cordoned', 'draining', 'unhealthy', 'pending']);
export type HostScheduling = z.infer<typeof HostScheduling>;

/**
 * A labelled container the host runs that the database does not know (say, after a restore from
 * a backup): stopped and kept with its volumes, never removed, until an admin decides.
 */
export const QuarantinedContainer = z.object({
  container_id: z.string().max(128),
  /** The engine state at the host's last HELLO. */
  state: z.string().max(32),
  found_at: Timestamp,
});
export type QuarantinedContainer = z.infer<typeof QuarantinedContainer>;

export const Host = z.object({
  id: HostId,
  name: z.string().max(255),
  status: HostStatus,
  scheduling: HostScheduling,
  /** What the agent reports as allocatable. */
  capacity: HostResources,
  /**
   * What placements may reserve: CPU is capacity × the control plane's REXEC_CPU_OVERCOMMIT,
   * memory and disk are capacity. Optional only because it was added within v1.
   */
  schedulable: HostResources.optional(),
  reserved: HostResources,
  runtime: z.object({ kind: z.string().max(32), version: z.string().max(128) }).optional(),
  /** How this host enforces the limits the scheduler cannot: as its agent last reported. */
  enforcement: z
    .object({
      /** `storage_opt`: a hard quota from the storage driver; `monitor`: measured and stopped. */
      disk: z.enum(['storage_opt', 'monitor', 'none']),
      disk_check_seconds: z.int().positive().optional(),
      network_shaping: z.boolean(),
      network_isolation: z.boolean(),
      detail: z.string().max(500).optional(),
      /** Whether containers run in a user namespace (see the host's `user_namespaces`). */
      user_namespaces: z.boolean().optional(),
      /** The id range used, or what the operator must configure to turn them on. */
      user_namespaces_detail: z.string().max(500).optional(),
    })
    .optional(),
  /**
   * Whether the agent keeps containers off the host, its LAN and other users (the host guard).
   * False (fail closed): the scheduler places nothing here unless `trusted`. Optional only
   * because it was added within v1: this server always sends it.
   */
  network_isolation: z.boolean().optional(),
  /** An admin accepted the host without network isolation (POST /hosts/:id/trust). */
  trusted: z.boolean().optional(),
  /**
   * Whether containers run in a user namespace, so uid 0 inside is an unprivileged uid on the
   * host; false also for an agent that never said. Optional only because it was added within v1.
   */
  user_namespaces: z.boolean().optional(),
  /**
   * Free space in the engine's storage as the agent last reported it; `low` (under the agent's
   * REXEC_MIN_FREE_DISK_MB) keeps new containers off the host. Absent until reported.
   */
  storage: HostStorage.optional(),
  agent_version: z.string().max(64).optional(),
  /** The agent's checks of its host at its last HELLO (`rexec-agent doctor` makes the same). */
  health: HostHealth.optional(),
  last_seen_at: Timestamp.optional(),
  /** Unknown labelled containers found at the last HELLO (stopped, kept); absent when none. */
  quarantined: z.array(QuarantinedContainer).optional(),
  created_at: Timestamp,
});
export type Host = z.infer<typeof Host>;

export const HostList = z.object({ hosts: z.array(Host) });
export type HostList = z.infer<typeof HostList>;

export const JOIN_TOKEN_DEFAULT_SECONDS = 3600;
export const JOIN_TOKEN_MAX_SECONDS = 30 * 24 * 3600;

export const JoinTokenCreate = z.strictObject({
  expires_in_seconds: z.int().min(60).max(JOIN_TOKEN_MAX_SECONDS).optional(),
});
export type JoinTokenCreate = z.infer<typeof JoinTokenCreate>;

/**
 * `token` goes into the agent's `REXEC_JOIN_TOKEN`; it is shown only here. `id` names it in
 * `GET /hosts/join-tokens` and `DELETE /hosts/join-tokens/:id` (optional only because it was
 * added within v1).
 */
export const JoinTokenCreated = z.object({
  id: z.string().max(64).optional(),
  token: z.string().max(128),
  expires_at: Timestamp,
});
export type JoinTokenCreated = z.infer<typeof JoinTokenCreated>;

export const JoinTokenId = idSchema('jtk');

/** A join token without its secret: `active` until used (once) or past `expires_at`. */
export const JoinToken = z.object({
  id: z.string().max(64),
  status: z.enum(['active', 'used', 'expired']),
  expires_at: Timestamp,
  used_at: Timestamp.optional(),
  created_by: z.string().max(64).optional(),
  created_at: Timestamp,
});
export type JoinToken = z.infer<typeof JoinToken>;

export const JoinTokenList = z.object({ join_tokens: z.array(JoinToken) });
export type JoinTokenList = z.infer<typeof JoinTokenList>;

/** Admin `POST /hosts/:id/trust`: `{trusted: false}` takes the trust back; no body trusts. */
export const HostTrust = z.strictObject({ trusted: z.boolean().default(true) });
export type HostTrust = z.infer<typeof HostTrust>;

const HostRemoveFlag = z.enum(['true', 'false']).transform((value) => value === 'true');

/** Admin `DELETE /hosts/:id` query: `force` removes an online host; `delete_containers` its containers. */
export const HostRemoveQuery = z.strictObject({
  force: HostRemoveFlag.optional(),
  delete_containers: HostRemoveFlag.optional(),
});
export type HostRemoveQuery = z.infer<typeof HostRemoveQuery>;
