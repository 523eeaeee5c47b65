// Parses what the META_SCRIPTS' `entries` function prints into file entries: names, then stat
// lines, then link targets (format in meta-scripts.ts). A pure function, tested on its own.
import { MAX_LIST_ENTRIES, type FileEntry, type FileType } from '@rexec/protocol';

const TYPES: Readonly<Record<string, FileType>> = {
  'regular file': 'file',
  'regular empty file': 'file',
  directory: 'directory',
  'symbolic link': 'symlink',
};

export interface ParsedEntries {
  entries: FileEntry[];
  truncated: boolean;
}

/** Throws an Error naming the problem when the output is not in the expected shape. */
export function parseEntries(output: Buffer): ParsedEntries {
  const names: string[] = [];
  let at = 0;
  for (;;) {
    const end = output.indexOf(0, at);
    if (end < 0) throw new Error('entry names are not terminated');
    const name = output.subarray(at, end).toString('utf8');
    at = end + 1;
    if (name === '') break;
    names.push(name);
  }
  const statEnd = output.indexOf(0, at);
  if (statEnd < 0) throw new Error('stat lines are not terminated');
  const lines = output
    .subarray(at, statEnd)
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
  at = statEnd + 1;
  if (lines.length !== names.length) {
    throw new Error(`${names.length} names but ${lines.length} stat lines`);
  }
  const entries: FileEntry[] = [];
  for (const [index, name] of names.entries()) {
    const end = output.indexOf(0, at);
    if (end < 0) throw new Error('link targets are not terminated');
    const target = output.subarray(at, end).toString('utf8');
    at = end + 1;
    if (entries.length < MAX_LIST_ENTRIES) entries.push(entry(name, lines[index] ?? '', target));
  }
  return { entries, truncated: names.length > MAX_LIST_ENTRIES };
}

function entry(name: string, line: string, target: string): FileEntry {
  const match = /^(.+)\|(\d+)\|([0-7]+)\|(\d+)$/.exec(line);
  if (match === null) throw new Error(`unexpected stat line ${JSON.stringify(line)}`);
  const [, kind = '', size = '0', mode = '0', mtime = '0'] = match;
  const type = TYPES[kind] ?? 'other';
  return {
    name,
    type,
    size: Number(size),
    mode: octalMode(parseInt(mode, 8)),
    modified_at: new Date(Number(mtime) * 1000).toISOString(),
    ...(type === 'symlink' ? { link_target: target } : {}),
  };
}

/** Permission bits (with setuid, setgid, sticky) as four octal digits. */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
