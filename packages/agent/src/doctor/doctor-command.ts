// `rexec-agent doctor [--runtime R] [--image REF] [--state-dir D] [--fix] [--json]`: makes every
// check the agent makes at start, plus a real container run and a look for what other hosts left
// on this machine (leftovers.ts), and prints each with what fixes a failure. Exit 0 when the host
// can run Rexec containers (optional checks may fail: a feature is then off), 1 when not, 2 on bad
// flags. It changes nothing on the host but the throwaway container it runs and removes, unless
// `--fix` asks it to remove the leftovers.
import { parseArgs } from 'node:util';
import type { HostHealthCheck } from '@rexec/protocol';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { DEFAULT_STATE_DIR, RUNTIME_CHOICES } from '../config.js';
import type { RuntimeChoice } from '../config.js';
import { DEFAULT_DISK_CHECK_INTERVAL_MS, diskEnforcement } from '../disk/index.js';
import { AgentFatalError } from '../errors.js';
import type { NetworkEnforcement } from '../network/index.js';
import { probeShaping } from '../network/shaping-probe.js';
import { detectRuntime } from '../runtime-detect.js';
import type { RuntimeKind } from '../runtime/index.js';
import { readState } from '../state.js';
import { describeLeftover, findLeftovers, removeLeftovers } from './leftovers.js';
import { checkHost, failedRequired, userNamespacesOf } from './host-checks.js';
import { trialRun } from './trial-run.js';

export const EXIT_DOCTOR_OK = 0;
export const EXIT_DOCTOR_FAILED = 1;
export const EXIT_DOCTOR_USAGE = 2;

export interface DoctorIo {
  env: NodeJS.ProcessEnv;
  argv: readonly string[];
  out: (line: string) => void;
  log: Logger;
}

interface DoctorFlags {
  runtime: RuntimeChoice;
  image?: string;
  json: boolean;
  fix: boolean;
  stateDir: string;
}

function readFlags(io: DoctorIo): DoctorFlags | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...io.argv],
      options: {
        runtime: { type: 'string' },
        image: { type: 'string' },
        json: { type: 'boolean', default: false },
        fix: { type: 'boolean', default: false },
        'state-dir': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return (error as Error).message;
  }
  const runtime = values.runtime ?? (io.env['REXEC_RUNTIME'] || 'auto');
  if (!(RUNTIME_CHOICES as readonly string[]).includes(runtime)) {
    return `--runtime / REXEC_RUNTIME must be one of ${RUNTIME_CHOICES.join(', ')}, got "${runtime}"`;
  }
  return {
    runtime: runtime as RuntimeChoice,
    json: values.json,
    fix: values.fix,
    stateDir: values['state-dir'] ?? (io.env['REXEC_AGENT_STATE_DIR'] || DEFAULT_STATE_DIR),
    ...(values.image === undefined ? {} : { image: values.image }),
  };
}

// What the host guard needs (root and a working iptables), without installing it.
async function networkAsTheAgentWouldSetItUp(): Promise<NetworkEnforcement> {
  const shaping = await probeShaping();
  const root = process.getuid?.() === 0;
  const iptables = root
    ? await execa('iptables', ['-w', '5', '-S', 'INPUT'], { reject: false, timeout: 15_000 })
    : null;
  const isolation = iptables !== null && iptables.exitCode === 0;
  const reasons = [
    ...(shaping.ok ? [] : [shaping.reason]),
    ...(isolation
      ? []
      : [
          root
            ? 'iptables does not answer: install the Debian package iptables'
            : 'the host guard needs root',
        ]),
  ];
  return {
    shaping: shaping.ok,
    isolation,
    ...(reasons.length === 0 ? {} : { detail: reasons.join('; ') }),
  };
}

function label(check: HostHealthCheck): string {
  if (check.ok) return 'ok  ';
  return check.required ? 'FAIL' : 'warn';
}

function print(io: DoctorIo, checks: readonly HostHealthCheck[], json: boolean): void {
  if (json) {
    io.out(JSON.stringify({ ok: failedRequired(checks).length === 0, checks }));
    return;
  }
  const width = Math.max(...checks.map((c) => c.check.length));
  for (const check of checks)
    io.out(`${label(check)}  ${check.check.padEnd(width)}  ${check.message}`);
  const failed = failedRequired(checks);
  io.out(
    failed.length === 0
      ? 'this host can run Rexec containers'
      : `${failed.length} required check(s) failed: the control plane schedules no containers on ` +
          'this host (scheduling "unhealthy") until they pass and the agent says HELLO again',
  );
}

const LISTED_LEFTOVERS = 3;

/**
 * The `leftovers` check (optional: they slow the host down but break nothing): what belongs to no
 * host this agent is, and with --fix their removal, each said on its own line first.
 */
async function leftoversCheck(
  io: DoctorIo,
  kind: RuntimeKind,
  flags: DoctorFlags,
): Promise<HostHealthCheck> {
  const check = { check: 'leftovers', required: false };
  let state;
  try {
    state = await readState(flags.stateDir);
  } catch (error) {
    return { ...check, ok: false, message: `${(error as Error).message}; nothing was looked at` };
  }
  const keep = state === null ? [] : [state.host_id];
  let found;
  try {
    found = await findLeftovers({ kind, keep });
    if (flags.fix && found.length > 0) {
      const removals = await removeLeftovers({ kind }, found);
      if (!flags.json) {
        for (const { leftover, error } of removals) {
          const what = describeLeftover(kind, leftover);
          io.out(error === undefined ? `removed ${what}` : `could not remove ${what}: ${error}`);
        }
      }
      found = await findLeftovers({ kind, keep });
    }
  } catch (error) {
    // The engine failed to list (a container removed under it, say): a failed check, not a crash.
    const said = (error as Error).message.split('\n').at(-1) ?? '';
    return { ...check, ok: false, message: `${kind} could not list its resources: ${said}` };
  }
  const whose = state === null ? 'this agent has not enrolled' : `this is host ${state.host_id}`;
  if (found.length === 0) {
    return { ...check, ok: true, message: `nothing left by other hosts (${whose})` };
  }
  const listed = found.slice(0, LISTED_LEFTOVERS).map((l) => describeLeftover(kind, l));
  const more =
    found.length > LISTED_LEFTOVERS ? `, and ${found.length - LISTED_LEFTOVERS} more` : '';
  const fix = flags.fix ? 'they could not be removed' : '`rexec-agent doctor --fix` removes them';
  return {
    ...check,
    ok: false,
    message:
      `${found.length} resources of other hosts (${whose}): ${listed.join(', ')}${more}; ${fix}`.slice(
        0,
        500,
      ),
  };
}

export async function runDoctor(io: DoctorIo): Promise<number> {
  const flags = readFlags(io);
  if (typeof flags === 'string') {
    io.out(`rexec-agent doctor: ${flags}`);
    return EXIT_DOCTOR_USAGE;
  }
  let engine;
  try {
    engine = await detectRuntime(flags.runtime, io.log);
  } catch (error) {
    if (!(error instanceof AgentFatalError)) throw error;
    print(
      io,
      [{ check: 'engine', ok: false, required: true, message: error.message.slice(0, 500) }],
      flags.json,
    );
    return EXIT_DOCTOR_FAILED;
  }
  const [network, run] = await Promise.all([
    networkAsTheAgentWouldSetItUp(),
    trialRun(engine.kind, flags.image),
  ]);
  const checks: HostHealthCheck[] = [
    {
      check: 'engine',
      ok: true,
      required: true,
      message: `${engine.kind} ${engine.info.version} answers (storage driver ${engine.info.storageDriver || 'unknown'})`,
    },
    ...(await checkHost({
      engine: engine.kind,
      network,
      // The agent always runs its disk monitor, so this is what it would report.
      disk: diskEnforcement(engine.info, DEFAULT_DISK_CHECK_INTERVAL_MS).mode,
      userNamespaces: userNamespacesOf(engine.info),
    })),
    run,
    await leftoversCheck(io, engine.kind, flags),
  ];
  print(io, checks, flags.json);
  return failedRequired(checks).length === 0 ? EXIT_DOCTOR_OK : EXIT_DOCTOR_FAILED;
}
