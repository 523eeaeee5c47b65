// One valid example of every message on the agent socket and the terminal socket, plus which of
// each message's top-level fields are optional. Shared by the protocol suites; not a test itself.
import type {
  AgentMessage,
  AgentMessageType,
  ControlMessage,
  ControlMessageType,
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

type Examples<M extends { type: string }, T extends string> = Record<T, Example<M>>;

export const AGENT_EXAMPLES: Examples<AgentMessage, AgentMessageType> = {
  AGENT_HELLO: {
    message: {
      type: 'AGENT_HELLO',
      protocol_version: 1,
      agent_version: '0.1.0',
      instance_id: 'inst_5b0e41c2a9',
      host_name: 'worker-1.example',
      runtime: {
        kind: 'podman',
        version: '4.3.1',
        storage_driver: 'overlay',
        disk_enforcement: 'monitor',
        network_shaping: true,
      },
      capacity: { cpu_millicores: 2000, memory_mb: 3900, disk_mb: 40_000 },
      inventory: [RUNNING, OOM_KILLED],
      capabilities: ['terminal', 'role_setup'],
      platform: { os: 'Debian GNU/Linux 12', arch: 'x64', kernel: '6.1.0-27-amd64' },
    },
    optional: ['capabilities', 'platform'],
  },
  AGENT_HEARTBEAT: {
    message: {
      type: 'AGENT_HEARTBEAT',
      seq: 41,
      usage: { cpu_millicores: 350, memory_mb: 1200, disk_mb: 15_000 },
      containers: [
        { container_id: CONTAINER_ID, cpu_millicores: 120, memory_mb: 64, pids: 3 },
        {
          container_id: OTHER_CONTAINER_ID,
          cpu_millicores: 0,
          memory_mb: 0,
          disk_mb: 12,
          network_rx_bytes: 10_000_000_000,
          network_tx_bytes: 0,
        },
      ],
    },
    optional: ['containers'],
  },
  AGENT_COMMAND_RESULT: {
    message: {
      type: 'AGENT_COMMAND_RESULT',
      command_id: COMMAND_ID,
      container_id: CONTAINER_ID,
      ok: true,
      container: RUNNING,
      replayed: true,
    },
    optional: ['replayed'],
  },
  AGENT_CONTAINER_STATUS: {
    message: {
      type: 'AGENT_CONTAINER_STATUS',
      container: OOM_KILLED,
      reason: 'oom_killed',
      detail: 'memory limit 16 MiB reached',
      at: AT,
    },
    optional: ['detail'],
  },
  AGENT_INVENTORY: {
    message: { type: 'AGENT_INVENTORY', query_id: 'inv_0a1b2c3d4e5f', inventory: [RUNNING] },
    optional: [],
  },
  AGENT_GOODBYE: {
    message: { type: 'AGENT_GOODBYE', reason: 'shutdown', message: 'SIGTERM received' },
    optional: ['message'],
  },
  AGENT_TERMINAL_OPENED: {
    message: {
      type: 'AGENT_TERMINAL_OPENED',
      channel: 7,
      session: 'main',
      resumed: false,
      input_window_bytes: 262_144,
    },
    optional: [],
  },
  AGENT_TERMINAL_EXIT: {
    message: { type: 'AGENT_TERMINAL_EXIT', channel: 7, exit_code: 130 },
    optional: [],
  },
  AGENT_TERMINAL_ERROR: {
    message: {
      type: 'AGENT_TERMINAL_ERROR',
      channel: 7,
      code: 'too_many_sessions',
      message: 'this container already has 8 shells',
    },
    optional: [],
  },
  AGENT_TERMINAL_CREDIT: {
    message: { type: 'AGENT_TERMINAL_CREDIT', channel: 4_294_967_295, bytes: 4096 },
    optional: [],
  },
  AGENT_EXEC_STARTED: {
    message: {
      type: 'AGENT_EXEC_STARTED',
      channel: 3,
      exec_id: EXEC_ID,
      started_at: AT,
      input_window_bytes: 262_144,
    },
    optional: [],
  },
  AGENT_EXEC_CREDIT: {
    message: { type: 'AGENT_EXEC_CREDIT', channel: 3, bytes: 1024 },
    optional: [],
  },
  AGENT_EXEC_EXIT: {
    message: {
      type: 'AGENT_EXEC_EXIT',
      channel: 3,
      exec_id: EXEC_ID,
      exit_code: null,
      timed_out: true,
      stdout_bytes: 2_000_000,
      stderr_bytes: 0,
      started_at: AT,
      ended_at: '2026-11-28T20:01:00.000Z',
    },
    optional: [],
  },
  AGENT_EXEC_ERROR: {
    message: {
      type: 'AGENT_EXEC_ERROR',
      channel: 3,
      code: 'too_many_execs',
      message: 'the container already runs 16 commands',
    },
    optional: [],
  },
  AGENT_EXEC_ATTACHED: {
    message: {
      type: 'AGENT_EXEC_ATTACHED',
      channel: 4,
      exec_id: EXEC_ID,
      offset: 4096,
      truncated_before: 4096,
      input_window_bytes: 262_144,
    },
    optional: ['truncated_before'],
  },
  AGENT_EXEC_STATUS: {
    message: {
      type: 'AGENT_EXEC_STATUS',
      channel: 5,
      exec_id: EXEC_ID,
      status: 'exited',
      exit_code: 0,
      timed_out: false,
      output_bytes: 12,
      started_at: AT,
      ended_at: '2026-11-28T20:01:00.000Z',
    },
    optional: [],
  },
  AGENT_FILE_READY: {
    message: {
      type: 'AGENT_FILE_READY',
      channel: 4,
      entry: { name: 'big.bin', type: 'file', size: 1024, mode: '0644', modified_at: AT },
      input_window_bytes: 4_194_304,
    },
    optional: ['entry', 'input_window_bytes'],
  },
  AGENT_FILE_CREDIT: {
    message: { type: 'AGENT_FILE_CREDIT', channel: 4, bytes: 524_288 },
    optional: [],
  },
  AGENT_FILE_DONE: {
    message: {
      type: 'AGENT_FILE_DONE',
      channel: 4,
      entry: {
        name: 'l',
        type: 'symlink',
        size: 4,
        mode: '0777',
        modified_at: AT,
        link_target: '/etc',
      },
      entries: [],
      truncated: false,
      files: 3,
      bytes: 1024,
    },
    optional: ['entry', 'entries', 'truncated', 'files', 'bytes'],
  },
  AGENT_FILE_ERROR: {
    message: { type: 'AGENT_FILE_ERROR', channel: 4, code: 'path_not_found', message: 'no /x' },
    optional: [],
  },
};

/** A failed command result, the other branch of AGENT_COMMAND_RESULT. */
export const FAILED_RESULT: AgentMessage = {
  type: 'AGENT_COMMAND_RESULT',
  command_id: COMMAND_ID,
  container_id: CONTAINER_ID,
  ok: false,
  error: {
    code: 'image_missing',
    message: 'image localhost/nope:latest is not on this host',
    detail: 'Error: localhost/nope:latest: image not known',
  },
};

export const CONTROL_EXAMPLES: Examples<ControlMessage, ControlMessageType> = {
  CONTROL_WELCOME: {
    message: {
      type: 'CONTROL_WELCOME',
      protocol_version: 1,
      host_id: HOST_ID,
      host_name: 'worker-1.example',
      connection_id: 'conn_8d1f0a77',
      heartbeat_interval_ms: 3000,
      heartbeat_timeout_ms: 9000,
      server_time: AT,
      capabilities: ['result_ack', 'inventory'],
    },
    optional: ['capabilities'],
  },
  CONTROL_RESULT_ACK: {
    message: { type: 'CONTROL_RESULT_ACK', command_id: COMMAND_ID },
    optional: [],
  },
  CONTROL_INVENTORY_QUERY: {
    message: { type: 'CONTROL_INVENTORY_QUERY', query_id: 'inv_0a1b2c3d4e5f' },
    optional: [],
  },
  CONTROL_HEARTBEAT_ACK: {
    message: { type: 'CONTROL_HEARTBEAT_ACK', seq: 41, server_time: AT },
    optional: [],
  },
  CONTROL_COMMAND: {
    message: {
      type: 'CONTROL_COMMAND',
      command_id: COMMAND_ID,
      container_id: CONTAINER_ID,
      command: {
        action: 'create',
        spec: {
          container_id: CONTAINER_ID,
          name: 'swift-tiger-42',
          image: 'localhost/rexec-test/busybox:latest',
          user_id: USER_ID,
          role: 'barebone',
          resources: { cpu_millicores: 500, memory_mb: 256, disk_mb: 1024, network_mbps: 10 },
          pids_limit: 256,
          env: { LANG: 'C.UTF-8' },
          setup_script: 'set -eu\napk add --no-cache git\n',
        },
      },
    },
    optional: [],
  },
  CONTROL_REFUSE: {
    message: {
      type: 'CONTROL_REFUSE',
      code: 'unsupported_protocol_version',
      message: 'this control plane speaks protocol versions 1; the agent sent 2',
      supported_protocol_versions: [1],
    },
    optional: ['supported_protocol_versions'],
  },
  CONTROL_TERMINAL_OPEN: {
    message: {
      type: 'CONTROL_TERMINAL_OPEN',
      channel: 7,
      container_id: CONTAINER_ID,
      session: 'main',
      cols: 120,
      rows: 40,
      shell: '/bin/bash',
      output_window_bytes: 262_144,
    },
    optional: ['shell'],
  },
  CONTROL_TERMINAL_RESIZE: {
    message: { type: 'CONTROL_TERMINAL_RESIZE', channel: 7, cols: 200, rows: 50 },
    optional: [],
  },
  CONTROL_TERMINAL_CLOSE: {
    message: { type: 'CONTROL_TERMINAL_CLOSE', channel: 7, mode: 'detach' },
    optional: [],
  },
  CONTROL_TERMINAL_CREDIT: {
    message: { type: 'CONTROL_TERMINAL_CREDIT', channel: 7, bytes: 65_536 },
    optional: [],
  },
  CONTROL_EXEC_START: {
    message: {
      type: 'CONTROL_EXEC_START',
      channel: 3,
      exec_id: EXEC_ID,
      container_id: CONTAINER_ID,
      argv: ['/bin/sh', '-c', 'make test'],
      cwd: '/home/user/project',
      env: { CI: '1' },
      user: '1000:1000',
      stdin: true,
      timeout_ms: 60_000,
      output_limit_bytes: 1_048_576,
      output_window_bytes: 262_144,
      max_per_container: 16,
      background: { buffer_bytes: 1_048_576, grace_ms: 300_000 },
    },
    optional: ['cwd', 'env', 'user', 'background'],
  },
  CONTROL_EXEC_SIGNAL: {
    message: { type: 'CONTROL_EXEC_SIGNAL', channel: 3, signal: 'TERM' },
    optional: [],
  },
  CONTROL_EXEC_STDIN_EOF: {
    message: { type: 'CONTROL_EXEC_STDIN_EOF', channel: 3 },
    optional: [],
  },
  CONTROL_EXEC_CREDIT: {
    message: { type: 'CONTROL_EXEC_CREDIT', channel: 3, bytes: 65_536 },
    optional: [],
  },
  CONTROL_EXEC_ATTACH: {
    message: {
      type: 'CONTROL_EXEC_ATTACH',
      channel: 4,
      exec_id: EXEC_ID,
      container_id: CONTAINER_ID,
      offset: 0,
      output_window_bytes: 262_144,
    },
    optional: [],
  },
  CONTROL_EXEC_DETACH: {
    message: { type: 'CONTROL_EXEC_DETACH', channel: 4 },
    optional: [],
  },
  CONTROL_EXEC_QUERY: {
    message: {
      type: 'CONTROL_EXEC_QUERY',
      channel: 5,
      exec_id: EXEC_ID,
      container_id: CONTAINER_ID,
      signal: 'KILL',
    },
    optional: ['signal'],
  },
  CONTROL_FILE_OPEN: {
    message: {
      type: 'CONTROL_FILE_OPEN',
      channel: 4,
      container_id: CONTAINER_ID,
      op: { kind: 'read', path: '/root/big.bin', range: { start: 0, end: 99 } },
      output_window_bytes: 4_194_304,
    },
    optional: [],
  },
  CONTROL_FILE_EOF: { message: { type: 'CONTROL_FILE_EOF', channel: 4 }, optional: [] },
  CONTROL_FILE_CANCEL: { message: { type: 'CONTROL_FILE_CANCEL', channel: 4 }, optional: [] },
  CONTROL_FILE_CREDIT: {
    message: { type: 'CONTROL_FILE_CREDIT', channel: 4, bytes: 65_536 },
    optional: [],
  },
};

/** The other command actions, each inside a complete CONTROL_COMMAND. */
export const OTHER_COMMANDS: readonly ControlMessage[] = [
  {
    type: 'CONTROL_COMMAND',
    command_id: COMMAND_ID,
    container_id: CONTAINER_ID,
    command: { action: 'start' },
  },
  {
    type: 'CONTROL_COMMAND',
    command_id: COMMAND_ID,
    container_id: CONTAINER_ID,
    command: { action: 'stop', timeout_seconds: 10 },
  },
  {
    type: 'CONTROL_COMMAND',
    command_id: COMMAND_ID,
    container_id: CONTAINER_ID,
    command: { action: 'remove', remove_volume: true },
  },
];

export const TERMINAL_CLIENT_EXAMPLES: Examples<
  TerminalClientMessage,
  TerminalClientMessage['type']
> = {
  resize: { message: { type: 'resize', cols: 132, rows: 43 }, optional: [] },
  ping: { message: { type: 'ping' }, optional: [] },
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
