// The caller's containers (DESIGN §3): list, get, create (optionally waiting until running),
// start, stop, delete, the setup log, stats and exec (DESIGN §8.1; background execs and their
// streams are exec/background.ts's). Every answer is decoded with the protocol's schema.
import {
  Container,
  ContainerDeleting,
  ContainerList,
  ContainerLogs,
  ContainerStats,
  ExecResult,
  type ContainerCreateRequest,
  type ContainerStatus,
  type ExecSignal,
  type ExecStatus,
} from '@rexec/protocol';
import {
  getExecStatus,
  reattachExec,
  signalExec,
  startExecStream,
  type ExecStreamOptions,
} from '../exec/background.js';
import type { ExecStream } from '../exec/exec-stream.js';
import type { TransportFactory } from '../terminal/transport.js';
import { decode } from '../http/decode.js';
import type { HttpClient } from '../http/http-client.js';
import { segment } from './path.js';
import { waitRunning, type WaitOptions } from './wait-running.js';

export interface ListOptions {
  status?: ContainerStatus;
  /** Page size, 1–100 (server default 50). */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

export interface CreateOptions extends WaitOptions {
  /** Resolve only once the container is `running` (reject if it ends in `error`). */
  wait?: boolean;
}

/** What `exec` runs: exactly one of `argv` (run directly) and `command` (run by `/bin/sh -c`). */
export type ExecOptions = (
  { argv: string[]; command?: undefined } | { command: string; argv?: undefined }
) & {
  cwd?: string;
  env?: Record<string, string>;
  /** `name`, `uid` or `user:group` inside the container. */
  user?: string;
  /** The command's whole stdin (up to 1 MiB of UTF-8). */
  stdin?: string;
  /** 1–3600, default 60; on timeout every process of the command is killed. */
  timeoutSeconds?: number;
};

/** DELETE answers 204 when the container is gone, 202 when its host must finish the removal. */
export type DeleteOutcome = { status: 'removed' } | ContainerDeleting;

export class Containers {
  readonly #http: HttpClient;
  readonly #transport: TransportFactory;

  constructor(http: HttpClient, transport: TransportFactory) {
    this.#http = http;
    this.#transport = transport;
  }

  async list(options: ListOptions = {}): Promise<ContainerList> {
    const answer = await this.#http.send('GET', '/containers', { query: { ...options } });
    return decode(ContainerList, answer, 'GET /containers');
  }

  /** Every container of the caller, following `next_cursor` page by page. */
  async *all(options: Omit<ListOptions, 'cursor'> = {}): AsyncGenerator<Container> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, cursor });
      yield* page.containers;
      cursor = page.next_cursor;
    } while (cursor !== undefined);
  }

  /** `ref` is the container's id or its name. */
  async get(ref: string): Promise<Container> {
    const answer = await this.#http.send('GET', `/containers/${segment(ref, 'container')}`);
    return decode(Container, answer, 'GET /containers/:id');
  }

  async create(body: ContainerCreateRequest, options: CreateOptions = {}): Promise<Container> {
    const answer = await this.#http.send('POST', '/containers', { body });
    const created = decode(Container, answer, 'POST /containers');
    if (options.wait !== true) return created;
    return waitRunning(() => this.get(created.id), created, options);
  }

  /** Waits until the container is running (see `create`'s `wait`). */
  async waitUntilRunning(ref: string, options: WaitOptions = {}): Promise<Container> {
    const current = await this.get(ref);
    return waitRunning(() => this.get(current.id), current, options);
  }

  async start(ref: string): Promise<Container> {
    return this.#action(ref, 'start');
  }

  async stop(ref: string): Promise<Container> {
    return this.#action(ref, 'stop');
  }

  async delete(ref: string): Promise<DeleteOutcome> {
    const answer = await this.#http.send('DELETE', `/containers/${segment(ref, 'container')}`);
    if (answer.status === 204) return { status: 'removed' };
    return decode(ContainerDeleting, answer, 'DELETE /containers/:id');
  }

  /**
   * The tail of the role setup's output and the detail of the last status change (why a pull
   * failed, how much disk a container used when it was stopped for its quota).
   */
  async logs(ref: string): Promise<ContainerLogs> {
    const answer = await this.#http.send('GET', `/containers/${segment(ref, 'container')}/logs`);
    return decode(ContainerLogs, answer, 'GET /containers/:id/logs');
  }

  /**
   * The latest cpu, memory, pids and network sample (taken by the host's agent at most every 10 s
   * by default) with disk usage and the limits. `at` and the sampled figures are null while the
   * container is not running or before its first sample.
   */
  async stats(ref: string): Promise<ContainerStats> {
    const answer = await this.#http.send('GET', `/containers/${segment(ref, 'container')}/stats`);
    return decode(ContainerStats, answer, 'GET /containers/:id/stats');
  }

  /**
   * Runs a command in the running container and waits for it. Output that is not UTF-8 is in
   * `stdout_base64`/`stderr_base64`; `exit_code` is null when the timeout killed it. The HTTP
   * request lasts as long as the command, so the client's own timeout must allow for it.
   */
  async exec(ref: string, options: ExecOptions): Promise<ExecResult> {
    const { timeoutSeconds, ...rest } = options;
    const body = {
      ...Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)),
      ...(timeoutSeconds === undefined ? {} : { timeout_seconds: timeoutSeconds }),
    };
    const path = `/containers/${segment(ref, 'container')}/exec`;
    const answer = await this.#http.send('POST', path, { body });
    return decode(ExecResult, answer, 'POST /containers/:id/exec');
  }

  /**
   * Starts a command in the background and opens its stream: output live as `stdout`/`stderr`
   * async iterables, `stdin` writable, `wait()` for the exit code. The command outlives the
   * stream; `reattach` picks it up again from `stream.offset`.
   */
  execStream(ref: string, options: ExecStreamOptions): Promise<ExecStream> {
    return startExecStream(this.#http, this.#transport, ref, options);
  }

  /** Opens the stream of a background exec again, from byte `offset` of its output (default 0). */
  reattach(ref: string, execId: string, options: { offset?: number } = {}): ExecStream {
    return reattachExec(this.#http, this.#transport, ref, execId, options);
  }

  /** A background exec's status: running, or exited with its code. */
  execStatus(ref: string, execId: string): Promise<ExecStatus> {
    return getExecStatus(this.#http, ref, execId);
  }

  /** Signals every process of a background exec without its stream. */
  execSignal(ref: string, execId: string, signal: ExecSignal): Promise<ExecStatus> {
    return signalExec(this.#http, ref, execId, signal);
  }

  async #action(ref: string, action: 'start' | 'stop'): Promise<Container> {
    const path = `/containers/${segment(ref, 'container')}/${action}`;
    const answer = await this.#http.send('POST', path);
    return decode(Container, answer, `POST /containers/:id/${action}`);
  }
}
