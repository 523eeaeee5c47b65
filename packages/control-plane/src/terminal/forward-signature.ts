// The credential of work forwarded between replicas (a terminal, an exec, a file operation): the
// replica a user reached has already authenticated the user and checked the container, and tells
// the replica holding the host's agent socket what to open in one header, signed with a key
// derived from REXEC_CLUSTER_SECRET. A signature is good for FORWARD_MAX_AGE_S either way of the
// receiver's clock, and each kind of work has its own strict target shape, so one kind's signature never
// passes as another's. Each carries a random nonce, so the same work asked twice within a second
// (a terminal resumed at once through another replica, an exec run again) is no replay. A terminal
// it opens is still ended by the receiver when its token stops working; an exec's target carries
// the SHA-256 of its body, so the body cannot be swapped.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ExecId, ExecOffset, MAX_TERMINAL_DIMENSION, TerminalSessionId } from '@rexec/protocol';
import { z } from 'zod';
import type { TerminalTarget } from './terminal-connection.js';

/** The request header carrying the signed target. */
export const FORWARD_HEADER = 'x-rexec-forward';
/** Where a replica takes forwarded terminals (an upgrade, never a public route). */
export const FORWARD_PATH = '/internal/v1/terminal';
/** Where a replica takes forwarded execs (a POST of the exec body, as the signature says). */
export const FORWARD_EXEC_PATH = '/internal/v1/exec';
/** Where a replica takes forwarded background exec calls (start, status, signal). */
export const FORWARD_EXEC_BACKGROUND_PATH = '/internal/v1/background-exec';
/** Where a replica takes forwarded exec stream sockets (an upgrade, like terminals). */
export const FORWARD_EXEC_STREAM_PATH = '/internal/v1/exec-stream';
/** Where a replica takes forwarded file operations (the op in the signature, bytes in the body). */
export const FORWARD_FILES_PATH = '/internal/v1/files';
/** How old (or how far ahead of this clock) a signature may be. */
export const FORWARD_MAX_AGE_S = 60;

const VERSION = 'v1';
/** 16 random bytes, base64url. */
const NONCE = /^[A-Za-z0-9_-]{22}$/;

/** A forwarded terminal: TerminalTarget. */
export const TerminalForwardTarget = z.strictObject({
  containerId: z.string().min(1).max(64),
  hostId: z.string().min(1).max(64),
  userId: z.string().min(1).max(64),
  tokenId: z.string().min(1).max(64),
  session: TerminalSessionId,
  cols: z.int().min(1).max(MAX_TERMINAL_DIMENSION),
  rows: z.int().min(1).max(MAX_TERMINAL_DIMENSION),
});

/** A forwarded exec: where it runs, and the SHA-256 (hex) of the exact body sent with it. */
export const ExecForwardTarget = z.strictObject({
  containerId: z.string().min(1).max(64),
  hostId: z.string().min(1).max(64),
  bodySha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ExecForwardTarget = z.infer<typeof ExecForwardTarget>;

/** A forwarded background exec call: where, and the SHA-256 (hex) of the exact call body. */
export const BackgroundExecForwardTarget = z.strictObject({
  containerId: z.string().min(1).max(64),
  hostId: z.string().min(1).max(64),
  callSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BackgroundExecForwardTarget = z.infer<typeof BackgroundExecForwardTarget>;

/** A forwarded exec stream socket: ExecStreamTarget. */
export const ExecStreamForwardTarget = z.strictObject({
  containerId: z.string().min(1).max(64),
  hostId: z.string().min(1).max(64),
  execId: ExecId,
  offset: ExecOffset,
});

/**
 * A forwarded file operation: where, and the SHA-256 (hex) of the operation's JSON line that opens
 * the body (path, mode, upload limits). An upload's bytes follow that line and are not covered, as
 * a forwarded terminal's frames are not: the signature says what may be done, once; keep the
 * replicas' network private or behind TLS.
 */
export const FileForwardTarget = z.strictObject({
  containerId: z.string().min(1).max(64),
  hostId: z.string().min(1).max(64),
  opSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type FileForwardTarget = z.infer<typeof FileForwardTarget>;

/** The hex SHA-256 of a forwarded body (or its first line) that a target names. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The signing key: the cluster secret itself is never used as a key directly. */
export function forwardKey(clusterSecret: string): Buffer {
  return createHmac('sha256', clusterSecret).update('rexec terminal forwarding v1').digest();
}

function mac(key: Buffer, signed: string): Buffer {
  return createHmac('sha256', key).update(signed).digest();
}

export function signForward(
  key: Buffer,
  target:
    | TerminalTarget
    | ExecForwardTarget
    | FileForwardTarget
    | BackgroundExecForwardTarget
    | z.infer<typeof ExecStreamForwardTarget>,
  nowMs = Date.now(),
): string {
  const payload = Buffer.from(JSON.stringify(target)).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const signed = `${VERSION}.${Math.floor(nowMs / 1000)}.${nonce}.${payload}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/**
 * Each signature opens one terminal or runs one exec: firstUse() is false for a signature already
 * used within its lifetime (twice FORWARD_MAX_AGE_S covers either clock's skew).
 */
export function createReplayGuard(nowMs: () => number = Date.now): {
  firstUse(header: string): boolean;
} {
  // Insertion order is expiry order, so the expired ones are always at the front.
  const seen = new Map<string, number>();
  return {
    firstUse(header) {
      const now = nowMs();
      for (const [signature, until] of seen) {
        if (until > now) break;
        seen.delete(signature);
      }
      if (seen.has(header)) return false;
      seen.set(header, now + 2 * FORWARD_MAX_AGE_S * 1000);
      return true;
    },
  };
}

export type ForwardCheck<T> = { ok: true; target: T } | { ok: false; reason: string };

export function verifyForward<T>(
  key: Buffer,
  header: string | undefined,
  shape: z.ZodType<T>,
  nowMs = Date.now(),
): ForwardCheck<T> {
  if (header === undefined) return { ok: false, reason: `no ${FORWARD_HEADER} header` };
  const parts = header.split('.');
  const [version, seconds = '', nonce = '', payload = '', signature = ''] = parts;
  if (parts.length !== 5 || version !== VERSION || !NONCE.test(nonce)) {
    return { ok: false, reason: `a malformed ${FORWARD_HEADER} header` };
  }
  const expected = mac(key, `${version}.${seconds}.${nonce}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'a bad signature (is REXEC_CLUSTER_SECRET the same everywhere?)' };
  }
  const age = nowMs / 1000 - Number(seconds);
  if (!/^\d{1,12}$/.test(seconds) || Math.abs(age) > FORWARD_MAX_AGE_S) {
    return { ok: false, reason: 'an expired signature (are the replicas’ clocks in step?)' };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'an unreadable target' };
  }
  const target = shape.safeParse(decoded);
  if (!target.success) return { ok: false, reason: 'an invalid target' };
  return { ok: true, target: target.data };
}
