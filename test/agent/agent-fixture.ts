// Shared pieces of the agent daemon suites: the engine to run on, ids in the control plane's
// format, a create command for the busybox test image, removal of every container and volume of a
// test host at teardown, and a helper that runs the agent to its exit (for fatal paths).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ControlCommand } from '@rexec/protocol';
import type { Test } from 'tap';
import { REPO_ROOT } from '../helpers/child-process.js';
import { BUSYBOX_IMAGE, engine, removeTestHost, requireEngine } from '../helpers/engine.js';
import type { EngineKind } from '../helpers/engine.js';
import { startAgent, type Agent } from '../helpers/processes.js';
import { startPeer, type ControlPlanePeer, type PeerOptions } from './control-plane-peer.js';

export function containerId(): string {
  return `ctr_${randomBytes(16).toString('hex')}`;
}

export function commandId(): string {
  return `cmd-${randomBytes(8).toString('hex')}`;
}

export function createCommand(id: string, cmdId = commandId()): ControlCommand {
  return {
    type: 'CONTROL_COMMAND',
    command_id: cmdId,
    container_id: id,
    command: {
      action: 'create',
      spec: {
        container_id: id,
        name: 'agent-test',
        image: BUSYBOX_IMAGE,
        user_id: `usr_${'a'.repeat(32)}`,
        role: 'barebone',
        resources: { cpu_millicores: 500, memory_mb: 64, disk_mb: 1024, network_mbps: 10 },
        pids_limit: 100,
      },
    },
  };
}

/** The engine for this test; what an agent of hostId leaves behind is removed at teardown. */
export async function engineFor(t: Test, hostId: string): Promise<EngineKind> {
  const kind = await requireEngine(t);
  t.teardown(() => removeTestHost(kind, hostId));
  return kind;
}

/** Engine state of a container by name, or null when it does not exist. */
export async function engineState(
  kind: EngineKind,
  name: string,
): Promise<{ status: string; labels: Record<string, string> } | null> {
  try {
    const out = await engine(kind, ['container', 'inspect', name]);
    const [first] = JSON.parse(out.stdout) as {
      State: { Status: string };
      Config: { Labels: Record<string, string> | null };
    }[];
    return first === undefined
      ? null
      : { status: first.State.Status, labels: first.Config.Labels ?? {} };
  } catch {
    return null; // inspect fails when there is no such container
  }
}

/** Runs the agent until it exits by itself; its exit code and output (stdout and stderr). */
export async function runAgentToExit(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=rexec-source', 'packages/agent/src/main.ts'],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/root',
        // Beside the state when the test names one: never the machine's /run/rexec-agent.
        ...(env['REXEC_AGENT_STATE_DIR'] === undefined
          ? {}
          : { REXEC_AGENT_RUNTIME_DIR: join(env['REXEC_AGENT_STATE_DIR'], 'run') }),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

/** The JSON log lines of an agent's output. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Waits (polling the agent's output, up to two minutes) until it logged `msg` for `commandId`: the
 * agent's own word that it reached a point of a command, never a guessed delay.
 */
export async function waitForCommandLog(
  agent: Agent,
  msg: string,
  commandId: string,
): Promise<void> {
  for (let waited = 0; waited < 120_000; waited += 50) {
    const found = logLines(agent.output()).some(
      (line) => line['msg'] === msg && line['commandId'] === commandId,
    );
    if (found) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the agent did not log "${msg}" for ${commandId}:\n${agent.output()}`);
}

/**
 * A scripted control plane and the real agent process joined to it with the peer's join token,
 * on the engine found for the peer's host id. Ready once the agent logged "connected".
 */
export async function startPeerAndAgent(
  t: Test,
  hostName: string,
  peerOptions: PeerOptions = {},
  agentOptions: { stopGraceMs?: number } = {},
): Promise<{ peer: ControlPlanePeer; kind: EngineKind; agent: Agent }> {
  const peer = await startPeer(t, peerOptions);
  const kind = await engineFor(t, peer.hostId);
  const agent = await startAgent(t, {
    url: peer.url,
    joinToken: peer.joinToken,
    hostName,
    env: { REXEC_RUNTIME: kind },
    ...agentOptions,
  });
  return { peer, kind, agent };
}
