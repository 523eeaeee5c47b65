// One valid example of every message an agent sends on its socket (PROTOCOL.md §14), plus which
// top-level fields are optional, and the failed branch of a command result. Not a test itself.
import type { AgentMessage, AgentMessageType } from '@rexec/protocol';
import {
  AT,
  COMMAND_ID,
  CONTAINER_ID,
  EXEC_ID,
  type Examples,
  OOM_KILLED,
  OTHER_CONTAINER_ID,
  RUNNING,
} from './examples.js';

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
