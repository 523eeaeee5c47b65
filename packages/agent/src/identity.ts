// The host's identity at start-up: the credential stored in the state dir, or, on first contact,
// one obtained with REXEC_JOIN_TOKEN and stored (0600) before any socket is dialled (PROTOCOL.md
// §2). Enrollment's HTTP and the file format are enroll.ts's and state.ts's.
import type { Logger } from 'pino';
import type { AgentConfig } from './config.js';
import { enroll } from './enroll.js';
import { AgentFatalError } from './errors.js';
import { readState, stateFilePath, writeState } from './state.js';
import type { AgentState } from './state.js';

export async function loadIdentity(
  config: AgentConfig,
  log: Logger,
  signal?: AbortSignal,
): Promise<AgentState> {
  const stored = await readState(config.stateDir);
  if (stored !== null) {
    if (stored.host_name !== config.hostName) {
      log.warn(
        { stored: stored.host_name, configured: config.hostName },
        'REXEC_HOST_NAME differs from the name this host enrolled with; the control plane decides',
      );
    }
    return stored;
  }
  if (config.joinToken === undefined) {
    throw new AgentFatalError(
      'no_credential',
      `no host credential in ${stateFilePath(config.stateDir)} and REXEC_JOIN_TOKEN is not set; ` +
        'create a join token (POST /api/v1/hosts/join-tokens) and start the agent with it',
    );
  }
  const state = await enroll({
    urls: config.urls,
    joinToken: config.joinToken,
    hostName: config.hostName,
    log,
    ...(signal === undefined ? {} : { signal }),
  });
  await writeState(config.stateDir, state);
  log.info(
    {
      host_id: state.host_id,
      host_name: state.host_name,
      state_file: stateFilePath(config.stateDir),
    },
    'enrolled; credential stored',
  );
  return state;
}
