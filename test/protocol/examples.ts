// The ids and observed containers the protocol examples share, one valid example of every message
// on the terminal socket, and the leaf helpers of the sweeps. The agent socket's examples are in
// agent-examples.ts and control-examples.ts. Shared by the protocol suites; not a test itself.
import type {
  ObservedContainer,
  TerminalClientMessage,
  TerminalServerMessage,
} from '@rexec/protocol';

export const CONTAINER_ID = 'ctr_0123456789abcdef0123456789abcdef';
export const OTHER_CONTAINER_ID = 'ctr_fedcba9876543210fedcba9876543210';
export const HOST_ID = 'hst_00112233445566778899aabbccddeeff';
export const USER_ID = 'usr_ffeeddccbbaa99887766554433221100';
export const COMMAND_ID = 'cmd_7f3a9c2e4b1d';
export const AT = '2026-11-28T20:00:00.000Z';
export const EXEC_ID = 'exe_00112233445566778899aabbccddeeff';

export const RUNNING: ObservedContainer = {
  container_id: CONTAINER_ID,
  engine_id: '4f2a9c0d1e7b',
  state: 'running',
  exit_code: null,
  oom_killed: false,
  started_at: AT,
  finished_at: null,
};

export const OOM_KILLED: ObservedContainer = {
  container_id: OTHER_CONTAINER_ID,
  engine_id: 'a'.repeat(64),
  state: 'exited',
  exit_code: 137,
  oom_killed: true,
  started_at: AT,
  finished_at: '2026-11-28T20:05:00Z',
  image: 'docker.io/library/debian:bookworm',
  setup: { state: 'succeeded', step: 'apt-get install python3' },
};

export const REMOVED: ObservedContainer = {
  container_id: CONTAINER_ID,
  engine_id: null,
  state: 'missing',
  exit_code: null,
  oom_killed: false,
  started_at: null,
  finished_at: null,
};

export interface Example<M> {
  readonly message: M;
  /** Top-level fields that may be left out. */
  readonly optional: readonly string[];
}

export type Examples<M extends { type: string }, T extends string> = Record<T, Example<M>>;

export const TERMINAL_CLIENT_EXAMPLES: Examples<
  TerminalClientMessage,
  TerminalClientMessage['type']
> = {
  resize: { message: { type: 'resize', cols: 132, rows: 43 }, optional: [] },
  ping: { message: { type: 'ping' }, optional: [] },
  pause: { message: { type: 'pause' }, optional: [] },
  resume: { message: { type: 'resume' }, optional: [] },
};

export const TERMINAL_SERVER_EXAMPLES: Examples<
  TerminalServerMessage,
  TerminalServerMessage['type']
> = {
  ready: { message: { type: 'ready', session: 'build-2', resumed: true }, optional: [] },
  exit: { message: { type: 'exit', code: 0 }, optional: [] },
  error: {
    message: { type: 'error', code: 'session_lost', message: 'the agent restarted' },
    optional: [],
  },
  pong: { message: { type: 'pong' }, optional: [] },
};

/** Every string leaf of a value with its dotted path, for the oversized-string sweeps. */
export function stringLeaves(value: unknown, path: string[] = []): { path: string[] }[] {
  if (typeof value === 'string') return [{ path }];
  if (Array.isArray(value))
    return value.flatMap((item, index) => stringLeaves(item, [...path, String(index)]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => stringLeaves(item, [...path, key]));
  }
  return [];
}

/** A deep copy of `value` with the leaf at `path` replaced (or removed when `replacement` is undefined). */
export function withLeaf(value: unknown, path: readonly string[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}
