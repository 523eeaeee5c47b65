// The OpenAPI document is served without credentials and lists exactly the routes the app has
// registered (read from fastify's route tree, so a lost or undocumented route fails) with the
// schemas generated from @rexec/protocol.
import t from 'tap';
import { call, startServer } from './server.js';

// Registered on purpose without a place in the document: the document itself and the console's
// page and assets (`schema.hide`). Every other route the app serves must be documented.
// The console's files, the document itself, and the replicas' own calls for forwarded execs
// (foreground and background) and file operations.
const UNDOCUMENTED = [
  'get /',
  'get /api/v1/openapi.json',
  'get /assets/{file}',
  'post /internal/v1/exec',
  'post /internal/v1/background-exec',
  'post /internal/v1/files',
];

/**
 * Every method and path the app has registered, read from fastify's route tree (printRoutes draws
 * one node a line, four columns a level, methods in parentheses); HEAD is fastify's automatic twin
 * of GET. Paths use OpenAPI's `{param}` spelling.
 */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const node = /^([\s│├└─]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (node === null) continue;
    const depth = Math.floor((node[1] ?? '').length / 4);
    stack.length = depth;
    const parent = stack[depth - 1] ?? '';
    const segment = node[2] ?? '';
    const path =
      parent.endsWith('/') || segment.startsWith('/') ? parent + segment : `${parent}/${segment}`;
    stack.push(path);
    for (const method of (node[3] ?? '').split(', ')) {
      if (method !== 'HEAD')
        routes.push(`${method.toLowerCase()} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes.sort();
}

void t.test('the OpenAPI document lists the routes with their schemas', async (t) => {
  const server = await startServer(t, 'pglite');
  const res = await call(server, 'GET', '/api/v1/openapi.json');
  t.equal(res.status, 200);
  const doc = res.body as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
  };
  t.match(doc.openapi, /^3\./);
  const registered = registeredRoutes(server.app.printRoutes({ commonPrefix: false }));
  t.ok(registered.includes('post /api/v1/containers/{id}/exec'), 'the route tree is read whole');
  const documented = Object.entries(doc.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`))
    .sort();
  t.same(
    documented,
    registered.filter((route) => !UNDOCUMENTED.includes(route)),
    'every registered route is documented, and nothing else',
  );
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
