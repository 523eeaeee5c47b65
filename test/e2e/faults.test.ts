// Faults on the real fleet: a frozen agent, an agent killed in the middle of a create, and a control
// plane restart. The invariants: liveness within the protocol's deadline, no duplicate containers,
// no status lost.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { LABEL_CONTAINER_ID } from '../../packages/agent/src/runtime/labels.js';
import { Container, UNREACHABLE_DEADLINE_MS } from '@rexec/protocol';
import { engine } from '../helpers/engine.js';
import { startAgent } from '../helpers/processes.js';
import { startFleet, type Fleet } from './fleet.js';

const BOX = { cpu_millicores: 250, memory_mb: 64, disk_mb: 512 };

async function engineContainers(fleet: Fleet, id: string): Promise<string[]> {
  const listed = await engine(fleet.kind, [
    'ps',
    '-aq',
    '--filter',
    `label=io.rexec.container-id=${id}`,
  ]);
  return listed.stdout.split('\n').filter(Boolean);
}

// The protocol's deadline is UNREACHABLE_DEADLINE_MS; the wait's ceiling is generous (a busy
// machine delays the sweep, not the rule), so what is checked is the change of status itself.
void t.test('a frozen agent makes its host unreachable', async (t) => {
  const fleet = await startFleet(t);
  const { agent, hostId } = await fleet.joinAgent('e2e-frozen');
  const statusOf = async () => (await fleet.hosts()).find((h) => h.id === hostId)?.status;
  t.equal(await statusOf(), 'online', 'online before the freeze');
  agent.process.kill('SIGSTOP');
  t.teardown(() => {
    agent.process.kill('SIGCONT');
  });
  await fleet.waitFor(
    'host unreachable',
    async () => ((await statusOf()) === 'unreachable' ? true : undefined),
    UNREACHABLE_DEADLINE_MS * 6,
  );
  t.equal(await statusOf(), 'unreachable', 'unreachable while frozen');
});

/**
 * A directory with an engine shim first on PATH: it passes every call to the real engine, but
 * after `run` of a Rexec container succeeds it writes its pid to `marker` and hangs, so the agent
 * is held between the engine's work and its result.
 */
async function hangAfterRun(t: Test, kind: string): Promise<{ path: string; marker: string }> {
  const real = (await execa('sh', ['-c', `command -v ${kind}`])).stdout.trim();
  const dir = await mkdtemp(join(tmpdir(), 'rexec-engine-shim-'));
  const marker = join(dir, 'ran');
  await writeFile(
    join(dir, kind),
    [
      '#!/bin/sh',
      'case "$1 $*" in',
      `  "run "*${LABEL_CONTAINER_ID}=*)`,
      `    "${real}" "$@" || exit $?`,
      `    echo $$ > "${marker}"`,
      '    exec sleep 3600 ;;',
      'esac',
      `exec "${real}" "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  t.teardown(async () => {
    const pid = Number(await readFile(marker, 'utf8').catch(() => ''));
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone with its agent.
      }
    }
    await rm(dir, { recursive: true, force: true });
  });
  return { path: `${dir}:${process.env['PATH'] ?? ''}`, marker };
}

void t.test('an agent killed in the middle of a create leaves exactly one container', async (t) => {
  const fleet = await startFleet(t);
  const shim = await hangAfterRun(t, fleet.kind);
  const { agent } = await fleet.joinAgent('e2e-killed', { PATH: shim.path });
  const { id } = await fleet.createBox(BOX);
  await fleet.waitFor('the engine ran the container', async () =>
    (await readFile(shim.marker, 'utf8').catch(() => '')) === '' ? undefined : true,
  );
  t.equal((await engineContainers(fleet, id)).length, 1, 'the engine has it');
  t.equal(
    (await fleet.apiAs(Container, 'GET', `/containers/${id}`)).status,
    'creating',
    'the create is in flight: the agent has not answered',
  );
  await agent.stop('SIGKILL');

  await startAgent(t, {
    url: fleet.controlPlane.url,
    hostName: 'e2e-killed',
    stateDir: agent.stateDir,
  });
  const running = await fleet.containerStatus(id, 'running');
  t.equal(running.status, 'running');
  t.equal((await engineContainers(fleet, id)).length, 1, 'exactly one container in the engine');
});

void t.test('a control plane restart keeps every container and its status', async (t) => {
  const fleet = await startFleet(t);
  const { hostId } = await fleet.joinAgent('e2e-cp-restart');
  const kept = await fleet.createBox(BOX);
  const halted = await fleet.createBox(BOX);
  await fleet.containerStatus(kept.id, 'running');
  await fleet.containerStatus(halted.id, 'running');
  t.equal((await fleet.api('POST', `/containers/${halted.id}/stop`)).status, 200);

  await fleet.restartControlPlane();
  await fleet.waitFor('the agent back online', async () => {
    const host = (await fleet.hosts()).find((h) => h.id === hostId);
    return host?.status === 'online' ? host : undefined;
  });
  t.equal((await fleet.apiAs(Container, 'GET', `/containers/${kept.id}`)).status, 'running');
  const stopped = await fleet.apiAs(Container, 'GET', `/containers/${halted.id}`);
  t.equal(stopped.status, 'stopped');
  t.equal(stopped.status_reason, 'user');
  t.equal((await engineContainers(fleet, kept.id)).length, 1, 'no duplicate after the restart');
});
