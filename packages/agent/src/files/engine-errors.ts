// Turns the engine's `cp` and `exec` complaints into file error codes. Both engines phrase these
// differently and only in English text, so the patterns cover podman's and docker's wording.
import type { KnownFileErrorCode } from '@rexec/protocol';

/**
 * podman's storage counting the container's root filesystem as mounted with its mount point gone
 * (runtime/left-mount.ts): the engine's state, not the user's path, so reads repair it and copy
 * again, and what still fails is `file_failed`, never `path_not_found`.
 */
const STORAGE_RACE = /lstat \S*\/merged: no such file or directory/i;

export function isStorageRace(stderr: string): boolean {
  return STORAGE_RACE.test(stderr);
}

const PATTERNS: readonly [RegExp, KnownFileErrorCode][] = [
  [STORAGE_RACE, 'file_failed'],
  [/is not running|state improper|container .* is stopped|cannot exec/i, 'container_not_running'],
  [/no space left|disk quota/i, 'disk_quota_exceeded'],
  [/could not be found|no such file or directory|not found|must be a directory/i, 'path_not_found'],
  [/not a directory/i, 'not_a_directory'],
  [/file exists|cannot overwrite directory|is a directory/i, 'is_a_directory'],
];

export interface FileFailure {
  code: KnownFileErrorCode;
  message: string;
}

/** The code for an engine's stderr, `file_failed` when none fits; the message is its first line. */
export function engineFailure(stderr: string, fallback = 'the engine could not copy'): FileFailure {
  const line =
    stderr
      .split('\n')
      .map((text) => text.replace(/^Error:\s*/, '').trim())
      .find((text) => text.length > 0) ?? fallback;
  const code = PATTERNS.find(([pattern]) => pattern.test(stderr))?.[1] ?? 'file_failed';
  return { code, message: line.slice(0, 1000) };
}
