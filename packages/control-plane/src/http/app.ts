// The HTTP application factory: fastify with zod validation and serialization from
// @rexec/protocol, request ids, the auth and rate-limit hooks, error handling, OpenAPI and every
// route, the web console's static files, and the routing of WebSocket upgrades (agents to the hub, terminals through fastify). It
// listens on nothing: main.ts (or a test) owns the socket and the process lifetime.
import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import type { Database } from '../db/open.js';
import type { CommandChannel } from '../hub/channel.js';
import type { Placer } from '../scheduler/placer.js';
import type { BackgroundExecs } from '../exec/background-execs.js';
import type { HostApproval } from '../services/host-enrollment.js';
import type { AllowedRegistries } from '../services/image-policy.js';
import type { ExecRunner } from '../exec/exec-runner.js';
import type { ExecStreamRelay } from '../exec/exec-stream-relay.js';
import { ONE_MINUTE_MS } from '../activity/idle-stop-at.js';
import { DEFAULT_SSE_HEARTBEAT_MS } from '../events/event-stream.js';
import type { EventWake } from '../events/event-wake.js';
import type { FileService } from '../files/index.js';
import type { TerminalRelay } from '../terminal/relay.js';
import { installAuth } from './auth.js';
import type { ConsoleAssets } from './console-assets.js';
import { frameworkError, installErrorHandling, MAX_PATH_PARAM_CHARS } from './errors.js';
import { createIpLimits, type IpLimits } from './ip-limits.js';
import { installJsonParser } from './json-parser.js';
import { installRequestMetrics } from './request-metrics.js';
import type { RequestRecorder } from '../metrics/recorders.js';
import { registerOpenApi } from './openapi.js';
import { responseSerializerCompiler } from './serializer.js';
import { installRateLimits } from './rate-limit-hook.js';
import type { RateLimiter } from './rate-limit.js';
import { agentEnrollRoutes } from './routes/agent-enroll.js';
import { catalogRoutes } from './routes/catalog.js';
import { consoleRoutes } from './routes/console.js';
import { containerRoutes } from './routes/containers.js';
import { containerStatsRoutes } from './routes/container-stats.js';
import { execRoutes } from './routes/exec.js';
import { execBackgroundRoutes } from './routes/exec-background.js';
import { auditRoutes } from './routes/audit.js';
import { eventRoutes } from './routes/events.js';
import { installAudit } from './audit-hook.js';
import { fileRoutes, fileUploadRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { hostRoutes } from './routes/hosts.js';
import { meRoutes } from './routes/me.js';
import { terminalRoutes } from './routes/terminal.js';
import {
  DEFAULT_BODY_IDLE_MS,
  guardBodyIdle,
  HEADERS_TIMEOUT_MS,
  KEEP_ALIVE_TIMEOUT_MS,
} from './request-deadlines.js';
import { routeUpgrades, type UpgradeHandler } from './routes/terminal-upgrade.js';
import { forwardedExecRoutes } from './routes/exec-forward.js';
import { forwardedFileRoutes } from './routes/files-forward.js';
import { forwardedBackgroundExecRoutes } from './routes/exec-background-forward.js';
import { DISCONNECTED } from '../hub/channel.js';
import { createLaunches, type Launches } from '../lifecycle/launches.js';
import { createRunningBatcher, type RunningBatcher } from '../lifecycle/running-batch.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { AddressPolicy } from '../webhooks/address-policy.js';
import type { RouteDependencies, ReplicaForwarding } from './route-dependencies.js';

/** The largest legitimate body (a create request) is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface AppDependencies {
  database: Database;
  config: Pick<Config, 'bind' | 'port'>;
  log: FastifyBaseLogger;
  /** Orders the hosts for a create (scheduler/placer.ts), one per database. */
  placer: Placer;
  /** The database's moves to running, shared with the lifecycle; a new one when absent. */
  running?: RunningBatcher;
  /** Where the containers route tracks background creates; an untracked set when absent. */
  launches?: Launches;
  rateLimiter: RateLimiter;
  /** Per-address limits on failed authentication and enrollment; the defaults when absent. */
  ipLimits?: IpLimits;
  /** The agent hub; without one every host is unreachable (API-only process, some tests). */
  hub?: CommandChannel;
  /** This process's own hub when `hub` relays to other replicas (RouteDependencies.sockets). */
  sockets?: CommandChannel;
  /** Takes upgrades to AGENT_CONNECT_PATH (the hub's handleUpgrade); 404 without one. */
  agentUpgrades?: UpgradeHandler;
  /** Serves terminal sockets; without one a terminal upgrade is refused with 503. */
  terminals?: TerminalRelay;
  /** Terminals and execs for hosts other replicas hold go there; 503 for them when absent. */
  replicaForwarding?: ReplicaForwarding;
  /** Takes terminals other replicas forward here (FORWARD_PATH); 404 without one. */
  forwardedUpgrades?: UpgradeHandler;
  /** Checks execs other replicas forward here; without it they are refused with 503. */
  forwardKey?: Buffer;
  /** Runs commands in containers; without one exec is refused with 503. */
  execs?: ExecRunner;
  /** Starts and queries background execs; without one `background: true` is refused with 503. */
  backgroundExecs?: BackgroundExecs;
  /** Serves exec stream sockets; without one a stream upgrade is refused with 503. */
  execStreams?: ExecStreamRelay;
  /** Reads and writes files in containers; without one the files API is refused with 503. */
  files?: FileService;
  /** The built web console served at `/`; null or absent: `/` says how to build it. */
  console?: ConsoleAssets | null;
  /** REXEC_HOST_APPROVAL; `auto` when absent. */
  hostApproval?: HostApproval;
  /** REXEC_ALLOWED_REGISTRIES for non-admins' custom images; any public registry when absent. */
  allowedRegistries?: AllowedRegistries;
  /** Which addresses webhook URLs may reach; public unicast only when absent. */
  webhookPolicy?: AddressPolicy;
  /** Wakes event streams when the events table moves; without one the stream answers 503. */
  eventWake?: EventWake;
  /** The event stream's heartbeat; DEFAULT_SSE_HEARTBEAT_MS (15 s) when absent (tests shorten it). */
  sseHeartbeatMs?: number;
  /** How long one of a tier's idle_stop_minutes lasts, for idle_stop_at; a minute when absent. */
  idleMinuteMs?: number;
  /** True once the process began to shut down (/readyz answers 503). */
  shuttingDown?: () => boolean;
  /** Proxies trusted to name the client in X-Forwarded-For; none when absent or empty. */
  trustProxy?: readonly string[];
  /** How long a request body may stall before its socket is closed; DEFAULT_BODY_IDLE_MS. */
  bodyIdleMs?: number;
  /** Counts and times requests by route for metrics; nothing is recorded when absent. */
  requestMetrics?: RequestRecorder;
}

export type { RouteDependencies } from './route-dependencies.js';

/**
 * Fastify's request lines, at a level that depends on the outcome. Two info lines per request
 * (formatting and a write each) were the largest single cost of a create under load, so a request
 * that succeeds is logged at debug (REXEC_LOG_LEVEL=debug gives the full access log); one that
 * fails keeps its completion line at info, an errored one at error, always with the request id.
 */
class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      reply.log.error(
        { res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    } else if (reply.statusCode >= 400) {
      reply.log.info({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    } else {
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    genReqId: () => `req_${randomUUID().replaceAll('-', '')}`,
    logController: new RequestLogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: BODY_LIMIT_BYTES,
    // No deadline for a whole request (uploads take minutes); headers and stalled bodies have
    // theirs (request-deadlines.ts).
    requestTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
    // request.ip: the client behind the trusted proxies (client-address.ts), else the socket's.
    trustProxy:
      deps.trustProxy !== undefined && deps.trustProxy.length > 0 ? [...deps.trustProxy] : false,
    routerOptions: { maxParamLength: MAX_PATH_PARAM_CHARS },
    frameworkErrors: (error, request, reply) => {
      // The reply is thenable; fastify wants nothing back from this hook.
      void frameworkError(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;
  const bodyIdleMs = deps.bodyIdleMs ?? DEFAULT_BODY_IDLE_MS;
  app.addHook('onRequest', async (request, reply) => {
    guardBodyIdle(request.raw, bodyIdleMs);
    void reply.header('x-request-id', request.id);
  });
  if (deps.requestMetrics !== undefined) installRequestMetrics(app, deps.requestMetrics);
  installJsonParser(app, BODY_LIMIT_BYTES);
  installErrorHandling(app, BODY_LIMIT_BYTES);
  const ipLimits = deps.ipLimits ?? createIpLimits();
  installAuth(app, deps.database, ipLimits);
  installRateLimits(app, deps.rateLimiter);
  installAudit(app, deps.database);
  await registerOpenApi(app);

  const routeDeps: RouteDependencies = {
    database: deps.database,
    ipLimits,
    placer: deps.placer,
    hub: deps.hub,
    running: deps.running ?? createRunningBatcher(deps.database.db),
    launches: deps.launches ?? createLaunches(deps.log),
    ...(deps.sockets === undefined ? {} : { sockets: deps.sockets }),
    terminals: deps.terminals,
    ...(deps.replicaForwarding === undefined ? {} : { replicaForwarding: deps.replicaForwarding }),
    execs: deps.execs,
    backgroundExecs: deps.backgroundExecs,
    execStreams: deps.execStreams,
    ...(deps.hostApproval === undefined ? {} : { hostApproval: deps.hostApproval }),
    ...(deps.allowedRegistries === undefined ? {} : { allowedRegistries: deps.allowedRegistries }),
    files: deps.files,
    ...(deps.webhookPolicy === undefined ? {} : { webhookPolicy: deps.webhookPolicy }),
    ...(deps.eventWake === undefined ? {} : { eventWake: deps.eventWake }),
    sseHeartbeatMs: deps.sseHeartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS,
    idleMinuteMs: deps.idleMinuteMs ?? ONE_MINUTE_MS,
    ...(deps.shuttingDown === undefined ? {} : { shuttingDown: deps.shuttingDown }),
  };
  await app.register(healthRoutes(routeDeps));
  await app.register(
    forwardedExecRoutes({
      key: deps.forwardKey,
      sockets: deps.sockets ?? deps.hub ?? DISCONNECTED,
      execs: deps.execs,
    }),
  );
  await app.register(
    forwardedBackgroundExecRoutes({
      key: deps.forwardKey,
      sockets: deps.sockets ?? deps.hub ?? DISCONNECTED,
      backgroundExecs: deps.backgroundExecs,
    }),
  );
  await app.register(
    forwardedFileRoutes({
      key: deps.forwardKey,
      sockets: deps.sockets ?? deps.hub ?? DISCONNECTED,
      files: deps.files,
    }),
  );
  await app.register(consoleRoutes(deps.console ?? null));
  await app.register(
    async (api) => {
      await api.register(containerRoutes(routeDeps));
      await api.register(containerStatsRoutes(routeDeps));
      await api.register(terminalRoutes(routeDeps));
      await api.register(execRoutes(routeDeps));
      await api.register(execBackgroundRoutes(routeDeps));
      await api.register(fileRoutes(routeDeps));
      // Its own context: raw bodies of any content type, never parsed.
      await api.register(fileUploadRoutes(routeDeps));
      await api.register(meRoutes(routeDeps));
      await api.register(catalogRoutes(routeDeps));
      await api.register(tokenRoutes(routeDeps));
      await api.register(userRoutes(routeDeps));
      await api.register(hostRoutes(routeDeps));
      await api.register(webhookRoutes(routeDeps));
      await api.register(agentEnrollRoutes(routeDeps));
      await api.register(eventRoutes(routeDeps));
      await api.register(auditRoutes(routeDeps));
    },
    { prefix: '/api/v1' },
  );
  routeUpgrades(app, deps.agentUpgrades, deps.forwardedUpgrades);
  await app.ready();
  return app;
}
