// JSON bodies: fastify's own safe parser (prototype-poisoning checks) with one change: an empty
// body is "no body" rather than an error, so `POST /containers/:id/start` with a JSON content type
// and nothing else works. Routes that need a body still reject its absence through their schema.
import type { FastifyInstance } from 'fastify';

export function installJsonParser(app: FastifyInstance, bodyLimit: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      void parseJson(request, text, done);
    },
  );
}
