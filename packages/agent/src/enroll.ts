// First contact (PROTOCOL.md §2): trade REXEC_JOIN_TOKEN for a host credential with one POST, and
// retry with the reconnect backoff while the control plane is unreachable or failing (5xx), each
// try on the next of REXEC_URL's replicas. A 401 or another 4xx is fatal: retrying cannot make a
// bad token good. Storing the result is state.ts's.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AGENT_ENROLL_PATH,
  AgentEnrollResponse,
  PROTOCOL_VERSION,
  reconnectDelayMs,
} from '@rexec/protocol';
import type { AgentEnrollRequest } from '@rexec/protocol';
import type { Logger } from 'pino';
import { request, type HttpAnswer } from './http-request.js';
import { AgentFatalError } from './errors.js';
import type { AgentState } from './state.js';
import { AGENT_VERSION } from './version.js';

export interface EnrollOptions {
  /** The control plane's replicas, tried in turn. */
  urls: readonly URL[];
  joinToken: string;
  hostName: string;
  log: Logger;
  /** Aborts the retries (SIGTERM during enrollment). */
  signal?: AbortSignal;
}

const REQUEST_TIMEOUT_MS = 15_000;

class RetryableEnrollError extends Error {}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorText(response: HttpAnswer): string {
  const { text } = response;
  try {
    const body = JSON.parse(text) as { error?: unknown; code?: unknown };
    if (typeof body.error === 'string') return `${body.error} (${String(body.code)})`;
  } catch {
    // Not the JSON error body of DESIGN §3: show the raw start of whatever came back instead.
  }
  return text.slice(0, 200) || response.statusText;
}

async function enrollOnce(options: EnrollOptions, url: URL): Promise<AgentState> {
  const target = new URL(AGENT_ENROLL_PATH, url);
  const body: AgentEnrollRequest = {
    host_name: options.hostName,
    agent_version: AGENT_VERSION,
    protocol_version: PROTOCOL_VERSION,
  };
  let response: HttpAnswer;
  try {
    response = await request(target, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${options.joinToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    throw new RetryableEnrollError(`cannot reach ${target.href}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (response.status === 401) {
    throw new AgentFatalError(
      'enroll_refused',
      `the control plane refused REXEC_JOIN_TOKEN (401: ${errorText(response)}); ` +
        'create a new join token (POST /api/v1/hosts/join-tokens) and restart the agent',
    );
  }
  if (response.status >= 500) {
    throw new RetryableEnrollError(
      `enrollment failed with ${response.status}: ${errorText(response)}`,
    );
  }
  if (response.status < 200 || response.status > 299) {
    throw new AgentFatalError(
      'enroll_failed',
      `enrollment failed with ${response.status}: ${errorText(response)}`,
    );
  }
  const parsed = AgentEnrollResponse.safeParse(parseJson(response.text));
  if (!parsed.success) {
    throw new AgentFatalError(
      'enroll_failed',
      `the enrollment response is invalid: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** Enrolls, retrying transient failures with backoff; throws AgentFatalError when refused. */
export async function enroll(options: EnrollOptions): Promise<AgentState> {
  const { urls } = options;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await enrollOnce(options, urls[attempt % urls.length] as URL);
    } catch (error) {
      if (!(error instanceof RetryableEnrollError)) throw error;
      // The next replica is tried after the first delay; the backoff grows once all were tried.
      const delayMs = reconnectDelayMs(Math.floor(attempt / urls.length));
      // Safe to carry on: nothing was stored, and the next attempt asks again from scratch.
      options.log.warn({ err: error, delayMs }, 'enrollment failed; retrying');
      await sleep(delayMs, undefined, { signal: options.signal });
    }
  }
}
