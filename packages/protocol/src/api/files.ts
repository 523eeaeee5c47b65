// REST bodies of the files API (DESIGN §8.2): query strings, the JSON answers, mkdir and move.
// Raw file bodies and tar streams are not JSON and have no schema here; what travels to the agent
// is agent/file-relay.ts. Paths are absolute and normalised by the control plane before use.
import { z } from 'zod';
import { FileEntry, FileMode, FilePath, MAX_FILE_PATH_BYTES } from '../agent/file-relay.js';
import { Timestamp } from './common.js';

/** Upload limit when REXEC_MAX_UPLOAD_MB is not set. */
export const DEFAULT_MAX_UPLOAD_MB = 1024;

/** A path as a client sends it: absolute, no NUL; `..` and `.` are resolved by the server. */
export const ClientPath = z
  .string()
  .min(1)
  .max(MAX_FILE_PATH_BYTES)
  .refine((path) => path.startsWith('/'), 'must be an absolute path (starting with /)')
  .refine((path) => !path.includes('\0'), 'must not contain NUL');

const Flag = z.enum(['true', 'false']).transform((value) => value === 'true');

/** `GET`/`PUT`/`DELETE /containers/:id/files` query. */
export const FileQuery = z.strictObject({
  path: ClientPath,
  mode: FileMode.optional(),
  parents: Flag.optional(),
  recursive: Flag.optional(),
  archive: z.literal('tar').optional(),
});
export type FileQuery = z.infer<typeof FileQuery>;

/** `GET /containers/:id/files/list` and `/stat` query. */
export const FilePathQuery = z.strictObject({ path: ClientPath });
export type FilePathQuery = z.infer<typeof FilePathQuery>;

/** 201 answer to an upload of one file. */
export const FileWritten = z.object({
  path: FilePath,
  size: z.int().nonnegative(),
  mode: FileMode,
  modified_at: Timestamp,
});
export type FileWritten = z.infer<typeof FileWritten>;

/** 201 answer to `archive=tar` uploads: the directory and how many entries were extracted. */
export const ArchiveWritten = z.object({
  path: FilePath,
  files: z.int().nonnegative(),
});
export type ArchiveWritten = z.infer<typeof ArchiveWritten>;

/** `GET /containers/:id/files/list`. */
export const FileList = z.object({
  path: FilePath,
  entries: z.array(FileEntry),
  /** True when the directory held more than MAX_LIST_ENTRIES entries. */
  truncated: z.boolean().optional(),
});
export type FileList = z.infer<typeof FileList>;

/** `GET /containers/:id/files/stat`: the entry itself (lstat) plus its path. */
export const FileStat = FileEntry.extend({ path: FilePath });
export type FileStat = z.infer<typeof FileStat>;

export const MkdirRequest = z.strictObject({
  path: ClientPath,
  parents: z.boolean().optional(),
});
export type MkdirRequest = z.infer<typeof MkdirRequest>;

export const MoveRequest = z.strictObject({ from: ClientPath, to: ClientPath });
export type MoveRequest = z.infer<typeof MoveRequest>;
