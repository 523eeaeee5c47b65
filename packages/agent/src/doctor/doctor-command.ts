// `rexec-agent doctor [--runtime R] [--image REF] [--json]`: makes every check the agent makes at
// start, plus a real container run, and prints each with what fixes a failure. Exit 0 when the
// host can run Rexec containers (optional checks may fail: a feature is then off), 1 when not, 2
// on bad flags. It changes nothing on the host but the throwaway container it runs and removes.
import { parseArgs } from 'node:util';
import type { HostHealthCheck } from '@rexec/protocol';
import { execa } from 'execa';
import type { Logger } from 'pino';
import { RUNTIME_CHOICES } from '../config.js';
import type { RuntimeChoice } from '../config.js';
import { DEFAULT_DISK_CHECK_INTERVAL_MS, diskEnforcement } from '../disk/index.js';
import { AgentFatalError } from '../errors.js';
import type { NetworkEnforcement } from '../network/index.js';
import { probeShaping } from '../network/shaping-probe.js';
import { detectRuntime } from '../runtime-detect.js';
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
  ];
  print(io, checks, flags.json);
  return failedRequired(checks).length === 0 ? EXIT_DOCTOR_OK : EXIT_DOCTOR_FAILED;
}
