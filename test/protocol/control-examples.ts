// One valid example of every message the control plane sends on the agent socket (PROTOCOL.md
// §14), plus which top-level fields are optional, and the command actions not in the examples.
import type { ControlMessage, ControlMessageType } from '@rexec/protocol';
import {
  AT,
  COMMAND_ID,
  CONTAINER_ID,
  EXEC_ID,
  type Examples,
  HOST_ID,
  USER_ID,
} from './examples.js';

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
