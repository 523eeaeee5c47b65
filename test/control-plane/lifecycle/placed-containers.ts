// Containers placed on a scripted agent for the host-loss and host-removal suites: one created and
// answered `running`, read back through the API, and the owner's container count from GET /me.
import { Container } from '@rexec/protocol';
import { call } from '../http/server.js';
import type { AgentPeer } from '../hub/agent-peer.js';
import { eventually, type HubServer } from '../hub/hub-server.js';

const body = { image: 'alpine:latest', resources: { cpu_millicores: 250, memory_mb: 128 } };

export async function show(server: HubServer, token: string, id: string) {
  return Container.parse((await call(server, 'GET', `/api/v1/containers/${id}`, { token })).body);
}

export async function runningContainer(server: HubServer, peer: AgentPeer, token: string) {
  const created = await call(server, 'POST', '/api/v1/containers', { token, json: body });
  const id = Container.parse(created.body).id;
  peer.succeed(await peer.command((c) => c.container_id === id), 'running');
  await eventually(async () => (await show(server, token, id)).status === 'running');
  return id;
}

export async function usedContainers(server: HubServer, token: string): Promise<number> {
  const me = await call(server, 'GET', '/api/v1/me', { token });
  return (me.body as { usage: { containers: number } }).usage.containers;
}
