// Fixtures of the relay suite: a container the scripted agent peer "runs" (created through the
// REST API, confirmed by a fake create result), a terminal opened through the relay with the peer's
// side of the channel, and a pump that moves the peer's output within the credit it is granted.
import { Container, TERMINAL_WINDOW_BYTES } from '@rexec/protocol';
import { call } from '../http/server.js';
import type { AgentPeer } from '../hub/agent-peer.js';
import { type Control } from '../hub/agent-peer.js';
import { eventually, type HubServer } from '../hub/hub-server.js';
import { TerminalClient } from './terminal-client.js';

const body = { image: 'alpine:latest', resources: { cpu_millicores: 250, memory_mb: 128 } };

export async function runningContainer(
  server: HubServer,
  peer: AgentPeer,
  token: string,
  name?: string,
) {
  const created = await call(server, 'POST', '/api/v1/containers', {
    token,
    json: name === undefined ? body : { ...body, name },
  });
  const id = Container.parse(created.body).id;
  peer.succeed(await peer.command((c) => c.container_id === id), 'running');
  await eventually(async () => {
    const shown = await call(server, 'GET', `/api/v1/containers/${id}`, { token });
    return Container.parse(shown.body).status === 'running';
  });
  return id;
}

type Open = Control<'CONTROL_TERMINAL_OPEN'>;

/** Connects a client and answers its OPEN like an agent; resolves once `ready` arrived. */
export async function openTerminal(
  server: HubServer,
  peer: AgentPeer,
  ref: string,
  token: string,
  options: { auth?: 'header' | 'subprotocol'; session?: string; inputWindow?: number } = {},
): Promise<{ client: TerminalClient; open: Open }> {
  const client = await TerminalClient.connect(server.url, ref, { token, ...options });
  const open = await peer.next('CONTROL_TERMINAL_OPEN');
  peer.send({
    type: 'AGENT_TERMINAL_OPENED',
    channel: open.channel,
    session: open.session,
    resumed: false,
    input_window_bytes: options.inputWindow ?? TERMINAL_WINDOW_BYTES,
  });
  await client.next('ready');
  return { client, open };
}

/** An agent sending output as fast as the relay's credit allows. */
export class OutputPump {
  sent = 0;
  readonly #chunk = Buffer.alloc(65_536, 'y');

  constructor(
    readonly peer: AgentPeer,
    readonly channel: number,
  ) {}

  credits(): number {
    let total = 0;
    for (const m of this.peer.received) {
      if (m.type === 'CONTROL_TERMINAL_CREDIT' && m.channel === this.channel) total += m.bytes;
    }
    return total;
  }

  send(): void {
    this.peer.sendData(this.channel, this.#chunk);
    this.sent += this.#chunk.length;
  }

  /** Sends up to `limitBytes` in all; returns early once credit stops coming for 300 ms. */
  async pump(limitBytes: number): Promise<void> {
    for (;;) {
      while (this.sent + this.#chunk.length <= this.credits() + TERMINAL_WINDOW_BYTES) {
        if (this.sent >= limitBytes) return;
        this.send();
      }
      const before = this.credits();
      await new Promise((resolve) => setTimeout(resolve, 300));
      if (this.credits() === before) return;
    }
  }
}
