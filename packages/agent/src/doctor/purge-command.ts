// `rexec-agent purge --yes [--runtime R]`: removes everything Rexec made on this machine, of every
// host id, this host's own included: containers (with whatever their users kept in them), home
// volumes, networks and host guard chains. For `deploy/uninstall.sh --purge`, after the agent has
// stopped; `rexec-agent doctor --fix` is the everyday tool, which keeps this host's own. With
// `--runtime auto` (the default) it purges each engine that answers. Exit 0 when nothing is
// left, 1 when something could not be removed, 2 on bad flags or without --yes.
import { parseArgs } from 'node:util';
import { RUNTIME_CHOICES, type RuntimeChoice } from '../config.js';
import { createCliRuntime, type RuntimeKind } from '../runtime/index.js';
import type { DoctorIo } from './doctor-command.js';
import { EXIT_DOCTOR_FAILED, EXIT_DOCTOR_OK, EXIT_DOCTOR_USAGE } from './doctor-command.js';
import { describeLeftover, findLeftovers, removeLeftovers } from './leftovers.js';

function readFlags(io: DoctorIo): { runtime: RuntimeChoice } | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...io.argv],
      options: { runtime: { type: 'string' }, yes: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  const runtime = values.runtime ?? 'auto';
  if (!(RUNTIME_CHOICES as readonly string[]).includes(runtime)) {
    return { error: `--runtime must be one of ${RUNTIME_CHOICES.join(', ')}, got "${runtime}"` };
  }
  if (!values.yes) {
    return {
      error:
        "purge removes every Rexec container (with its users' files), home volume, network and " +
        'iptables guard on this machine, of every host; say --yes to do it',
    };
  }
  return { runtime: runtime as RuntimeChoice };
}

async function answers(kind: RuntimeKind, io: DoctorIo): Promise<boolean> {
  try {
    await createCliRuntime({ kind, hostId: 'rexec-purge', log: io.log }).info();
    return true;
  } catch {
    return false;
  }
}

export async function runPurge(io: DoctorIo): Promise<number> {
  const flags = readFlags(io);
  if ('error' in flags) {
    io.out(`rexec-agent purge: ${flags.error}`);
    return EXIT_DOCTOR_USAGE;
  }
  const { runtime } = flags;
  const kinds: RuntimeKind[] = runtime === 'auto' ? ['podman', 'docker'] : [runtime];
  let failed = 0;
  for (const kind of kinds) {
    if (!(await answers(kind, io))) {
      if (runtime !== 'auto') {
        io.out(`rexec-agent purge: ${kind} does not answer`);
        failed += 1;
      }
      continue;
    }
    let removals;
    try {
      removals = await removeLeftovers({ kind }, await findLeftovers({ kind, keep: [] }));
    } catch (error) {
      io.out(
        `${kind} could not list its resources: ${(error as Error).message.split('\n').at(-1) ?? ''}`,
      );
      failed += 1;
      continue;
    }
    for (const { leftover, error } of removals) {
      const what = describeLeftover(kind, leftover);
      io.out(error === undefined ? `removed ${what}` : `could not remove ${what}: ${error}`);
      if (error !== undefined) failed += 1;
    }
  }
  io.out(
    failed === 0 ? 'nothing of Rexec is left on this machine' : `${failed} could not be removed`,
  );
  return failed === 0 ? EXIT_DOCTOR_OK : EXIT_DOCTOR_FAILED;
}
