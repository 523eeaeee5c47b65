// Parses `ps --format json` into engine ids: podman prints one array of objects with `Id`,
// docker one object per line with `ID`. Only the id is read; the full state comes from inspect,
// which both engines print alike (inspect-parser.ts).
import { z } from 'zod';
import { parseJsonItems } from './json-output.js';

const PsEntry = z.union([
  z.object({ Id: z.string().min(1) }).transform((entry) => entry.Id),
  z.object({ ID: z.string().min(1) }).transform((entry) => entry.ID),
]);

export function psFormatArgs(kind: 'docker' | 'podman'): string[] {
  return ['--format', kind === 'podman' ? 'json' : '{{json .}}'];
}

export function parsePsOutput(stdout: string, command: readonly string[]): string[] {
  return parseJsonItems(stdout, PsEntry, 'ps', command);
}
