// A scripted agent for the hub and lifecycle suites: a real `ws` client speaking PROTOCOL.md
// through the protocol package's encoders and decoders. The real agent (packages/agent) exists and
// the e2e suites run it; this peer stays for what a real agent will not do on cue: protocol
// violations, exact message order, lost or late answers, and inventories no engine would produce,
// so these suites pin the control plane's side of the contract with exact, scripted messages.
import {
  AGENT_CONNECT_PATH,
  AGENT_SUBPROTOCOL,
  decodeChannelFrame,
  decodeControlMessage,
  encodeChannelFrame,
  encodeAgentMessage,
  type AgentCommandResult,
  type AgentHeartbeat,
  type AgentHello,
  type AgentMessage,
  type ControlCommand,
  type ControlMessage,
  type ControlWelcome,
  type ObservedContainer,
} from '@rexec/protocol';
import WebSocket from 'ws';

export type Control<T extends ControlMessage['type']> = Extract<ControlMessage, { type: T }>;

export interface Closed {
  code: number;
  reason: string;
}

export interface HelloOptions {
  inventory?: ObservedContainer[];
  protocolVersion?: number;
  hostName?: string;
  capacity?: AgentHello['capacity'];
  measuredCapacity?: AgentHello['capacity'];
  runtime?: AgentHello['runtime'];
  /** What the peer announces (`result_ack`, `inventory`, …); none when omitted. */
  capabilities?: string[];
}

/** A refused upgrade: the HTTP status and JSON body the server answered with. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`upgrade refused with HTTP ${status}`);
  }
}

export class AgentPeer {
  readonly received: ControlMessage[] = [];
  /** Terminal input per channel, concatenated in arrival order. */
  readonly input = new Map<number, Buffer>();
  /** Size of every binary frame received, to check chunking. */
  readonly inputFrameBytes: number[] = [];
  readonly closed: Promise<Closed>;
  #waiters: (() => void)[] = [];
  #handler: ((message: ControlMessage) => void) | undefined;
  #trusting = false;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeChannelFrame(data as Buffer);
        if (!frame.ok) throw new Error(`control plane sent a bad frame: ${frame.error.message}`);
        const { channel, payload } = frame.value;
        this.inputFrameBytes.push(payload.byteLength);
        this.input.set(
          channel,
          Buffer.concat([this.input.get(channel) ?? Buffer.alloc(0), payload]),
        );
        for (const wake of this.#waiters.splice(0)) wake();
        return;
      }
      if (this.#handler !== undefined && this.#trusting) {
        this.#handler(JSON.parse((data as Buffer).toString('utf8')) as ControlMessage);
        return;
      }
      const decoded = decodeControlMessage(Buffer.from(data as Buffer));
      if (!decoded.ok)
        throw new Error(`control plane sent an invalid message: ${decoded.error.message}`);
      if (this.#handler !== undefined) {
        this.#handler(decoded.value);
        return;
      }
      this.received.push(decoded.value);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /**
   * From now on every decoded control message goes to `handler` instead of `received` (which then
   * stays empty, so next() and command() wait in vain): for long runs such as the placement
   * benchmark, where keeping every message would only grow and decoding twice would cost. With
   * `trust`, messages are only JSON-parsed, not checked against the schemas: the benchmark's
   * simulated agents stand in for agents on other machines, whose checking costs this one nothing.
   */
  handOver(handler: (message: ControlMessage) => void, options: { trust?: boolean } = {}): void {
    this.#handler = handler;
    this.#trusting = options.trust === true;
  }

  /** Opens the socket; rejects with UpgradeRefused when the server answers HTTP instead. */
  static connect(baseUrl: string, credential: string | undefined): Promise<AgentPeer> {
    const url = `${baseUrl.replace(/^http/, 'ws')}${AGENT_CONNECT_PATH}`;
    const headers = credential === undefined ? {} : { authorization: `Bearer ${credential}` };
    const ws = new WebSocket(url, [AGENT_SUBPROTOCOL], { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new AgentPeer(ws)));
      ws.once('unexpected-response', (_request, response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => {
          reject(
            new UpgradeRefused(
              response.statusCode ?? 0,
              text === '' ? undefined : JSON.parse(text),
            ),
          );
        });
      });
      ws.once('error', reject);
    });
  }

  send(message: AgentMessage): void {
    this.ws.send(encodeAgentMessage(message));
  }

  /** Terminal output on `channel` as one binary frame. */
  sendData(channel: number, payload: Uint8Array): void {
    this.ws.send(encodeChannelFrame(channel, payload), { binary: true });
  }

  /** Waits until the input received on `channel` satisfies `done`. */
  async inputUntil(
    channel: number,
    done: (input: Buffer) => boolean,
    timeoutMs = 5_000,
  ): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const input = this.input.get(channel) ?? Buffer.alloc(0);
      if (done(input)) return input;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`input on channel ${channel} not as expected: ${input.length} bytes`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** The first received message of `type` matching `match` not yet taken, waiting for it. */
  async next<T extends ControlMessage['type']>(
    type: T,
    match: (message: Control<T>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<Control<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((m) => m.type === type && match(m as Control<T>));
      if (index >= 0) return this.received.splice(index, 1)[0] as Control<T>;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async hello(options: HelloOptions = {}): Promise<ControlWelcome> {
    this.send(helloMessage(options));
    return this.next('CONTROL_WELCOME');
  }

  /** `containers` is the per-container usage; omitted, the heartbeat carries none. */
  heartbeat(seq: number, containers?: AgentHeartbeat['containers']): void {
    this.send({
      type: 'AGENT_HEARTBEAT',
      seq,
      usage: { cpu_millicores: 100, memory_mb: 512, disk_mb: 1024 },
      ...(containers === undefined ? {} : { containers }),
    });
  }

  command(match: (message: ControlCommand) => boolean = () => true, timeoutMs?: number) {
    return this.next('CONTROL_COMMAND', match, timeoutMs);
  }

  /** Answers `command` with success and the container in `state`. */
  succeed(command: ControlCommand, state: ObservedContainer['state']): void {
    this.send(okResult(command, state));
  }

  /** Sends a heartbeat every `intervalMs` until the socket closes, as a live agent does. */
  keepAlive(intervalMs = 1_000): void {
    let seq = 0;
    const timer = setInterval(() => {
      if (this.ws.readyState === WebSocket.OPEN) this.heartbeat(seq++);
    }, intervalMs);
    void this.closed.then(() => clearInterval(timer));
  }

  close(code = 4000): Promise<Closed> {
    this.ws.close(code);
    return this.closed;
  }
}

export function helloMessage(options: HelloOptions = {}): AgentHello {
  return {
    type: 'AGENT_HELLO',
    protocol_version: options.protocolVersion ?? 1,
    agent_version: '0.1.0',
    instance_id: `inst_${Math.random().toString(36).slice(2, 12)}`,
    host_name: options.hostName ?? 'peer-host',
    runtime: options.runtime ?? {
      kind: 'podman',
      version: '4.3.1',
      disk_enforcement: 'none',
      network_shaping: false,
      // As a root agent whose host guard is in place; otherwise nothing would be placed on it.
      network_isolation: true,
    },
    capacity: options.capacity ?? {
      cpu_millicores: 64_000,
      memory_mb: 131_072,
      disk_mb: 1_048_576,
    },
    ...(options.measuredCapacity === undefined
      ? {}
      : { measured_capacity: options.measuredCapacity }),
    inventory: options.inventory ?? [],
    ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
  };
}

export function observed(
  containerId: string,
  state: ObservedContainer['state'],
): ObservedContainer {
  const present = state !== 'missing';
  return {
    container_id: containerId,
    engine_id: present ? 'abcdef0123456789' : null,
    state,
    exit_code: state === 'exited' ? 137 : null,
    oom_killed: false,
    started_at: present ? new Date().toISOString() : null,
    finished_at: state === 'exited' ? new Date().toISOString() : null,
  };
}

export function okResult(
  command: ControlCommand,
  state: ObservedContainer['state'],
): AgentCommandResult {
  return {
    type: 'AGENT_COMMAND_RESULT',
    command_id: command.command_id,
    container_id: command.container_id,
    ok: true,
    container: observed(command.container_id, state),
  };
}
