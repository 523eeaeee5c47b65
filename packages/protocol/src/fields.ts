// Bounded primitive fields shared by the agent and terminal messages: codes, ids minted by agents
// or the control plane, versions and human text. REST ids (ctr_/hst_/usr_) and timestamps come from
// ./api/common.ts so both halves of the wire agree; message shapes live in agent/ and terminal/.
import { z } from 'zod';

/** A stable machine-readable word: `oom_killed`, `session_lost`. Open sets stay open on purpose. */
export const SnakeCode = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase snake_case (a-z, 0-9, _) starting with a letter');
export type SnakeCode = z.infer<typeof SnakeCode>;

/** Opaque token-like ids minted by one side (command ids, agent instance ids, connection ids). */
export const OpaqueId = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be 8-64 characters of A-Z, a-z, 0-9, _ and -');
export type OpaqueId = z.infer<typeof OpaqueId>;

/** A software version as its tool prints it: `5.4.2`, `24.0.7+dfsg1`, `0.1.0-rc.1`. */
export const VersionString = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+_~-]*$/, 'must be a version such as 1.2.3');
export type VersionString = z.infer<typeof VersionString>;

/** A name of a host in the fleet: hostname characters, up to a DNS name's length. */
export const HostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a host name (A-Z, a-z, 0-9, ., _, -)');
export type HostName = z.infer<typeof HostName>;

/** One human sentence for logs and users. */
export const HumanMessage = z.string().max(1_024);
/** Longer diagnostic text: an engine's stderr tail, a setup script's last lines. */
export const DetailText = z.string().max(8_192);
