// The agent's persistent identity in REXEC_AGENT_STATE_DIR: host id, host name and credential in
// `agent-state.json`, mode 0600, written atomically (temp file, fsync, rename) so a crash never
// leaves half a credential. Obtaining the credential is enroll.ts's job.
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentEnrollResponse } from '@rexec/protocol';
import type { z } from 'zod';
import { AgentFatalError } from './errors.js';

export const STATE_FILE_NAME = 'agent-state.json';

/** What enrollment gave us: the same shape as the enroll response. */
export type AgentState = z.infer<typeof AgentEnrollResponse>;

export function stateFilePath(stateDir: string): string {
  return join(stateDir, STATE_FILE_NAME);
}

/** The stored state, or null when the agent has never enrolled. A corrupt file is fatal. */
export async function readState(stateDir: string): Promise<AgentState | null> {
  const path = stateFilePath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AgentFatalError('state_invalid', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AgentFatalError('state_invalid', `${path} is not JSON; delete it and re-enroll`, {
      cause: error,
    });
  }
  const parsed = AgentEnrollResponse.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentFatalError(
      'state_invalid',
      `${path} is invalid (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); delete it and re-enroll`,
    );
  }
  return parsed.data;
}

/** Writes the state with mode 0600 (directory 0700), replacing any earlier file atomically. */
export async function writeState(stateDir: string, state: AgentState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = stateFilePath(stateDir);
  const temp = `${path}.${process.pid}.tmp`;
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(`${JSON.stringify(state, null, 2)}\n`, 'utf8');
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temp, { force: true });
    throw error;
  }
  await file.close();
  // open()'s mode is filtered by the umask; the credential must be 0600 whatever the umask is.
  await chmod(temp, 0o600);
  await rename(temp, path);
}
