// Parses one line of `events` JSON from either engine into an engine event, or null for events
// Rexec ignores (exec, attach, mount, cleanup, images, volumes…). podman prints `Status`/`ID`/
// `Attributes`; docker prints `Action`/`Actor.ID`/`Actor.Attributes`. Label checks are the caller's.
import { z } from 'zod';
import type { RuntimeEventKind } from './types.js';

const PodmanEvent = z.object({
  Type: z.string(),
  Status: z.string(),
  ID: z.string().min(1),
  Time: z.union([z.string(), z.number()]).optional(),
  timeNano: z.number().optional(),
  ContainerExitCode: z.number().int().optional(),
  Attributes: z.record(z.string(), z.string()).nullish(),
});

const DockerEvent = z.object({
  Type: z.string(),
  Action: z.string(),
  Actor: z.object({
    ID: z.string().min(1),
    Attributes: z.record(z.string(), z.string()).nullish(),
  }),
  time: z.number().optional(),
  timeNano: z.number().optional(),
});

export interface EngineEvent {
  kind: RuntimeEventKind;
  engineId: string;
  labels: Readonly<Record<string, string>>;
  exitCode: number | null;
  at: Date;
}

const PODMAN_KINDS: Readonly<Record<string, RuntimeEventKind>> = {
  create: 'create',
  start: 'start',
  died: 'die',
  oom: 'oom',
  stop: 'stop',
  pause: 'pause',
  unpause: 'unpause',
  remove: 'destroy',
};

const DOCKER_KINDS: Readonly<Record<string, RuntimeEventKind>> = {
  create: 'create',
  start: 'start',
  die: 'die',
  oom: 'oom',
  stop: 'stop',
  pause: 'pause',
  unpause: 'unpause',
  destroy: 'destroy',
};

function timeOf(time: string | number | undefined, timeNano: number | undefined): Date {
  if (timeNano !== undefined) return new Date(Math.floor(timeNano / 1_000_000));
  if (typeof time === 'number') return new Date(time * 1000);
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(ms) ? new Date() : new Date(ms);
}

function exitCodeOf(raw: string | undefined): number | null {
  if (raw === undefined || !/^-?\d+$/.test(raw)) return null;
  return Number(raw);
}

export type EventLineResult =
  { ok: true; event: EngineEvent | null } | { ok: false; error: string };

/** Decodes one line; `ok: false` means the line was not an event of either format at all. */
export function parseEventLine(line: string): EventLineResult {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, error: `not JSON: ${line.slice(0, 200)}` };
  }
  const docker = DockerEvent.safeParse(json);
  if (docker.success) {
    const raw = docker.data;
    // docker suffixes some actions ("exec_start: sh", "health_status: healthy").
    const kind = DOCKER_KINDS[raw.Action];
    if (raw.Type !== 'container' || kind === undefined) return { ok: true, event: null };
    const labels = raw.Actor.Attributes ?? {};
    return {
      ok: true,
      event: {
        kind,
        engineId: raw.Actor.ID,
        labels,
        exitCode: kind === 'die' ? exitCodeOf(labels['exitCode']) : null,
        at: timeOf(raw.time, raw.timeNano),
      },
    };
  }
  const podman = PodmanEvent.safeParse(json);
  if (podman.success) {
    const raw = podman.data;
    const kind = PODMAN_KINDS[raw.Status];
    if (raw.Type !== 'container' || kind === undefined) return { ok: true, event: null };
    return {
      ok: true,
      event: {
        kind,
        engineId: raw.ID,
        labels: raw.Attributes ?? {},
        exitCode: kind === 'die' ? (raw.ContainerExitCode ?? null) : null,
        at: timeOf(raw.Time, raw.timeNano),
      },
    };
  }
  return { ok: false, error: `unknown event shape: ${line.slice(0, 200)}` };
}

export function eventsArgs(kind: 'docker' | 'podman', hostLabel: string, since?: Date): string[] {
  return [
    'events',
    '--format',
    kind === 'podman' ? 'json' : '{{json .}}',
    '--filter',
    'type=container',
    '--filter',
    `label=${hostLabel}`,
    ...(since === undefined ? [] : ['--since', String(Math.floor(since.getTime() / 1000))]),
  ];
}
