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
import type { Scheduler } from '../scheduler/scheduler.js';
import type { ExecRunner } from '../exec/exec-runner.js';
import type { FileService } from '../files/index.js';
import type { TerminalRelay } from '../terminal/relay.js';
import { installAuth } from './auth.js';
import type { ConsoleAssets } from './console-assets.js';
import { installErrorHandling } from './errors.js';
import { installJsonParser } from './json-parser.js';
import { registerOpenApi } from './openapi.js';
import { responseSerializerCompiler } from './serializer.js';
import { installRateLimits } from './rate-limit-hook.js';
import type { RateLimiter } from './rate-limit.js';
import { agentEnrollRoutes } from './routes/agent-enroll.js';
import { catalogRoutes } from './routes/catalog.js';
import { consoleRoutes } from './routes/console.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { fileRoutes, fileUploadRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { hostRoutes } from './routes/hosts.js';
import { meRoutes } from './routes/me.js';
import { terminalRoutes } from './routes/terminal.js';
import { routeUpgrades, type UpgradeHandler } from './routes/terminal-upgrade.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';

/** The largest legitimate body (a create request) is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface AppDependencies {
  database: Database;
  config: Pick<Config, 'bind' | 'port'>;
  log: FastifyBaseLogger;
  scheduler: Scheduler;
  rateLimiter: RateLimiter;
  /** The agent hub; without one every host is unreachable (API-only process, some tests). */
  hub?: CommandChannel;
  /** Takes upgrades to AGENT_CONNECT_PATH (the hub's handleUpgrade); 404 without one. */
  agentUpgrades?: UpgradeHandler;
  /** Serves terminal sockets; without one a terminal upgrade is refused with 503. */
  terminals?: TerminalRelay;
  /** Runs commands in containers; without one exec is refused with 503. */
  execs?: ExecRunner;
  /** Reads and writes files in containers; without one the files API is refused with 503. */
  files?: FileService;
  /** The built web console served at `/`; null or absent: `/` says how to build it. */
  console?: ConsoleAssets | null;
}

/** What every route plugin receives. */
export interface RouteDependencies {
  database: Database;
  scheduler: Scheduler;
  hub?: CommandChannel;
  terminals?: TerminalRelay;
  execs?: ExecRunner;
  files?: FileService;
}

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
    // Requests carry small JSON bodies; a client that stalls that long is gone.
    requestTimeout: 30_000,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  installJsonParser(app, BODY_LIMIT_BYTES);
  installErrorHandling(app, BODY_LIMIT_BYTES);
  installAuth(app, deps.database);
  installRateLimits(app, deps.rateLimiter);
  await registerOpenApi(app);

  const routeDeps: RouteDependencies = {
    database: deps.database,
    scheduler: deps.scheduler,
    hub: deps.hub,
    terminals: deps.terminals,
    execs: deps.execs,
    files: deps.files,
  };
  await app.register(healthRoutes(routeDeps));
  await app.register(consoleRoutes(deps.console ?? null));
  await app.register(
    async (api) => {
      await api.register(containerRoutes(routeDeps));
      await api.register(terminalRoutes(routeDeps));
      await api.register(execRoutes(routeDeps));
      await api.register(fileRoutes(routeDeps));
      // Its own context: raw bodies of any content type, never parsed.
      await api.register(fileUploadRoutes(routeDeps));
      await api.register(meRoutes(routeDeps));
      await api.register(catalogRoutes(routeDeps));
      await api.register(tokenRoutes(routeDeps));
      await api.register(userRoutes(routeDeps));
      await api.register(hostRoutes(routeDeps));
      await api.register(agentEnrollRoutes(routeDeps));
    },
    { prefix: '/api/v1' },
  );
  routeUpgrades(app, deps.agentUpgrades);
  await app.ready();
  return app;
}
