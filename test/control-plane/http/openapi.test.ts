// The OpenAPI document is served without credentials and lists every route of DESIGN §3 with the
// schemas generated from @rexec/protocol.
import t from 'tap';
import { call, startServer } from './server.js';

const ROUTES: [string, string][] = [
  ['get', '/api/v1/containers'],
  ['post', '/api/v1/containers'],
  ['get', '/api/v1/containers/{id}'],
  ['post', '/api/v1/containers/{id}/exec'],
  ['get', '/api/v1/containers/{id}/exec/{exec_id}'],
  ['post', '/api/v1/containers/{id}/exec/{exec_id}/signal'],
  ['get', '/api/v1/containers/{id}/exec/{exec_id}/stream'],
  ['post', '/api/v1/containers/{id}/start'],
  ['post', '/api/v1/containers/{id}/stop'],
  ['delete', '/api/v1/containers/{id}'],
  ['get', '/api/v1/me'],
  ['get', '/api/v1/images'],
  ['get', '/api/v1/roles'],
  ['get', '/api/v1/tiers'],
  ['patch', '/api/v1/tiers/{name}'],
  ['post', '/api/v1/tokens'],
  ['get', '/api/v1/tokens'],
  ['delete', '/api/v1/tokens/{id}'],
  ['post', '/api/v1/users'],
  ['get', '/api/v1/users'],
  ['patch', '/api/v1/users/{id}'],
  ['delete', '/api/v1/users/{id}'],
  ['get', '/api/v1/hosts'],
  ['get', '/api/v1/hosts/{id}'],
  ['post', '/api/v1/hosts/{id}/cordon'],
  ['post', '/api/v1/hosts/{id}/uncordon'],
  ['post', '/api/v1/hosts/{id}/drain'],
  ['post', '/api/v1/hosts/join-tokens'],
  ['get', '/healthz'],
  ['get', '/readyz'],
];

void t.test('the OpenAPI document lists the routes with their schemas', async (t) => {
  const server = await startServer(t, 'pglite');
  const res = await call(server, 'GET', '/api/v1/openapi.json');
  t.equal(res.status, 200);
  const doc = res.body as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
  };
  t.match(doc.openapi, /^3\./);
  for (const [method, path] of ROUTES) {
    t.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
  }
  t.notOk(doc.paths['/api/v1/openapi.json'], 'the document does not list itself');
  const create = doc.paths['/api/v1/containers']?.['post'] as {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON Schema document
    requestBody: { content: Record<string, { schema: Record<string, any> }> };
    responses: Record<string, unknown>;
  };
  const body = create.requestBody.content['application/json']?.schema ?? {};
  t.same(body['required'], ['image']);
  t.equal(body['additionalProperties'], false, 'unknown fields are refused');
  t.ok((body['properties'].image.enum as string[]).includes('custom'));
  t.ok(create.responses['202'], 'create answers 202');
  t.ok(create.responses['4XX'] ?? create.responses['4xx'], 'error responses are documented');
  const exec = doc.paths['/api/v1/containers/{id}/exec']?.['post'] as {
    responses: Record<string, unknown>;
  };
  t.ok(exec.responses['202'], 'a background exec answers 202');
  const stream = doc.paths['/api/v1/containers/{id}/exec/{exec_id}/stream']?.['get'] as {
    description: string;
  };
  t.match(stream.description, /WebSocket.*rexec\.exec\.v1/s, 'the stream socket is described');
});
