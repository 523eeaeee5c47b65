// Counts and times every answered request for metrics by the route's pattern, never its URL: ids
// in paths would make a label value per container. Requests no route matched share one label.
import type { FastifyInstance } from 'fastify';
import type { RequestRecorder } from '../metrics/recorders.js';

/** The route label of a request that matched no route (404s for unknown paths, probes). */
export const UNMATCHED_ROUTE = 'unmatched';

export function installRequestMetrics(app: FastifyInstance, recorder: RequestRecorder): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    recorder.request(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
}
