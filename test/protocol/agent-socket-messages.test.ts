// Agent-socket messages in both directions: every message type decodes, and bad ones give error
// results naming the path. Encoding goes through the same schemas and refuses invalid messages.
import t from 'tap';
import {
  decodeAgentMessage,
  decodeControlMessage,
  encodeAgentMessage,
  encodeControlMessage,
  encodeOwnControlMessage,
  MAX_AGENT_MESSAGE_BYTES,
  MAX_INVENTORY_CONTAINERS,
  ProtocolEncodeError,
  type AgentMessage,
} from '@rexec/protocol';
import { AGENT_EXAMPLES, FAILED_RESULT } from './agent-examples.js';
import { CONTROL_EXAMPLES, OTHER_COMMANDS } from './control-examples.js';
import {
  COMMAND_ID,
  CONTAINER_ID,
  OTHER_CONTAINER_ID,
  REMOVED,
  RUNNING,
  withLeaf,
} from './examples.js';
import { assertErrorAt, decodeSafely, sweepExamples } from './sweep.js';

void t.test('agent to control plane', (t) => {
  sweepExamples(t, decodeAgentMessage, AGENT_EXAMPLES, 100_000);
  t.end();
});

void t.test('control plane to agent', (t) => {
  sweepExamples(t, decodeControlMessage, CONTROL_EXAMPLES, 100_000);
  t.end();
});

void t.test('a failed command result and a remove result with a missing container decode', (t) => {
  const removed: AgentMessage = {
    type: 'AGENT_COMMAND_RESULT',
    command_id: COMMAND_ID,
    container_id: CONTAINER_ID,
    ok: true,
    container: REMOVED,
  };
  for (const message of [FAILED_RESULT, { ...FAILED_RESULT, container: RUNNING }, removed]) {
    const result = decodeAgentMessage(JSON.stringify(message));
    t.ok(result.ok, 'decoded', result.ok ? {} : { error: result.error });
  }
  t.end();
});

void t.test('start, stop and remove commands decode', (t) => {
  for (const message of OTHER_COMMANDS) {
    const result = decodeControlMessage(JSON.stringify(message));
    t.ok(result.ok, 'decoded', result.ok ? {} : { error: result.error });
    if (result.ok) t.same(result.value, message);
  }
  t.end();
});

void t.test('an unknown message type is an error naming the type field', (t) => {
  for (const decode of [decodeAgentMessage, decodeControlMessage]) {
    const result = decodeSafely(t, decode, '{"type":"AGENT_TELEPORT","seq":1}');
    assertErrorAt(t, result, 'type', 'unknown type');
    if (!result.ok) t.match(result.error.message, /"AGENT_TELEPORT"/);
    assertErrorAt(t, decodeSafely(t, decode, '{"seq":1}'), 'type', 'no type at all');
  }
  t.end();
});

void t.test('a message from the other direction is refused as an unknown type', (t) => {
  const welcome = JSON.stringify(CONTROL_EXAMPLES.CONTROL_WELCOME.message);
  assertErrorAt(t, decodeAgentMessage(welcome), 'type', 'WELCOME sent to the control plane');
  const hello = JSON.stringify(AGENT_EXAMPLES.AGENT_HELLO.message);
  assertErrorAt(t, decodeControlMessage(hello), 'type', 'HELLO sent to an agent');
  t.end();
});

void t.test('an unknown command action is an error naming command.action', (t) => {
  const message = withLeaf(CONTROL_EXAMPLES.CONTROL_COMMAND.message, ['command'], {
    action: 'explode',
  });
  assertErrorAt(t, decodeControlMessage(message), 'command.action', 'unknown action');
  t.end();
});

void t.test('nested mistakes name their full path', (t) => {
  const hello = AGENT_EXAMPLES.AGENT_HELLO.message;
  const command = CONTROL_EXAMPLES.CONTROL_COMMAND.message;
  const cases: [unknown, string, typeof decodeAgentMessage | typeof decodeControlMessage][] = [
    [
      withLeaf(hello, ['inventory', '1', 'state'], 'sleeping'),
      'inventory.1.state',
      decodeAgentMessage,
    ],
    [withLeaf(hello, ['runtime', 'kind'], 'lxc'), 'runtime.kind', decodeAgentMessage],
    [withLeaf(hello, ['capacity', 'memory_mb'], 1.5), 'capacity.memory_mb', decodeAgentMessage],
    [
      withLeaf(hello, ['capacity', 'cpu_millicores'], -1),
      'capacity.cpu_millicores',
      decodeAgentMessage,
    ],
    [
      withLeaf(hello, ['inventory', '0', 'started_at'], '2026-11-28 20:00'),
      'inventory.0.started_at',
      decodeAgentMessage,
    ],
    [withLeaf(hello, ['protocol_version'], 0), 'protocol_version', decodeAgentMessage],
    [
      withLeaf(command, ['command', 'spec', 'resources', 'memory_mb'], 0),
      'command.spec.resources.memory_mb',
      decodeControlMessage,
    ],
    [
      withLeaf(command, ['command', 'spec', 'image'], 'Not A Reference!'),
      'command.spec.image',
      decodeControlMessage,
    ],
    [
      withLeaf(command, ['command', 'spec', 'env'], { 'BAD-NAME': 'x' }),
      'command.spec.env.BAD-NAME',
      decodeControlMessage,
    ],
    [withLeaf(command, ['command_id'], 'short'), 'command_id', decodeControlMessage],
    [withLeaf(command, ['container_id'], 'ctr_123'), 'container_id', decodeControlMessage],
  ];
  for (const [message, path, decode] of cases) {
    assertErrorAt(t, decodeSafely(t, decode, JSON.stringify(message)), path, path);
  }
  t.end();
});

void t.test('a newer protocol version still decodes so it can be refused by name', (t) => {
  const hello = { ...AGENT_EXAMPLES.AGENT_HELLO.message, protocol_version: 2 };
  const result = decodeAgentMessage(JSON.stringify(hello));
  t.ok(result.ok);
  if (result.ok && result.value.type === 'AGENT_HELLO') t.equal(result.value.protocol_version, 2);
  t.end();
});

void t.test('a container listed twice in the inventory is an error at the second entry', (t) => {
  const hello = { ...AGENT_EXAMPLES.AGENT_HELLO.message, inventory: [RUNNING, REMOVED] };
  assertErrorAt(t, decodeAgentMessage(hello), 'inventory.1.container_id', 'duplicate');
  t.end();
});

void t.test('an inventory over the limit is an error naming inventory', (t) => {
  const inventory = Array.from({ length: MAX_INVENTORY_CONTAINERS + 1 }, (_, index) => ({
    ...RUNNING,
    container_id: `ctr_${index.toString(16).padStart(32, '0')}`,
  }));
  const hello = { ...AGENT_EXAMPLES.AGENT_HELLO.message, inventory };
  assertErrorAt(t, decodeAgentMessage(JSON.stringify(hello)), 'inventory', 'too many');
  t.end();
});

void t.test('ids that must agree inside one message are checked', (t) => {
  const result = {
    ...AGENT_EXAMPLES.AGENT_COMMAND_RESULT.message,
    container_id: OTHER_CONTAINER_ID,
  };
  assertErrorAt(t, decodeAgentMessage(result), 'container.container_id', 'result mismatch');
  const failed = { ...FAILED_RESULT, container: { ...RUNNING, container_id: OTHER_CONTAINER_ID } };
  assertErrorAt(t, decodeAgentMessage(failed), 'container.container_id', 'failure mismatch');
  const command = { ...CONTROL_EXAMPLES.CONTROL_COMMAND.message, container_id: OTHER_CONTAINER_ID };
  assertErrorAt(t, decodeControlMessage(command), 'command.spec.container_id', 'spec mismatch');
  t.ok(decodeControlMessage({ ...command, command: { action: 'start' } }).ok, 'start has no spec');
  t.end();
});

void t.test('a welcome whose heartbeat timeout is not longer than the interval is refused', (t) => {
  const welcome = { ...CONTROL_EXAMPLES.CONTROL_WELCOME.message, heartbeat_timeout_ms: 3000 };
  assertErrorAt(t, decodeControlMessage(welcome), 'heartbeat_timeout_ms', 'timeout = interval');
  t.end();
});

void t.test('a stop timeout over the maximum is an error naming it', (t) => {
  const stop = { ...OTHER_COMMANDS[1], command: { action: 'stop', timeout_seconds: 100_000 } };
  assertErrorAt(t, decodeControlMessage(stop), 'command.timeout_seconds', 'long stop');
  t.end();
});

void t.test('a message over the size limit is refused before parsing', (t) => {
  const padding = 'é'.repeat(MAX_AGENT_MESSAGE_BYTES / 2);
  const text = `{"type":"AGENT_GOODBYE","reason":"shutdown","pad":"${padding}"}`;
  t.ok(text.length < MAX_AGENT_MESSAGE_BYTES, 'under the limit in characters');
  const result = decodeSafely(t, decodeAgentMessage, text);
  assertErrorAt(t, result, '', 'over the limit in bytes');
  if (!result.ok) t.match(result.error.message, /over the 4194304-byte limit/);
  t.end();
});

void t.test('encoding validates through the same schemas and round-trips', (t) => {
  for (const { message } of Object.values(AGENT_EXAMPLES)) {
    const decoded = decodeAgentMessage(encodeAgentMessage(message));
    t.same(decoded.ok ? decoded.value : decoded.error, message);
  }
  for (const { message } of Object.values(CONTROL_EXAMPLES)) {
    const decoded = decodeControlMessage(encodeControlMessage(message));
    t.same(decoded.ok ? decoded.value : decoded.error, message);
  }
  t.end();
});

void t.test('the unchecked encoder writes what the checked one does, within the limit', (t) => {
  for (const { message } of Object.values(CONTROL_EXAMPLES)) {
    t.equal(encodeOwnControlMessage(message), encodeControlMessage(message), message.type);
  }
  const huge = {
    ...CONTROL_EXAMPLES.CONTROL_REFUSE.message,
    message: 'é'.repeat(MAX_AGENT_MESSAGE_BYTES / 2),
  };
  t.throws(() => encodeOwnControlMessage(huge), {
    name: 'ProtocolEncodeError',
    message: /over the 4194304-byte limit/,
  });
  t.end();
});

void t.test('encoding drops fields the schema does not know', (t) => {
  const goodbye = { type: 'AGENT_GOODBYE', reason: 'shutdown', secret: 'x' } as AgentMessage;
  t.same(JSON.parse(encodeAgentMessage(goodbye)), { type: 'AGENT_GOODBYE', reason: 'shutdown' });
  t.end();
});

void t.test('encoding an invalid message throws ProtocolEncodeError naming the path', (t) => {
  const heartbeat = { ...AGENT_EXAMPLES.AGENT_HEARTBEAT.message, seq: -1 } as AgentMessage;
  const error = t.throws(() => encodeAgentMessage(heartbeat), ProtocolEncodeError);
  t.ok(error instanceof ProtocolEncodeError && error.issues.some((i) => i.path === 'seq'));
  t.throws(
    () =>
      encodeControlMessage({
        ...CONTROL_EXAMPLES.CONTROL_TERMINAL_RESIZE.message,
        channel: 0,
      } as never),
    { name: 'ProtocolEncodeError', message: /channel/ },
  );
  t.throws(
    () => encodeAgentMessage({ type: 'AGENT_STATUS', container_id: CONTAINER_ID } as never),
    ProtocolEncodeError,
  );
  t.end();
});
