// The one HTTP exchange before an agent's first socket: a join token traded for a per-host
// credential (POST AGENT_ENROLL_PATH, `Authorization: Bearer <join token>`). Storing the credential
// (0600) is the agent's job, minting and hashing it the control plane's (implemented in issue 4).
import { z } from 'zod';
import { HostId } from '../api/common.js';
import { HostName, VersionString } from '../fields.js';

export const AgentEnrollRequest = z.object({
  host_name: HostName,
  agent_version: VersionString,
  protocol_version: z.int().min(1).max(65_535),
});
export type AgentEnrollRequest = z.infer<typeof AgentEnrollRequest>;

/** `credential` is shown only here; the agent sends it as `Authorization: Bearer` from then on. */
export const AgentEnrollResponse = z.object({
  host_id: HostId,
  host_name: HostName,
  credential: z
    .string()
    .min(16)
    .max(256)
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be a bearer token'),
});
export type AgentEnrollResponse = z.infer<typeof AgentEnrollResponse>;
