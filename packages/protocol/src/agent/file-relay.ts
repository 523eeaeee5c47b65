// JSON messages that read and write files in a container over the agent socket (PROTOCOL.md §9c),
// both directions. Bodies travel as FILE_DATA binary frames (channel-frame.ts) under the same
// credit rules as terminals and execs. File channels are numbered by the control plane in a number
// space of their own. The REST bodies are api/files.ts; how the agent touches the container is its own.
import { z } from 'zod';
import { ContainerId, Timestamp } from '../api/common.js';
import { TERMINAL_WINDOW_BYTES } from '../constants.js';
import { HumanMessage, SnakeCode } from '../fields.js';
import { ChannelId } from './terminal-relay.js';

/** Longest path accepted anywhere (Linux PATH_MAX). */
export const MAX_FILE_PATH_BYTES = 4096;
/**
 * Flow-control window of a file channel, both ways: bigger than a terminal's because files are
 * bulk transfers whose throughput the window's round trips bound; memory per transfer stays this.
 */
export const FILE_WINDOW_BYTES = 4 * 1024 * 1024;
/** Entries one directory listing carries at most; the rest are left out (`truncated`). */
export const MAX_LIST_ENTRIES = 10_000;

/** An absolute, normalised path without NUL (the control plane normalises before sending). */
export const FilePath = z
  .string()
  .min(1)
  .max(MAX_FILE_PATH_BYTES)
  .regex(/^\/[^\0]*$/, 'must be an absolute path without NUL');
export type FilePath = z.infer<typeof FilePath>;

export const FILE_TYPES = ['file', 'directory', 'symlink', 'other'] as const;
export const FileType = z.enum(FILE_TYPES);
export type FileType = z.infer<typeof FileType>;

/** Permission bits as four octal digits (`0644`); file type bits are in `type`. */
export const FileMode = z.string().regex(/^0[0-7]{3}$|^[0-7]{4}$/, 'must be octal like 0644');
export type FileMode = z.infer<typeof FileMode>;

/** One directory entry as lstat sees it (a symlink is reported as itself, with its target). */
export const FileEntry = z.object({
  name: z.string().min(1).max(1024),
  type: FileType,
  size: z.int().nonnegative(),
  mode: FileMode,
  modified_at: Timestamp,
  link_target: z.string().max(MAX_FILE_PATH_BYTES).optional(),
});
export type FileEntry = z.infer<typeof FileEntry>;

const Bytes = z.int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const Credit = z
  .int()
  .min(1)
  .max(TERMINAL_WINDOW_BYTES * 64);
const Window = z
  .int()
  .min(1024)
  .max(TERMINAL_WINDOW_BYTES * 64);

/**
 * A single HTTP byte range as asked (`bytes=start-end`, `bytes=start-`, `bytes=-suffix`); both sides
 * resolve it against the file's size with resolveByteRange.
 */
export const ByteRange = z.union([
  z.object({ start: Bytes, end: Bytes.nullable() }),
  z.object({ suffix: Bytes }),
]);
export type ByteRange = z.infer<typeof ByteRange>;

/** The inclusive span a range selects in a file of `size` bytes; null when none (416). */
export function resolveByteRange(
  range: ByteRange,
  size: number,
): { start: number; end: number } | null {
  if ('suffix' in range) {
    if (range.suffix === 0 || size === 0) return null;
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.start >= size) return null;
  const end = range.end === null ? size - 1 : Math.min(range.end, size - 1);
  return end < range.start ? null : { start: range.start, end };
}

/** Reads `bytes=a-b` / `bytes=a-` / `bytes=-n`; undefined for anything else (served whole). */
export function parseRangeHeader(header: string | undefined): ByteRange | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (match === null) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') return { suffix: Number(to) };
  const start = Number(from);
  const end = to === '' ? null : Number(to);
  if (!Number.isSafeInteger(start) || (end !== null && (!Number.isSafeInteger(end) || end < start)))
    return undefined;
  return { start, end };
}

/** Limits an upload must stay within; `null` means no limit of that kind. */
const UploadLimits = {
  /** REXEC_MAX_UPLOAD_MB: past it the agent answers `payload_too_large`. */
  max_bytes: Bytes,
  /** What is left of the container's disk_mb: past it, `disk_quota_exceeded`. */
  quota_bytes: Bytes.nullable(),
  /** The body's length when the client said it; null (chunked) makes the agent spool it first. */
  size: Bytes.nullable(),
};

/** What one file channel does; reads and writes work on a stopped container, the rest need it running. */
export const FileOp = z.discriminatedUnion('kind', [
  /** The bytes of one file (symlinks followed inside the container), from `offset`. */
  z.object({ kind: z.literal('read'), path: FilePath, range: ByteRange.nullable() }),
  /** A tar of `path` (a file or a whole tree). */
  z.object({ kind: z.literal('read_tar'), path: FilePath }),
  /** Replace or create one file with the FILE_DATA that follows. */
  z.object({
    kind: z.literal('write'),
    path: FilePath,
    mode: FileMode,
    parents: z.boolean(),
    ...UploadLimits,
  }),
  /** Extract the tar stream that follows into the directory `path`. */
  z.object({ kind: z.literal('write_tar'), path: FilePath, ...UploadLimits }),
  z.object({ kind: z.literal('list'), path: FilePath }),
  z.object({ kind: z.literal('stat'), path: FilePath }),
  z.object({ kind: z.literal('remove'), path: FilePath, recursive: z.boolean() }),
  z.object({ kind: z.literal('mkdir'), path: FilePath, parents: z.boolean() }),
  z.object({ kind: z.literal('move'), from: FilePath, to: FilePath }),
]);
export type FileOp = z.infer<typeof FileOp>;
export type FileOpKind = FileOp['kind'];

/** Start one file operation on a container. */
export const ControlFileOpen = z.object({
  type: z.literal('CONTROL_FILE_OPEN'),
  channel: ChannelId,
  container_id: ContainerId,
  op: FileOp,
  /** Bytes the agent may send (reads) before it needs credit. */
  output_window_bytes: Window,
});
export type ControlFileOpen = z.infer<typeof ControlFileOpen>;

/** The upload's body is complete (writes only). */
export const ControlFileEof = z.object({
  type: z.literal('CONTROL_FILE_EOF'),
  channel: ChannelId,
});
export type ControlFileEof = z.infer<typeof ControlFileEof>;

/** The client went away: stop, and leave nothing half-written behind. The agent still ends the
 * channel with AGENT_FILE_ERROR `cancelled` (or DONE if it had finished). */
export const ControlFileCancel = z.object({
  type: z.literal('CONTROL_FILE_CANCEL'),
  channel: ChannelId,
});
export type ControlFileCancel = z.infer<typeof ControlFileCancel>;

/** The control plane consumed `bytes` of a read: the agent may send that many more. */
export const ControlFileCredit = z.object({
  type: z.literal('CONTROL_FILE_CREDIT'),
  channel: ChannelId,
  bytes: Credit,
});
export type ControlFileCredit = z.infer<typeof ControlFileCredit>;

/**
 * The operation can go ahead. Reads: `entry` is the file (its whole size) and data follows.
 * Writes: the control plane may send `input_window_bytes` of body before it needs credit.
 */
export const AgentFileReady = z.object({
  type: z.literal('AGENT_FILE_READY'),
  channel: ChannelId,
  entry: FileEntry.optional(),
  input_window_bytes: Window.optional(),
});
export type AgentFileReady = z.infer<typeof AgentFileReady>;

/** The agent wrote `bytes` of an upload: the control plane may send that many more. */
export const AgentFileCredit = z.object({
  type: z.literal('AGENT_FILE_CREDIT'),
  channel: ChannelId,
  bytes: Credit,
});
export type AgentFileCredit = z.infer<typeof AgentFileCredit>;

/** The operation finished, after the last data frame; the channel ends. */
export const AgentFileDone = z.object({
  type: z.literal('AGENT_FILE_DONE'),
  channel: ChannelId,
  /** stat, write (the file written), mkdir and move (the destination). */
  entry: FileEntry.optional(),
  /** list. */
  entries: z.array(FileEntry).max(MAX_LIST_ENTRIES).optional(),
  truncated: z.boolean().optional(),
  /** write_tar: entries extracted. */
  files: Bytes.optional(),
  /** Reads: bytes sent. */
  bytes: Bytes.optional(),
});
export type AgentFileDone = z.infer<typeof AgentFileDone>;

/** Known file error codes; the set is open. The REST codes of DESIGN §8.2 plus the agent's own. */
export const FILE_ERROR_CODES = [
  'path_not_found',
  'path_exists',
  'invalid_path',
  'is_a_directory',
  'not_a_directory',
  'directory_not_empty',
  'payload_too_large',
  'disk_quota_exceeded',
  'container_not_running',
  'invalid_archive',
  'cancelled',
  'file_failed',
] as const;
export type KnownFileErrorCode = (typeof FILE_ERROR_CODES)[number];

/** The operation failed; nothing more follows and the channel ends. */
export const AgentFileError = z.object({
  type: z.literal('AGENT_FILE_ERROR'),
  channel: ChannelId,
  code: SnakeCode,
  message: HumanMessage,
});
export type AgentFileError = z.infer<typeof AgentFileError>;
