// The fleet the files suites share: a control plane process and a real agent using `<engine> cp`
// and `<engine> exec` on one running busybox container, with raw-HTTP helpers for the files
// routes (status, headers and bytes as they came). Each suite starts its own; what they check is
// theirs.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ErrorBody, ExecResult, Tier, type Container } from '@rexec/protocol';
import type { Test } from 'tap';
import { startFleet, type Fleet } from './fleet.js';

/** REXEC_MAX_UPLOAD_MB of the files fleet: small, so the 413 needs only 25 MB. */
export const MAX_UPLOAD_MB = 24;

export interface Raw {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

export interface FilesFleet {
  fleet: Fleet;
  box: Container;
  /** Any call under `/containers/<box>` (or another container's base), as it answered. */
  raw: (
    method: string,
    path: string,
    init?: { body?: Buffer | Readable; headers?: Record<string, string>; token?: string },
  ) => Promise<Raw>;
  put: (path: string, bytes: Buffer | Readable, extra?: string) => Promise<Raw>;
  get: (path: string, headers?: Record<string, string>, extra?: string) => Promise<Raw>;
  /** `?path=<path><extra>` with the path encoded. */
  q: (path: string, extra?: string) => string;
  json: (answer: Raw) => unknown;
  errorOf: (answer: Raw) => { status: number; code: string };
  /** Runs `command` in the box through the exec API. */
  sh: (command: string) => Promise<ExecResult>;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function streamToBuffer(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export async function startFilesFleet(t: Test, hostName: string): Promise<FilesFleet> {
  const fleet = await startFleet(t, { env: { REXEC_MAX_UPLOAD_MB: String(MAX_UPLOAD_MB) } });
  // Dozens of calls in a few minutes: more than the admin tier's default operations budget.
  await fleet.apiAs(Tier, 'PATCH', '/tiers/enterprise', {
    rate_limits: { operations_per_minute: 100_000 },
  });
  await fleet.joinAgent(hostName);
  const box = await fleet.createBox({ cpu_millicores: 250, memory_mb: 128, disk_mb: 1024 });
  await fleet.containerStatus(box.id, 'running');
  const base = `${fleet.controlPlane.url}/api/v1/containers/${box.id}`;

  const raw: FilesFleet['raw'] = async (method, path, init = {}) => {
    const body =
      init.body instanceof Readable ? (Readable.toWeb(init.body) as ReadableStream) : init.body;
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${init.token ?? fleet.controlPlane.adminToken}`,
        ...init.headers,
      },
      ...(body === undefined ? {} : { body, duplex: 'half' }),
    } as RequestInit);
    return {
      status: response.status,
      headers: response.headers,
      bytes: Buffer.from(await response.arrayBuffer()),
    };
  };
  const q = (path: string, extra = '') => `?path=${encodeURIComponent(path)}${extra}`;
  const json = (answer: Raw): unknown => JSON.parse(answer.bytes.toString('utf8'));
  return {
    fleet,
    box,
    raw,
    q,
    json,
    put: (path, bytes, extra = '') => raw('PUT', `/files${q(path, extra)}`, { body: bytes }),
    get: (path, headers = {}, extra = '') => raw('GET', `/files${q(path, extra)}`, { headers }),
    errorOf: (answer) => ({ status: answer.status, code: ErrorBody.parse(json(answer)).code }),
    sh: (command) => fleet.apiAs(ExecResult, 'POST', `/containers/${box.id}/exec`, { command }),
  };
}
