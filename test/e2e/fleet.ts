// End-to-end fixture: a real control plane process on a fresh Postgres database, real agent
// processes joined with real join tokens, and a REST client whose answers are parsed with the
// protocol's schemas. Containers are removed from the engine at teardown by their host-id label,
// whatever a test left behind (agents leave containers running by design).
import type { Test } from 'tap';
import type { z } from 'zod';
import { Container, HostList, JoinTokenCreated } from '@rexec/protocol';
import {
  BUSYBOX_IMAGE,
  removeTestHost,
  requireEngine,
  type EngineKind,
} from '../helpers/engine.js';
import { freshDatabase } from '../helpers/postgres.js';
import { callApi, type ApiAnswer } from '../helpers/rest.js';
import {
  startAgent,
  startControlPlane,
  type Agent,
  type ControlPlane,
} from '../helpers/processes.js';
import { freePort } from '../helpers/net.js';

export interface BoxResources {
  cpu_millicores: number;
  memory_mb: number;
  disk_mb: number;
}

/** The create body every suite uses: the local busybox test image as a custom image. */
export function boxRequest(resources: BoxResources, name?: string): Record<string, unknown> {
  return {
    ...(name === undefined ? {} : { name }),
    image: 'custom',
    custom_image: BUSYBOX_IMAGE,
    resources,
  };
}

export interface Fleet {
  kind: EngineKind;
  /** The fresh Postgres database the control plane runs on (for a second replica). */
  databaseUrl: string;
  /** The running control plane; replaced by restartControlPlane(). */
  readonly controlPlane: ControlPlane;
  /**
   * SIGTERM (or `signal`: SIGKILL for a crash), `whileDown` if given, then a new process on the
   * same database, port and admin token.
   */
  restartControlPlane(opts?: {
    signal?: NodeJS.Signals;
    whileDown?: () => Promise<void>;
  }): Promise<void>;
  api(method: string, path: string, body?: unknown, token?: string): Promise<ApiAnswer>;
  /** Calls the API and parses a 2xx answer with `schema`; anything else throws with the body. */
  apiAs<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.infer<S>>;
  hosts(): Promise<HostList['hosts']>;
  /** Creates a busybox container; throws unless the API accepts it. */
  createBox(resources: BoxResources, name?: string): Promise<Container>;
  joinAgent(
    hostName: string,
    env?: Record<string, string>,
    wrap?: readonly string[],
  ): Promise<{ agent: Agent; hostId: string }>;
  waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs?: number,
    intervalMs?: number,
  ): Promise<T>;
  /** Polls until the container is `wanted`, as the fleet's control plane or `through` says. */
  containerStatus(
    id: string,
    wanted: Container['status'],
    timeoutMs?: number,
    through?: ControlPlane,
  ): Promise<Container>;
}

/** A 2xx answer's body parsed with `schema`; anything else throws with the body. */
function parsedAnswer<S extends z.ZodType>(schema: S, call: string, answer: ApiAnswer): z.infer<S> {
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(`${call}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return schema.parse(answer.body);
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function startFleet(
  t: Test,
  opts: { env?: Record<string, string>; engine?: EngineKind } = {},
): Promise<Fleet> {
  const kind = await requireEngine(t, opts.engine);
  const target = await freshDatabase(t, 'pg');
  if (target.driver !== 'pg') throw new Error('unreachable: asked for pg');
  // A fixed port, so agents find a restarted control plane at the URL they were given.
  const port = await freePort();
  const env = { REXEC_DATABASE_URL: target.url, REXEC_PORT: String(port), ...opts.env };
  let controlPlane = await startControlPlane(t, { env });
  const hostIds: string[] = [];
  const agents: { hostName: string; agent: Agent }[] = [];

  const api: Fleet['api'] = (method, path, body, token = controlPlane.adminToken) =>
    callApi(controlPlane.url, token, method, path, body);

  const apiAs: Fleet['apiAs'] = async (schema, method, path, body) =>
    parsedAnswer(schema, `${method} ${path}`, await api(method, path, body));

  const hosts: Fleet['hosts'] = async () => (await apiAs(HostList, 'GET', '/hosts')).hosts;

  t.teardown(async () => {
    // A failure seen once in CI is only understood from what the processes said around it.
    if (!t.passing()) reportOutputs(t, controlPlane, agents);
    for (const hostId of hostIds) await removeTestHost(kind, hostId);
  });

  return {
    kind,
    databaseUrl: target.url,
    get controlPlane() {
      return controlPlane;
    },
    async restartControlPlane(restart = {}) {
      await controlPlane.stop(restart.signal);
      await restart.whileDown?.();
      controlPlane = await startControlPlane(t, {
        env: { ...env, REXEC_BOOTSTRAP_ADMIN_TOKEN: controlPlane.adminToken },
      });
    },
    api,
    apiAs,
    hosts,
    createBox: (resources, name) =>
      apiAs(Container, 'POST', '/containers', boxRequest(resources, name)),
    waitFor,
    async joinAgent(hostName, env, wrap) {
      const join = await apiAs(JoinTokenCreated, 'POST', '/hosts/join-tokens', {});
      const agent = await startAgent(t, {
        url: controlPlane.url,
        joinToken: join.token,
        hostName,
        env: { REXEC_RUNTIME: kind, ...env },
        ...(wrap === undefined ? {} : { wrap }),
      });
      const hostId = await waitFor(`host ${hostName} online`, async () => {
        const host = (await hosts()).find((h) => h.name === hostName && h.status === 'online');
        return host?.id;
      });
      hostIds.push(hostId);
      agents.push({ hostName, agent });
      return { agent, hostId };
    },
    async containerStatus(id, wanted, timeoutMs, through = controlPlane) {
      const path = `/containers/${id}`;
      return waitFor(
        `container ${id} ${wanted}`,
        async () => {
          const answer = await callApi(through.url, through.adminToken, 'GET', path);
          const got = parsedAnswer(Container, `GET ${path}`, answer);
          return got.status === wanted ? got : undefined;
        },
        timeoutMs,
        // Once a second: a tier's reads budget is 120 a minute, and a container with a user
        // namespace on a loaded machine can take longer than the 24 s that 200 ms polls last.
        1000,
      );
    },
  };
}

/** The last lines of every process of a failed fleet test, as TAP comments in the test's output. */
function reportOutputs(
  t: Test,
  controlPlane: ControlPlane,
  agents: readonly { hostName: string; agent: Agent }[],
): void {
  t.comment(`the test failed; the control plane's last lines:\n${controlPlane.output()}`);
  for (const { hostName, agent } of agents) {
    t.comment(`agent ${hostName}'s last lines:\n${agent.output()}`);
  }
}
